import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { getTestKey } from "../../test/support/test-key.js";
import { UsageError } from "../core/errors.js";
import { bundledKeysDir, loadTrustedKeys } from "./keys.js";

const fingerprints = (keys: { getFingerprint(): string }[]) => keys.map((k) => k.getFingerprint().toUpperCase());

describe("loadTrustedKeys", () => {
  it("finds keys/ at the package root and loads the Debian archive keys", async () => {
    expect(bundledKeysDir()).toBe(join(import.meta.dirname, "../../keys"));
    const keys = await loadTrustedKeys({ extraKeyrings: [] });
    expect(fingerprints(keys)).toEqual(
      expect.arrayContaining([
        "1F89983E0081FDE018F3CC9673A4F27B8DD47936", // 11/bullseye archive
        "B8B80B5B623EAB6AD8775C45B7C5D7D6350947F8", // 12/bookworm archive
        "05AB90340C0C5E797F44A8C8254CF3B5AEC0A8F0", // 12/bookworm security
        "4D64FEC119C2029067D6E791F8D2585B8783D481", // 12/bookworm stable release
        "04B54C3CDCA79751B16BC6B5225629DF75B188BD", // 13/trixie archive
      ]),
    );
    expect(keys).toHaveLength(9);
    expect(keys.every((k) => !k.isPrivate())).toBe(true);
  });

  it("locates the package root from a nested folder such as dist/io", () => {
    expect(bundledKeysDir(join(import.meta.dirname, "../../dist/io"))).toBe(join(import.meta.dirname, "../../keys"));
  });

  it("adds armored and binary --keyring files", async () => {
    const key = await getTestKey("archive");
    const dir = mkdtempSync(join(tmpdir(), "deb-lock-keys-"));
    const asc = join(dir, "repo.asc");
    const gpg = join(dir, "repo.gpg");
    writeFileSync(asc, key.publicKeyArmored);
    writeFileSync(gpg, key.publicKey.write());
    for (const file of [asc, gpg]) {
      const keys = await loadTrustedKeys({ extraKeyrings: [file] });
      expect(keys).toHaveLength(10);
      expect(fingerprints(keys)).toContain(key.fingerprint);
    }
  });

  it("rejects a bad or missing --keyring file with a UsageError naming it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "deb-lock-keys-"));
    const bad = join(dir, "not-a-key.asc");
    writeFileSync(bad, "hello, I am not a key\n");
    for (const file of [bad, join(dir, "missing.gpg")]) {
      const error = await loadTrustedKeys({ extraKeyrings: [file] }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UsageError);
      expect((error as UsageError).code).toBe("BAD_KEYRING");
      expect((error as UsageError).message).toContain(file);
    }
  });
});
