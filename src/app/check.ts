import { relative, resolve as resolvePath, sep } from "node:path";
import type { PackageRecord } from "../core/debian/package.js";
import { parseRelations, versionSatisfies, type Relation } from "../core/debian/relation.js";
import { parseVersion } from "../core/debian/version.js";
import { DebLockError, ParseError } from "../core/errors.js";
import { parseJsonTree } from "../core/lock/json-tree.js";
import { lockPackageUrls, type LockPackage } from "../core/lock/lock.js";
import { parseLock, type ParsedLock } from "../core/lock/parse-lock.js";
import { parseManifest, type PackageConstraint } from "../edit/manifest.js";
import type { WorkspaceFiles } from "../io/workspace-files.js";
import { discoverImage, type ImageInfo } from "./images.js";
import type { IndexLoader } from "./index-loader.js";
import { loadManifestIndexes } from "./lock.js";
import { fileHash, listRecordedFileInputs, type RecordedFileInput } from "./module-lock.js";
import type { ArchIndexes } from "./resolve-repo.js";
import type { RepoDecl } from "./workspace.js";

/**
 * `deb-lock check`: the pre-commit and CI gate. Offline checks read only workspace files; the deep
 * checks add the verified archive indexes. Every problem is a finding printed as
 * `file:line: what is wrong — how to fix it`.
 */

export interface CheckFinding {
  /** SCREAMING_SNAKE, stable: tests and tools match on it */
  readonly code: string;
  /** Workspace-relative path */
  readonly file: string;
  readonly line?: number;
  readonly message: string;
  readonly hint: string;
}

export function formatFinding(f: CheckFinding): string {
  return `${f.file}${f.line === undefined ? "" : `:${f.line}`}: ${f.message} — ${f.hint}`;
}

/** Findings in a stable order: by file, line, code, message. */
export function sortFindings(findings: readonly CheckFinding[]): CheckFinding[] {
  return [...findings].sort(
    (a, b) =>
      a.file.localeCompare(b.file, "en") ||
      (a.line ?? 0) - (b.line ?? 0) ||
      a.code.localeCompare(b.code, "en") ||
      a.message.localeCompare(b.message, "en"),
  );
}

/** 1-based line of an offset, by binary search over line starts (one pass over the text, then O(log n)). */
export class LineIndex {
  readonly #starts: number[] = [0];
  constructor(text: string) {
    for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) this.#starts.push(i + 1);
  }
  lineOf(offset: number): number {
    let lo = 0;
    let hi = this.#starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }
}

// ---------------------------------------------------------------------------------------------
// Manifest, as far as check needs it: package names, archs and source roots, with their lines.

export interface ManifestPackageView {
  readonly name: string;
  /** The spec as written (`pkg`, `pkg (>= 1.2)`, `pkg=1.2-3`) */
  readonly spec: string;
  readonly line: number;
  /** Archs the manifest declares the package absent on: a trailing `# deb-lock: no-arch=arm64,armhf <reason>` */
  readonly noArchs: readonly string[];
  /**
   * Dependencies of the package the workspace leaves out on purpose (e.g. debconf, awk: only maintainer
   * scripts need them, and images never run those): `# deb-lock: without=debconf,awk <reason>`.
   */
  readonly without: readonly string[];
  readonly constraint?: PackageConstraint;
}

export interface ManifestView {
  readonly file: string;
  readonly archs: readonly string[];
  /** Source roots without trailing slashes, per source, in order */
  readonly sources: readonly { readonly channel: string; readonly urls: readonly string[]; readonly line: number }[];
  readonly packages: readonly ManifestPackageView[];
}

/** Values of `key=a,b` in a `deb-lock:` directive of a package comment. */
function directive(comment: string | undefined, key: string): string[] {
  const at = comment?.indexOf("deb-lock:") ?? -1;
  if (at < 0) return [];
  const m = new RegExp(`(?:^|\\s)${key}=([a-z0-9+.,:-]+)`).exec(comment!.slice(at + "deb-lock:".length));
  return m?.[1]?.split(",").filter(Boolean) ?? [];
}

/** The manifest as check needs it (parseManifest plus declared arch gaps). Throws ParseError (BAD_MANIFEST). */
export function readManifestView(text: string, file: string): ManifestView {
  const manifest = parseManifest(text, file);
  return {
    file,
    archs: manifest.archs,
    sources: manifest.sources.map((s) => ({ channel: s.channel, urls: s.urls.map((u) => u.replace(/\/+$/, "")), line: s.line })),
    packages: manifest.packages.map((p) => ({
      name: p.name,
      spec: p.spec,
      line: p.line,
      noArchs: directive(p.comment, "no-arch"),
      without: directive(p.comment, "without"),
      ...(p.constraint === undefined ? {} : { constraint: p.constraint }),
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// One repo: manifest against lock.

export interface RepoCheckInput {
  readonly name: string;
  readonly manifestPath: string;
  readonly manifestText: string;
  readonly lockPath: string;
  /** undefined when the lock file does not exist */
  readonly lockText: string | undefined;
  /** false for repos declared with resolve_transitive = False (the manifest lists the whole closure) */
  readonly resolveTransitive: boolean;
}

export interface CheckedRepo {
  readonly name: string;
  readonly manifest: ManifestView | undefined;
  readonly lock: ParsedLock | undefined;
  /** Lock entries by `${name}:${arch}`, with their line in the lock file */
  readonly entries: ReadonlyMap<string, { readonly pkg: LockPackage; readonly line: number }>;
  readonly findings: readonly CheckFinding[];
}

const RELOCK = (manifest: string) => `run \`deb-lock lock ${manifest}\` to regenerate the lock`;

function lockErrorCode(error: ParseError): string {
  if (/does not match its name, version and arch/.test(error.message)) return "LOCK_KEY_MISMATCH";
  if (/duplicate entry/.test(error.message)) return "DUPLICATE_LOCK_ENTRY";
  return "LOCK_INVALID";
}

/** The offline checks of one repo. Pure: file contents in, findings out. */
export function checkRepo(input: RepoCheckInput): CheckedRepo {
  const findings: CheckFinding[] = [];
  const add = (code: string, file: string, line: number | undefined, message: string, hint: string) =>
    findings.push({ code, file, ...(line === undefined ? {} : { line }), message, hint });
  const entries = new Map<string, { pkg: LockPackage; line: number }>();

  let manifest: ManifestView | undefined;
  try {
    manifest = readManifestView(input.manifestText, input.manifestPath);
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    add("MANIFEST_INVALID", input.manifestPath, error.line, error.message.replace(/^[^:]+:\d+(:\d+)?: /, ""), error.hint ?? "fix the manifest");
  }
  if (input.lockText === undefined) {
    add("LOCK_MISSING", input.manifestPath, 1, `repo ${input.name} has no lock file ${input.lockPath}`, RELOCK(input.manifestPath));
    return { name: input.name, manifest, lock: undefined, entries, findings };
  }
  let lock: ParsedLock;
  try {
    lock = parseLock(input.lockText, input.lockPath);
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    add(lockErrorCode(error), input.lockPath, error.line, error.message.replace(/^[^:]+:\d+(:\d+)?: /, ""), RELOCK(input.manifestPath));
    return { name: input.name, manifest, lock: undefined, entries, findings };
  }

  // Lines of the entries, for findings only: positions are parsed on first use (a clean lock never needs them).
  let lineOfItem: ((i: number) => number) | undefined;
  const entryLine = (i: number): number => {
    if (lineOfItem === undefined) {
      const tree = parseJsonTree(input.lockText!, input.lockPath, "LOCK_INVALID");
      const lines = new LineIndex(input.lockText!);
      const items = tree.kind === "object" ? tree.members.find((m) => m.key === "packages")?.value : undefined;
      lineOfItem = (k) => (items?.kind === "array" && items.items[k] !== undefined ? lines.lineOf(items.items[k]!.start) : 1);
    }
    return lineOfItem(i);
  };
  lock.lock.packages.forEach((pkg, i) => {
    const id = `${pkg.name}:${pkg.arch}`;
    const prior = entries.get(id);
    if (prior !== undefined) {
      add("DUPLICATE_LOCK_ENTRY", input.lockPath, entryLine(i), `${pkg.name} is locked twice for ${pkg.arch}: ${prior.pkg.version} (line ${prior.line}) and ${pkg.version}`, RELOCK(input.manifestPath));
      return;
    }
    entries.set(id, {
      pkg,
      get line() {
        return entryLine(i);
      },
    });
  });
  if (manifest === undefined) return { name: input.name, manifest, lock, entries, findings };

  // Every manifest package is locked for every arch (unless the manifest declares it absent there).
  const manifestNames = new Set(manifest.packages.map((p) => p.name));
  for (const p of manifest.packages) {
    const missing: string[] = [];
    for (const arch of manifest.archs) {
      if (p.noArchs.includes(arch)) continue;
      const entry = entries.get(`${p.name}:${arch}`);
      if (entry === undefined) missing.push(arch);
      else if (p.constraint !== undefined && !safeSatisfies(entry.pkg.version, p.constraint)) {
        add("LOCK_VERSION_MISMATCH", input.lockPath, entry.line, `${p.name} ${entry.pkg.version} (${arch}) does not satisfy the manifest's ${p.spec} (${manifest.file}:${p.line})`, RELOCK(manifest.file));
      }
    }
    if (missing.length > 0) add("PACKAGE_NOT_LOCKED", manifest.file, p.line, `package ${p.name} has no entry for ${missing.join(", ")} in ${input.lockPath}`, RELOCK(manifest.file));
  }

  // Nothing locked that the manifest does not ask for.
  const archs = new Set(manifest.archs);
  const reachable = new Set<string>();
  for (const { pkg } of entries.values()) {
    if (!manifestNames.has(pkg.name)) continue;
    reachable.add(`${pkg.name}:${pkg.arch}`);
    for (const d of pkg.dependencies) reachable.add(`${d.name}:${pkg.arch}`);
  }
  const keys = new Set([...entries.values()].map((e) => e.pkg.key));
  const roots = manifest.sources.flatMap((s) => s.urls);
  const foreign = new Map<string, { line: number; keys: string[] }>();
  for (const entry of entries.values()) {
    // `entry.line` is read only for a finding: computing lines parses the lock a second time.
    const pkg = entry.pkg;
    if (!archs.has(pkg.arch)) {
      add("STALE_LOCK_ENTRY", input.lockPath, entry.line, `${pkg.key} is for ${pkg.arch}, which ${manifest.file} does not build (archs: ${manifest.archs.join(", ")})`, RELOCK(manifest.file));
    } else if (!reachable.has(`${pkg.name}:${pkg.arch}`)) {
      add(
        "STALE_LOCK_ENTRY",
        input.lockPath,
        entry.line,
        `${pkg.key} is locked but ${manifest.file} does not list ${pkg.name}${input.resolveTransitive ? " and no listed package depends on it" : ""}`,
        `add ${pkg.name} to ${manifest.file} or ${RELOCK(manifest.file)}`,
      );
    }
    if (!input.resolveTransitive && pkg.dependencies.length > 0) {
      add("LOCK_DEPENDENCIES_UNEXPECTED", input.lockPath, entry.line, `${pkg.key} records dependencies, but repo ${input.name} is declared with resolve_transitive = False`, RELOCK(manifest.file));
    }
    for (const d of pkg.dependencies) {
      if (!keys.has(d.key)) add("LOCK_DANGLING_DEPENDENCY", input.lockPath, entry.line, `${pkg.key} depends on ${d.key}, which has no entry of its own`, RELOCK(manifest.file));
    }
    const urls = lockPackageUrls(pkg);
    const outside = urls.filter((u) => !roots.some((r) => u.startsWith(`${r}/`)));
    if (outside.length > 0) {
      // One finding per foreign root (a bumped snapshot moves every entry at once), at its first entry.
      const root = /^(.*?)\/pool\//.exec(outside[0]!)?.[1] ?? outside[0]!;
      const group = foreign.get(root);
      if (group === undefined) foreign.set(root, { line: entry.line, keys: [pkg.key] });
      else group.keys.push(pkg.key);
    } else if (lock.dialect === "urls") {
      const source = manifest.sources.find((s) => s.urls.some((r) => urls[0]!.startsWith(`${r}/`)));
      if (source !== undefined && source.urls.length !== urls.length) {
        add("LOCK_URLS_MISMATCH", input.lockPath, entry.line, `${pkg.key} lists ${urls.length} URL(s) but its source (${manifest.file}:${source.line}) has ${source.urls.length}`, RELOCK(manifest.file));
      }
    }
  }
  for (const [root, g] of foreign) {
    const what = g.keys.length === 1 ? g.keys[0] : `${g.keys[0]} and ${g.keys.length - 1} more entr${g.keys.length === 2 ? "y" : "ies"}`;
    add("LOCK_URL_NOT_IN_SOURCES", input.lockPath, g.line, `${what} download from ${root}, which is none of the manifest's sources (${[...new Set(roots)].join(", ")})`, `the manifest's sources changed since the lock was made: ${RELOCK(manifest.file)}`);
  }
  return { name: input.name, manifest, lock, entries, findings };
}

function safeSatisfies(version: string, constraint: PackageConstraint): boolean {
  try {
    return versionSatisfies(parseVersion(version), constraint.op, parseVersion(constraint.version));
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Image package lists against locks.

export interface ImagePackageRef {
  readonly name: string;
  readonly file: string;
  readonly line: number;
}

export interface ImageCheckInput {
  /** The image's Bazel package directory, e.g. python3 */
  readonly image: string;
  /** e.g. debian12 */
  readonly distro: string;
  /** Debian archs the image is built for */
  readonly archs: readonly string[];
  /** Repo whose lock serves the image's packages */
  readonly repo: string;
  /** Per Debian arch, when an arch takes its packages from another repo (e.g. bookworm_s390x) */
  readonly repoByArch?: Readonly<Record<string, string>>;
  readonly packages: readonly ImagePackageRef[];
  /** Per Debian arch, the packages of the images it is built on (they satisfy dependencies too) */
  readonly ancestors?: Readonly<Record<string, readonly { readonly repo: string; readonly names: readonly string[] }[]>>;
}

/** Every package an image list references exists in its repo's lock for every arch the image builds. */
export function checkImagePackages(image: ImageCheckInput, repos: ReadonlyMap<string, CheckedRepo>): CheckFinding[] {
  const findings: CheckFinding[] = [];
  for (const ref of image.packages) {
    const missing = new Map<string, string[]>(); // repo → archs
    for (const arch of image.archs) {
      const repoName = image.repoByArch?.[arch] ?? image.repo;
      const repo = repos.get(repoName);
      if (repo === undefined) {
        if (!findings.some((f) => f.code === "IMAGE_REPO_UNKNOWN" && f.message.includes(` repo ${repoName},`))) {
          findings.push({ code: "IMAGE_REPO_UNKNOWN", file: ref.file, line: ref.line, message: `image ${image.image} (${image.distro}) takes its packages from repo ${repoName}, which is not among the checked repos`, hint: "declare the repo (apt.install in MODULE.bazel), or check it too" });
        }
        continue;
      }
      if (repo.lock === undefined) continue; // already reported against the repo
      if (!repo.entries.has(`${ref.name}:${arch}`)) missing.set(repoName, [...(missing.get(repoName) ?? []), arch]);
    }
    for (const [repoName, archs] of missing) {
      const repo = repos.get(repoName)!;
      const inManifest = repo.manifest?.packages.some((p) => p.name === ref.name) ?? false;
      findings.push({
        code: "IMAGE_PACKAGE_NOT_LOCKED",
        file: ref.file,
        line: ref.line,
        message: `image ${image.image} (${image.distro}) uses ${ref.name}, which the ${repoName} lock has no entry for on ${archs.join(", ")}`,
        hint: inManifest ? RELOCK(repo.manifest!.file) : `run \`deb-lock add ${ref.name} --image ${image.image}\``,
      });
    }
  }
  return findings;
}

/** The image lists of a discovered image, one input per distro, in Debian arch names. */
export function imageCheckInputs(info: ImageInfo): ImageCheckInput[] {
  return info.distros.map((d) => {
    const deb = (arch: string) => d.debianArch[arch] ?? arch;
    return {
      image: info.image,
      distro: d.distro,
      archs: d.archs.map(deb),
      repo: d.repo.name,
      repoByArch: Object.fromEntries(d.archs.map((a) => [deb(a), (d.repoByArch[a] ?? d.repo).name])),
      packages: d.packages,
      ancestors: Object.fromEntries(d.archs.map((a) => [deb(a), (d.ancestors[a] ?? []).map((anc) => ({ repo: anc.repo, names: anc.packages.map((p) => p.name) }))])),
    };
  });
}

/** Codes of discoverImage for directories that are simply not images deb-lock can read. */
const NOT_AN_IMAGE = new Set(["IMAGE_NOT_FOUND", "IMAGE_LAYOUT_UNKNOWN", "IMAGE_PACKAGES_NOT_FOUND"]);

/**
 * Every image of the workspace: each top-level directory with a BUILD file that discovery reads as a
 * distroless image. Directories that are not images are skipped; images discovery cannot fully read
 * (unknown repo, list not found) become findings.
 */
export async function discoverWorkspaceImages(root: string, files: WorkspaceFiles, repos: readonly RepoDecl[]): Promise<{ images: ImageInfo[]; findings: CheckFinding[] }> {
  const images: ImageInfo[] = [];
  const findings: CheckFinding[] = [];
  for (const dir of await files.listDir(root)) {
    // Hidden directories, Bazel's output symlinks (bazel-bin, bazel-out, bazel-<workspace>) and private/
    // (rules and repo declarations, not images) hold no images.
    if (dir.startsWith(".") || dir.startsWith("bazel-") || dir === "private" || dir === "node_modules") continue;
    const hasBuild = (await files.exists(resolvePath(root, dir, "BUILD"))) || (await files.exists(resolvePath(root, dir, "BUILD.bazel")));
    if (!hasBuild) continue;
    try {
      images.push(await discoverImage(root, dir, files, repos));
    } catch (error) {
      if (!(error instanceof DebLockError)) throw error;
      if (NOT_AN_IMAGE.has(error.code)) continue;
      findings.push({ code: error.code, file: `${dir}/BUILD`, message: error.message, hint: error.hint ?? "see deb-lock's documentation of the distroless layouts" });
    }
  }
  return { images, findings };
}

// ---------------------------------------------------------------------------------------------
// Deep: the locked set against the archive's records.

/** A locked package with the index record of its exact version (undefined when the index has no such version). */
export interface LockedRecord {
  readonly pkg: LockPackage;
  readonly record: PackageRecord | undefined;
}

export interface UnsatisfiedDependency {
  readonly name: string;
  readonly version: string;
  readonly arch: string;
  /** `Depends` or `Pre-Depends` */
  readonly field: string;
  /** The or-group as written, e.g. `libavcodec59 (>= 7:5.0)` */
  readonly relation: string;
  /** Names of the alternatives, none of which the set satisfies */
  readonly missing: readonly string[];
}

interface Provider {
  readonly version: string | undefined;
}

/**
 * Every Depends / Pre-Depends or-group of every package in `set` (one arch, the image with its
 * ancestors) that no package of the set satisfies. A real package of the name with a matching
 * version, or a Provides (versioned Provides for versioned relations), satisfies an alternative.
 * Written independently of the resolver: it decides nothing, it only verifies.
 */
export function findUnsatisfiedDependencies(set: readonly PackageRecord[], arch: string): UnsatisfiedDependency[] {
  const real = new Map<string, string[]>();
  const provided = new Map<string, Provider[]>();
  for (const r of set) {
    let versions = real.get(r.name);
    if (versions === undefined) real.set(r.name, (versions = []));
    versions.push(r.version);
    for (const group of parseRelations(r.provides ?? "")) {
      for (const p of group) {
        let list = provided.get(p.name);
        if (list === undefined) provided.set(p.name, (list = []));
        list.push({ version: p.op === "=" ? p.version : undefined });
      }
    }
  }
  const satisfied = (rel: Relation): boolean => {
    if (rel.archRestrictions !== undefined && !archMatches(rel.archRestrictions, arch)) return true;
    if (rel.op === undefined) return real.has(rel.name) || provided.has(rel.name);
    const want = parseVersion(rel.version!);
    if ((real.get(rel.name) ?? []).some((v) => versionSatisfies(parseVersion(v), rel.op!, want))) return true;
    return (provided.get(rel.name) ?? []).some((p) => p.version !== undefined && versionSatisfies(parseVersion(p.version), rel.op!, want));
  };
  const out: UnsatisfiedDependency[] = [];
  for (const r of set) {
    for (const [field, text] of [["Pre-Depends", r.preDepends], ["Depends", r.depends]] as const) {
      if (text === undefined) continue;
      for (const group of parseRelations(text)) {
        if (group.some(satisfied)) continue;
        out.push({
          name: r.name,
          version: r.version,
          arch,
          field,
          relation: group.map((a) => `${a.name}${a.archQualifier === undefined ? "" : `:${a.archQualifier}`}${a.op === undefined ? "" : ` (${a.op} ${a.version})`}`).join(" | "),
          missing: group.map((a) => a.name),
        });
      }
    }
  }
  return out;
}

function archMatches(restrictions: readonly string[], arch: string): boolean {
  const negated = restrictions.every((r) => r.startsWith("!"));
  return negated ? !restrictions.includes(`!${arch}`) : restrictions.includes(arch);
}

// ---------------------------------------------------------------------------------------------
// The use case: read the workspace, run the checks.

export interface CheckRequest {
  /** Absolute workspace root */
  readonly root: string;
  /** Repos in scope (all of the workspace, or those named on the command line) */
  readonly repos: readonly RepoDecl[];
  /** Image package lists to check against the locks (from image discovery) */
  readonly images?: readonly ImageCheckInput[];
  /** Discover every image of the workspace (when `images` is not given) */
  readonly discoverImages?: boolean;
  /** Also verify sha256s against the verified indexes and the dependency closure of every set */
  readonly deep?: boolean;
}

export interface CheckDeps {
  readonly files: WorkspaceFiles;
  /** Needed for deep checks only */
  readonly loader?: IndexLoader;
}

export interface CheckResult {
  readonly findings: readonly CheckFinding[];
  readonly stats: { readonly repos: number; readonly entries: number; readonly images: number; readonly deep: boolean };
}

const rel = (root: string, path: string) => relative(root, resolvePath(root, path)).split(sep).join("/");

async function readOptional(files: WorkspaceFiles, path: string): Promise<string | undefined> {
  return (await files.exists(path)) ? files.readText(path) : undefined;
}

/** MODULE.bazel.lock: every recorded hash of a file of the checked repos matches the file. */
async function checkModuleLock(root: string, repos: readonly RepoDecl[], files: WorkspaceFiles): Promise<CheckFinding[]> {
  const path = resolvePath(root, "MODULE.bazel.lock");
  const text = await readOptional(files, path);
  if (text === undefined) return [];
  const ours = new Set(repos.flatMap((r) => [rel(root, r.lockPath), rel(root, r.manifestPath)]));
  let inputs: RecordedFileInput[];
  try {
    inputs = listRecordedFileInputs(text, "MODULE.bazel.lock");
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    return [{ code: "MODULE_LOCK_INVALID", file: "MODULE.bazel.lock", ...(error.line === undefined ? {} : { line: error.line }), message: error.message, hint: "restore MODULE.bazel.lock from version control or let Bazel rewrite it" }];
  }
  const lines = new LineIndex(text);
  const current = new Map<string, string | undefined>();
  const findings: CheckFinding[] = [];
  for (const input of inputs) {
    if (input.path === undefined || !ours.has(input.path)) continue;
    if (!current.has(input.path)) current.set(input.path, await readOptional(files, resolvePath(root, input.path)));
    const content = current.get(input.path);
    const actual = content === undefined ? undefined : fileHash(content);
    if (actual === input.hash) continue;
    findings.push({
      code: "MODULE_LOCK_HASH_MISMATCH",
      file: "MODULE.bazel.lock",
      line: lines.lineOf(input.span.start),
      message:
        actual === undefined
          ? `records a hash of ${input.path} for ${input.extension}, but the file does not exist`
          : `records sha256 ${input.hash.slice(0, 12)}… of ${input.path} for ${input.extension}, but the file's sha256 is ${actual.slice(0, 12)}…`,
      hint: "run `deb-lock lock` (it updates MODULE.bazel.lock with the locks) or `bazel mod deps --lockfile_mode=update`",
    });
  }
  return findings;
}

function recordsByVersion(indexes: readonly ArchIndexes[]): Map<string, PackageRecord> {
  const map = new Map<string, PackageRecord>();
  for (const arch of indexes) {
    for (const entry of arch.indexes) {
      for (const r of entry.index.records) {
        if (r.architecture !== arch.arch && r.architecture !== "all") continue;
        const key = `${arch.arch}\u0000${r.name}\u0000${r.version}`;
        if (!map.has(key)) map.set(key, r);
      }
    }
  }
  return map;
}

/** Deep checks: sha256 of every entry against the verified index, and the closure of every package set. */
async function checkDeep(
  root: string,
  checked: readonly { decl: RepoDecl; repo: CheckedRepo; manifestText: string }[],
  images: readonly ImageCheckInput[],
  loader: IndexLoader,
): Promise<CheckFinding[]> {
  const findings: CheckFinding[] = [];
  const usable = checked.filter((c) => c.repo.lock !== undefined && c.repo.manifest !== undefined);
  const records = new Map<string, Map<string, PackageRecord>>();
  await Promise.all(
    usable.map(async (c) => {
      const manifest = parseManifest(c.manifestText, c.repo.manifest!.file);
      records.set(c.decl.name, recordsByVersion(await loadManifestIndexes(manifest, loader)));
    }),
  );
  const recordOf = new Map<string, PackageRecord>(); // `${repo}\0${name}:${arch}`
  for (const c of usable) {
    const byVersion = records.get(c.decl.name)!;
    const lockFile = rel(root, c.decl.lockPath);
    for (const entry of c.repo.entries.values()) {
      const pkg = entry.pkg;
      const record = byVersion.get(`${pkg.arch}\u0000${pkg.name}\u0000${pkg.version}`);
      if (record === undefined) {
        findings.push({ code: "LOCKED_VERSION_NOT_IN_INDEX", file: lockFile, line: entry.line, message: `${pkg.name} ${pkg.version} (${pkg.arch}) is not in the indexes of ${c.repo.manifest!.file}'s sources`, hint: RELOCK(c.repo.manifest!.file) });
        continue;
      }
      if (record.sha256 !== pkg.sha256) {
        findings.push({ code: "SHA256_MISMATCH", file: lockFile, line: entry.line, message: `${pkg.key} has sha256 ${pkg.sha256.slice(0, 12)}…, but the verified index says ${record.sha256.slice(0, 12)}…`, hint: RELOCK(c.repo.manifest!.file) });
      }
      recordOf.set(`${c.decl.name}\u0000${pkg.name}:${pkg.arch}`, record);
    }
  }

  // The sets that must be closed: each image (with its ancestors' packages), or, without image
  // information, the locks of each group of repos that share a distro (explicit-closure repos are
  // combined by images; a transitive repo's lock is its own closure).
  interface PackageSet {
    readonly label: string;
    readonly arch: string;
    readonly members: { repo: string; name: string }[];
  }
  const sets: PackageSet[] = [];
  if (images.length > 0) {
    for (const image of images) {
      for (const arch of image.archs) {
        const own = image.packages.map((p) => ({ repo: image.repoByArch?.[arch] ?? image.repo, name: p.name }));
        const inherited = (image.ancestors?.[arch] ?? []).flatMap((a) => a.names.map((name) => ({ repo: a.repo, name })));
        sets.push({ label: `image ${image.image} (${image.distro})`, arch, members: [...own, ...inherited] });
      }
    }
  } else {
    const groups = new Map<string, typeof usable>();
    for (const c of usable) {
      const key = c.decl.resolveTransitive ? `t\u0000${c.decl.name}` : `e\u0000${c.repo.manifest!.sources[0]?.channel.split(/\s+/)[0] ?? ""}`;
      groups.set(key, [...(groups.get(key) ?? []), c]);
    }
    for (const group of groups.values()) {
      const archs = [...new Set(group.flatMap((c) => c.repo.manifest!.archs))];
      for (const arch of archs) {
        sets.push({
          label: group.length === 1 ? `the ${group[0]!.decl.name} lock` : `the ${group.map((c) => c.decl.name).join(" + ")} locks`,
          arch,
          members: group.flatMap((c) => [...c.repo.entries.values()].filter((e) => e.pkg.arch === arch).map((e) => ({ repo: c.decl.name, name: e.pkg.name }))),
        });
      }
    }
  }
  // One finding per (package, unmet relations), naming every arch and set it is unmet in.
  const reported = new Map<string, { c: (typeof usable)[number]; name: string; version: string; relations: UnsatisfiedDependency[]; archs: Set<string>; labels: Set<string>; line?: number }>();
  for (const set of sets) {
    const present = set.members.map((m) => ({ m, record: recordOf.get(`${m.repo}\u0000${m.name}:${set.arch}`) })).filter((x) => x.record !== undefined);
    for (const miss of groupUnsatisfied(findUnsatisfiedDependencies(present.map((x) => x.record!), set.arch))) {
      const member = present.find((x) => x.record!.name === miss.name)!.m;
      const c = usable.find((u) => u.decl.name === member.repo)!;
      const without = new Set(c.repo.manifest!.packages.find((p) => p.name === miss.name)?.without ?? []);
      const relations = miss.relations.filter((r) => !r.missing.some((name) => without.has(name)));
      if (relations.length === 0) continue;
      const key = `${member.repo}\u0000${miss.name}\u0000${relations.map((r) => r.relation).join()}`;
      const entry = c.repo.entries.get(`${miss.name}:${set.arch}`);
      const g = reported.get(key) ?? { c, name: miss.name, version: miss.version, relations, archs: new Set<string>(), labels: new Set<string>(), ...(entry === undefined ? {} : { line: entry.line }) };
      g.archs.add(set.arch);
      g.labels.add(set.label);
      reported.set(key, g);
    }
  }
  for (const g of reported.values()) {
    const manifest = g.c.repo.manifest!.file;
    const names = [...new Set(g.relations.flatMap((r) => r.missing))];
    findings.push({
      code: "UNSATISFIED_DEPENDENCY",
      file: rel(root, g.c.decl.lockPath),
      ...(g.line === undefined ? {} : { line: g.line }),
      message: `${g.name} ${g.version} (${[...g.archs].join(", ")}) needs ${g.relations.map((r) => `${r.relation} [${r.field}]`).join(", ")}, which ${[...g.labels].join(", ")} ${g.labels.size === 1 ? "does" : "do"} not contain`,
      hint: g.c.decl.resolveTransitive
        ? RELOCK(manifest)
        : `add ${names.join(", ")} to ${manifest} and relock (\`deb-lock add ${g.name}\` does both), or, if the image does without on purpose, mark ${g.name}'s line in ${manifest} with \`# deb-lock: without=${names.join(",")}\``,
    });
  }
  return findings;
}

function groupUnsatisfied(list: readonly UnsatisfiedDependency[]): { name: string; version: string; relations: UnsatisfiedDependency[] }[] {
  const out = new Map<string, { name: string; version: string; relations: UnsatisfiedDependency[] }>();
  for (const u of list) {
    const g = out.get(u.name) ?? { name: u.name, version: u.version, relations: [] };
    g.relations.push(u);
    out.set(u.name, g);
  }
  return [...out.values()];
}

/** Runs every check on the repos in scope. Findings are data; only I/O and verification failures throw. */
export async function runCheck(request: CheckRequest, deps: CheckDeps): Promise<CheckResult> {
  const { root, repos } = request;
  // One repo at a time: a lock is parsed and checked before the next is read, which keeps memory (and
  // garbage collection) small on workspaces with many large locks.
  const checked: { decl: RepoDecl; manifestText: string; repo: CheckedRepo }[] = [];
  for (const decl of repos) {
    const manifestFile = rel(root, decl.manifestPath);
    const manifestText = await readOptional(deps.files, resolvePath(root, decl.manifestPath));
    if (manifestText === undefined) {
      const f: CheckFinding = { code: "MANIFEST_MISSING", file: decl.declaredIn.file, line: decl.declaredIn.line, message: `repo ${decl.name} names manifest ${manifestFile}, which does not exist`, hint: "fix the manifest label or restore the file" };
      checked.push({ decl, manifestText: "", repo: { name: decl.name, manifest: undefined, lock: undefined, entries: new Map(), findings: [f] } });
      continue;
    }
    const repo = checkRepo({
      name: decl.name,
      manifestPath: manifestFile,
      manifestText,
      lockPath: rel(root, decl.lockPath),
      lockText: await readOptional(deps.files, resolvePath(root, decl.lockPath)),
      resolveTransitive: decl.resolveTransitive,
    });
    checked.push({ decl, manifestText, repo });
  }
  const findings: CheckFinding[] = checked.flatMap((c) => c.repo.findings);
  const byName = new Map(checked.map((c) => [c.decl.name, c.repo]));
  let images = request.images ?? [];
  if (request.images === undefined && request.discoverImages) {
    const found = await discoverWorkspaceImages(root, deps.files, repos);
    findings.push(...found.findings);
    images = found.images.flatMap(imageCheckInputs);
  }
  for (const image of images) findings.push(...checkImagePackages(image, byName));
  findings.push(...(await checkModuleLock(root, repos, deps.files)));
  if (request.deep) {
    if (deps.loader === undefined) throw new DebLockError("NO_INDEX_LOADER", "deep check needs archive access", { hint: "this is a bug in deb-lock; please report it" });
    findings.push(...(await checkDeep(root, checked, images, deps.loader)));
  }
  return {
    findings: sortFindings(findings),
    stats: { repos: repos.length, entries: checked.reduce((n, c) => n + c.repo.entries.size, 0), images: images.length, deep: request.deep ?? false },
  };
}
