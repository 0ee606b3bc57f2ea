import { versionSatisfies } from "../../core/debian/relation.js";
import { parseVersion } from "../../core/debian/version.js";
import { ParseError } from "../../core/errors.js";
import { parseJsonTree } from "../../core/lock/json-tree.js";
import { type LockPackage, lockPackageUrls } from "../../core/lock/lock.js";
import { type ParsedLock, parseLock } from "../../core/lock/parse-lock.js";
import type { PackageConstraint } from "../../edit/package-spec.js";
import { type CheckFinding, type FindingCode, relockHint } from "./check-finding.js";
import { LineIndex } from "./line-index.js";
import { type ManifestView, readManifestView } from "./manifest-view.js";

/** The offline checks of one repo: its manifest against its lock. */

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

function lockErrorCode(error: ParseError): FindingCode {
  if (/does not match its name, version and arch/.test(error.message)) return "LOCK_KEY_MISMATCH";
  if (/duplicate entry/.test(error.message)) return "DUPLICATE_LOCK_ENTRY";
  return "LOCK_INVALID";
}

/**
 * The offline checks of one repo. Pure: file contents in, findings out (asynchronous only because a manifest
 * outside the plain form loads the YAML reader on first use).
 */
export async function checkRepo(input: RepoCheckInput): Promise<CheckedRepo> {
  const findings: CheckFinding[] = [];
  const add = (code: FindingCode, file: string, line: number | undefined, message: string, hint: string) =>
    findings.push({ code, file, ...(line === undefined ? {} : { line }), message, hint });
  const entries = new Map<string, { pkg: LockPackage; line: number }>();

  let manifest: ManifestView | undefined;
  try {
    manifest = await readManifestView(input.manifestText, input.manifestPath);
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    add("MANIFEST_INVALID", input.manifestPath, error.line, error.message.replace(/^[^:]+:\d+(:\d+)?: /, ""), error.hint ?? "fix the manifest");
  }
  if (input.lockText === undefined) {
    add("LOCK_MISSING", input.manifestPath, 1, `repo ${input.name} has no lock file ${input.lockPath}`, relockHint(input.manifestPath));
    return { name: input.name, manifest, lock: undefined, entries, findings };
  }
  let lock: ParsedLock;
  try {
    lock = parseLock(input.lockText, input.lockPath);
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    add(lockErrorCode(error), input.lockPath, error.line, error.message.replace(/^[^:]+:\d+(:\d+)?: /, ""), relockHint(input.manifestPath));
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
      add(
        "DUPLICATE_LOCK_ENTRY",
        input.lockPath,
        entryLine(i),
        `${pkg.name} is locked twice for ${pkg.arch}: ${prior.pkg.version} (line ${prior.line}) and ${pkg.version}`,
        relockHint(input.manifestPath),
      );
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
        add(
          "LOCK_VERSION_MISMATCH",
          input.lockPath,
          entry.line,
          `${p.name} ${entry.pkg.version} (${arch}) does not satisfy the manifest's ${p.spec} (${manifest.file}:${p.line})`,
          relockHint(manifest.file),
        );
      }
    }
    if (missing.length > 0)
      add(
        "PACKAGE_NOT_LOCKED",
        manifest.file,
        p.line,
        `package ${p.name} has no entry for ${missing.join(", ")} in ${input.lockPath}`,
        relockHint(manifest.file),
      );
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
      add(
        "STALE_LOCK_ENTRY",
        input.lockPath,
        entry.line,
        `${pkg.key} is for ${pkg.arch}, which ${manifest.file} does not build (archs: ${manifest.archs.join(", ")})`,
        relockHint(manifest.file),
      );
    } else if (!reachable.has(`${pkg.name}:${pkg.arch}`)) {
      add(
        "STALE_LOCK_ENTRY",
        input.lockPath,
        entry.line,
        `${pkg.key} is locked but ${manifest.file} does not list ${pkg.name}${input.resolveTransitive ? " and no listed package depends on it" : ""}`,
        `add ${pkg.name} to ${manifest.file} or ${relockHint(manifest.file)}`,
      );
    }
    if (!input.resolveTransitive && pkg.dependencies.length > 0) {
      add(
        "LOCK_DEPENDENCIES_UNEXPECTED",
        input.lockPath,
        entry.line,
        `${pkg.key} records dependencies, but repo ${input.name} is declared with resolve_transitive = False`,
        relockHint(manifest.file),
      );
    }
    for (const d of pkg.dependencies) {
      if (!keys.has(d.key))
        add(
          "LOCK_DANGLING_DEPENDENCY",
          input.lockPath,
          entry.line,
          `${pkg.key} depends on ${d.key}, which has no entry of its own`,
          relockHint(manifest.file),
        );
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
        add(
          "LOCK_URLS_MISMATCH",
          input.lockPath,
          entry.line,
          `${pkg.key} lists ${urls.length} URL(s) but its source (${manifest.file}:${source.line}) has ${source.urls.length}`,
          relockHint(manifest.file),
        );
      }
    }
  }
  for (const [root, g] of foreign) {
    const what = g.keys.length === 1 ? g.keys[0] : `${g.keys[0]} and ${g.keys.length - 1} more entr${g.keys.length === 2 ? "y" : "ies"}`;
    add(
      "LOCK_URL_NOT_IN_SOURCES",
      input.lockPath,
      g.line,
      `${what} download from ${root}, which is none of the manifest's sources (${[...new Set(roots)].join(", ")})`,
      `the manifest's sources changed since the lock was made: ${relockHint(manifest.file)}`,
    );
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
