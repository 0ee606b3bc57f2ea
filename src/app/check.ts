import type { PackageRecord } from "../core/debian/package.js";
import { parseRelations, versionSatisfies, type Relation } from "../core/debian/relation.js";
import { parseVersion } from "../core/debian/version.js";
import { DebLockError, ParseError } from "../core/errors.js";
import { parseJsonTree } from "../core/lock/json-tree.js";
import { lockPackageUrls, type LockPackage } from "../core/lock/lock.js";
import { parseLock, type ParsedLock } from "../core/lock/parse-lock.js";
import { parseManifest, type PackageConstraint } from "../edit/manifest.js";

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
  readonly constraint?: PackageConstraint;
}

export interface ManifestView {
  readonly file: string;
  readonly archs: readonly string[];
  /** Source roots without trailing slashes, per source, in order */
  readonly sources: readonly { readonly channel: string; readonly urls: readonly string[]; readonly line: number }[];
  readonly packages: readonly ManifestPackageView[];
}

const NO_ARCH_RE = /deb-lock:\s*no-arch=([a-z0-9,-]+)/;

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
      noArchs: NO_ARCH_RE.exec(p.comment ?? "")?.[1]?.split(",").filter(Boolean) ?? [],
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

  // Lines of the entries: parse positions once (parseLock validated the shape).
  const tree = parseJsonTree(input.lockText, input.lockPath, "LOCK_INVALID");
  const lines = new LineIndex(input.lockText);
  const items = tree.kind === "object" ? tree.members.find((m) => m.key === "packages")?.value : undefined;
  const entryLine = (i: number) => (items?.kind === "array" && items.items[i] !== undefined ? lines.lineOf(items.items[i]!.start) : 1);
  lock.lock.packages.forEach((pkg, i) => {
    const id = `${pkg.name}:${pkg.arch}`;
    const line = entryLine(i);
    const prior = entries.get(id);
    if (prior !== undefined) {
      add("DUPLICATE_LOCK_ENTRY", input.lockPath, line, `${pkg.name} is locked twice for ${pkg.arch}: ${prior.pkg.version} (line ${prior.line}) and ${pkg.version}`, RELOCK(input.manifestPath));
      return;
    }
    entries.set(id, { pkg, line });
  });
  if (manifest === undefined) return { name: input.name, manifest, lock, entries, findings };

  // Every manifest package is locked for every arch (unless the manifest declares it absent there).
  const manifestNames = new Set(manifest.packages.map((p) => p.name));
  for (const arch of manifest.archs) {
    for (const p of manifest.packages) {
      if (p.noArchs.includes(arch)) continue;
      const entry = entries.get(`${p.name}:${arch}`);
      if (entry === undefined) {
        add("PACKAGE_NOT_LOCKED", manifest.file, p.line, `package ${p.name} has no entry for ${arch} in ${input.lockPath}`, RELOCK(manifest.file));
      } else if (p.constraint !== undefined && !safeSatisfies(entry.pkg.version, p.constraint)) {
        add("LOCK_VERSION_MISMATCH", input.lockPath, entry.line, `${p.name} ${entry.pkg.version} (${arch}) does not satisfy the manifest's ${p.spec} (${manifest.file}:${p.line})`, RELOCK(manifest.file));
      }
    }
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
  for (const { pkg, line } of entries.values()) {
    if (!archs.has(pkg.arch)) {
      add("STALE_LOCK_ENTRY", input.lockPath, line, `${pkg.key} is for ${pkg.arch}, which ${manifest.file} does not build (archs: ${manifest.archs.join(", ")})`, RELOCK(manifest.file));
    } else if (!reachable.has(`${pkg.name}:${pkg.arch}`)) {
      add(
        "STALE_LOCK_ENTRY",
        input.lockPath,
        line,
        `${pkg.key} is locked but ${manifest.file} does not list ${pkg.name}${input.resolveTransitive ? " and no listed package depends on it" : ""}`,
        `add ${pkg.name} to ${manifest.file} or ${RELOCK(manifest.file)}`,
      );
    }
    if (!input.resolveTransitive && pkg.dependencies.length > 0) {
      add("LOCK_DEPENDENCIES_UNEXPECTED", input.lockPath, line, `${pkg.key} records dependencies, but repo ${input.name} is declared with resolve_transitive = False`, RELOCK(manifest.file));
    }
    for (const d of pkg.dependencies) {
      if (!keys.has(d.key)) add("LOCK_DANGLING_DEPENDENCY", input.lockPath, line, `${pkg.key} depends on ${d.key}, which has no entry of its own`, RELOCK(manifest.file));
    }
    const urls = lockPackageUrls(pkg);
    const outside = urls.filter((u) => !roots.some((r) => u.startsWith(`${r}/`)));
    if (outside.length > 0) {
      add(
        "LOCK_URL_NOT_IN_SOURCES",
        input.lockPath,
        line,
        `${pkg.key} downloads from ${outside[0]}, which is under none of the manifest's sources (${roots.join(", ")})`,
        `the manifest's sources changed since the lock was made: ${RELOCK(manifest.file)}`,
      );
    } else if (lock.dialect === "urls") {
      const source = manifest.sources.find((s) => s.urls.some((r) => urls[0]!.startsWith(`${r}/`)));
      if (source !== undefined && source.urls.length !== urls.length) {
        add("LOCK_URLS_MISMATCH", input.lockPath, line, `${pkg.key} lists ${urls.length} URL(s) but its source (${manifest.file}:${source.line}) has ${source.urls.length}`, RELOCK(manifest.file));
      }
    }
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
  readonly archs: readonly string[];
  /** Repo whose lock serves the image's packages */
  readonly repo: string;
  readonly packages: readonly ImagePackageRef[];
}

/** Every package an image list references exists in its repo's lock for every arch the image builds. */
export function checkImagePackages(image: ImageCheckInput, repos: ReadonlyMap<string, CheckedRepo>): CheckFinding[] {
  const repo = repos.get(image.repo);
  const findings: CheckFinding[] = [];
  for (const ref of image.packages) {
    if (repo === undefined) {
      findings.push({ code: "IMAGE_REPO_UNKNOWN", file: ref.file, line: ref.line, message: `image ${image.image} (${image.distro}) takes ${ref.name} from repo ${image.repo}, which the workspace does not declare`, hint: "declare the repo (apt.install in MODULE.bazel) or fix the image's distro" });
      continue;
    }
    if (repo.lock === undefined) continue; // already reported against the repo
    const missing = image.archs.filter((arch) => !repo.entries.has(`${ref.name}:${arch}`));
    if (missing.length > 0) {
      const inManifest = repo.manifest?.packages.some((p) => p.name === ref.name) ?? false;
      findings.push({
        code: "IMAGE_PACKAGE_NOT_LOCKED",
        file: ref.file,
        line: ref.line,
        message: `image ${image.image} (${image.distro}) uses ${ref.name}, which the ${image.repo} lock has no entry for on ${missing.join(", ")}`,
        hint: inManifest ? RELOCK(repo.manifest!.file) : `run \`deb-lock add ${ref.name} --image ${image.image}\``,
      });
    }
  }
  return findings;
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

/** Thrown by runCheck when the workspace has findings; the CLI prints them and exits 1. */
export class CheckFailedError extends DebLockError {
  readonly findings: readonly CheckFinding[];
  constructor(findings: readonly CheckFinding[]) {
    super("CHECK_FAILED", `check found ${findings.length} problem${findings.length === 1 ? "" : "s"}`, { hint: "fix each problem listed above" });
    this.findings = findings;
  }
}
