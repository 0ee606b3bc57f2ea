import { readFileSync } from "node:fs";
import { lstat, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Cache, type CacheEvent, createMemoryCache, defaultCacheDir, openCache, sha256Hex } from "./cache.js";

// Real compressed index bytes (four bookworm stanzas).
const xz = new Uint8Array(readFileSync(join(import.meta.dirname, "../../test/fixtures/io/Packages.xz")));
const XZ_SHA = sha256Hex(xz);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "cache-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function allFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(root.length + 1))
    .sort();
}

function contract(name: string, make: () => Cache): void {
  describe(`${name}: shared contract`, () => {
    it("stores by content hash and returns the same bytes", async () => {
      const cache = make();
      expect(await cache.get(XZ_SHA)).toBeUndefined();
      expect(await cache.put(xz)).toBe(XZ_SHA);
      expect(await cache.get(XZ_SHA)).toEqual(xz);
      expect(await cache.get(XZ_SHA.toUpperCase())).toEqual(xz);
    });

    it("refuses a put whose claimed hash does not match", async () => {
      const cache = make();
      await expect(cache.put(xz, "0".repeat(64))).rejects.toThrow(/not the claimed/);
      expect(await cache.get("0".repeat(64))).toBeUndefined();
      expect(await cache.get(XZ_SHA)).toBeUndefined();
    });

    it("rejects a malformed hash", async () => {
      await expect(make().get("abc")).rejects.toThrow(/not a SHA-256/);
    });

    it("keeps derived data and InRelease bytes by key, separately", async () => {
      const cache = make();
      const url = "https://snapshot.debian.org/archive/debian/20240706T203757Z/dists/bookworm/InRelease";
      await cache.putDerived(`parsed-index/v1/${XZ_SHA}`, new TextEncoder().encode("parsed"));
      await cache.putByUrl(url, new TextEncoder().encode("signed text"));
      expect(new TextDecoder().decode(await cache.getDerived(`parsed-index/v1/${XZ_SHA}`))).toBe("parsed");
      expect(new TextDecoder().decode(await cache.getByUrl(url))).toBe("signed text");
      expect(await cache.getDerived(url)).toBeUndefined();
      expect(await cache.getByUrl(`parsed-index/v1/${XZ_SHA}`)).toBeUndefined();
      await cache.putByUrl(url, new TextEncoder().encode("newer"));
      expect(new TextDecoder().decode(await cache.getByUrl(url))).toBe("newer");
      await cache.putDerived("empty", new Uint8Array());
      expect(await cache.getDerived("empty")).toEqual(new Uint8Array());
    });
  });
}

contract("openCache", () => openCache(dir));
contract("createMemoryCache", () => createMemoryCache());

describe("openCache on disk", () => {
  it("lays blobs out by hash and leaves no temp files", async () => {
    const cache = openCache(join(dir, "nested", "cache"));
    await cache.put(xz);
    await cache.put(xz);
    expect(await allFiles(join(dir, "nested", "cache"))).toEqual([`sha256/${XZ_SHA.slice(0, 2)}/${XZ_SHA}`]);
  });

  it("replaces an entry that is a symlink, never writing through it to the file it names", async () => {
    // An entry linked to a file outside the cache (a user's file, or a device such as /dev/zero for root): a
    // write must replace the link, not the target.
    const victim = join(dir, "victim");
    await writeFile(victim, "keep me");
    const cache = openCache(join(dir, "cache"));
    await cache.put(xz);
    await cache.putByUrl("https://example.invalid/InRelease", xz);
    const entries = await allFiles(join(dir, "cache"));
    expect(entries).toHaveLength(2);
    for (const entry of entries) {
      await rm(join(dir, "cache", entry));
      await symlink(victim, join(dir, "cache", entry));
    }
    await cache.put(xz);
    await cache.putByUrl("https://example.invalid/InRelease", xz);
    expect(await readFile(victim, "utf8")).toBe("keep me");
    for (const entry of entries) expect((await lstat(join(dir, "cache", entry))).isFile()).toBe(true);
    expect(await cache.get(XZ_SHA)).toEqual(xz);
    expect(await cache.getByUrl("https://example.invalid/InRelease")).toEqual(xz);
  });

  it("removes a corrupt blob, reports it, and treats it as a miss", async () => {
    const events: CacheEvent[] = [];
    const cache = openCache(dir, { onEvent: (e) => events.push(e) });
    await cache.put(xz);
    const path = join(dir, "sha256", XZ_SHA.slice(0, 2), XZ_SHA);
    const damaged = Uint8Array.from(xz);
    damaged[100] = damaged[100]! ^ 1;
    await writeFile(path, damaged);
    expect(await cache.get(XZ_SHA)).toBeUndefined();
    expect(events).toEqual([{ type: "corrupt", area: "sha256", key: XZ_SHA, path }]);
    expect(await allFiles(dir)).toEqual([]);
    // A fresh put heals it.
    await cache.put(xz);
    expect(await cache.get(XZ_SHA)).toEqual(xz);
  });

  it("detects truncated and damaged keyed entries", async () => {
    const events: CacheEvent[] = [];
    const cache = openCache(dir, { onEvent: (e) => events.push(e) });
    await cache.putDerived("k", new TextEncoder().encode("payload bytes"));
    await cache.putByUrl("https://x.example/InRelease", new TextEncoder().encode("signed"));
    const [derivedFile] = (await allFiles(dir)).filter((f) => f.startsWith("derived/"));
    const [urlFile] = (await allFiles(dir)).filter((f) => f.startsWith("by-url/"));
    const d = await readFile(join(dir, derivedFile!));
    await writeFile(join(dir, derivedFile!), d.subarray(0, d.byteLength - 2));
    const u = await readFile(join(dir, urlFile!));
    u[u.byteLength - 1] = u[u.byteLength - 1]! ^ 0x20;
    await writeFile(join(dir, urlFile!), u);
    expect(await cache.getDerived("k")).toBeUndefined();
    expect(await cache.getByUrl("https://x.example/InRelease")).toBeUndefined();
    expect(events.map((e) => `${e.type} ${e.area} ${e.key}`)).toEqual(["corrupt derived k", "corrupt by-url https://x.example/InRelease"]);
    expect(await allFiles(dir)).toEqual([]);
  });

  it("writes a large keyed entry whole, leaving no temp files, also when two runs write it at once", async () => {
    const payload = new Uint8Array(3 * 1024 * 1024 + 7).map((_, i) => (i * 31) & 0xff);
    await Promise.all([openCache(dir).putDerived("big", payload), openCache(dir).putDerived("big", payload)]);
    const files = await allFiles(dir);
    expect(files).toHaveLength(1);
    const file = await readFile(join(dir, files[0]!));
    expect(file.subarray(0, 17).toString()).toBe("deb-lock-cache 2 ");
    expect(file.byteLength).toBe(payload.byteLength + 32);
    expect(Buffer.from((await openCache(dir).getDerived("big"))!).equals(payload)).toBe(true);
  });

  it("is shared by two handles on the same directory", async () => {
    await openCache(dir).put(xz);
    expect(await openCache(dir).get(XZ_SHA)).toEqual(xz);
  });
});

describe("defaultCacheDir", () => {
  it("prefers DEB_LOCK_CACHE_DIR, then an absolute XDG_CACHE_HOME, then ~/.cache", () => {
    expect(defaultCacheDir({ DEB_LOCK_CACHE_DIR: "/c", XDG_CACHE_HOME: "/x" }, "/home/u")).toBe("/c");
    expect(defaultCacheDir({ XDG_CACHE_HOME: "/x" }, "/home/u")).toBe("/x/deb-lock");
    expect(defaultCacheDir({ XDG_CACHE_HOME: "relative" }, "/home/u")).toBe("/home/u/.cache/deb-lock");
    expect(defaultCacheDir({ DEB_LOCK_CACHE_DIR: "" }, "/home/u")).toBe("/home/u/.cache/deb-lock");
    expect(defaultCacheDir({}, "/home/u")).toBe("/home/u/.cache/deb-lock");
  });
});
