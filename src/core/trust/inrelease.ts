import * as openpgp from "openpgp";
import type { PublicKey } from "openpgp";
import { VerificationError } from "../errors.js";
import { formatFingerprint } from "./keyring.js";

/** A verified InRelease: only `text` (the signed part) may be trusted; anything around it is dropped. */
export interface VerifiedInRelease {
  /** The signed cleartext (the Release fields), `\n` line endings, dash-escaping removed, ending with a newline. */
  readonly text: string;
  /** Fingerprints (upper-case hex) of the primary keys whose signatures verified, in signature order. */
  readonly signers: string[];
  /** Creation time of the earliest good signature. */
  readonly signedAt: Date;
}

const KEYRING_HINT = "if this repository is signed by a key deb-lock does not bundle, pass that key with --keyring FILE";

/**
 * Verifies the OpenPGP cleartext signature of an InRelease file.
 *
 * Each signature is judged at its own creation time, not at the current time: snapshots are historic
 * and were signed by keys that may have expired since. Debian signs with two or three keys at once
 * (the archive keys of several releases); the file is accepted when at least one trusted key made a
 * good signature and no signature made by a trusted key is bad. Signatures by keys we do not know are
 * ignored when a trusted one verifies.
 *
 * Throws VerificationError: NOT_SIGNED (no cleartext signature), BAD_SIGNATURE (a trusted key's
 * signature does not verify, or its key was not valid when it signed), UNKNOWN_SIGNER (no signature
 * by a trusted key). `url` is only used to name the file in messages.
 */
export async function verifyInRelease(data: Uint8Array | string, keys: PublicKey[], url: string): Promise<VerifiedInRelease> {
  const armored = typeof data === "string" ? data : new TextDecoder().decode(data);
  let message: openpgp.CleartextMessage;
  try {
    message = await openpgp.readCleartextMessage({ cleartextMessage: armored });
  } catch (error) {
    throw new VerificationError("NOT_SIGNED", `${url}: not an OpenPGP cleartext-signed file (${errorText(error)})`, {
      url,
      hint: "the server returned something other than an InRelease file; check the URL, suite name and any --mirror mapping",
      cause: error,
    });
  }

  const signatures = await readSignaturePackets(armored);
  if (signatures.length === 0) {
    throw new VerificationError("NOT_SIGNED", `${url}: the InRelease file carries no signature`, { url, hint: KEYRING_HINT });
  }

  const good: { fingerprint: string; created: Date }[] = [];
  const unknown: string[] = [];
  for (const [index, packet] of signatures.entries()) {
    const signerId = packet.issuerKeyID.toHex().toUpperCase();
    const candidates = keys.filter((key) => key.getKeys(packet.issuerKeyID).length > 0);
    if (candidates.length === 0) {
      unknown.push(packet.issuerFingerprint ? bytesToHex(packet.issuerFingerprint) : signerId);
      continue;
    }
    const created = packet.created;
    if (created === null) {
      throw new VerificationError("BAD_SIGNATURE", `${url}: signature by key ${signerId} has no creation time`, { url, hint: KEYRING_HINT });
    }
    // Verify with only the keys that can have made this signature, at the time it was made. The other
    // signatures of the message fail fast for want of a key, without any cryptography, and are ignored.
    const results = await message.verify(candidates, created);
    const result = results[index];
    try {
      if (result === undefined || !result.keyID.equals(packet.issuerKeyID)) throw new Error("signature missing from the verification result");
      await result.verified;
    } catch (error) {
      throw new VerificationError(
        "BAD_SIGNATURE",
        `${url}: the signature by trusted key ${signerId} (made ${created.toISOString()}) does not verify: ${errorText(error)}`,
        {
          url,
          hint: "the file was altered or corrupted in transit, or the mirror is broken; retry later or use another mirror — never bypass this check",
          cause: error,
        },
      );
    }
    const signer = candidates.find((key) => key.getKeys(packet.issuerKeyID).length > 0)!;
    good.push({ fingerprint: formatFingerprint(signer), created });
  }

  if (good.length === 0) {
    throw new VerificationError("UNKNOWN_SIGNER", `${url}: signed only by unknown key(s) ${unknown.join(", ")}; none of the ${keys.length} trusted keys made a signature`, {
      url,
      hint: KEYRING_HINT,
    });
  }
  const signedAt = good.reduce((min, g) => (g.created < min ? g.created : min), good[0]!.created);
  // The newline before the signature armor is not part of the signed text; give the text the final
  // newline the same file has as a plain Release, so both parse alike.
  const text = message.getText();
  return { text: text.endsWith("\n") ? text : `${text}\n`, signers: [...new Set(good.map((g) => g.fingerprint))], signedAt };
}

const SIGNATURE_BLOCK = /-----BEGIN PGP SIGNATURE-----[\s\S]*?-----END PGP SIGNATURE-----/;

/**
 * The signature packets of a cleartext message, in file order (the order `CleartextMessage.verify`
 * reports them in). Read separately because each one is verified at its own creation time.
 */
async function readSignaturePackets(armored: string): Promise<openpgp.SignaturePacket[]> {
  const block = SIGNATURE_BLOCK.exec(armored);
  if (block === null) return [];
  const signature = await openpgp.readSignature({ armoredSignature: block[0] });
  return signature.packets.filter((p): p is openpgp.SignaturePacket => p instanceof openpgp.SignaturePacket);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function bytesToHex(bytes: Uint8Array): string {
  let hex = "";
  for (const b of bytes) hex += b.toString(16).padStart(2, "0");
  return hex.toUpperCase();
}
