import { createHash, randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { crc32 } from "node:zlib";
import { concatBytes } from "./bytes.js";

export { defaultCacheDir } from "./cache-dir.js";

/**
 * A local cache. An optimisation, never a source of truth: every entry is checked on read (blobs against their SHA-256, keyed entries against a CRC-32), and an
 * entry that fails the check is removed and reported as a miss.
 *
 * - Content-addressed blobs (`get`/`put`), keyed by their SHA-256: downloaded index files.
 * - Derived data keyed by a string (`getDerived`/`putDerived`): e.g. a parsed index snapshot, keyed by the hash of
 *   the index it came from plus a format version.
 * - InRelease bytes keyed by URL (`getByUrl`/`putByUrl`): for --offline runs and for snapshot URLs (whose files
 *   never change), re-verified whenever they are read.
 */
export interface Cache {
  get(sha256: string): Promise<Uint8Array | undefined>;
  /** Stores bytes and returns their SHA-256; a given `sha256` that does not match the bytes is a bug (TypeError). */
  put(bytes: Uint8Array, sha256?: string): Promise<string>;
  getDerived(key: string): Promise<Uint8Array | undefined>;
  /** Stores `bytes`, or the parts written one after the other (a large entry is never joined in memory). */
  putDerived(key: string, bytes: Uint8Array | readonly Uint8Array[]): Promise<void>;
  getByUrl(url: string): Promise<Uint8Array | undefined>;
  putByUrl(url: string, bytes: Uint8Array): Promise<void>;
}

export interface CacheEvent {
  /** corrupt: an entry failed its check and was dropped; unusable: the cache could not be read or written there. */
  readonly type: "corrupt" | "unusable";
  /** For "unusable": what went wrong (ENOSPC, EACCES, not a regular file, ...). */
  readonly reason?: string;
  readonly area: "sha256" | "derived" | "by-url";
  readonly key: string;
  readonly path?: string;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function checkSha256(sha256: string): string {
  const s = sha256.toLowerCase();
  if (!SHA256_HEX.test(s)) throw new TypeError(`not a SHA-256 hex digest: "${sha256}"`);
  return s;
}

// Keyed entries start with a 32-byte header holding the CRC-32 of the payload, so damage (a torn or altered file) is
// detected like for blobs. Keyed entries are deb-lock's own data derived from verified files (or InRelease files,
// re-verified on every read): the check is for accidents, and CRC-32 reads tens of MB per warm run 2-3x faster than
// SHA-256. 32 bytes keep the payload 8-byte aligned for the typed-array views of derived data.
const KEYED_MAGIC = "deb-lock-cache 2 ";
const KEYED_HEADER_LENGTH = 32;

function keyedHeader(payload: Uint8Array | readonly Uint8Array[]): string {
  let crc = 0;
  for (const part of payload instanceof Uint8Array ? [payload] : payload) crc = crc32(part, crc);
  return `${`${KEYED_MAGIC}${crc.toString(16).padStart(8, "0")}`.padEnd(KEYED_HEADER_LENGTH - 1, " ")}\n`;
}

/** The header and the payload of a keyed entry, written one after the other (never joined in memory). */
function encodeKeyed(payload: Uint8Array | readonly Uint8Array[]): Uint8Array[] {
  return [new TextEncoder().encode(keyedHeader(payload)), ...(payload instanceof Uint8Array ? [payload] : payload)];
}

/**
 * Writes `parts` in order to `path` atomically (a temporary sibling, then a rename), without first copying them
 * into one buffer: derived entries are tens of MB. No sync before the rename: the cache
 * verifies on read.
 */
async function writePartsAtomic(path: string, parts: readonly Uint8Array[]): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.deb-lock-tmp`);
  try {
    const handle = await open(tmp, "wx");
    try {
      for (const part of parts) {
        for (let at = 0; at < part.byteLength; ) at += (await handle.write(part, at, part.byteLength - at)).bytesWritten;
      }
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {});
    throw e;
  }
}

function decodeKeyed(file: Uint8Array): Uint8Array | undefined {
  if (file.byteLength < KEYED_HEADER_LENGTH) return undefined;
  const header = new TextDecoder().decode(file.subarray(0, KEYED_HEADER_LENGTH));
  if (!header.startsWith(KEYED_MAGIC)) return undefined;
  const payload = file.subarray(KEYED_HEADER_LENGTH);
  return keyedHeader(payload) === header ? payload : undefined;
}

/**
 * The on-disk cache under `dir`:
 * `sha256/<2 hex>/<64 hex>` (raw bytes), `derived/<sha256 of key>`, `by-url/<sha256 of url>` (header + bytes).
 * Writes are atomic (temporary sibling + rename), so concurrent runs never see half-written entries.
 */
export function openCache(dir: string, options: { onEvent?: (e: CacheEvent) => void } = {}): Cache {
  const onEvent = options.onEvent ?? (() => {});
  const blobPath = (sha: string): string => join(dir, "sha256", sha.slice(0, 2), sha);
  const keyedPath = (area: "derived" | "by-url", key: string): string => {
    const h = sha256Hex(new TextEncoder().encode(key));
    return join(dir, area, h.slice(0, 2), h);
  };

  const readOrUndefined = async (path: string): Promise<Uint8Array | undefined> => {
    try {
      // A directory, FIFO or device where an entry should be (a symlink to /dev/zero would never end) is a miss.
      const info = await stat(path);
      if (!info.isFile()) {
        onEvent({ type: "unusable", area: areaOf(path), key: basename(path), path, reason: "not a regular file" });
        return undefined;
      }
      // A view, not `new Uint8Array(buffer)`, which would copy every entry read (tens of MB for index data).
      const bytes = await readFile(path);
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR") return undefined;
      // The cache is an optimisation: an entry it cannot read is fetched again.
      onEvent({ type: "unusable", area: areaOf(path), key: basename(path), path, reason: code ?? String(e) });
      return undefined;
    }
  };
  const areaOf = (path: string): CacheEvent["area"] =>
    path.startsWith(join(dir, "derived")) ? "derived" : path.startsWith(join(dir, "by-url")) ? "by-url" : "sha256";
  /** A write the cache cannot make (full disk, read-only, a file where a directory should be) costs only speed. */
  const tolerant = async (path: string, area: CacheEvent["area"], work: () => Promise<void>): Promise<void> => {
    try {
      await work();
    } catch (e) {
      onEvent({ type: "unusable", area, key: basename(path), path, reason: (e as NodeJS.ErrnoException).code ?? String(e) });
    }
  };
  const discard = async (path: string, area: CacheEvent["area"], key: string): Promise<undefined> => {
    onEvent({ type: "corrupt", area, key, path });
    await unlink(path).catch(() => {});
    return undefined;
  };
  // The rename replaces whatever stands at the entry's name, a symlink included: a cache write never follows a
  // link out of the cache (a link to /dev/zero or to a user's file stays untouched).
  const write = async (path: string, parts: readonly Uint8Array[]): Promise<void> => {
    await mkdir(dirname(path), { recursive: true });
    await writePartsAtomic(path, parts);
  };

  const getKeyed = async (area: "derived" | "by-url", key: string): Promise<Uint8Array | undefined> => {
    const path = keyedPath(area, key);
    const file = await readOrUndefined(path);
    if (file === undefined) return undefined;
    return decodeKeyed(file) ?? discard(path, area, key);
  };

  return {
    async get(sha256) {
      const sha = checkSha256(sha256);
      const path = blobPath(sha);
      const bytes = await readOrUndefined(path);
      if (bytes === undefined) return undefined;
      return sha256Hex(bytes) === sha ? bytes : discard(path, "sha256", sha);
    },
    async put(bytes, sha256) {
      const actual = sha256Hex(bytes);
      if (sha256 !== undefined && checkSha256(sha256) !== actual) {
        throw new TypeError(`cache put: bytes hash to ${actual}, not the claimed ${sha256}`);
      }
      await tolerant(blobPath(actual), "sha256", () => write(blobPath(actual), [bytes]));
      return actual;
    },
    getDerived: (key) => getKeyed("derived", key),
    putDerived: (key, bytes) => tolerant(keyedPath("derived", key), "derived", () => write(keyedPath("derived", key), encodeKeyed(bytes))),
    getByUrl: (url) => getKeyed("by-url", url),
    putByUrl: (url, bytes) => tolerant(keyedPath("by-url", url), "by-url", () => write(keyedPath("by-url", url), encodeKeyed(bytes))),
  };
}

/** An in-memory cache with the same contract, for tests. Stored bytes are copied in and out. */
export function createMemoryCache(): Cache & { readonly size: number } {
  const blobs = new Map<string, Uint8Array>();
  const derived = new Map<string, Uint8Array>();
  const byUrl = new Map<string, Uint8Array>();
  const copy = (b: Uint8Array | undefined): Uint8Array | undefined => (b === undefined ? undefined : Uint8Array.from(b));
  return {
    get size() {
      return blobs.size + derived.size + byUrl.size;
    },
    async get(sha256) {
      return copy(blobs.get(checkSha256(sha256)));
    },
    async put(bytes, sha256) {
      const actual = sha256Hex(bytes);
      if (sha256 !== undefined && checkSha256(sha256) !== actual) {
        throw new TypeError(`cache put: bytes hash to ${actual}, not the claimed ${sha256}`);
      }
      blobs.set(actual, Uint8Array.from(bytes));
      return actual;
    },
    async getDerived(key) {
      return copy(derived.get(key));
    },
    async putDerived(key, bytes) {
      derived.set(key, Uint8Array.from(bytes instanceof Uint8Array ? bytes : concatBytes(bytes)));
    },
    async getByUrl(url) {
      return copy(byUrl.get(url));
    },
    async putByUrl(url, bytes) {
      byUrl.set(url, Uint8Array.from(bytes));
    },
  };
}
