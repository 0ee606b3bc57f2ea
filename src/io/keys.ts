import { existsSync, readFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { PublicKey } from "openpgp";
import { DebLockError, UsageError } from "../core/errors.js";
import { KeyringFormatError, parseKeyring } from "../core/trust/keyring.js";

/**
 * The folder of bundled archive keys: `keys/` at the root of the deb-lock package. Found by walking up
 * from this module to the package.json named "deb-lock", so it works from src/io (tests) and from
 * dist/io (the built CLI) alike.
 */
export function bundledKeysDir(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && isDebLockManifest(manifest)) return join(dir, "keys");
    const parent = dirname(dir);
    if (parent === dir) {
      throw new DebLockError("KEYS_NOT_FOUND", `cannot find the deb-lock package root (package.json named deb-lock) above ${from}`, {
        hint: "reinstall deb-lock; its bundled keys/ folder is missing",
      });
    }
    dir = parent;
  }
}

function isDebLockManifest(path: string): boolean {
  try {
    return (JSON.parse(readFileSync(path, "utf8")) as { name?: unknown }).name === "deb-lock";
  } catch {
    return false;
  }
}

/**
 * Loads the keys deb-lock trusts: every `.gpg`/`.asc` file of the bundled keys/ folder (Debian's
 * archive keys) plus each file given with `--keyring FILE`. A keyring that cannot be read or holds
 * no public key is a UsageError naming the file.
 */
export async function loadTrustedKeys(options: { extraKeyrings: readonly string[]; keysDir?: string }): Promise<PublicKey[]> {
  const dir = options.keysDir ?? bundledKeysDir();
  const bundled = (await readdir(dir)).filter((f) => f.endsWith(".gpg") || f.endsWith(".asc")).sort();
  const keys: PublicKey[] = [];
  for (const file of bundled) {
    const path = join(dir, file);
    try {
      keys.push(...(await parseKeyring(await readFile(path), path)));
    } catch (error) {
      throw new DebLockError("BAD_BUNDLED_KEY", `cannot read the bundled key ${path}: ${error instanceof Error ? error.message : String(error)}`, {
        hint: "reinstall deb-lock; see keys/README.md for how the keys are refreshed",
        cause: error,
      });
    }
  }
  for (const path of options.extraKeyrings) {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : error instanceof Error ? error.message : String(error);
      throw new UsageError(`--keyring ${path}: cannot read the file (${reason})`, {
        code: "BAD_KEYRING",
        hint: "pass the path of the repository's public key, armored (.asc) or binary (.gpg)",
      });
    }
    try {
      keys.push(...(await parseKeyring(bytes, path)));
    } catch (error) {
      if (!(error instanceof KeyringFormatError)) throw error;
      throw new UsageError(`--keyring ${path}: not an OpenPGP public key (${error.reason})`, {
        code: "BAD_KEYRING",
        hint: "export the key with `gpg --export KEYID > key.gpg` or `gpg --export --armor KEYID > key.asc` and pass that file",
      });
    }
  }
  return keys;
}
