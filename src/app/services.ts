import { join } from "node:path";
import type { PublicKey } from "openpgp";
import { openCache, type Cache } from "../io/cache.js";
import { createHttpClient, type HttpClient, type HttpEvent } from "../io/http.js";
import { loadTrustedKeys } from "../io/keys.js";
import type { MirrorRule } from "../io/mirrors.js";

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
}

export function createArchiveServices(options: ArchiveServiceOptions): ArchiveServices {
  const http = createHttpClient({
    mirrors: [...options.mirrors],
    env: { ...options.env },
    netrcPath: options.env.NETRC ?? join(options.homeDir, ".netrc"),
    ...(options.onHttpEvent ? { onEvent: options.onHttpEvent } : {}),
  });
  let keys: Promise<PublicKey[]> | undefined;
  return {
    http,
    cache: openCache(options.cacheDir),
    offline: options.offline,
    keys: () => (keys ??= loadTrustedKeys({ extraKeyrings: options.keyrings })),
    close: async () => {
      await http.close?.();
    },
  };
}
