import { createHash } from "node:crypto";
import { createPackagesParser } from "../core/debian/packages-index.js";
import type { PackageRecord } from "../core/debian/package.js";
import { byHashPath, type PackagesIndexRef, type Release } from "../core/debian/release.js";
import { decompressChunks } from "./decompress.js";
import type { HttpClient } from "./http.js";
import { isNotFound } from "./release-fetch.js";

export type Download = { ok: true; bytes: Uint8Array } | { ok: false; url: string; found: string };

/** Downloads an index (by-hash first when the Release offers it) and checks its size and SHA256. */
export async function downloadIndex(distsUrl: string, ref: PackagesIndexRef, release: Release, http: HttpClient): Promise<Download> {
  const plainUrl = `${distsUrl}/${ref.path}`;
  let url = release.acquireByHash ? `${distsUrl}/${byHashPath(ref.path, ref.sha256)}` : plainUrl;
  let body: Uint8Array;
  try {
    body = (await http.get(url)).body;
  } catch (error) {
    if (!(url !== plainUrl && isNotFound(error))) throw error;
    url = plainUrl;
    body = (await http.get(url)).body;
  }
  if (body.byteLength !== ref.size) return { ok: false, url, found: `${body.byteLength} bytes` };
  const sha256 = createHash("sha256").update(body).digest("hex");
  if (sha256 !== ref.sha256) return { ok: false, url, found: `SHA256 ${sha256}` };
  return { ok: true, bytes: body };
}

/** The records of an index file held in memory, decompressed and parsed as a stream. */
export async function decompressAndParse(bytes: Uint8Array, ref: PackagesIndexRef, indexUrl: string): Promise<PackageRecord[]> {
  const records: PackageRecord[] = [];
  const parser = createPackagesParser(indexUrl, (r) => records.push(r));
  // Streamed: the decompressed index (50 MB for bookworm amd64) is never held whole.
  await decompressChunks(bytes, ref.compression, { label: indexUrl }, (chunk) => parser.push(chunk));
  parser.end();
  return records;
}
