import type { PrivateKey, PublicKey } from "openpgp";
import * as openpgp from "openpgp";

/** An OpenPGP signing key made at test time; never a real key, never written to the repository. */
export interface TestKey {
  readonly privateKey: PrivateKey;
  readonly publicKey: PublicKey;
  /** What a test passes to `--keyring FILE` (write it to a temporary .asc file). */
  readonly publicKeyArmored: string;
  /** Upper-case hex fingerprint of the primary key. */
  readonly fingerprint: string;
}

export interface TestKeyOptions {
  /** Appears in the user ID, e.g. "Fake Archive Automatic Signing Key". */
  readonly name?: string;
  /** Key creation time (default: now). A key made in the past can sign in the past. */
  readonly date?: Date;
  /** Seconds after `date` at which the key expires (default: never). */
  readonly expiresInSeconds?: number;
}

/** Generates a fresh ed25519 signing key (legacy EdDSA, which gpgv also understands). */
export async function generateTestKey(options: TestKeyOptions = {}): Promise<TestKey> {
  const name = options.name ?? "deb-lock test archive key";
  const { privateKey, publicKey } = await openpgp.generateKey({
    type: "ecc",
    curve: "ed25519Legacy",
    userIDs: [{ name, email: "archive@test.invalid" }],
    format: "object",
    ...(options.date === undefined ? {} : { date: options.date }),
    ...(options.expiresInSeconds === undefined ? {} : { keyExpirationTime: options.expiresInSeconds }),
  });
  return { privateKey, publicKey, publicKeyArmored: publicKey.armor(), fingerprint: publicKey.getFingerprint().toUpperCase() };
}

const cache = new Map<string, Promise<TestKey>>();

/** One key per name, generated once per test process: key generation is cheap but not free. */
export function getTestKey(name = "archive"): Promise<TestKey> {
  let key = cache.get(name);
  if (key === undefined) {
    key = generateTestKey({ name: `deb-lock test ${name} key` });
    cache.set(name, key);
  }
  return key;
}

/**
 * Clear-signs `text` the way Debian's InRelease files look: one signature per key, all made at `date`
 * (default now), LF line endings, and the text's final newline folded into the armor (so the signed
 * text itself ends without one, exactly like dak's output).
 */
export async function clearsign(text: string, keys: readonly TestKey[], options: { date?: Date } = {}): Promise<string> {
  const message = await openpgp.createCleartextMessage({ text: text.replace(/\n$/, "") });
  const armored = await openpgp.sign({
    message,
    signingKeys: keys.map((k) => k.privateKey),
    format: "armored",
    ...(options.date === undefined ? {} : { date: options.date }),
  });
  // openpgp writes the cleartext with CRLF; signatures are over canonical CRLF text either way.
  return armored.replace(/\r\n/g, "\n");
}

/**
 * Returns an armored cleartext message whose signed text is `text` and whose signatures are those of
 * all `signed` messages (each an armored cleartext message, possibly over other text). Used to build
 * files where one signature is good and another is bad.
 */
export async function combineSignatures(text: string, signed: readonly string[]): Promise<string> {
  const parts: Uint8Array[] = [];
  for (const armored of signed) {
    const block = /-----BEGIN PGP SIGNATURE-----[\s\S]*?-----END PGP SIGNATURE-----/.exec(armored);
    if (block === null) throw new Error("combineSignatures: input is not a signed cleartext message");
    const signature = await openpgp.readSignature({ armoredSignature: block[0] });
    parts.push(signature.write() as Uint8Array);
  }
  const combined = await openpgp.readSignature({ binarySignature: Buffer.concat(parts) });
  // The cleartext part of a message over `text`, signed by no one, followed by the combined signatures.
  const head = (await clearsign(text, [await getTestKey("archive")])).split("-----BEGIN PGP SIGNATURE-----")[0]!;
  return head + combined.armor();
}
