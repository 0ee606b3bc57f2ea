import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decompress } from "../../io/decompress.js";
import { ParseError } from "../errors.js";
import { buildLock, type LockArchResolution, type LockCandidate } from "./build-lock.js";
import { formatLock } from "./format-lock.js";
import type { Lock, LockPackage } from "./lock.js";
import { packageKey } from "./package-key.js";
import { parseLock } from "./parse-lock.js";

const FIXTURES = join(import.meta.dirname, "../../../test/fixtures/lock");
const read = (name: string): string => readFileSync(join(FIXTURES, name), "utf8");

async function readXz(name: string): Promise<string> {
  return new TextDecoder().decode(await decompress(readFileSync(join(FIXTURES, name)), "xz", { label: name }));
}

const REAL_LOCKS = [
  { file: "distroless-bookworm-2024.lock.json", dialect: "url", entries: 55 },
  { file: "distroless-trixie-2026.lock.json", dialect: "urls", entries: 34 },
  { file: "rules-distroless-bullseye-urls.lock.json", dialect: "urls", entries: 20 },
  { file: "rules-distroless-bullseye-url.lock.json", dialect: "url", entries: 10 },
  // Reformatted by the repository's own tooling (2-space indentation, final newline): kept as it is.
  { file: "distroless-bookworm-formatted-2024.lock.json", dialect: "url", entries: 10 },
] as const;

describe("packageKey", () => {
  it("sanitizes like rules_distroless (keys taken from real lock files)", () => {
    expect(packageKey("libcrypt1", "1:4.4.18-4", "amd64")).toBe("libcrypt1_1-4.4.18-4_amd64");
    expect(packageKey("ncurses-base", "6.2+20201114-2+deb11u2", "arm64")).toBe("ncurses-base_6.2-p-20201114-2-p-deb11u2_arm64");
    expect(packageKey("liblzma5", "5.2.5-2.1~deb11u1", "amd64")).toBe("liblzma5_5.2.5-2.1_deb11u1_amd64");
    expect(packageKey("libstdc++6", "12.2.0-14", "amd64")).toBe("libstdc-p--p-6_12.2.0-14_amd64");
  });

  it("keeps `~` in the older key style (rules_distroless < 0.3.4, distroless July 2024)", () => {
    expect(packageKey("libssl3", "3.0.13-1~deb12u1", "amd64", "tilde-kept")).toBe("libssl3_3.0.13-1~deb12u1_amd64");
    expect(packageKey("libssl3", "3.0.13-1~deb12u1", "amd64")).toBe("libssl3_3.0.13-1_deb12u1_amd64");
  });

  it("matches the key of every entry and dependency of the real files, in the file's style", () => {
    const styles: Record<string, string> = {};
    for (const { file } of REAL_LOCKS) {
      const parsed = parseLock(read(file), file);
      styles[file] = parsed.keyStyle;
      for (const pkg of parsed.lock.packages) {
        expect(pkg.key).toBe(packageKey(pkg.name, pkg.version, pkg.arch, parsed.keyStyle));
        for (const dep of pkg.dependencies) expect(dep.key).toBe(packageKey(dep.name, dep.version, pkg.arch, parsed.keyStyle));
      }
    }
    expect(styles).toEqual({
      "distroless-bookworm-2024.lock.json": "tilde-kept",
      "distroless-trixie-2026.lock.json": "tilde-replaced",
      "rules-distroless-bullseye-urls.lock.json": "tilde-replaced",
      "rules-distroless-bullseye-url.lock.json": "tilde-replaced",
      "distroless-bookworm-formatted-2024.lock.json": "tilde-kept",
    });
  });

  it("rejects a lock that mixes key styles", () => {
    const text = read("distroless-trixie-2026.lock.json");
    const tilde = /"key": "([^"]*)_deb13u(\d)_amd64"/.exec(text)!;
    const mixed = text.replace(tilde[0], tilde[0].replace("_deb13u", "~deb13u"));
    expect(mixed).not.toBe(text);
    // The first `~` key fixes the style; a later `_` key for a `~` version contradicts it (or vice versa).
    expect(() => parseLock(mixed, "trixie.lock.json")).toThrow(expect.objectContaining({ code: "BAD_LOCK" }));
  });
});

describe("parseLock + formatLock", () => {
  for (const { file, dialect, entries } of REAL_LOCKS) {
    it(`reproduces ${file} byte for byte (${dialect} dialect)`, () => {
      const text = read(file);
      const parsed = parseLock(text, file);
      expect(parsed.dialect).toBe(dialect);
      expect(parsed.lock.packages).toHaveLength(entries);
      expect(formatLock(parsed.lock, parsed.dialect, parsed.layout)).toBe(text);
      const formatted = file.includes("formatted");
      expect(parsed.layout).toEqual(formatted ? { indent: "  ", finalNewline: true } : { indent: "\t", finalNewline: false });
      // Without a layout, the writer is rules_distroless's own: tabs, no final newline.
      expect(formatLock(parsed.lock, parsed.dialect) === text).toBe(!formatted);
      expect(formatLock(parsed.lock, parsed.dialect).endsWith("}")).toBe(true);
    });
  }

  it("reproduces a complete transitive lock file (276 entries) byte for byte", async () => {
    const text = await readXz("rules-distroless-bullseye-urls-full.lock.json.xz");
    const parsed = parseLock(text, "bullseye.lock.json");
    expect(parsed.lock.packages).toHaveLength(276);
    expect(parsed.lock.packages.filter((p) => p.dependencies.length > 0).length).toBeGreaterThan(10);
    expect(formatLock(parsed.lock, "urls")).toBe(text);
  });

  it("reads the fields of a real entry", () => {
    const { lock } = parseLock(read("rules-distroless-bullseye-urls.lock.json"), "x");
    const ncurses = lock.packages.find((p) => p.key === "libncurses6_6.2-p-20201114-2-p-deb11u2_amd64")!;
    expect(ncurses.urls).toEqual([
      "https://snapshot-cloudflare.debian.org/archive/debian/20240210T223313Z/pool/main/n/ncurses/libncurses6_6.2+20201114-2+deb11u2_amd64.deb",
      "https://snapshot.debian.org/archive/debian/20240210T223313Z/pool/main/n/ncurses/libncurses6_6.2+20201114-2+deb11u2_amd64.deb",
    ]);
    expect(ncurses.dependencies.map((d) => d.name)).toEqual(["libc6", "libcrypt1", "libgcc-s1", "gcc-10-base", "libtinfo6"]);
    expect(ncurses.sha256).toBe("5b75c540d26d0525f231d39e5cf27ea7919d57305ba7101ea430c975369095eb");
  });

  it("writes keys in sorted order whatever order the objects were built in", () => {
    const pkg = {
      version: "1.0-1",
      urls: ["https://a/pool/x_1.0-1_all.deb"],
      sha256: "a".repeat(64),
      name: "x",
      key: "x_1.0-1_amd64",
      dependencies: [],
      arch: "amd64",
    };
    const out = formatLock({ version: 1, packages: [pkg] }, "urls");
    expect(out.indexOf('"arch"')).toBeLessThan(out.indexOf('"dependencies"'));
    expect(out.indexOf('"sha256"')).toBeLessThan(out.indexOf('"urls"'));
    expect(out.indexOf('"urls"')).toBeLessThan(out.indexOf('"version": "1.0-1"'));
    expect(out.indexOf('"packages"')).toBeLessThan(out.indexOf('"version": 1'));
  });

  it("converts between dialects and refuses to squeeze several URLs into `url`", () => {
    const { lock } = parseLock(read("rules-distroless-bullseye-url.lock.json"), "x");
    const asUrls = formatLock(lock, "urls");
    const back = parseLock(asUrls, "x");
    expect(back.dialect).toBe("urls");
    expect(formatLock(back.lock, "url")).toBe(read("rules-distroless-bullseye-url.lock.json"));
    const multi = parseLock(read("rules-distroless-bullseye-urls.lock.json"), "x").lock;
    expect(() => formatLock(multi, "url")).toThrow(expect.objectContaining({ code: "LOCK_DIALECT" }));
  });

  it("round-trips generated locks (property)", () => {
    const word = fc.stringMatching(/^[a-z0-9][a-z0-9+.~:-]{0,12}$/);
    const entry = fc.record({ name: word, version: word, arch: fc.constantFrom("amd64", "arm64"), sha: fc.stringMatching(/^[0-9a-f]{64}$/) });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 6 }), fc.constantFrom("url" as const, "urls" as const), (items, dialect) => {
        const seen = new Set<string>();
        const packages: LockPackage[] = [];
        for (const it of items) {
          const key = packageKey(it.name, it.version, it.arch);
          if (seen.has(key)) continue;
          seen.add(key);
          packages.push({
            arch: it.arch,
            dependencies: [],
            key,
            name: it.name,
            sha256: it.sha,
            urls: [`https://h/pool/${it.name}.deb`],
            version: it.version,
          });
        }
        const lock: Lock = { version: 1, packages };
        const text = formatLock(lock, dialect);
        const parsed = parseLock(text, "gen");
        expect(formatLock(parsed.lock, dialect)).toBe(text);
        if (packages.length > 0) expect(parsed.dialect).toBe(dialect);
      }),
      { numRuns: 200 },
    );
  });
});

describe("parseLock errors", () => {
  const good = read("rules-distroless-bullseye-url.lock.json");
  const cases: Array<[string, string, number]> = [
    ["bad JSON", good.replace('"arch": "amd64",', '"arch": "amd64"'), 5],
    ["wrong version", good.replace('"version": 1\n}', '"version": 2\n}'), good.split("\n").length - 1],
    ["unknown field", good.replace('\t\t\t"arch": "amd64",', '\t\t\t"arch": "amd64",\n\t\t\t"size": 3,'), 5],
    ["key mismatch", good.replace('"key": "ncurses-base_6.2-p-20201114-2-p-deb11u2_amd64"', '"key": "ncurses-base_6.2_amd64"'), 6],
    ["bad sha256", good.replace("a55a5f94299448279da6a6c2031a9816dc768cd300668ff82ecfc6480bbfc83d", "A55A"), 8],
    ["missing url", good.replace(/\t\t\t"url": "[^"]*",\n/, ""), 3],
    // JSON.parse would keep the second: the located reader finds the repeat.
    ["duplicate field", good.replace('\t\t\t"arch": "amd64",', '\t\t\t"arch": "amd64",\n\t\t\t"arch": "arm64",'), 5],
  ];
  for (const [what, text, line] of cases) {
    it(`reports ${what} as BAD_LOCK with its line`, () => {
      expect(text).not.toBe(good);
      let error: unknown;
      try {
        parseLock(text, "private/repos/deb/x.lock.json");
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ParseError);
      expect(error).toMatchObject({ code: "BAD_LOCK", file: "private/repos/deb/x.lock.json", line });
      expect((error as ParseError).message).toContain("private/repos/deb/x.lock.json:");
      expect((error as ParseError).hint).toBeTruthy();
    });
  }
});

describe("buildLock", () => {
  /** Rebuilds the resolver's per-arch view from a real transitive lock and its manifest. */
  function resolutionsFrom(lock: Lock, manifestPackages: readonly string[]): LockArchResolution[] {
    const byKey = new Map(lock.packages.map((p) => [p.key, p]));
    const candidate = (p: LockPackage): LockCandidate => {
      const first = p.urls![0]!;
      const filename = first.slice(first.indexOf("/pool/") + 1);
      return { name: p.name, version: p.version, filename, sha256: p.sha256, sourceUrls: p.urls!.map((u) => u.slice(0, u.indexOf("/pool/"))) };
    };
    const archs = [...new Set(lock.packages.map((p) => p.arch))];
    return archs.map((arch) => ({
      arch,
      roots: manifestPackages.flatMap((name) => {
        const root = lock.packages.find((p) => p.arch === arch && p.name === name);
        if (root === undefined) return [];
        return [{ package: candidate(root), dependencies: root.dependencies.map((d) => candidate(byKey.get(d.key)!)) }];
      }),
    }));
  }

  it("orders entries like rules_distroless: reproduces a real transitive lock byte for byte", async () => {
    const text = await readXz("rules-distroless-bullseye-urls-full.lock.json.xz");
    const { lock } = parseLock(text, "bullseye.lock.json");
    const manifest = [
      "ncurses-base",
      "libncurses6",
      "tzdata",
      "coreutils",
      "dpkg",
      "apt",
      "perl",
      "ca-certificates",
      "nvidia-kernel-common",
      "bash",
      "nginx-full",
      "nginx-core",
      "google-cloud-cli",
    ];
    // Shuffle the view the way a resolver would hand it over: only roots and their dependency lists.
    const rebuilt = buildLock(resolutionsFrom(lock, manifest), { resolveTransitive: true });
    expect(formatLock(rebuilt, "urls")).toBe(text);
  });

  for (const file of ["distroless-trixie-2026.lock.json", "distroless-bookworm-2024.lock.json"]) {
    it(`reproduces a real non-transitive lock (resolve_transitive = False): ${file}`, () => {
      const text = read(file);
      const { lock, dialect, keyStyle } = parseLock(text, file);
      const names = [...new Set(lock.packages.map((p) => p.name))];
      const archs = [...new Set(lock.packages.map((p) => p.arch))];
      const resolutions: LockArchResolution[] = archs.map((arch) => ({
        arch,
        roots: names.flatMap((name) => {
          const p = lock.packages.find((q) => q.arch === arch && q.name === name);
          if (p === undefined) return [];
          const url = p.urls?.[0] ?? p.url!;
          const cut = url.indexOf("/pool/");
          // A non-transitive repo records no dependencies even if the resolver reports some.
          const bogusDep = {
            name: "libfoo",
            version: "1",
            filename: "pool/main/f/foo/libfoo_1_all.deb",
            sha256: "0".repeat(64),
            sourceUrls: ["https://x"],
          };
          return [
            {
              package: { name, version: p.version, filename: url.slice(cut + 1), sha256: p.sha256, sourceUrls: [`${url.slice(0, cut)}/`] },
              dependencies: [bogusDep],
            },
          ];
        }),
      }));
      expect(formatLock(buildLock(resolutions, { resolveTransitive: false, dialect, keyStyle }), dialect)).toBe(text);
    });
  }

  it("uses the target arch for Architecture: all packages, canonical roots, and each package once per arch", () => {
    const tz: LockCandidate = {
      name: "tzdata",
      version: "2024a-0+deb12u1",
      filename: "pool/main/t/tzdata/tzdata_2024a-0+deb12u1_all.deb",
      sha256: "1".repeat(64),
      sourceUrls: ["https://snapshot.debian.org/archive/debian/20240706T203757Z"],
    };
    const libc: LockCandidate = {
      name: "libc6",
      version: "2.36-9+deb12u7",
      filename: "pool/updates/main/g/glibc/libc6_2.36-9+deb12u7_amd64.deb",
      sha256: "2".repeat(64),
      sourceUrls: ["https://snapshot.debian.org/archive/debian-security/20240706T203757Z"],
    };
    const app: LockCandidate = { ...tz, name: "app", version: "1:2~rc1", filename: "pool/main/a/app/app_2~rc1_amd64.deb" };
    const lock = buildLock(
      [
        {
          arch: "amd64",
          roots: [
            { package: libc, dependencies: [] },
            { package: app, dependencies: [libc, tz, libc] },
            { package: tz, dependencies: [] },
          ],
        },
        { arch: "arm64", roots: [{ package: tz, dependencies: [] }] },
      ],
      { resolveTransitive: true },
    );
    expect(lock.packages.map((p) => p.key)).toEqual([
      "libc6_2.36-9-p-deb12u7_amd64",
      "app_1-2_rc1_amd64",
      "tzdata_2024a-0-p-deb12u1_amd64",
      "tzdata_2024a-0-p-deb12u1_arm64",
    ]);
    expect(lock.packages[1]!.dependencies.map((d) => d.key)).toEqual(["libc6_2.36-9-p-deb12u7_amd64", "tzdata_2024a-0-p-deb12u1_amd64"]);
    expect(lock.packages[0]!.urls).toEqual([
      "https://snapshot.debian.org/archive/debian-security/20240706T203757Z/pool/updates/main/g/glibc/libc6_2.36-9+deb12u7_amd64.deb",
    ]);
    expect(lock.packages[3]!.arch).toBe("arm64");
    const asUrl = buildLock([{ arch: "amd64", roots: [{ package: tz, dependencies: [] }] }], { resolveTransitive: false, dialect: "url" });
    expect(asUrl.packages[0]!.url).toBe(
      "https://snapshot.debian.org/archive/debian/20240706T203757Z/pool/main/t/tzdata/tzdata_2024a-0+deb12u1_all.deb",
    );
    expect(asUrl.packages[0]!.urls).toBeUndefined();
  });
});
