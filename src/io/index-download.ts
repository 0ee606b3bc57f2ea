import { createHash } from "node:crypto";
import type { PackagesColumns } from "../core/debian/packages-columns.js";
import { createPackagesColumnsParser } from "../core/debian/packages-index.js";
import { byHashPath, type PackagesIndexRef, type Release } from "../core/debian/release.js";
import { VerificationError } from "../core/errors.js";
import { type CompressionKind, decompressChunks } from "./decompress.js";
import type { HttpClient } from "./http.js";
import { isNotFound } from "./release-fetch.js";

export type Download = { ok: true; bytes: Uint8Array } | { ok: false; url: string; found: string };

/** Downloads an index (by-hash first when the Release offers it) and checks its size and SHA256. */
export async function downloadIndex(distsUrl: string, ref: PackagesIndexRef, release: Release, http: HttpClient): Promise<Download> {
  const plainUrl = `${distsUrl}/${ref.path}`;
  let url = release.acquireByHash ? `${distsUrl}/${byHashPath(ref.path, ref.sha256)}` : plainUrl;
  let body: Uint8Array;
  try {
    // The signed Release states the size: nothing longer is read.
    body = (await http.get(url, { maxBytes: ref.size })).body;
  } catch (error) {
    if (!(url !== plainUrl && isNotFound(error))) throw error;
    url = plainUrl;
    body = (await http.get(url, { maxBytes: ref.size })).body;
  }
  if (body.byteLength !== ref.size) return { ok: false, url, found: `${body.byteLength} bytes` };
  const sha256 = createHash("sha256").update(body).digest("hex");
  if (sha256 !== ref.sha256) return { ok: false, url, found: `SHA256 ${sha256}` };
  return { ok: true, bytes: body };
}

/** The size the signed Release states for the index text (the uncompressed `Packages`), if it does. */
export function plainSizeOf(release: Release, ref: PackagesIndexRef): number | undefined {
  return ref.compression === "none" ? ref.size : release.sha256.get(ref.path.replace(/\.(xz|gz)$/, ""))?.size;
}

/**
 * The most a compressed index may expand to: the size the signed Release states for the uncompressed `Packages`
 * (Debian lists it even where the file itself is not served), else 20 times the compressed size within
 * [64 MiB, 1 GiB] (real indexes expand 4-6 times). A bomb stops here instead of exhausting memory.
 */
export function decompressedLimit(release: Release, ref: PackagesIndexRef): number {
  const plain = plainSizeOf(release, ref);
  if (plain !== undefined) return plain;
  return Math.min(Math.max(ref.size * 20, 64 * 1024 * 1024), 1024 * 1024 * 1024);
}

/**
 * The records of an index file held in memory, decompressed and parsed as a stream, at most `limit` bytes of it;
 * in columns, the form the cache keeps (no string is created for a field nobody reads). `plainSize`: the size of
 * the index text when the Release states it.
 */
export async function decompressAndParse(
  bytes: Uint8Array,
  compression: CompressionKind,
  indexUrl: string,
  limit: number,
  plainSize?: number,
): Promise<PackagesColumns> {
  const parser = createPackagesColumnsParser(indexUrl, plainSize);
  let total = 0;
  // Streamed: the decompressed index (50 MB for bookworm amd64) is never held whole.
  await decompressChunks(bytes, compression, { label: indexUrl }, (chunk) => {
    total += chunk.byteLength;
    if (total > limit) {
      throw new VerificationError("INDEX_TOO_LARGE", `${indexUrl}: decompresses to more than ${limit} bytes, more than the signed Release allows`, {
        url: indexUrl,
        hint: "the index is corrupt or hostile (a decompression bomb); use another mirror, or report it to the archive's owner",
      });
    }
    parser.push(chunk);
  });
  parser.end();
  return parser.columns();
}
