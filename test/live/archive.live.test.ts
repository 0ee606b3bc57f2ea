/**
 * Live smoke test against the Debian mirror configured in this machine's apt sources: fetch bookworm's
 * InRelease and amd64 Packages index, verify them with the bundled keys, parse, and look for bash and
 * libc6. The mirror is read from /etc/apt at run time (see live-mirror.ts). Skipped (with a notice) only when the
 * mirror cannot be reached.
 *
 *   npx vitest run --config vitest.live.config.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type ArchiveEvent, fetchPackagesIndex } from "../../src/io/archive.js";
import { openCache } from "../../src/io/cache.js";
import { createHttpClient } from "../../src/io/http.js";
import { loadTrustedKeys } from "../../src/io/keys.js";
import { liveMirror, liveSuiteOptions } from "./live-mirror.js";

const live = await liveMirror();
const debianRoot = live.skipReason === undefined ? live.mirrors.debian : "";

describe("live: bookworm from the machine's Debian mirror", liveSuiteOptions(live), () => {
  it("fetches, verifies and parses InRelease and Packages (amd64), then serves a warm run from the cache", async () => {
    const keys = await loadTrustedKeys({ extraKeyrings: [] });
    const http = createHttpClient({ retries: 3 });
    const cacheDir = mkdtempSync(join(tmpdir(), "deb-lock-live-"));
    const cache = openCache(cacheDir);
    const events: ArchiveEvent[] = [];
    const source = { url: debianRoot, suite: "bookworm", component: "main" };
    try {
      let started = performance.now();
      const cold = await fetchPackagesIndex(source, "amd64", { http, cache, keys, offline: false, onEvent: (e) => events.push(e) });
      const coldMs = performance.now() - started;
      const names = new Set(cold.records.map((r) => r.name));
      expect(names.has("bash")).toBe(true);
      expect(names.has("libc6")).toBe(true);
      expect(cold.records.length).toBeGreaterThan(50_000);
      expect(cold.release.codename).toBe("bookworm");
      expect(cold.signers.length).toBeGreaterThanOrEqual(1);
      expect(cold.pin).toBe(500);
      const bash = cold.records.find((r) => r.name === "bash")!;
      expect(bash.filename).toMatch(/^pool\/main\/b\/bash\/bash_.*_amd64\.deb$/);
      expect(bash.sha256).toMatch(/^[0-9a-f]{64}$/);

      started = performance.now();
      const warmEvents: ArchiveEvent[] = [];
      const warm = await fetchPackagesIndex(source, "amd64", { http, cache, keys, offline: false, onEvent: (e) => warmEvents.push(e) });
      const warmMs = performance.now() - started;
      expect(warm.records.length).toBe(cold.records.length);
      expect(warmEvents.find((e) => e.type === "index")).toMatchObject({ source: "derived" });

      started = performance.now();
      const offline = await fetchPackagesIndex(source, "amd64", { http, cache, keys, offline: true });
      const offlineMs = performance.now() - started;
      expect(offline.indexSha256).toBe(cold.indexSha256);

      const download = events.find((e) => e.type === "index");
      const parsed = events.find((e) => e.type === "parsed");
      console.log(
        `live bookworm amd64: ${cold.records.length} records, index ${download?.type === "index" ? download.bytes : "?"} bytes; ` +
          `cold ${Math.round(coldMs)} ms (decompress+parse ${parsed?.type === "parsed" ? parsed.ms : "?"} ms), ` +
          `warm ${Math.round(warmMs)} ms, offline ${Math.round(offlineMs)} ms; signers ${cold.signers.join(", ")}`,
      );
    } finally {
      await http.close?.();
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});
