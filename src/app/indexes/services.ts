import { join } from "node:path";
import type { PublicKey } from "openpgp";
import { UsageError } from "../../core/errors.js";
import { type Cache, type CacheEvent, openCache } from "../../io/cache.js";
import type { HttpClient, HttpClientOptions, HttpEvent } from "../../io/http.js";
import type { MirrorRule } from "../../io/mirrors.js";

/** What the archive layer needs, built once per run. Keys load lazily: offline checks never need them. */
export interface ArchiveServices {
  readonly http: HttpClient;
  readonly cache: Cache;
  readonly offline: boolean;
  keys(): Promise<PublicKey[]>;
  close(): Promise<void>;
}

export interface ArchiveServiceOptions {
  readonly mirrors: readonly MirrorRule[];
  readonly cacheDir: string;
  readonly offline: boolean;
  readonly keyrings: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly homeDir: string;
  readonly onHttpEvent?: (event: HttpEvent) => void;
  readonly onCacheEvent?: (event: CacheEvent) => void;
}

/**
 * The HTTP client and the keys are loaded on first use (undici and OpenPGP take longer to load than the rest of a
 * command): an offline run, or a warm one whose files are all cached, never loads them.
 */
export function createArchiveServices(options: ArchiveServiceOptions): ArchiveServices {
  const http = lazyHttpClient({
    mirrors: [...options.mirrors],
    env: { ...options.env },
    netrcPath: options.env.NETRC ?? join(options.homeDir, ".netrc"),
    timeoutMs: secondsFromEnv(options.env, "DEB_LOCK_HTTP_TIMEOUT", 30) * 1000,
    transferTimeoutMs: secondsFromEnv(options.env, "DEB_LOCK_HTTP_TRANSFER_TIMEOUT", 300) * 1000,
    ...(options.onHttpEvent ? { onEvent: options.onHttpEvent } : {}),
  });
  let keys: Promise<PublicKey[]> | undefined;
  return {
    http,
    cache: openCache(options.cacheDir, options.onCacheEvent === undefined ? {} : { onEvent: options.onCacheEvent }),
    offline: options.offline,
    keys: () => (keys ??= import("../../io/keys.js").then((m) => m.loadTrustedKeys({ extraKeyrings: options.keyrings }))),
    close: async () => {
      await http.close?.();
    },
  };
}

/**
 * A time limit in seconds from the environment: DEB_LOCK_HTTP_TIMEOUT (connect, headers, or less than 1 KiB
 * received, per attempt; default 30) and DEB_LOCK_HTTP_TRANSFER_TIMEOUT (one file, retries included; default 300).
 */
function secondsFromEnv(env: Readonly<Record<string, string | undefined>>, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) {
    throw new UsageError(`${name}=${JSON.stringify(raw)} is not a positive number of seconds`, { hint: `unset it, or set e.g. ${name}=${fallback}` });
  }
  return n;
}

/** An HttpClient that creates the real one on its first request. */
function lazyHttpClient(options: HttpClientOptions): HttpClient {
  let client: Promise<HttpClient> | undefined;
  const real = (): Promise<HttpClient> => (client ??= import("../../io/http.js").then((m) => m.createHttpClient(options)));
  return {
    get: async (url, init) => (await real()).get(url, init),
    close: async () => {
      if (client !== undefined) await (await client).close?.();
    },
  };
}
