/**
 * Live smoke test against the Debian mirror configured in this machine's apt sources: fetch bookworm's
 * InRelease and amd64 Packages index, verify them with the bundled keys, parse, and look for bash and
 * libc6. The mirror is read from /etc/apt at run time. Skipped (with a notice) only when the mirror's
 * host name cannot be resolved.
 *
 *   npx vitest run --config vitest.live.config.ts
 */
import { lookup } from "node:dns/promises";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fetchPackagesIndex, type ArchiveEvent } from "../../src/io/archive.js";
import { openCache } from "../../src/io/cache.js";
import { createHttpClient } from "../../src/io/http.js";
import { loadTrustedKeys } from "../../src/io/keys.js";

interface AptSource {
  readonly uri: string;
  readonly suites: readonly string[];
  readonly components: readonly string[];
}

/** `deb` entries of /etc/apt/sources.list and /etc/apt/sources.list.d/*.{list,sources}. */
function readAptSources(dir = "/etc/apt"): AptSource[] {
  const sources: AptSource[] = [];
  const listFiles = [join(dir, "sources.list")];
  const d = join(dir, "sources.list.d");
  const entries = existsSync(d) ? readdirSync(d).sort() : [];
  listFiles.push(...entries.filter((f) => f.endsWith(".list")).map((f) => join(d, f)));
  for (const file of listFiles.filter((f) => existsSync(f))) {
    for (const raw of readFileSync(file, "utf8").split("\n")) {
      const line = raw.replace(/#.*/, "").replace(/\[[^\]]*\]/, "").trim();
      const m = /^deb\s+(\S+)\s+(\S+)\s*(.*)$/.exec(line);
      if (m) sources.push({ uri: m[1]!, suites: [m[2]!], components: m[3]!.split(/\s+/).filter(Boolean) });
    }
  }
  for (const file of entries.filter((f) => f.endsWith(".sources")).map((f) => join(d, f))) {
    for (const stanza of readFileSync(file, "utf8").split(/\n\s*\n/)) {
      const fields = new Map<string, string>();
      for (const line of stanza.split("\n")) {
        const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
        if (m && !line.startsWith("#")) fields.set(m[1]!.toLowerCase(), m[2]!);
      }
      if (!(fields.get("types") ?? "").split(/\s+/).includes("deb")) continue;
      if ((fields.get("enabled") ?? "yes").toLowerCase() === "no") continue;
      const words = (k: string) => (fields.get(k) ?? "").split(/\s+/).filter(Boolean);
      for (const uri of words("uris")) sources.push({ uri, suites: words("suites"), components: words("components") });
    }
  }
  return sources;
}

const debian = readAptSources().find((s) => s.suites.includes("bookworm") && s.components.includes("main") && /^https?:/.test(s.uri));

async function resolvable(uri: string | undefined): Promise<boolean> {
  if (uri === undefined) return false;
  try {
    await lookup(new URL(uri).hostname);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EAI_NONAME") return false;
    throw error;
  }
}

const online = await resolvable(debian?.uri);
if (!online) {
  console.warn(
    debian === undefined
      ? "SKIPPED live archive test: no bookworm main source in /etc/apt sources"
      : "SKIPPED live archive test: the apt mirror's host name does not resolve (no DNS)",
  );
}

describe.skipIf(!online)("live: bookworm from the machine's Debian mirror", () => {
  it("fetches, verifies and parses InRelease and Packages (amd64), then serves a warm run from the cache", async () => {
    const keys = await loadTrustedKeys({ extraKeyrings: [] });
    const http = createHttpClient({ retries: 3 });
    const cacheDir = mkdtempSync(join(tmpdir(), "deb-lock-live-"));
    const cache = openCache(cacheDir);
    const events: ArchiveEvent[] = [];
    const source = { url: debian!.uri, suite: "bookworm", component: "main" };
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
