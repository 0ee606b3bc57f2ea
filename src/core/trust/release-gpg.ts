import type { PublicKey } from "openpgp";
import * as openpgp from "openpgp";
import { VerificationError } from "../errors.js";
import type { VerifiedInRelease } from "./inrelease.js";
import { errorText, judgeSignatures } from "./signatures.js";

/**
 * Verifies a `Release` file against its detached signature `Release.gpg` (armored or binary), for
 * repositories that publish no InRelease. Same policy and errors as verifyInRelease: each signature is
 * judged at its creation time; NOT_SIGNED when `signature` holds no signature. `url` names the Release.
 */
export async function verifyDetachedRelease(release: Uint8Array, signature: Uint8Array, keys: PublicKey[], url: string): Promise<VerifiedInRelease> {
  let parsed: openpgp.Signature;
  try {
    const head = new TextDecoder().decode(signature.subarray(0, 64));
    parsed = head.includes("-----BEGIN PGP SIGNATURE-----")
      ? await openpgp.readSignature({ armoredSignature: new TextDecoder().decode(signature) })
      : await openpgp.readSignature({ binarySignature: signature });
  } catch (error) {
    throw new VerificationError("NOT_SIGNED", `${url}.gpg: not an OpenPGP signature (${errorText(error)})`, {
      url,
      hint: "the server returned something other than a Release.gpg file; check the URL and any --mirror mapping",
      cause: error,
    });
  }
  const signatures = parsed.packets.filter((p): p is openpgp.SignaturePacket => p instanceof openpgp.SignaturePacket);
  if (signatures.length === 0) {
    throw new VerificationError("NOT_SIGNED", `${url}.gpg holds no signature`, { url, hint: "the repository's Release.gpg is empty or damaged" });
  }
  // Binary literal data: right for gpg's default binary-mode signatures, and openpgp canonicalises line
  // endings itself for text-mode ones.
  const message = await openpgp.createMessage({ binary: release });
  const { signers, signedAt } = await judgeSignatures(signatures, keys, url, async (candidates, date) => {
    const result = await openpgp.verify({ message, signature: parsed, verificationKeys: candidates, date });
    return result.signatures;
  });
  const text = new TextDecoder().decode(release);
  return { text: text.endsWith("\n") ? text : `${text}\n`, signers, signedAt };
}
