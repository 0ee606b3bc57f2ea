import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { decompress } from "../../io/decompress.js";
import { memoryWorkspaceFiles } from "../../io/workspace-files.js";
import { fileHash, listRecordedFileInputs } from "./module-lock.js";
import { formatModuleLockNotice, formatVersionHubAttribute, planModuleLockSync, splitHubVersion, syncModuleLock } from "./module-lock-sync.js";

const DIR = join(import.meta.dirname, "../../../test/fixtures/lock/module-bazel-lock");
const REAL = join(DIR, "distroless-31292d2b");
const HUB = "//private/extensions:version.bzl%version";
const REPOS = ["bookworm", "bookworm_s390x", "trixie", "trixie_adoptium", "trixie_java", "trixie_python"];
const lockPath = (repo: string): string => `private/repos/deb/${repo}.lock.json`;
const BOOKWORM = lockPath("bookworm");

async function unxz(file: string): Promise<string> {
  return new TextDecoder().decode(await decompress(readFileSync(file), "xz", { label: file }));
}

// biome-ignore lint/suspicious/noExplicitAny: Bazel's lock file JSON, read and written loosely by the test
type Json = Record<string, any>;
const bazelJson = (x: unknown): string => `${JSON.stringify(x, null, 2)}\n`;

/** The real workspace files: MODULE.bazel.lock (version hub and pybind entries) and the six lock files it recorded. */
let moduleLock: string;
const locks = new Map<string, string>();
const disk =
  (overrides: ReadonlyMap<string, string> = new Map()) =>
  (path: string) =>
    overrides.get(path) ?? locks.get(path);
const hubEntry = (text: string): Json => (JSON.parse(text) as Json).moduleExtensions[HUB].general;
const hubVersions = (text: string): string => hubEntry(text).generatedRepoSpecs.versions.attributes.versions as string;

beforeAll(async () => {
  moduleLock = await unxz(join(REAL, "MODULE.bazel.lock.xz"));
  for (const repo of REPOS) locks.set(lockPath(repo), await unxz(join(REAL, `${lockPath(repo)}.xz`)));
});

/** The bookworm lock (rules_distroless's format) with one package at another version, on every arch. */
function bumped(name: string, to: string): string {
  const text = locks.get(BOOKWORM)!;
  const lock = JSON.parse(text) as { packages: Json[] };
  expect(JSON.stringify(lock, null, "\t")).toBe(text);
  const entries = lock.packages.filter((p) => p.name === name);
  expect(entries.length).toBeGreaterThan(0);
  for (const p of entries) p.version = to;
  return JSON.stringify(lock, null, "\t");
}

describe("version hub attribute", () => {
  it("splits versions as rules_distroless does", () => {
    expect(splitHubVersion("12.4+deb12u15")).toEqual({ epoch: null, upstream: "12.4+deb12u15", revision: null });
    expect(splitHubVersion("2.36-9+deb12u14")).toEqual({ epoch: null, upstream: "2.36", revision: "9+deb12u14" });
    expect(splitHubVersion("1:2.39.2-6")).toEqual({ epoch: "1", upstream: "2.39.2", revision: "6" });
    expect(splitHubVersion("1:9.2p1-2+deb12u7")).toEqual({ epoch: "1", upstream: "9.2p1", revision: "2+deb12u7" });
    expect(splitHubVersion("2:1.0-a-b")).toEqual({ epoch: "2", upstream: "1.0-a", revision: "b" });
  });

  it("reproduces the real recorded `versions` of distroless @ 31292d2b from its six lock files, byte for byte", () => {
    const recorded = hubVersions(moduleLock);
    expect(recorded.length).toBeGreaterThan(30_000);
    // distroless declares the tags trixie first; the attribute's keys are sorted whatever the order.
    const order = ["trixie", "trixie_java", "trixie_adoptium", "trixie_python", "bookworm", "bookworm_s390x"];
    expect(formatVersionHubAttribute(order.map((repo) => ({ repo, content: locks.get(lockPath(repo))! })))).toBe(recorded);
    expect(
      formatVersionHubAttribute([...order].reverse().map((repo) => ({ repo, content: new TextEncoder().encode(locks.get(lockPath(repo))!) }))),
    ).toBe(recorded);
  });

  it("merges tags naming one repo, the later package winning; refuses what the hub would not read", () => {
    const a = JSON.stringify({ packages: [{ arch: "amd64", name: "x", version: "1" }], version: 1 });
    const b = JSON.stringify({
      packages: [
        { arch: "amd64", name: "x", version: "1:2-3" },
        { arch: "arm64", name: "x", version: "4" },
      ],
      version: 1,
    });
    expect(
      JSON.parse(
        formatVersionHubAttribute([
          { repo: "r", content: a },
          { repo: "r", content: b },
        ])!,
      ),
    ).toEqual({
      r: {
        x: { amd64: { epoch: "1", raw: "1:2-3", revision: "3", upstream: "2" }, arm64: { epoch: null, raw: "4", revision: null, upstream: "4" } },
      },
    });
    expect(formatVersionHubAttribute([{ repo: "r", content: a.replace('"version":1', '"version":2') }])).toBeUndefined();
    expect(formatVersionHubAttribute([{ repo: "r", content: a.replace('"x"', '"x\\"y"') }])).toBeUndefined();
  });
});

describe("syncModuleLock on the real distroless MODULE.bazel.lock (recordedFileInputs)", () => {
  it("nothing changed: the identical text, nothing to report", () => {
    expect(syncModuleLock(moduleLock, new Map(), disk())).toEqual({ text: moduleLock, updated: [], notices: [] });
    const same = syncModuleLock(
      moduleLock,
      new Map([
        [BOOKWORM, locks.get(BOOKWORM)!],
        ["unrelated.txt", "x"],
      ]),
      disk(),
    );
    expect(same.text).toBe(moduleLock);
    expect(same).toMatchObject({ updated: [], notices: [] });
  });

  it("a byte change that keeps every version: only the recorded hash moves (the recomputed attribute is the recorded one)", () => {
    const next = `${locks.get(BOOKWORM)!}\n`;
    const r = syncModuleLock(moduleLock, new Map([[BOOKWORM, next]]), disk());
    expect(r.notices).toEqual([]);
    expect(r.updated).toEqual([{ extension: HUB, section: "general", files: [BOOKWORM], action: "recomputed" }]);
    expect(r.text).toBe(moduleLock.replace(fileHash(locks.get(BOOKWORM)!), fileHash(next)));
  });

  it("a new libc6 version: the hash and the libc6 entries of bookworm move, in Bazel's formatting", () => {
    const next = bumped("libc6", "2.36-9+deb12u15");
    const r = syncModuleLock(moduleLock, new Map([[BOOKWORM, next]]), disk());
    expect(r.notices).toEqual([]);
    const before = JSON.parse(moduleLock) as Json;
    const expected = JSON.parse(moduleLock) as Json;
    const entry = expected.moduleExtensions[HUB].general;
    entry.recordedFileInputs[`@@//${BOOKWORM}`] = fileHash(next);
    const versions = JSON.parse(entry.generatedRepoSpecs.versions.attributes.versions as string) as Json;
    expect(Object.keys(versions.bookworm.libc6)).toEqual(["amd64", "arm64", "armhf", "ppc64el"]);
    for (const arch of Object.keys(versions.bookworm.libc6))
      versions.bookworm.libc6[arch] = { epoch: null, raw: "2.36-9+deb12u15", revision: "9+deb12u15", upstream: "2.36" };
    entry.generatedRepoSpecs.versions.attributes.versions = JSON.stringify(versions);
    expect(r.text).toBe(bazelJson(expected));
    // Everything else is untouched: other extensions, other repos of the hub.
    expect((JSON.parse(r.text) as Json).moduleExtensions["@@pybind11_bazel~//:python_configure.bzl%extension"]).toEqual(
      before.moduleExtensions["@@pybind11_bazel~//:python_configure.bzl%extension"],
    );
    expect(listRecordedFileInputs(r.text).filter((i) => i.path !== BOOKWORM)).toEqual(
      listRecordedFileInputs(moduleLock)
        .filter((i) => i.path !== BOOKWORM)
        .map((i) => expect.objectContaining({ key: i.key, hash: i.hash })),
    );
  });

  it("a new package and a removed one: the attribute keeps Bazel's sorted keys", () => {
    const lock = JSON.parse(locks.get(BOOKWORM)!) as { packages: Json[]; version: number };
    const dropped = lock.packages[0]!.name as string;
    lock.packages = lock.packages.filter((p) => p.name !== dropped);
    lock.packages.push({
      arch: "amd64",
      dependencies: [],
      key: "aaa-new_1-2.3-4_amd64",
      name: "aaa-new",
      sha256: "0".repeat(64),
      urls: ["https://example.invalid/a.deb"],
      version: "1:2.3-4",
    });
    const next = JSON.stringify(lock, null, "\t");
    const r = syncModuleLock(moduleLock, new Map([[BOOKWORM, next]]), disk());
    expect(r.updated).toHaveLength(1);
    const versions = JSON.parse(hubVersions(r.text)) as Json;
    expect(Object.keys(versions)).toEqual(REPOS);
    const names = Object.keys(versions.bookworm);
    expect(names).toEqual([...names].sort());
    expect(names).not.toContain(dropped);
    expect(versions.bookworm["aaa-new"]).toEqual({ amd64: { epoch: "1", raw: "1:2.3-4", revision: "4", upstream: "2.3" } });
    expect(versions.trixie).toEqual((JSON.parse(hubVersions(moduleLock)) as Json).trixie);
  });

  it("is reversible: new contents, then the original ones, give back every byte", () => {
    const next = bumped("libc6", "2.36-9+deb12u15");
    const there = syncModuleLock(moduleLock, new Map([[BOOKWORM, next]]), disk());
    expect(there.text).not.toBe(moduleLock);
    // Now the workspace holds the new lock; the original content comes back.
    const back = syncModuleLock(there.text, new Map([[BOOKWORM, locks.get(BOOKWORM)!]]), disk(new Map([[BOOKWORM, next]])));
    expect(back.notices).toEqual([]);
    expect(back.text).toBe(moduleLock);
  });

  it("two lock files at once", () => {
    const trixie = lockPath("trixie");
    const nextTrixie = `${locks.get(trixie)!} `;
    const next = bumped("libc6", "2.36-9+deb12u15");
    const r = syncModuleLock(
      moduleLock,
      new Map([
        [BOOKWORM, next],
        [trixie, nextTrixie],
      ]),
      disk(),
    );
    expect(r.updated).toEqual([{ extension: HUB, section: "general", files: [trixie, BOOKWORM], action: "recomputed" }]);
    const entry = hubEntry(r.text);
    expect(entry.recordedFileInputs[`@@//${trixie}`]).toBe(fileHash(nextTrixie));
    expect(entry.recordedFileInputs[`@@//${BOOKWORM}`]).toBe(fileHash(next));
  });

  it("repos named otherwise than their files are matched by content", () => {
    // The same workspace with tags naming the bookworm repos debian12 and debian12_s390x.
    const renamed = JSON.parse(moduleLock) as Json;
    const spec = renamed.moduleExtensions[HUB].general.generatedRepoSpecs.versions.attributes;
    const old = JSON.parse(spec.versions as string) as Json;
    const names: Record<string, string> = { bookworm: "debian12", bookworm_s390x: "debian12_s390x" };
    const sorted = Object.fromEntries(
      Object.keys(old)
        .map((k) => [names[k] ?? k, old[k]])
        .sort(([a], [b]) => (a! < b! ? -1 : 1)),
    );
    spec.versions = JSON.stringify(sorted);
    const text = bazelJson(renamed);
    const next = bumped("libc6", "2.36-9+deb12u15");
    const r = syncModuleLock(text, new Map([[BOOKWORM, next]]), disk());
    expect(r.notices).toEqual([]);
    const versions = JSON.parse(hubVersions(r.text)) as Json;
    expect(Object.keys(versions)).toEqual(Object.keys(sorted));
    expect(versions.debian12.libc6.amd64.raw).toBe("2.36-9+deb12u15");
    expect(versions.debian12_s390x).toEqual(sorted.debian12_s390x);
  });

  it("leaves the entry, with a notice, when the recorded versions are not what the recorded files give", async () => {
    // The reduced fixture's attribute holds only two bookworm packages.
    const reduced = readFileSync(join(DIR, "distroless-2026.MODULE.bazel.lock"), "utf8");
    const r = syncModuleLock(reduced, new Map([[BOOKWORM, bumped("libc6", "2.36-9+deb12u15")]]), disk());
    expect(r.text).toBe(reduced);
    expect(r.updated).toEqual([]);
    expect(r.notices).toEqual([
      expect.objectContaining({
        code: "MODULE_LOCK_NOT_REPRODUCED",
        extension: HUB,
        files: [BOOKWORM],
        command: "bazel mod deps --lockfile_mode=update",
      }),
    ]);
    expect(formatModuleLockNotice(r.notices[0]!)).toContain(`MODULE.bazel.lock records the old hash of ${BOOKWORM} for ${HUB}`);
    expect(formatModuleLockNotice(r.notices[0]!)).toContain("`bazel mod deps --lockfile_mode=update`");
  });

  it("leaves the entry when a file it read is already out of step with its recorded hash, or unreadable, or deleted", () => {
    const next = bumped("libc6", "2.36-9+deb12u15");
    const trixie = lockPath("trixie");
    const edited = syncModuleLock(moduleLock, new Map([[BOOKWORM, next]]), disk(new Map([[trixie, `${locks.get(trixie)!} `]])));
    expect(edited.text).toBe(moduleLock);
    expect(edited.notices).toEqual([expect.objectContaining({ code: "MODULE_LOCK_INPUT_OUT_OF_STEP", files: [BOOKWORM] })]);
    expect(edited.notices[0]!.reason).toContain(trixie);
    const missing = syncModuleLock(moduleLock, new Map([[BOOKWORM, next]]), (p) => (p === trixie ? undefined : locks.get(p)));
    expect(missing).toMatchObject({ text: moduleLock, notices: [{ code: "MODULE_LOCK_INPUT_OUT_OF_STEP" }] });
    const deleted = syncModuleLock(moduleLock, new Map([[BOOKWORM, null]]), disk());
    expect(deleted).toMatchObject({ text: moduleLock, notices: [{ code: "MODULE_LOCK_INPUT_DELETED", files: [BOOKWORM] }] });
  });
});

describe("syncModuleLock on the newer recordedInputs shape", () => {
  /** The real hub entry as newer Bazel writes it: `FILE:` strings among other inputs, and `repoRuleId`. */
  function newerShape(): string {
    const real = hubEntry(moduleLock);
    const entry = {
      general: {
        bzlTransitiveDigest: real.bzlTransitiveDigest,
        usagesDigest: real.usagesDigest,
        recordedInputs: [
          ...Object.entries(real.recordedFileInputs as Record<string, string>).map(([k, h]) => `FILE:${k} ${h}`),
          "REPO_MAPPING:,rules_distroless rules_distroless+",
        ],
        generatedRepoSpecs: {
          versions: { repoRuleId: "@@//private/extensions:version.bzl%version_repo", attributes: { versions: hubVersions(moduleLock) } },
        },
      },
    };
    return bazelJson({ lockFileVersion: 26, registryFileHashes: {}, selectedYankedVersions: {}, moduleExtensions: { [HUB]: entry }, facts: {} });
  }

  it("recomputes the attribute and rewrites the FILE: input, reversibly", () => {
    const text = newerShape();
    const next = bumped("base-files", "12.4+deb12u16");
    const r = syncModuleLock(text, new Map([[BOOKWORM, next]]), disk());
    expect(r.updated).toEqual([{ extension: HUB, section: "general", files: [BOOKWORM], action: "recomputed" }]);
    const entry = hubEntry(r.text);
    expect(entry.recordedInputs).toContain(`FILE:@@//${BOOKWORM} ${fileHash(next)}`);
    expect(entry.recordedInputs).toContain("REPO_MAPPING:,rules_distroless rules_distroless+");
    const versions = JSON.parse(entry.generatedRepoSpecs.versions.attributes.versions as string) as Json;
    expect(versions.bookworm["base-files"].amd64).toEqual({ epoch: null, raw: "12.4+deb12u16", revision: null, upstream: "12.4+deb12u16" });
    expect(r.text).toBe(bazelJson(JSON.parse(r.text)));
    expect(syncModuleLock(r.text, new Map([[BOOKWORM, locks.get(BOOKWORM)!]]), disk(new Map([[BOOKWORM, next]]))).text).toBe(text);
  });

  it("the hand-written fixture's shortened attribute is not reproduced: left with a notice", () => {
    const text = readFileSync(join(DIR, "recorded-inputs.MODULE.bazel.lock"), "utf8");
    const r = syncModuleLock(text, new Map([[BOOKWORM, `${locks.get(BOOKWORM)!} `]]), disk());
    expect(r).toMatchObject({ text, updated: [], notices: [{ code: "MODULE_LOCK_NOT_REPRODUCED", extension: HUB }] });
  });
});

describe("syncModuleLock: other extensions", () => {
  const ext = (name: string, body: string): string => `    ${JSON.stringify(name)}: {\n      "general": {\n${body}\n      }\n    }`;
  const doc = (...exts: string[]): string => `{\n  "lockFileVersion": 11,\n  "moduleExtensions": {\n${exts.join(",\n")}\n  }\n}\n`;
  const inputs = (path: string, content: string): string =>
    `        "recordedFileInputs": {\n          "@@//${path}": "${fileHash(content)}"\n        }`;
  const APT = "@@rules_distroless~//apt:extensions.bzl%apt";

  it("rehashes an extension that generated nothing, and leaves one whose repositories may embed the file, with a notice", () => {
    const old = "old";
    const text = doc(
      ext(
        APT,
        `${inputs(BOOKWORM, old)},\n        "generatedRepoSpecs": {\n          "bookworm": {\n            "bzlFile": "@@rules_distroless~//apt/private:deb_translate_lock.bzl",\n            "ruleClassName": "deb_translate_lock",\n            "attributes": {}\n          }\n        }`,
      ),
      ext("//tools:hash_only.bzl%hash_only", `${inputs(BOOKWORM, old)},\n        "generatedRepoSpecs": {}`),
      ext("//tools:bare.bzl%bare", inputs(BOOKWORM, old)),
    );
    const r = syncModuleLock(text, new Map([[BOOKWORM, "new"]]), () => old);
    expect(r.updated).toEqual([{ extension: "//tools:hash_only.bzl%hash_only", section: "general", files: [BOOKWORM], action: "rehashed" }]);
    expect(r.notices.map((n) => [n.code, n.extension, n.files])).toEqual([
      ["MODULE_LOCK_NOT_RECOMPUTABLE", APT, [BOOKWORM]],
      ["MODULE_LOCK_NOT_RECOMPUTABLE", "//tools:bare.bzl%bare", [BOOKWORM]],
    ]);
    expect(r.notices[0]!.reason).toContain("bookworm");
    // Only the hash-only extension's hash moved.
    const parts = text.split(fileHash(old));
    expect(parts).toHaveLength(4);
    expect(r.text).toBe(parts[0]! + fileHash(old) + parts[1]! + fileHash("new") + parts[2]! + fileHash(old) + parts[3]!);
  });

  it("leaves an extension that recorded facts", () => {
    const text = `{\n  "lockFileVersion": 24,\n  "moduleExtensions": {\n${ext("//x.bzl%x", `${inputs(BOOKWORM, "old")},\n        "generatedRepoSpecs": {}`)}\n  },\n  "facts": {\n    "//x.bzl%x": {\n      "k": "v"\n    }\n  }\n}\n`;
    expect(syncModuleLock(text, new Map([[BOOKWORM, "new"]]), () => "old")).toMatchObject({
      text,
      notices: [{ code: "MODULE_LOCK_NOT_RECOMPUTABLE", extension: "//x.bzl%x" }],
    });
  });
});

describe("syncModuleLock properties", () => {
  /** A lock edit: versions of some packages moved (with and without epoch/revision), some dropped, one added. */
  const lockEdit = fc.record({
    bump: fc.array(fc.tuple(fc.nat(), fc.constantFrom("1.0", "2:3.4-5", "6.7-8+deb12u9", "1:2-3-4", "10~rc1")), { maxLength: 4 }),
    drop: fc.array(fc.nat(), { maxLength: 2 }),
    add: fc.option(
      fc.tuple(fc.constantFrom("zzz-new", "0ad-data", "a+b"), fc.constantFrom("amd64", "arm64", "s390x"), fc.constantFrom("1", "1:1-1")),
      { nil: undefined },
    ),
  });
  function applyLockEdit(text: string, edit: { bump: [number, string][]; drop: number[]; add: [string, string, string] | undefined }): string {
    const lock = JSON.parse(text) as { packages: Json[] };
    for (const [i, v] of edit.bump) lock.packages[i % lock.packages.length]!.version = v;
    for (const i of edit.drop) lock.packages.splice(i % lock.packages.length, 1);
    if (edit.add !== undefined)
      lock.packages.push({
        arch: edit.add[1],
        dependencies: [],
        key: "k",
        name: edit.add[0],
        sha256: "0".repeat(64),
        urls: [],
        version: edit.add[2],
      });
    return JSON.stringify(lock, null, "\t");
  }

  it("after every sync the hub holds what the files give; going back to the original files restores every byte", () => {
    const trixie = lockPath("trixie");
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(BOOKWORM, trixie), lockEdit), { minLength: 1, maxLength: 3 }), (steps) => {
        const files = new Map(locks);
        let text = moduleLock;
        for (const [path, edit] of steps) {
          const next = applyLockEdit(files.get(path)!, edit);
          const r = syncModuleLock(text, new Map([[path, next]]), (p) => files.get(p));
          expect(r.notices).toEqual([]);
          files.set(path, next);
          text = r.text;
          expect(hubVersions(text)).toBe(formatVersionHubAttribute(REPOS.map((repo) => ({ repo, content: files.get(lockPath(repo))! }))));
          expect(text).toBe(bazelJson(JSON.parse(text)));
        }
        const restore = new Map([BOOKWORM, trixie].map((p) => [p, locks.get(p)!]));
        expect(syncModuleLock(text, restore, (p) => files.get(p)).text).toBe(moduleLock);
      }),
      { numRuns: 40 },
    );
  });
});

describe("planModuleLockSync", () => {
  it("reads MODULE.bazel.lock and the recorded lock files from the workspace and plans one change", async () => {
    const root = "/ws";
    const files = memoryWorkspaceFiles({
      [`${root}/MODULE.bazel.lock`]: moduleLock,
      ...Object.fromEntries([...locks].map(([p, t]) => [`${root}/${p}`, t])),
    });
    const next = bumped("libc6", "2.36-9+deb12u15");
    const plan = await planModuleLockSync(root, files, [
      { path: `${root}/${BOOKWORM}`, before: locks.get(BOOKWORM)!, after: next },
      { path: `${root}/private/repos/deb/bookworm.yaml`, before: "a", after: "b" },
    ]);
    expect(plan.notices).toEqual([]);
    expect(plan.updated).toEqual([{ extension: HUB, section: "general", files: [BOOKWORM], action: "recomputed" }]);
    expect(plan.change).toEqual({
      path: `${root}/MODULE.bazel.lock`,
      before: moduleLock,
      after: syncModuleLock(moduleLock, new Map([[BOOKWORM, next]]), disk()).text,
    });
    expect(
      await planModuleLockSync(root, files, [{ path: `${root}/${BOOKWORM}`, before: locks.get(BOOKWORM)!, after: locks.get(BOOKWORM)! }]),
    ).toEqual({ change: undefined, updated: [], notices: [] });
    expect(await planModuleLockSync(root, memoryWorkspaceFiles({}), [{ path: `${root}/${BOOKWORM}`, before: null, after: next }])).toEqual({
      change: undefined,
      updated: [],
      notices: [],
    });
  });
});
