import type { Transform } from "node:stream";
import { createGunzip } from "node:zlib";
import { VerificationError } from "../core/errors.js";
import { concatBytes } from "./bytes.js";

export type CompressionKind = "xz" | "gz" | "none";

/** The compression of an index file, from its name (`Packages.xz`, `Packages.gz`, `Packages`). */
export function compressionOf(path: string): CompressionKind {
  if (path.endsWith(".xz")) return "xz";
  if (path.endsWith(".gz")) return "gz";
  return "none";
}

export interface DecompressOptions {
  /** Names the data (URL or path) in errors. */
  readonly label: string;
  /** Fail with DECOMPRESSED_TOO_LARGE once the output passes this many bytes (default: no bound). */
  readonly maxBytes?: number;
}

/** Decompresses `input` (bytes in memory, or chunks as they arrive) into one buffer. */
export async function decompress(
  input: Uint8Array | AsyncIterable<Uint8Array>,
  kind: CompressionKind,
  options: DecompressOptions,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const total = await decompressChunks(input, kind, options, (chunk) => chunks.push(chunk));
  return concatBytes(chunks, total);
}

/**
 * Decompresses `input` and hands each decompressed chunk to `onChunk`, in order, while the next one is being
 * decompressed; resolves to the decompressed size. Chunks belong to the callee (they are not reused). An error
 * thrown by `onChunk` or by the input passes through unchanged; damaged data is CORRUPT_INDEX.
 *
 * gzip runs on zlib, xz on liblzma (the lzma-native bindings, loaded on first use): both decode on a thread of
 * their own, so the caller's thread parses one chunk while the next is decoded, and the indexes of a run decode in
 * parallel. Measured against `xzcat` in the README (performance).
 */
export async function decompressChunks(
  input: Uint8Array | AsyncIterable<Uint8Array>,
  kind: CompressionKind,
  options: DecompressOptions,
  onChunk: (chunk: Uint8Array) => void,
): Promise<number> {
  const bounded = boundedConsumer(options, onChunk);
  if (kind === "none") {
    for await (const chunk of input instanceof Uint8Array ? [input] : input) bounded.push(chunk);
    return bounded.total();
  }
  const decoder = kind === "gz" ? createGunzip({ chunkSize: CHUNK_BYTES }) : await createXzDecoder();
  await pipeThrough(decoder, input, bounded.push, (cause) => corrupt(options.label, kind, cause));
  return bounded.total();
}

/**
 * Output chunk size: 256 KiB, measured faster than zlib's 16 KiB default on Debian Packages files (fewer
 * hand-overs between the decoder's thread and the parser), and the same for liblzma.
 */
const CHUNK_BYTES = 256 * 1024;

function boundedConsumer(
  options: DecompressOptions,
  onChunk: (chunk: Uint8Array) => void,
): { push: (chunk: Uint8Array) => void; total: () => number } {
  let total = 0;
  return {
    push(chunk) {
      total += chunk.byteLength;
      if (options.maxBytes !== undefined && total > options.maxBytes) {
        throw new VerificationError("DECOMPRESSED_TOO_LARGE", `${options.label}: decompresses to more than ${options.maxBytes} bytes`, {
          ...urlOf(options.label),
          hint: "the file is not what it claims to be (or the mirror is broken); fetch it from another mirror with --mirror",
        });
      }
      onChunk(chunk);
    },
    total: () => total,
  };
}

/** A streaming xz decoder (liblzma, on its own thread). Loaded on first use (Node keeps the module): warm runs decode nothing. */
async function createXzDecoder(): Promise<Transform> {
  // CommonJS: imported from ESM, its exports are the default export.
  const { default: lzma } = await import("lzma-native");
  return lzma.createDecompressor({ bufsize: CHUNK_BYTES });
}

/**
 * Errors that are not the decoder's: thrown by the consumer (e.g. a parse error) or by the input (e.g. a network
 * error). They pass through unchanged instead of being reported as damaged data.
 */
class PassThrough {
  constructor(readonly error: unknown) {}
}

/**
 * Feeds `input` into `decoder` and hands its output to `onChunk`. Chunks are handed on from a later turn of the
 * event loop (setImmediate), not from the "data" event nor a microtask: the bindings emit their output through
 * node::MakeCallback, which runs the microtask queue before it returns, so a microtask would parse before the
 * decoder queues its next piece of work. From setImmediate the consumer works on this chunk while the next one is
 * decoded on the decoder's thread (measured on bookworm's amd64 Packages.gz: 230 ms for gunzip + parse one after
 * the other, 140-185 ms overlapped; on its Packages.xz, decode + parse best of 3 1,245 ms from a microtask,
 * 1,021 ms from setImmediate, about what liblzma alone takes).
 */
async function pipeThrough(
  decoder: Transform,
  input: Uint8Array | AsyncIterable<Uint8Array>,
  onChunk: (chunk: Uint8Array) => void,
  corrupt: (cause: unknown) => Error,
): Promise<void> {
  const queue: Uint8Array[] = [];
  let outBytes = 0;
  let scheduled = false;
  let failed = false;
  const done = new Promise<void>((resolve, reject) => {
    const fail = (error: unknown): void => {
      if (failed) return;
      failed = true;
      decoder.destroy();
      reject(error);
    };
    const deliver = (): void => {
      scheduled = false;
      for (let i = 0; i < queue.length && !failed; i++) {
        try {
          onChunk(queue[i]!);
        } catch (e) {
          fail(new PassThrough(e));
        }
      }
      queue.length = 0;
    };
    decoder.on("data", (chunk: Buffer) => {
      outBytes += chunk.byteLength;
      if (failed) return;
      queue.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      if (!scheduled) {
        scheduled = true;
        setImmediate(deliver);
      }
    });
    decoder.on("end", () => {
      deliver();
      if (!failed) resolve();
    });
    decoder.on("error", fail);
    decoder.on("close", () => fail(new PassThrough(new Error("the decoder closed early"))));
  });
  // The decoder does not wait for its output to be consumed within one write: a small write of a bomb can expand a
  // thousandfold on the decoder's thread before the consumer sees (and refuses) the first chunk. So the input is
  // written in slices, the next only once the decoder has taken the last, each sized by the ratio seen so far to
  // expand to at most OUTPUT_BUDGET: real indexes (ratio 4-8) go in slices of megabytes, a bomb in slices of bytes.
  let inBytes = 0;
  let slice = FIRST_SLICE_BYTES;
  const feed = async (): Promise<void> => {
    try {
      for await (const chunk of input instanceof Uint8Array ? [input] : input) {
        for (let at = 0; at < chunk.byteLength; ) {
          if (decoder.destroyed) return;
          const piece = chunk.subarray(at, at + slice);
          at += piece.byteLength;
          inBytes += piece.byteLength;
          await writeAndWait(decoder, piece);
          const ratio = outBytes / inBytes;
          slice = Math.max(MIN_SLICE_BYTES, Math.min(MAX_SLICE_BYTES, Math.floor(OUTPUT_BUDGET / Math.max(ratio, 1))));
        }
      }
    } catch (e) {
      decoder.destroy();
      throw new PassThrough(e);
    }
    if (!decoder.destroyed) decoder.end();
  };
  try {
    await Promise.all([feed(), done]);
  } catch (cause) {
    decoder.destroy();
    if (cause instanceof PassThrough) throw cause.error;
    throw corrupt(cause);
  }
}

/** Input slices: the first (ratio unknown), the bounds, and the output one slice may expand to. */
const FIRST_SLICE_BYTES = 4 * 1024;
const MIN_SLICE_BYTES = 64;
const MAX_SLICE_BYTES = 4 * 1024 * 1024;
const OUTPUT_BUDGET = 16 * 1024 * 1024;

/** Writes `piece` and resolves once the decoder has processed it (its output handed out), or was closed. */
function writeAndWait(stream: Transform, piece: Uint8Array): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off("close", done);
      // The output of this write is emitted before its callback; one more turn lets the consumer see it.
      setImmediate(resolve);
    };
    stream.on("close", done);
    stream.write(piece, () => done());
  });
}

/** liblzma's return codes (the `name` of lzma-native's errors) that mean damaged data, in words. */
const XZ_ERRORS: Readonly<Record<string, string>> = {
  LZMA_FORMAT_ERROR: "not an xz file",
  LZMA_DATA_ERROR: "corrupt data",
  LZMA_BUF_ERROR: "unexpected end of data",
  LZMA_OPTIONS_ERROR: "unsupported xz options",
  LZMA_UNSUPPORTED_CHECK: "unsupported integrity check",
  LZMA_MEM_ERROR: "out of memory",
  LZMA_MEMLIMIT_ERROR: "needs more memory than allowed",
};

function corrupt(label: string, kind: "xz" | "gz", cause: unknown): VerificationError {
  const name = (cause as { name?: unknown } | undefined)?.name;
  const detail = typeof name === "string" && XZ_ERRORS[name] !== undefined ? XZ_ERRORS[name] : cause instanceof Error ? cause.message : String(cause);
  return new VerificationError("CORRUPT_INDEX", `${label}: not valid ${kind} data (${detail})`, {
    ...urlOf(label),
    hint: "the download is damaged or the mirror is mid-sync; run again, or fetch from another mirror with --mirror",
    cause,
  });
}

function urlOf(label: string): { url?: string } {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(label) ? { url: label } : {};
}
