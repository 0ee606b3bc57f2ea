import type { PublicKey } from "openpgp";
import * as openpgp from "openpgp";
import { VerificationError } from "../errors.js";
import { errorText, judgeSignatures, KEYRING_HINT } from "./signatures.js";

/** A verified InRelease: only `text` (the signed part) may be trusted; anything around it is dropped. */
export interface VerifiedInRelease {
  /** The signed cleartext (the Release fields), `\n` line endings, dash-escaping removed, ending with a newline. */
  readonly text: string;
  /** Fingerprints (upper-case hex) of the primary keys whose signatures verified, in signature order. */
  readonly signers: string[];
  /** Creation time of the earliest good signature. */
  readonly signedAt: Date;
}

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

  // Verify with only the keys that can have made a signature, at the time it was made. The other
  // signatures of the message fail fast for want of a key, without any cryptography, and are ignored.
  const { signers, signedAt } = await judgeSignatures(signatures, keys, url, (candidates, date) => message.verify(candidates, date));
  // The newline before the signature armor is not part of the signed text; give the text the final
  // newline the same file has as a plain Release, so both parse alike.
  const text = message.getText();
  return { text: text.endsWith("\n") ? text : `${text}\n`, signers, signedAt };
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
