import { createIndexLoader, type IndexLoader } from "../app/indexes/index-loader.js";
import { createArchiveServices } from "../app/indexes/services.js";
import type { ArchiveEvent } from "../io/archive.js";
import type { CacheEvent } from "../io/cache.js";
import type { HttpClient, HttpEvent } from "../io/http.js";
import type { CommandContext } from "./command.js";
import type { Reporter } from "./render/reporter.js";

/** Turns archive and HTTP events into progress lines. */
export function archiveProgress(reporter: Reporter): { onArchive: (e: ArchiveEvent) => void; onHttp: (e: HttpEvent) => void } {
  return {
    onArchive(e) {
      switch (e.type) {
        case "inrelease":
          reporter.verbose(`verified ${e.url} (${e.source}; signed by ${e.signers.join(", ")})`);
          break;
        case "index":
          reporter.progress(`index ${e.url} (${e.source === "network" ? `${(e.bytes / 1e6).toFixed(1)} MB downloaded` : "from cache"})`);
          break;
        case "index-mismatch":
          reporter.warn(`${e.url} does not match its InRelease (expected ${e.expected}, found ${e.found}); fetching the InRelease again`);
          break;
        case "parsed":
          reporter.verbose(`parsed ${e.records} packages from ${e.url} in ${e.ms} ms`);
          break;
      }
    },
    onHttp(e) {
      if (e.type === "retry")
        reporter.warn(
          `GET ${e.url}: ${e.code ?? "error"}${e.status ? ` ${e.status}` : ""}; retrying in ${Math.round((e.delayMs ?? 0) / 100) / 10} s (attempt ${e.attempt + 1})`,
        );
      else if (e.type === "start" && e.attempt === 1) reporter.progress(`GET ${e.url}`);
    },
  };
}

/** What a command gets to read archives with: the run's index loader, and the HTTP client behind it. */
export interface ArchiveSession {
  readonly loader: IndexLoader;
  readonly http: HttpClient;
}

/**
 * Runs `work` with an archive session built from the global options (mirrors, cache, keys, offline), its
 * progress on the reporter; the connections are closed afterwards, whatever happens.
 */
export async function withArchive<T>(ctx: CommandContext, work: (session: ArchiveSession) => Promise<T>): Promise<T> {
  const progress = archiveProgress(ctx.reporter);
  let cacheWarned = false;
  const onCacheEvent = (e: CacheEvent): void => {
    if (e.type !== "unusable" || cacheWarned) return;
    cacheWarned = true;
    ctx.reporter.warn(
      `the cache ${ctx.options.cacheDir} cannot be used (${e.reason ?? "unknown"} at ${e.path ?? e.key}); continuing without it — fix or remove it, or pass --cache-dir`,
    );
  };
  const services = createArchiveServices({ ...ctx.options, env: ctx.io.env, homeDir: ctx.io.homeDir, onHttpEvent: progress.onHttp, onCacheEvent });
  try {
    return await work({ loader: createIndexLoader(services, progress.onArchive), http: services.http });
  } finally {
    await services.close();
    ctx.reporter.done();
  }
}
