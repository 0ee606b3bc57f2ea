import type * as openpgp from "openpgp";
import type { PublicKey } from "openpgp";
import { VerificationError } from "../errors.js";
import { formatFingerprint } from "./keyring.js";

export const KEYRING_HINT = "if this repository is signed by a key deb-lock does not bundle, pass that key with --keyring FILE";

/** What `CleartextMessage.verify` and `openpgp.verify(...).signatures` report per signature packet. */
interface VerificationResult {
  readonly keyID: openpgp.KeyID;
  readonly verified: Promise<true>;
}

/**
 * `verifyAt(candidates, date)` must return one result per signature packet, in packet order, for
 * the message being checked, with only `candidates` as verification keys and `date` as "now".
 */
export type VerifyAt = (candidates: PublicKey[], date: Date) => Promise<readonly VerificationResult[]>;

/**
 * The signature policy shared by InRelease and Release.gpg: each signature is judged at its own creation
 * time (snapshots are historic; their keys may have expired since). Accepted when at least one trusted
 * key made a good signature and no signature by a trusted key is bad; signatures by unknown keys are
 * ignored then. Throws VerificationError BAD_SIGNATURE or UNKNOWN_SIGNER naming `url`.
 */
export async function judgeSignatures(
  signatures: readonly openpgp.SignaturePacket[],
  keys: readonly PublicKey[],
  url: string,
  verifyAt: VerifyAt,
): Promise<{ signers: string[]; signedAt: Date }> {
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
    try {
      const result = (await verifyAt(candidates, created))[index];
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
    good.push({ fingerprint: formatFingerprint(candidates[0]!), created });
  }

  if (good.length === 0) {
    throw new VerificationError(
      "UNKNOWN_SIGNER",
      `${url}: signed only by unknown key(s) ${unknown.join(", ")}; none of the ${keys.length} trusted keys made a signature`,
      { url, hint: KEYRING_HINT },
    );
  }
  // biome-ignore lint/complexity/useMathMinMax: these are Dates, and Math.min would turn them into numbers
  const signedAt = good.reduce((min, g) => (g.created < min ? g.created : min), good[0]!.created);
  return { signers: [...new Set(good.map((g) => g.fingerprint))], signedAt };
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function bytesToHex(bytes: Uint8Array): string {
  let hex = "";
  for (const b of bytes) hex += b.toString(16).padStart(2, "0");
  return hex.toUpperCase();
}
