import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import type { PublicKey } from "openpgp";
import * as openpgp from "openpgp";
import { beforeAll, describe, expect, it } from "vitest";
import { clearsign, combineSignatures, generateTestKey, getTestKey } from "../../../test/support/test-key.js";
import { VerificationError } from "../errors.js";
import { verifyInRelease } from "./inrelease.js";
import { parseKeyring } from "./keyring.js";

const ROOT = join(import.meta.dirname, "../../..");
const fixture = (name: string) => gunzipSync(readFileSync(join(ROOT, "test/fixtures/trust", name)));

async function bundledKeys(filter: (file: string) => boolean = () => true): Promise<PublicKey[]> {
  const dir = join(ROOT, "keys");
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".gpg") && filter(f))
    .sort();
  const keys: PublicKey[] = [];
  for (const file of files) keys.push(...(await parseKeyring(readFileSync(join(dir, file)), file)));
  return keys;
}

async function rejection(promise: Promise<unknown>): Promise<VerificationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(VerificationError);
  return error as VerificationError;
}

const URL_ = "http://127.0.0.1/archive/debian/20240706T203757Z/dists/bookworm/InRelease";
const RELEASE_TEXT =
  "Origin: Debian\nSuite: stable\nCodename: bookworm\nDate: Sat, 06 Jul 2024 20:37:57 UTC\nSHA256:\n 0123 42 main/binary-amd64/Packages\n";

describe("verifyInRelease with real Debian InRelease files and the bundled keys", () => {
  let keys: PublicKey[];
  beforeAll(async () => {
    keys = await bundledKeys();
  });

  it("accepts bookworm (signed by the bookworm and trixie archive keys and the bookworm release key)", async () => {
    const data = fixture("bookworm-InRelease.gz");
    const result = await verifyInRelease(data, keys, URL_);
    expect(result.signers).toEqual(
      expect.arrayContaining([
        "B8B80B5B623EAB6AD8775C45B7C5D7D6350947F8", // Debian Archive Automatic Signing Key (12/bookworm)
        "4D64FEC119C2029067D6E791F8D2585B8783D481", // Debian Stable Release Key (12/bookworm)
      ]),
    );
    expect(result.text.startsWith("Origin: Debian\n")).toBe(true);
    expect(result.text).toMatch(/^Codename: bookworm$/m);
    expect(result.text).not.toContain("BEGIN PGP");
    expect(result.signedAt.getUTCFullYear()).toBeGreaterThanOrEqual(2023);
  });

  it("accepts bookworm-security (bullseye and bookworm security keys) from a string", async () => {
    const result = await verifyInRelease(fixture("bookworm-security-InRelease.gz").toString("utf8"), keys, URL_);
    expect(result.signers).toContain("05AB90340C0C5E797F44A8C8254CF3B5AEC0A8F0");
    expect(result.text).toMatch(/^Codename: bookworm-security$/m);
  });

  it("rejects a changed byte in the signed text as BAD_SIGNATURE naming the URL", async () => {
    const text = fixture("bookworm-security-InRelease.gz").toString("utf8");
    const tampered = text.replace(/^(Codename: )bookworm-security$/m, "$1bookworm-securitx");
    expect(tampered).not.toBe(text);
    const error = await rejection(verifyInRelease(tampered, keys, URL_));
    expect(error.code).toBe("BAD_SIGNATURE");
    expect(error.message).toContain(URL_);
    expect(error.hint).toBeTruthy();
  });

  it("reports UNKNOWN_SIGNER when none of the trusted keys signed", async () => {
    const onlyTrixie = await bundledKeys((f) => f.includes("trixie-stable"));
    const error = await rejection(verifyInRelease(fixture("bookworm-security-InRelease.gz"), onlyTrixie, URL_));
    expect(error.code).toBe("UNKNOWN_SIGNER");
    expect(error.message).toContain(URL_);
    // names the signer so a person can look the key up
    expect(error.message).toMatch(/[0-9A-F]{16}/);
    expect(error.hint).toContain("--keyring");
  });

  it("reports NOT_SIGNED for a plain Release file and for an HTML error page", async () => {
    expect((await rejection(verifyInRelease(RELEASE_TEXT, keys, URL_))).code).toBe("NOT_SIGNED");
    expect((await rejection(verifyInRelease("<html><body>Not Found</body></html>", keys, URL_))).code).toBe("NOT_SIGNED");
    expect((await rejection(verifyInRelease(new Uint8Array(), keys, URL_))).code).toBe("NOT_SIGNED");
  });
});

describe("verifyInRelease with keys made at test time", () => {
  it("accepts a signature by a trusted key next to one by an unknown key", async () => {
    const trusted = await getTestKey("archive");
    const stranger = await getTestKey("stranger");
    const signed = await clearsign(RELEASE_TEXT, [stranger, trusted]);
    const result = await verifyInRelease(signed, [trusted.publicKey], URL_);
    expect(result.signers).toEqual([trusted.fingerprint]);
    expect(result.text).toBe(RELEASE_TEXT);
  });

  it("rejects when one trusted signature is good and another trusted signature is bad", async () => {
    const a = await getTestKey("archive");
    const b = await getTestKey("second");
    const good = await clearsign(RELEASE_TEXT, [a]);
    const overOtherText = await clearsign(RELEASE_TEXT.replace("bookworm", "trixie"), [b]);
    const mixed = await combineSignatures(RELEASE_TEXT, [good, overOtherText]);
    // each key alone: a verifies, b does not
    await expect(verifyInRelease(mixed, [a.publicKey], URL_)).resolves.toMatchObject({ signers: [a.fingerprint] });
    expect((await rejection(verifyInRelease(mixed, [b.publicKey], URL_))).code).toBe("BAD_SIGNATURE");
    expect((await rejection(verifyInRelease(mixed, [a.publicKey, b.publicKey], URL_))).code).toBe("BAD_SIGNATURE");
  });

  it("judges key validity at the signature's creation time: a key expired today still verifies an old file", async () => {
    const created = new Date("2020-01-01T00:00:00Z");
    const key = await generateTestKey({ date: created, expiresInSeconds: 365 * 24 * 3600 });
    const signedAt = new Date("2020-06-01T12:00:00Z");
    const signed = await clearsign(RELEASE_TEXT, [key], { date: signedAt });
    const result = await verifyInRelease(signed, [key.publicKey], URL_);
    expect(result.signedAt.toISOString()).toBe(signedAt.toISOString());
    expect(result.signers).toEqual([key.fingerprint]);
  });

  it("rejects every signature of a key revoked as compromised, even one made before the revocation", async () => {
    const key = await generateTestKey({ date: new Date("2020-01-01T00:00:00Z") });
    const signed = await clearsign(RELEASE_TEXT, [key], { date: new Date("2021-01-01T00:00:00Z") });
    const revoke = async (reason: openpgp.enums.reasonForRevocation) =>
      (
        await openpgp.revokeKey({
          key: key.privateKey,
          reasonForRevocation: { flag: reason },
          date: new Date("2022-01-01T00:00:00Z"),
          format: "object",
        })
      ).publicKey;
    const compromised = await revoke(openpgp.enums.reasonForRevocation.keyCompromised);
    expect((await rejection(verifyInRelease(signed, [compromised], URL_))).code).toBe("BAD_SIGNATURE");
    // a key retired in 2022 still vouches for what it signed in 2021
    const retired = await revoke(openpgp.enums.reasonForRevocation.keyRetired);
    await expect(verifyInRelease(signed, [retired], URL_)).resolves.toMatchObject({ signers: [key.fingerprint] });
  });

  it("rejects a signature made after the key had expired", async () => {
    // openpgp refuses to sign with an expired key, so sign first and give the same key material an
    // expiry afterwards (new self-signatures, as `gpg --quick-set-expire` would make).
    const key = await generateTestKey({ date: new Date("2020-01-01T00:00:00Z") });
    const signed = await clearsign(RELEASE_TEXT, [key], { date: new Date("2021-01-01T00:00:00Z") });
    const expiring = await openpgp.reformatKey({
      privateKey: key.privateKey,
      userIDs: [{ name: "expired key" }],
      date: new Date("2020-01-01T00:00:00Z"),
      keyExpirationTime: 30 * 24 * 3600,
      format: "object",
    });
    expect(expiring.publicKey.getFingerprint()).toBe(key.publicKey.getFingerprint());
    // the untouched key verifies, the one that expired in January 2020 does not
    await expect(verifyInRelease(signed, [key.publicKey], URL_)).resolves.toMatchObject({ signers: [key.fingerprint] });
    const error = await rejection(verifyInRelease(signed, [expiring.publicKey], URL_));
    expect(error.code).toBe("BAD_SIGNATURE");
    expect(error.message).toMatch(/expired/i);
  });
});
