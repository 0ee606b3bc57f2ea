import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { createGunzip, type Gunzip } from "node:zlib";
import { VerificationError } from "../core/errors.js";
import { concatBytes } from "./bytes.js";

/**
 * The WASM xz decoder, loaded on first use: a warm run reads parsed indexes from the cache and decodes nothing,
 * so it does not pay for loading the module.
 */
let xzModule: Promise<typeof import("xz-decompress")> | undefined;
async function xzReadableStream(): Promise<(typeof import("xz-decompress"))["XzReadableStream"]> {
  xzModule ??= import("xz-decompress");
  const mod = await xzModule;
  // CommonJS: the classes sit on the default export when imported from ESM.
  return ((mod as { default?: typeof mod }).default ?? mod).XzReadableStream;
}

export type CompressionKind = "xz" | "gz" | "none";

/** The compression of an index file, from its name (`Packages.xz`, `Packages.gz`, `Packages`). */
export function compressionOf(path: string): CompressionKind {
  if (path.endsWith(".xz")) return "xz";
  if (path.endsWith(".gz")) return "gz";
  return "none";
}

/**
 * Decompresses a whole file held in memory. `label` names it (URL or path) in errors.
 * gzip goes through the streaming path with 256 KiB output chunks: on bookworm's amd64 Packages.gz (12 MB → 50 MB)
 * that took about 85 ms of CPU, against 120–160 ms for `gunzipSync` and 200–260 ms for `gunzip` (whose output
 * buffers keep growing and copying), and it runs on libuv's thread pool, so other downloads proceed meanwhile.
 */
export async function decompress(body: Uint8Array, kind: CompressionKind, label: string, options: DecompressOptions = {}): Promise<Uint8Array> {
  if (kind === "none") return body;
  const chunks: Uint8Array[] = [];
  let total = 0;
  await decompressChunks(
    body,
    kind,
    label,
    (chunk) => {
      chunks.push(chunk);
      total += chunk.byteLength;
    },
    options,
  );
  return concatBytes(chunks, total);
}

export interface DecompressOptions {
  /**
   * Decode xz on a worker thread (default: for xz data in memory of at least 256 KiB). The WASM xz decoder is the
   * slowest step of a cold run (about 0.7 s of CPU for bookworm's amd64 Packages.xz) and allows one decoder per
   * thread, so workers let several indexes decode at once while the main thread parses.
   */
  offThread?: boolean;
}

const OFF_THREAD_MIN_BYTES = 256 * 1024;

/**
 * Decompresses `input` (bytes in memory, or chunks as they arrive) and hands each decompressed chunk to `onChunk`
 * in order; resolves to the decompressed size. Chunks belong to the callee (they are not reused).
 */
export async function decompressChunks(
  input: Uint8Array | AsyncIterable<Uint8Array>,
  kind: CompressionKind,
  label: string,
  onChunk: (chunk: Uint8Array) => void,
  options: DecompressOptions = {},
): Promise<number> {
  if (kind === "none") {
    let total = 0;
    for await (const chunk of input instanceof Uint8Array ? [input] : input) {
      onChunk(chunk);
      total += chunk.byteLength;
    }
    return total;
  }
  if (kind === "gz") return gunzipChunks(input, label, onChunk);
  const offThread = options.offThread ?? (input instanceof Uint8Array && input.byteLength >= OFF_THREAD_MIN_BYTES);
  if (offThread && input instanceof Uint8Array) {
    const pool = xzPool();
    if (pool !== undefined) {
      const result = await pool.run(input, onChunk);
      if (result.ok) return result.total;
      if (result.consumerError !== undefined) throw result.consumerError.error;
      if (result.decoderError !== undefined) throw corrupt(label, "xz", new Error(result.decoderError));
      if (result.delivered) throw new Error(`${label}: the xz decoder thread stopped in the middle of the file`);
      // The worker itself failed before handing over anything: decode here instead.
    }
  }
  return unxzChunks(input, label, onChunk);
}

/**
 * Errors that are not the decoder's: thrown by `onChunk` (e.g. a parse error) or by the input (e.g. a network
 * error). They pass through unchanged instead of being reported as corrupt data.
 */
class PassThrough {
  constructor(readonly error: unknown) {}
}

async function gunzipChunks(input: Uint8Array | AsyncIterable<Uint8Array>, label: string, onChunk: (chunk: Uint8Array) => void): Promise<number> {
  // 256 KiB output chunks: measured faster than zlib's 16 KiB default on Debian Packages files.
  const gz = createGunzip({ chunkSize: 256 * 1024 });
  let total = 0;
  // Chunks are handed on from a microtask, not from the "data" event itself: zlib queues the next inflate on
  // libuv's thread pool when the event handler returns, so the consumer (the parser) works on this chunk while
  // the next one is inflated. Measured on bookworm's amd64 Packages.gz: 230 ms for gunzip + parse one after the
  // other, 140-185 ms overlapped.
  const queue: Uint8Array[] = [];
  let scheduled = false;
  let failed = false;
  const done = new Promise<void>((resolve, reject) => {
    const deliver = (): void => {
      scheduled = false;
      for (let i = 0; i < queue.length && !failed; i++) {
        try {
          onChunk(queue[i]!);
        } catch (e) {
          failed = true;
          gz.destroy();
          reject(new PassThrough(e));
        }
      }
      queue.length = 0;
    };
    gz.on("data", (chunk: Buffer) => {
      total += chunk.byteLength;
      queue.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      if (!scheduled) {
        scheduled = true;
        queueMicrotask(deliver);
      }
    });
    gz.on("end", () => {
      deliver();
      if (!failed) resolve();
    });
    gz.on("error", reject);
    gz.on("close", () => reject(new PassThrough(new Error("gunzip closed early"))));
  });
  const feed = async (): Promise<void> => {
    try {
      for await (const chunk of input instanceof Uint8Array ? [input] : input) {
        if (gz.destroyed) return;
        if (!gz.write(chunk)) await drainOrClose(gz);
      }
    } catch (e) {
      gz.destroy();
      throw new PassThrough(e);
    }
    gz.end();
  };
  try {
    await Promise.all([feed(), done]);
  } catch (cause) {
    gz.destroy();
    if (cause instanceof PassThrough) throw cause.error;
    throw corrupt(label, "gz", cause);
  }
  return total;
}

async function unxzChunks(input: Uint8Array | AsyncIterable<Uint8Array>, label: string, onChunk: (chunk: Uint8Array) => void): Promise<number> {
  const iterator = input instanceof Uint8Array ? toAsync([input]) : input[Symbol.asyncIterator]();
  let inputEnded = false;
  const source = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await iterator.next();
      } catch (e) {
        throw new PassThrough(e);
      }
      if (next.done === true) {
        inputEnded = true;
        controller.close();
      } else if (next.value.byteLength > 0) {
        controller.enqueue(next.value);
      }
    },
    async cancel() {
      await iterator.return?.();
    },
  });
  const XzReadableStream = await xzReadableStream();
  const reader = new XzReadableStream(source).getReader();
  let total = 0;
  // The decoder asks for more input forever when a stream is cut short; after the input has ended, a few
  // rounds without output mean the data is truncated.
  let idleAfterEnd = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (value.byteLength > 0) {
        total += value.byteLength;
        idleAfterEnd = 0;
        try {
          onChunk(value);
        } catch (e) {
          throw new PassThrough(e);
        }
      } else if (inputEnded && ++idleAfterEnd > 2) {
        throw new Error("unexpected end of data");
      }
    }
  } catch (cause) {
    // Cancelling releases the decoder (the library allows one at a time); an errored stream released it already.
    await reader.cancel().catch(() => {});
    if (cause instanceof PassThrough) throw cause.error;
    throw corrupt(label, "xz", cause);
  }
  return total;
}

// ---- xz on worker threads ----

/**
 * The worker's program. It mirrors unxzChunks (same decoder, same end-of-data rule) and posts each decompressed
 * chunk back, transferring its buffer. Kept as a string so it needs no separate build step or file.
 */
const XZ_WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { XzReadableStream } = require(workerData.xzPath);
parentPort.on("message", async ({ id, bytes }) => {
  let given = false;
  let inputEnded = false;
  const source = new ReadableStream({
    pull(controller) {
      if (!given && bytes.byteLength > 0) { given = true; controller.enqueue(bytes); }
      else { inputEnded = true; controller.close(); }
    },
  });
  const reader = new XzReadableStream(source).getReader();
  let total = 0;
  let idleAfterEnd = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (value.byteLength > 0) {
        total += value.byteLength;
        idleAfterEnd = 0;
        const chunk = value.byteOffset === 0 && value.byteLength === value.buffer.byteLength ? value : value.slice();
        parentPort.postMessage({ id, chunk }, [chunk.buffer]);
      } else if (inputEnded && ++idleAfterEnd > 2) {
        throw new Error("unexpected end of data");
      }
    }
    parentPort.postMessage({ id, total });
  } catch (e) {
    await reader.cancel().catch(() => {});
    parentPort.postMessage({ id, error: e instanceof Error ? e.message : String(e) });
  }
});
`;

type XzJobResult =
  | { ok: true; total: number }
  | { ok: false; decoderError?: string; consumerError?: { error: unknown }; delivered?: boolean };

interface XzJob {
  readonly id: number;
  readonly bytes: Uint8Array;
  readonly onChunk: (chunk: Uint8Array) => void;
  readonly resolve: (r: XzJobResult) => void;
  consumerError?: { error: unknown };
  delivered?: boolean;
}

interface PoolWorker {
  readonly worker: Worker;
  job: XzJob | undefined;
  /** Ends the worker when it stays idle (see #retire). */
  idle?: ReturnType<typeof setTimeout>;
}

/** How long a worker waits for more work before it ends: the indexes of one run arrive close together. */
const IDLE_MS = 250;

class XzWorkerPool {
  readonly #size: number;
  readonly #xzPath: string;
  readonly #workers: PoolWorker[] = [];
  readonly #queue: XzJob[] = [];
  #nextId = 1;

  constructor(size: number, xzPath: string) {
    this.#size = size;
    this.#xzPath = xzPath;
  }

  run(bytes: Uint8Array, onChunk: (chunk: Uint8Array) => void): Promise<XzJobResult> {
    return new Promise((resolve) => {
      this.#queue.push({ id: this.#nextId++, bytes, onChunk, resolve });
      this.#dispatch();
    });
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      let slot = this.#workers.find((w) => w.job === undefined);
      if (slot === undefined && this.#workers.length < this.#size) slot = this.#spawn();
      if (slot === undefined) return;
      const job = this.#queue.shift()!;
      slot.job = job;
      clearTimeout(slot.idle);
      slot.worker.ref();
      slot.worker.postMessage({ id: job.id, bytes: job.bytes });
    }
  }

  #spawn(): PoolWorker | undefined {
    let worker: Worker;
    try {
      worker = new Worker(XZ_WORKER_SOURCE, { eval: true, workerData: { xzPath: this.#xzPath } });
    } catch {
      return undefined;
    }
    const slot: PoolWorker = { worker, job: undefined };
    worker.on("message", (msg: { id: number; chunk?: Uint8Array; total?: number; error?: string }) => {
      const job = slot.job;
      if (job === undefined || job.id !== msg.id) return;
      if (msg.chunk !== undefined) {
        if (job.consumerError !== undefined) return;
        job.delivered = true;
        try {
          job.onChunk(msg.chunk);
        } catch (error) {
          // Stop decoding what no one will read; the exit handler settles the job.
          job.consumerError = { error };
          void slot.worker.terminate();
        }
        return;
      }
      this.#finish(slot, job.consumerError !== undefined ? { ok: false, consumerError: job.consumerError } : msg.error !== undefined ? { ok: false, decoderError: msg.error } : { ok: true, total: msg.total ?? 0 });
    });
    const broken = (): void => {
      const i = this.#workers.indexOf(slot);
      if (i >= 0) this.#workers.splice(i, 1);
      const job = slot.job;
      slot.job = undefined;
      if (job !== undefined) job.resolve(job.consumerError !== undefined ? { ok: false, consumerError: job.consumerError } : { ok: false, delivered: job.delivered === true });
      this.#dispatch();
    };
    worker.on("error", broken);
    worker.on("exit", broken);
    worker.unref();
    this.#workers.push(slot);
    return slot;
  }

  #finish(slot: PoolWorker, result: XzJobResult): void {
    const job = slot.job!;
    slot.job = undefined;
    slot.worker.unref();
    job.resolve(result);
    this.#dispatch();
    if (slot.job === undefined) {
      clearTimeout(slot.idle);
      slot.idle = setTimeout(() => this.#retire(slot), IDLE_MS);
      slot.idle.unref();
    }
  }

  /**
   * Ends a worker that has had nothing to do for IDLE_MS. An idle worker keeps its heap and the decoder's WASM
   * memory (measured: two idle workers held ~100 MB of RSS after decoding bookworm and trixie), while starting a new
   * one costs 20-30 ms, so workers live while work keeps coming.
   */
  #retire(slot: PoolWorker): void {
    if (slot.job !== undefined) return;
    const i = this.#workers.indexOf(slot);
    if (i >= 0) this.#workers.splice(i, 1);
    void slot.worker.terminate();
  }
}

let pool: XzWorkerPool | undefined | null;

/** The shared pool (one worker per core, at most 4), or undefined when workers cannot be used here. */
function xzPool(): XzWorkerPool | undefined {
  if (pool === undefined) {
    try {
      const xzPath = createRequire(import.meta.url).resolve("xz-decompress");
      pool = new XzWorkerPool(Math.max(1, Math.min(4, availableParallelism())), xzPath);
    } catch {
      pool = null;
    }
  }
  return pool ?? undefined;
}

function drainOrClose(stream: Gunzip): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}

function toAsync(items: Uint8Array[]): AsyncIterator<Uint8Array> {
  let i = 0;
  return { next: async () => (i < items.length ? { done: false, value: items[i++]! } : { done: true, value: undefined }) };
}

/** Return codes of xz-embedded (xz.h), as the WASM decoder reports them. */
const XZ_ERRORS: Record<string, string> = {
  "2": "unsupported integrity check",
  "3": "out of memory",
  "4": "needs more memory than allowed",
  "5": "not an xz file",
  "6": "unsupported xz options",
  "7": "corrupt data",
  "8": "unexpected end of data",
};

function corrupt(label: string, kind: "xz" | "gz", cause: unknown): VerificationError {
  let detail = cause instanceof Error ? cause.message : String(cause);
  const xzCode = /get_next_output failed with error code (\d+)/.exec(detail)?.[1];
  if (xzCode !== undefined) detail = XZ_ERRORS[xzCode] ?? detail;
  else if (kind === "xz" && /reading 'byteLength'/.test(detail)) detail = "empty input";
  return new VerificationError("CORRUPT_INDEX", `${label}: not valid ${kind} data (${detail})`, {
    ...(/^[a-z][a-z0-9+.-]*:\/\//i.test(label) ? { url: label } : {}),
    hint: "the download is damaged or the mirror is mid-sync; run again, or fetch from another mirror with --mirror",
    cause,
  });
}

