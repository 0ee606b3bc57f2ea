import type { PublicKey } from "openpgp";
import * as openpgp from "openpgp";

/** What went wrong while reading a keyring: the caller decides which error class the user sees. */
export class KeyringFormatError extends Error {
  constructor(
    readonly label: string,
    readonly reason: string,
  ) {
    super(`${label}: not an OpenPGP keyring (${reason})`);
    this.name = "KeyringFormatError";
  }
}

const ARMOR_HEADER = "-----BEGIN PGP PUBLIC KEY BLOCK-----";

/**
 * Reads every public key of a keyring file: ASCII-armored (`.asc`) or binary (`.gpg`, as shipped by
 * debian-archive-keyring). Secret key material is never accepted: only public keys are returned.
 * Throws KeyringFormatError naming `label` when the bytes hold no public key.
 */
export async function parseKeyring(bytes: Uint8Array, label: string): Promise<PublicKey[]> {
  const head = new TextDecoder("utf-8", { fatal: false }).decode(bytes.subarray(0, 4096));
  let keys: openpgp.Key[];
  try {
    if (head.includes(ARMOR_HEADER)) {
      const text = new TextDecoder().decode(bytes);
      // An .asc file may hold several armored blocks (e.g. keys concatenated with cat).
      const blocks = text.match(/-----BEGIN PGP PUBLIC KEY BLOCK-----[\s\S]*?-----END PGP PUBLIC KEY BLOCK-----/g) ?? [];
      keys = [];
      for (const block of blocks) keys.push(...(await openpgp.readKeys({ armoredKeys: block })));
    } else if (bytes.length === 0) {
      throw new KeyringFormatError(label, "the file is empty");
    } else {
      keys = await openpgp.readKeys({ binaryKeys: bytes });
    }
  } catch (error) {
    if (error instanceof KeyringFormatError) throw error;
    throw new KeyringFormatError(label, error instanceof Error ? error.message : String(error));
  }
  if (keys.length === 0) throw new KeyringFormatError(label, "no public key found");
  return keys.map((key) => key.toPublic());
}

/** Upper-case hex fingerprint of a key, the form `gpg --fingerprint` prints without spaces. */
export function formatFingerprint(key: PublicKey): string {
  return key.getFingerprint().toUpperCase();
}
