import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import type { PublicKey } from "openpgp";
import * as openpgp from "openpgp";
import { describe, expect, it } from "vitest";
import { generateTestKey, getTestKey, type TestKey } from "../../../test/support/test-key.js";
import { VerificationError } from "../errors.js";
import { parseKeyring } from "./keyring.js";
import { verifyDetachedRelease } from "./release-gpg.js";

const ROOT = join(import.meta.dirname, "../../..");

const URL_ = "http://127.0.0.1/debian/dists/stable/Release";
const RELEASE = new TextEncoder().encode("Origin: Example\nSuite: stable\nSHA256:\n 0123 42 main/binary-amd64/Packages\n");

/** A detached signature like `gpg --armor --detach-sign` makes (binary mode unless `text`). */
async function detach(bytes: Uint8Array, keys: TestKey[], options: { date?: Date; text?: boolean; armor?: boolean } = {}): Promise<Uint8Array> {
  const message = options.text
    ? await openpgp.createMessage({ text: new TextDecoder().decode(bytes) })
    : await openpgp.createMessage({ binary: bytes });
  const signingKeys = keys.map((k) => k.privateKey);
  const date = options.date === undefined ? {} : { date: options.date };
  if (options.armor === false) return openpgp.sign({ message, signingKeys, detached: true, format: "binary", ...date }) as Promise<Uint8Array>;
  return new TextEncoder().encode((await openpgp.sign({ message, signingKeys, detached: true, format: "armored", ...date })) as string);
}

async function code(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(VerificationError);
  return (error as VerificationError).code;
}

describe("verifyDetachedRelease", () => {
  it("accepts binary-mode and text-mode, armored and binary signatures by a trusted key", async () => {
    const key = await getTestKey("archive");
    for (const options of [{}, { text: true }, { armor: false }]) {
      const result = await verifyDetachedRelease(RELEASE, await detach(RELEASE, [key], options), [key.publicKey], URL_);
      expect(result.signers).toEqual([key.fingerprint]);
      expect(result.text).toBe(new TextDecoder().decode(RELEASE));
    }
  });

  it("rejects a changed Release, an unknown signer and a non-signature", async () => {
    const key = await getTestKey("archive");
    const signature = await detach(RELEASE, [key]);
    const changed = Uint8Array.from(RELEASE, (b, i) => (i === 8 ? b ^ 1 : b));
    expect(await code(verifyDetachedRelease(changed, signature, [key.publicKey], URL_))).toBe("BAD_SIGNATURE");
    expect(await code(verifyDetachedRelease(RELEASE, signature, [(await getTestKey("stranger")).publicKey], URL_))).toBe("UNKNOWN_SIGNER");
    expect(await code(verifyDetachedRelease(RELEASE, new TextEncoder().encode("<html>"), [key.publicKey], URL_))).toBe("NOT_SIGNED");
  });

  it("judges the key at the signature's time", async () => {
    const key = await generateTestKey({ date: new Date("2020-01-01T00:00:00Z"), expiresInSeconds: 365 * 24 * 3600 });
    const signature = await detach(RELEASE, [key], { date: new Date("2020-03-01T00:00:00Z") });
    const result = await verifyDetachedRelease(RELEASE, signature, [key.publicKey], URL_);
    expect(result.signedAt.toISOString()).toBe("2020-03-01T00:00:00.000Z");
  });

  it("rejects a real stale pair: a mirror's bookworm-security Release.gpg from an older sync than its Release (gpgv: BAD signature)", async () => {
    const keys: PublicKey[] = [];
    for (const f of readdirSync(join(ROOT, "keys")).filter((f) => f.endsWith(".gpg")))
      keys.push(...(await parseKeyring(readFileSync(join(ROOT, "keys", f)), f)));
    const release = gunzipSync(readFileSync(join(ROOT, "test/fixtures/trust/bookworm-security-Release.gz")));
    const signature = readFileSync(join(ROOT, "test/fixtures/trust/bookworm-security-Release-stale.gpg"));
    expect(await code(verifyDetachedRelease(release, signature, keys, URL_))).toBe("BAD_SIGNATURE");
  });
});
