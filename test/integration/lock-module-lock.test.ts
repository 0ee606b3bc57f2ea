import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BOOKWORM_SOURCES, lockWith, SNAPSHOT, TS, useBookwormArchive, writeTree } from "../support/bookworm-archive.js";
import { snapshotTree } from "../support/workspace-snapshot.js";

/**
 * `deb-lock lock` keeps MODULE.bazel.lock in step with the locks it rewrites, in the same write: the
 * distroless-style versions hub is recomputed (hashes and `versions` attribute), an extension whose generated
 * repositories deb-lock cannot recompute is left as it is with a warning naming the Bazel command.
 */

const BOOKWORM = "private/repos/deb/bookworm.lock.json";
const FLAT = "private/repos/deb/flat.lock.json";
const HUB = "//private/extensions:version.bzl%version";
const APT = "@@rules_distroless~//apt:extensions.bzl%apt";

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");
const bazelJson = (x: unknown): string => `${JSON.stringify(x, null, 2)}\n`;

const MODULE = `bazel_dep(name = "rules_distroless", version = "0.5.1")

apt = use_extension("@rules_distroless//apt:extensions.bzl", "apt")
apt.install(
    name = "bookworm",
    lock = "//private/repos/deb:bookworm.lock.json",
    manifest = "//private/repos/deb:bookworm.yaml",
)
apt.install(
    name = "flat",
    lock = "//private/repos/deb:flat.lock.json",
    manifest = "//private/repos/deb:flat.yaml",
    resolve_transitive = False,
)

version = use_extension("//private/extensions:version.bzl", "version")
version.from_lock(lock = "//private/repos/deb:bookworm.lock.json", repo_name = "bookworm")
version.from_lock(lock = "//private/repos/deb:flat.lock.json", repo_name = "flat")
use_repo(version, "versions")
`;

const SOURCES = BOOKWORM_SOURCES;

/** Locks as an earlier run left them: libc6 one security update behind, bookworm empty. */
const OLD_FLAT = JSON.stringify(
  {
    packages: [
      {
        arch: "amd64",
        dependencies: [],
        key: "libc6_2.36-9-p-deb12u13_amd64",
        name: "libc6",
        sha256: "0".repeat(64),
        urls: [`${SNAPSHOT}/debian/${TS}/pool/main/g/glibc/libc6_2.36-9+deb12u13_amd64.deb`],
        version: "2.36-9+deb12u13",
      },
    ],
    version: 1,
  },
  null,
  "\t",
);
const OLD_BOOKWORM = '{\n\t"packages": [],\n\t"version": 1\n}';
/** What the versions hub recorded for those locks (written out by hand). */
const OLD_VERSIONS = '{"bookworm":{},"flat":{"libc6":{"amd64":{"epoch":null,"raw":"2.36-9+deb12u13","revision":"9+deb12u13","upstream":"2.36"}}}}';

/** A MODULE.bazel.lock in Bazel's shape (lockFileVersion 11) with the hub and, optionally, an apt entry generating repos from the bookworm lock. */
function moduleLock(opts: { versions?: string; apt?: boolean } = {}): Record<string, unknown> {
  const hub = {
    general: {
      bzlTransitiveDigest: "a4FYxHYUQ822kcAcKD5tzEjksar43fkO3cC2oeyx6zA=",
      usagesDigest: "SC2BQktDFbClRXsUZaszZMdIOrKfny4kgmz4DirI36k=",
      recordedFileInputs: { [`@@//${FLAT}`]: sha256(OLD_FLAT), [`@@//${BOOKWORM}`]: sha256(OLD_BOOKWORM) },
      recordedDirentsInputs: {},
      envVariables: {},
      generatedRepoSpecs: {
        versions: {
          bzlFile: "@@//private/extensions:version.bzl",
          ruleClassName: "version_repo",
          attributes: { versions: opts.versions ?? OLD_VERSIONS },
        },
      },
      moduleExtensionMetadata: {
        explicitRootModuleDirectDeps: ["versions"],
        explicitRootModuleDirectDevDeps: [],
        useAllRepos: "NO",
        reproducible: false,
      },
      recordedRepoMappingEntries: [["", "rules_distroless", "rules_distroless~"]],
    },
  };
  const apt = {
    general: {
      bzlTransitiveDigest: "q0c8Gm8V9Rf0yqpJ5DqL9w3S1mHhfJ1xw6Kk7d2S4aE=",
      usagesDigest: "Zb4X3Yw1jz7qvP0mYq2b7m0dJbq6o0m2Q8k5f9Jr1tM=",
      recordedFileInputs: { [`@@//${BOOKWORM}`]: sha256(OLD_BOOKWORM) },
      recordedDirentsInputs: {},
      envVariables: {},
      generatedRepoSpecs: {
        bookworm: {
          bzlFile: "@@rules_distroless~//apt/private:deb_translate_lock.bzl",
          ruleClassName: "deb_translate_lock",
          attributes: { lock_content: OLD_BOOKWORM },
        },
      },
    },
  };
  return {
    lockFileVersion: 11,
    registryFileHashes: {},
    selectedYankedVersions: {},
    moduleExtensions: { ...(opts.apt === true ? { [APT]: apt } : {}), [HUB]: hub },
  };
}

/**
 * The hub's attribute for lock texts, written independently of deb-lock from distroless's version.bzl:
 * versions[repo][name][arch] = {epoch, raw, revision, upstream} (epoch before the first ":", revision after
 * the last "-"), json-encoded with sorted keys.
 */
function expectedVersions(locks: Record<string, string>): string {
  const out: Record<string, Record<string, Record<string, unknown>>> = {};
  for (const [repo, text] of Object.entries(locks)) {
    out[repo] = {};
    for (const p of (JSON.parse(text) as { packages: { name: string; arch: string; version: string }[] }).packages) {
      const m = /^(?:([^:]*):)?(.*?)(?:-([^-]*))?$/.exec(p.version)!;
      (out[repo][p.name] ??= {})[p.arch] = { epoch: m[1] ?? null, raw: p.version, revision: m[3] ?? null, upstream: m[2] };
    }
  }
  const sorted = (x: unknown): unknown =>
    x !== null && typeof x === "object"
      ? Object.fromEntries(
          Object.keys(x)
            .sort()
            .map((k) => [k, sorted((x as Record<string, unknown>)[k])]),
        )
      : x;
  return JSON.stringify(sorted(out));
}

const archive = useBookwormArchive();
const { temp } = archive;

function workspace(moduleLockText: string): string {
  const root = temp.make("deb-lock-ws-");
  writeTree(root, {
    "MODULE.bazel": MODULE,
    "MODULE.bazel.lock": moduleLockText,
    "private/repos/deb/BUILD.bazel": "",
    "private/repos/deb/bookworm.yaml": `version: 1\n${SOURCES}archs: [amd64, arm64]\npackages:\n  - bash\n`,
    "private/repos/deb/flat.yaml": `version: 1\n${SOURCES}archs: [amd64]\npackages:\n  - libc6\n  - libssl3\n`,
    [BOOKWORM]: OLD_BOOKWORM,
    [FLAT]: OLD_FLAT,
  });
  return root;
}

function lock(root: string, ...extra: string[]) {
  return lockWith(archive.server, root, temp.make("deb-lock-cache-"), ...extra);
}

const read = (root: string, path: string): string => readFileSync(join(root, path), "utf8");

describe("deb-lock lock and MODULE.bazel.lock", () => {
  it("recomputes the versions hub and its recorded hashes, byte for byte as Bazel would write them; a second run changes nothing", async () => {
    const original = bazelJson(moduleLock());
    const root = workspace(original);
    const result = await lock(root);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toContain("MODULE.bazel.lock records");
    expect(result.stdout).toContain(`MODULE.bazel.lock: updated (${HUB} recomputed)`);

    const flat = read(root, FLAT);
    const bookworm = read(root, BOOKWORM);
    // biome-ignore lint/suspicious/noExplicitAny: Bazel's lock file JSON, read and written loosely by the test
    const expected = moduleLock() as { moduleExtensions: Record<string, { general: Record<string, any> }> };
    const hub = expected.moduleExtensions[HUB]!.general;
    hub.recordedFileInputs = { [`@@//${FLAT}`]: sha256(flat), [`@@//${BOOKWORM}`]: sha256(bookworm) };
    hub.generatedRepoSpecs.versions.attributes.versions = expectedVersions({ bookworm, flat });
    expect(read(root, "MODULE.bazel.lock")).toBe(bazelJson(expected));
    // The values a BUILD file reads through versions.bzl.
    const versions = JSON.parse(hub.generatedRepoSpecs.versions.attributes.versions as string) as Record<
      string,
      Record<string, Record<string, unknown>>
    >;
    expect(versions.flat!.libc6!.amd64).toEqual({ epoch: null, raw: "2.36-9+deb12u14", revision: "9+deb12u14", upstream: "2.36" });
    expect(versions.flat!.libssl3!.amd64).toEqual({ epoch: null, raw: "3.0.22-1~deb12u2", revision: "1~deb12u2", upstream: "3.0.22" });
    expect(Object.keys(versions.bookworm!.bash!)).toEqual(["amd64", "arm64"]);

    const before = snapshotTree(root);
    const again = await lock(root);
    expect(again.code).toBe(0);
    expect(again.stdout).not.toContain("MODULE.bazel.lock");
    expect(snapshotTree(root)).toEqual(before);
  });

  it("--dry-run says MODULE.bazel.lock would change and writes nothing; --json reports the entries", async () => {
    const root = workspace(bazelJson(moduleLock({ apt: true })));
    const before = snapshotTree(root);
    const dry = await lock(root, "--dry-run");
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`MODULE.bazel.lock: would change (${HUB} recomputed)`);
    expect(snapshotTree(root)).toEqual(before);
    const json = await lock(root, "--dry-run", "--json");
    const doc = JSON.parse(json.stdout) as { moduleLock: { updated: unknown[]; notices: unknown[] } };
    expect(doc.moduleLock.updated).toEqual([{ extension: HUB, section: "general", files: [FLAT, BOOKWORM], action: "recomputed" }]);
    expect(doc.moduleLock.notices).toEqual([
      expect.objectContaining({
        code: "MODULE_LOCK_NOT_RECOMPUTABLE",
        extension: APT,
        files: [BOOKWORM],
        command: "bazel mod deps --lockfile_mode=update",
      }),
    ]);
  });

  it("leaves an extension it cannot recompute exactly as it was, with a warning naming the command, and still updates the hub", async () => {
    const original = moduleLock({ apt: true }) as { moduleExtensions: Record<string, unknown> };
    const root = workspace(bazelJson(original));
    const result = await lock(root);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`MODULE.bazel.lock records the old hash of ${BOOKWORM} for ${APT}, left as it is`);
    expect(result.stderr).toContain("`bazel mod deps --lockfile_mode=update`");
    const after = JSON.parse(read(root, "MODULE.bazel.lock")) as {
      moduleExtensions: Record<string, { general: { recordedFileInputs: Record<string, string> } }>;
    };
    expect(after.moduleExtensions[APT]).toEqual(original.moduleExtensions[APT]);
    expect(after.moduleExtensions[HUB]!.general.recordedFileInputs[`@@//${BOOKWORM}`]).toBe(sha256(read(root, BOOKWORM)));
    expect(read(root, "MODULE.bazel.lock")).toBe(bazelJson(after));
  });

  it("leaves a hub whose recorded versions the recorded locks do not give, with a warning", async () => {
    const text = bazelJson(moduleLock({ versions: OLD_VERSIONS.replace('9+deb12u13","upstream', '9+deb12u12","upstream') }));
    const root = workspace(text);
    const result = await lock(root);
    expect(result.code, result.stderr).toBe(0);
    expect(read(root, FLAT)).not.toBe(OLD_FLAT);
    expect(read(root, "MODULE.bazel.lock")).toBe(text);
    expect(result.stderr).toContain(`for ${HUB}, left as it is`);
    expect(result.stderr).toContain("bazel mod deps --lockfile_mode=update");
  });

  it("a verification failure writes nothing, MODULE.bazel.lock included (exit 3)", async () => {
    const root = workspace(bazelJson(moduleLock({ apt: true })));
    const before = snapshotTree(root);
    archive.server.faults.push({ path: "bookworm/InRelease", tamper: true });
    const result = await lock(root, "--quiet");
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("BAD_SIGNATURE");
    expect(snapshotTree(root)).toEqual(before);
  });
});
