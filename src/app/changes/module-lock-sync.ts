import { relative, resolve as resolvePath, sep } from "node:path";
import { InternalError } from "../../core/errors.js";
import { type JsonNode, type JsonObject, memberOf, parseJsonTree } from "../../core/lock/json-tree.js";
import { applyEdits, type TextEdit } from "../../edit/text-edit.js";
import type { FileChange } from "../../io/files.js";
import type { WorkspaceFiles } from "../../io/workspace-files.js";
import { fileHash, listRecordedFileInputs, type RecordedFileInput } from "./module-lock.js";

/**
 * Keeps MODULE.bazel.lock in step with the workspace files deb-lock rewrites.
 *
 * Bazel records, per module extension (and per section, usually `general`), the SHA-256 of every workspace
 * file the extension read, next to the extension's results (`generatedRepoSpecs`). Replacing only the hash
 * of a rewritten lock file is right when the results do not depend on that file's content; when they do,
 * Bazel would go on using outdated results without a word, even under `--lockfile_mode=error`. So, for each
 * extension that recorded a file that changes:
 *
 * - its results are recomputed exactly when it is the distroless-style version hub (one `version_repo`
 *   whose `versions` attribute is the JSON of every package version of the lock files it read) and the
 *   recomputation from the files as recorded reproduces the recorded attribute byte for byte;
 * - its hashes alone are replaced when it generated no repository at all (`"generatedRepoSpecs": {}`);
 * - anything else is left exactly as it is, with a notice naming the extension, the files and the Bazel
 *   command that refreshes it.
 *
 * Edits are spans on the original text, so Bazel's formatting stays; applying new contents and then the
 * original ones gives back the original bytes.
 */

/** The command that brings an extension entry up to date when deb-lock cannot. */
export const MODULE_LOCK_REFRESH_COMMAND = "bazel mod deps --lockfile_mode=update";

export type ModuleLockNoticeCode =
  /** The extension generates repositories deb-lock cannot recompute (or its entry has a shape deb-lock does not know). */
  | "MODULE_LOCK_NOT_RECOMPUTABLE"
  /** A file the extension read no longer matches the recorded hash, or cannot be read: its recorded results cannot be checked. */
  | "MODULE_LOCK_INPUT_OUT_OF_STEP"
  /** The version hub's recorded attribute is not what the recorded lock files give. */
  | "MODULE_LOCK_NOT_REPRODUCED"
  /** A file the extension read is deleted. */
  | "MODULE_LOCK_INPUT_DELETED";

/** An extension entry left as it was, although a file it read changes. */
export interface ModuleLockNotice {
  readonly code: ModuleLockNoticeCode;
  /** The extension's id as MODULE.bazel.lock names it, e.g. `@@rules_distroless~//apt:extensions.bzl%apt`. */
  readonly extension: string;
  /** The entry's section (`general`, or an os/arch key). */
  readonly section: string;
  /** Workspace-relative paths of the changed files whose recorded hashes stay as they were. */
  readonly files: readonly string[];
  readonly reason: string;
  /** What the user runs to refresh the entry. */
  readonly command: string;
}

/** An extension entry brought in step. */
export interface ModuleLockUpdate {
  readonly extension: string;
  readonly section: string;
  /** Workspace-relative paths of the changed files whose recorded hashes were replaced. */
  readonly files: readonly string[];
  /** `recomputed`: the generated results were recomputed too; `rehashed`: only hashes (nothing generated). */
  readonly action: "recomputed" | "rehashed";
}

export interface ModuleLockSyncResult {
  /** The new MODULE.bazel.lock; the input string itself when nothing can or must change. */
  readonly text: string;
  readonly updated: readonly ModuleLockUpdate[];
  readonly notices: readonly ModuleLockNotice[];
}

/** New contents by workspace-relative POSIX path; `null` for a deleted file. */
export type ChangedFiles = ReadonlyMap<string, string | Uint8Array | null>;

/** Reads a workspace file as it is now (before the change), by workspace-relative path; undefined when absent. */
export type ReadWorkspaceFile = (path: string) => string | Uint8Array | undefined;

/**
 * Brings the entries of MODULE.bazel.lock that recorded a changed file in step with the new contents, where
 * that is safe (see the module comment), and says which entries stay behind. `readFile` gives the current
 * content of the other files the extensions read (and the changed files' old contents, to check the
 * recorded results before touching them).
 */
export function syncModuleLock(
  moduleLockText: string,
  changed: ChangedFiles,
  readFile: ReadWorkspaceFile,
  file = "MODULE.bazel.lock",
): ModuleLockSyncResult {
  const groups = staleGroups(moduleLockText, changed, file);
  if (groups.length === 0) return { text: moduleLockText, updated: [], notices: [] };
  const root = parseJsonTree(moduleLockText, file, "BAD_MODULE_LOCK") as JsonObject;
  const edits: TextEdit[] = [];
  const updated: ModuleLockUpdate[] = [];
  const notices: ModuleLockNotice[] = [];
  for (const group of groups) {
    const outcome = planGroup(root, group, changed, readFile);
    const files = unique(group.stale.map((s) => s.path!));
    if (outcome.ok) {
      edits.push(...outcome.edits);
      updated.push({ extension: group.extension, section: group.section, files, action: outcome.action });
    } else {
      notices.push({
        code: outcome.code,
        extension: group.extension,
        section: group.section,
        files,
        reason: outcome.reason,
        command: MODULE_LOCK_REFRESH_COMMAND,
      });
    }
  }
  const text = applyEdits(moduleLockText, edits);
  // Confirm the edits took: no entry reported as updated still records an old hash.
  const done = new Set(updated.map((u) => groupKey(u.extension, u.section)));
  const left = staleGroups(text, changed, file).filter((g) => done.has(groupKey(g.extension, g.section)));
  if (left.length > 0) {
    throw new InternalError(
      "EDIT_NOT_APPLIED",
      `${file}: recorded hashes of ${left.map((g) => g.extension).join(", ")} are still stale after the update`,
      {
        report: "the MODULE.bazel.lock",
      },
    );
  }
  return { text, updated, notices };
}

/** What a command adds to its change set for MODULE.bazel.lock, and what it tells the user. */
export interface ModuleLockPlan {
  /** The MODULE.bazel.lock edit, when there is one. */
  readonly change: FileChange | undefined;
  readonly updated: readonly ModuleLockUpdate[];
  readonly notices: readonly ModuleLockNotice[];
}

/**
 * Plans the MODULE.bazel.lock edit for a set of file changes of the workspace at `root` (absolute paths, as
 * every command's change set has them). Reads MODULE.bazel.lock and the other files its affected entries
 * recorded through `files` (which must still show the workspace before the changes). A change to
 * MODULE.bazel.lock itself in `changes` is ignored: the result is computed from the file as it is.
 */
export async function planModuleLockSync(root: string, files: WorkspaceFiles, changes: readonly FileChange[]): Promise<ModuleLockPlan> {
  const path = resolvePath(root, "MODULE.bazel.lock");
  const none: ModuleLockPlan = { change: undefined, updated: [], notices: [] };
  const changed = new Map<string, string | null>();
  for (const c of changes) {
    const abs = resolvePath(root, c.path);
    if (abs !== path) changed.set(relative(root, abs).split(sep).join("/"), c.after);
  }
  if (changed.size === 0 || !(await files.exists(path))) return none;
  const text = await files.readText(path);
  const groups = staleGroups(text, changed, path);
  if (groups.length === 0) return none;
  const current = new Map<string, string>();
  const wanted = unique(groups.flatMap((g) => g.inputs.map((i) => i.path).filter((p): p is string => p !== undefined)));
  await Promise.all(
    wanted.map(async (rel) => {
      const abs = resolvePath(root, rel);
      if (await files.exists(abs)) current.set(rel, await files.readText(abs));
    }),
  );
  const result = syncModuleLock(text, changed, (rel) => current.get(rel), path);
  return { change: result.text === text ? undefined : { path, before: text, after: result.text }, updated: result.updated, notices: result.notices };
}

/** One line a person reads: which entry stays behind, why, and what to run. */
export function formatModuleLockNotice(notice: ModuleLockNotice): string {
  const where = notice.section === "general" ? notice.extension : `${notice.extension} (${notice.section})`;
  return (
    `MODULE.bazel.lock records the old hash of ${notice.files.join(", ")} for ${where}, left as it is: ${notice.reason}; ` +
    `refresh it with \`${notice.command}\` before building with --lockfile_mode=error`
  );
}

// ---------------------------------------------------------------------------------------------------------
// Grouping recorded inputs by extension entry

interface Group {
  readonly extension: string;
  readonly section: string;
  /** Every recorded file input of the entry, in file order. */
  readonly inputs: readonly RecordedFileInput[];
  /** Those whose file changes to content of another hash (or is deleted). */
  readonly stale: readonly RecordedFileInput[];
}

function groupKey(extension: string, section: string): string {
  return `${extension}\u0000${section}`;
}

function staleGroups(text: string, changed: ChangedFiles, file: string): Group[] {
  const groups = new Map<string, { extension: string; section: string; inputs: RecordedFileInput[]; stale: RecordedFileInput[] }>();
  for (const input of listRecordedFileInputs(text, file)) {
    const key = groupKey(input.extension, input.section);
    let g = groups.get(key);
    if (g === undefined) {
      g = { extension: input.extension, section: input.section, inputs: [], stale: [] };
      groups.set(key, g);
    }
    g.inputs.push(input);
    if (input.path === undefined || !changed.has(input.path)) continue;
    const content = changed.get(input.path)!;
    if (content === null || fileHash(content) !== input.hash) g.stale.push(input);
  }
  return [...groups.values()].filter((g) => g.stale.length > 0);
}

// ---------------------------------------------------------------------------------------------------------
// Deciding one entry

type GroupOutcome =
  | { readonly ok: true; readonly action: "recomputed" | "rehashed"; readonly edits: readonly TextEdit[] }
  | { readonly ok: false; readonly code: ModuleLockNoticeCode; readonly reason: string };

function planGroup(root: JsonObject, group: Group, changed: ChangedFiles, readFile: ReadWorkspaceFile): GroupOutcome {
  const deleted = group.stale.filter((s) => changed.get(s.path!) === null);
  if (deleted.length > 0) return { ok: false, code: "MODULE_LOCK_INPUT_DELETED", reason: `${deleted.map((d) => d.path).join(", ")} is deleted` };
  const section = entrySection(root, group.extension, group.section);
  const facts = objectMember(root, "facts");
  const fact = facts === undefined ? undefined : memberOf(facts, group.extension)?.value;
  if (fact !== undefined && !isEmpty(fact)) {
    return { ok: false, code: "MODULE_LOCK_NOT_RECOMPUTABLE", reason: "the extension recorded facts deb-lock cannot recompute" };
  }
  const specs = section === undefined ? undefined : objectMember(section, "generatedRepoSpecs");
  if (specs === undefined)
    return {
      ok: false,
      code: "MODULE_LOCK_NOT_RECOMPUTABLE",
      reason: "its entry records no generatedRepoSpecs, so deb-lock cannot tell what depends on the file",
    };
  const rehash = group.stale.map((s) => rehashEdit(s, changed.get(s.path!)!));
  if (specs.members.length === 0) return { ok: true, action: "rehashed", edits: rehash };
  const hub = versionHubSpec(specs);
  if (hub === undefined) {
    const names = specs.members.map((m) => m.key);
    const shown = names.length > 3 ? `${names.slice(0, 3).join(", ")}, …` : names.join(", ");
    return {
      ok: false,
      code: "MODULE_LOCK_NOT_RECOMPUTABLE",
      reason: `its generated repositories (${shown}) may embed data from the file, and deb-lock cannot recompute them`,
    };
  }
  const recomputed = recomputeVersionHub(group, hub.recorded, changed, readFile);
  if (!recomputed.ok) return recomputed;
  const edits =
    recomputed.value === hub.recorded ? rehash : [...rehash, { start: hub.span.start, end: hub.span.end, text: JSON.stringify(recomputed.value) }];
  return { ok: true, action: "recomputed", edits };
}

function rehashEdit(input: RecordedFileInput, content: string | Uint8Array): TextEdit {
  const hash = fileHash(content);
  const value = input.field === "recordedInputs" ? `FILE:${input.key} ${hash}` : hash;
  return { ...input.span, text: JSON.stringify(value) };
}

function entrySection(root: JsonObject, extension: string, section: string): JsonObject | undefined {
  const extensions = objectMember(root, "moduleExtensions");
  const entry = extensions === undefined ? undefined : objectMember(extensions, extension);
  return entry === undefined ? undefined : objectMember(entry, section);
}

function objectMember(node: JsonObject, key: string): JsonObject | undefined {
  const value = memberOf(node, key)?.value;
  return value?.kind === "object" ? value : undefined;
}

function isEmpty(node: JsonNode): boolean {
  return node.kind === "null" || (node.kind === "object" && node.members.length === 0) || (node.kind === "array" && node.items.length === 0);
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

// ---------------------------------------------------------------------------------------------------------
// The version hub (GoogleContainerTools/distroless `//private/extensions:version.bzl%version`)
//
// For every `from_lock(lock, repo_name)` tag the extension reads the lock file, and for every package sets
// versions[repo_name][name][arch] = {epoch, raw, revision, upstream} (a later entry of the same name and arch
// replaces an earlier one). The one repository it generates, `versions`, gets `versions = json.encode(...)`;
// Bazel's json.encode writes objects with their keys sorted and no spaces.

/** The generated repository of a version hub: a `version_repo` from a `version.bzl` whose only attribute is `versions`. */
function versionHubSpec(specs: JsonObject): { recorded: string; span: { start: number; end: number } } | undefined {
  if (specs.members.length !== 1) return undefined;
  const spec = specs.members[0]!.value;
  if (spec.kind !== "object") return undefined;
  const str = (key: string): string | undefined => {
    const v = memberOf(spec, key)?.value;
    return v?.kind === "string" ? (v.value as string) : undefined;
  };
  const ruleId = str("repoRuleId"); // newer lock files: "@@//private/extensions:version.bzl%version_repo"
  const bzlFile = str("bzlFile");
  const isHubRule =
    ruleId !== undefined
      ? /[:/]version\.bzl%version_repo$/.test(ruleId)
      : bzlFile !== undefined && /[:/]version\.bzl$/.test(bzlFile) && str("ruleClassName") === "version_repo";
  if (!isHubRule) return undefined;
  const attributes = objectMember(spec, "attributes");
  if (attributes === undefined || attributes.members.length !== 1) return undefined;
  const versions = memberOf(attributes, "versions")?.value;
  if (versions?.kind !== "string") return undefined;
  return { recorded: versions.value as string, span: { start: versions.start, end: versions.end } };
}

type Recomputed =
  | { readonly ok: true; readonly value: string }
  | { readonly ok: false; readonly code: ModuleLockNoticeCode; readonly reason: string };

/**
 * The hub's new `versions` attribute. The lock files' repo names are not in MODULE.bazel.lock: they are taken
 * from the file names (`<repo>.lock.json`), or else matched by content, and accepted only when the files as
 * recorded give the recorded attribute byte for byte.
 */
function recomputeVersionHub(group: Group, recorded: string, changed: ChangedFiles, readFile: ReadWorkspaceFile): Recomputed {
  const notFromLock = group.inputs.filter((i) => i.path === undefined || !i.path.endsWith(".lock.json"));
  if (notFromLock.length > 0) {
    return {
      ok: false,
      code: "MODULE_LOCK_NOT_RECOMPUTABLE",
      reason: `the version hub also read ${notFromLock.map((i) => i.key).join(", ")}, which is not a lock file of the workspace`,
    };
  }
  const before: { path: string; versions: HubRepo }[] = [];
  const after: HubRepo[] = [];
  for (const input of group.inputs) {
    const path = input.path!;
    const old = readFile(path);
    if (old === undefined) return { ok: false, code: "MODULE_LOCK_INPUT_OUT_OF_STEP", reason: `${path} cannot be read` };
    if (fileHash(old) !== input.hash) {
      return {
        ok: false,
        code: "MODULE_LOCK_INPUT_OUT_OF_STEP",
        reason: `${path} no longer matches its recorded hash, so the recorded versions cannot be checked`,
      };
    }
    const oldVersions = lockVersions(old, path);
    if (!oldVersions.ok) return { ok: false, code: "MODULE_LOCK_NOT_REPRODUCED", reason: oldVersions.reason };
    before.push({ path, versions: oldVersions.value });
    const next = changed.get(path);
    if (next === undefined || next === null) {
      after.push(oldVersions.value);
    } else {
      const newVersions = lockVersions(next, path);
      if (!newVersions.ok) return { ok: false, code: "MODULE_LOCK_NOT_RECOMPUTABLE", reason: newVersions.reason };
      after.push(newVersions.value);
    }
  }
  const names = repoNames(before, recorded);
  if (names === undefined) {
    return {
      ok: false,
      code: "MODULE_LOCK_NOT_REPRODUCED",
      reason: "its recorded versions are not what the recorded lock files give (the hub may read them differently)",
    };
  }
  const value = encodeHub(new Map(after.map((versions, i) => [names[i]!, versions])));
  if (value === undefined)
    return {
      ok: false,
      code: "MODULE_LOCK_NOT_RECOMPUTABLE",
      reason: "a package name, arch or version holds characters whose encoding deb-lock does not reproduce",
    };
  return { ok: true, value };
}

/**
 * The hub's `versions` attribute for `from_lock` tags in the given order, read from the lock files' contents
 * (tags naming the same repo merge into it, a later package replacing an earlier one of the same name and
 * arch). Undefined when a lock is not one the hub reads, or holds characters whose encoding is not reproduced.
 */
export function formatVersionHubAttribute(tags: readonly { readonly repo: string; readonly content: string | Uint8Array }[]): string | undefined {
  const repos = new Map<string, Map<string, Map<string, string>>>();
  for (const tag of tags) {
    const read = lockVersions(tag.content, tag.repo);
    if (!read.ok) return undefined;
    let repo = repos.get(tag.repo);
    if (repo === undefined) {
      repo = new Map();
      repos.set(tag.repo, repo);
    }
    for (const [name, byArch] of read.value) {
      let into = repo.get(name);
      if (into === undefined) {
        into = new Map();
        repo.set(name, into);
      }
      for (const [arch, version] of byArch) into.set(arch, version);
    }
  }
  return encodeHub(repos);
}

/** Repo name of each lock file such that the files give exactly `recorded`; undefined when no such naming is found. */
function repoNames(locks: readonly { path: string; versions: HubRepo }[], recorded: string): string[] | undefined {
  const reproduces = (names: readonly string[]): boolean =>
    new Set(names).size === names.length && encodeHub(new Map(locks.map((l, i) => [names[i]!, l.versions]))) === recorded;
  const byFileName = locks.map((l) => l.path.slice(l.path.lastIndexOf("/") + 1, -".lock.json".length));
  if (reproduces(byFileName)) return byFileName;
  // Tags may name repos differently from their files: match each file to the one recorded repo with its content.
  let parsed: unknown;
  try {
    parsed = JSON.parse(recorded);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return undefined;
  const byContent: string[] = [];
  try {
    const recordedRepos = Object.entries(parsed as Record<string, unknown>).map(([name, value]) => ({ name, encoded: encodeJson(value) }));
    for (const l of locks) {
      const encoded = encodeHubRepo(l.versions);
      const matches = recordedRepos.filter((r) => r.encoded === encoded);
      if (matches.length !== 1) return undefined;
      byContent.push(matches[0]!.name);
    }
  } catch (e) {
    if (e instanceof Unencodable) return undefined;
    throw e;
  }
  return reproduces(byContent) ? byContent : undefined;
}

/** name → arch → version, in the order the lock gives them. */
type HubRepo = ReadonlyMap<string, ReadonlyMap<string, string>>;

/** The package versions of one lock file as the hub reads them (it fails on any lock version but 1). */
function lockVersions(content: string | Uint8Array, path: string): { ok: true; value: HubRepo } | { ok: false; reason: string } {
  let lock: unknown;
  try {
    lock = JSON.parse(typeof content === "string" ? content : new TextDecoder("utf-8", { fatal: true }).decode(content));
  } catch {
    return { ok: false, reason: `${path} is not JSON` };
  }
  const bad = { ok: false as const, reason: `${path} is not a version 1 lock with name, arch and version strings` };
  if (typeof lock !== "object" || lock === null) return bad;
  const { version, packages } = lock as { version?: unknown; packages?: unknown };
  if (version !== 1 || !Array.isArray(packages)) return bad;
  const repo = new Map<string, Map<string, string>>();
  for (const pkg of packages as unknown[]) {
    if (typeof pkg !== "object" || pkg === null) return bad;
    const { name, arch, version: v } = pkg as { name?: unknown; arch?: unknown; version?: unknown };
    if (typeof name !== "string" || typeof arch !== "string" || typeof v !== "string") return bad;
    let byArch = repo.get(name);
    if (byArch === undefined) {
      byArch = new Map();
      repo.set(name, byArch);
    }
    byArch.set(arch, v);
  }
  return { ok: true, value: repo };
}

/**
 * The parts of a Debian version as rules_distroless's version parser gives them: epoch before the first `:`,
 * revision after the last `-`, each null when absent, the rest upstream. Deliberately not core/debian's
 * parseVersion: the hub keeps every string verbatim (epoch "01" stays "01") and accepts what dpkg would reject.
 */
export function splitHubVersion(raw: string): { epoch: string | null; upstream: string; revision: string | null } {
  let rest = raw;
  let epoch: string | null = null;
  const colon = rest.indexOf(":");
  if (colon >= 0) {
    epoch = rest.slice(0, colon);
    rest = rest.slice(colon + 1);
  }
  let revision: string | null = null;
  const dash = rest.lastIndexOf("-");
  if (dash >= 0) {
    revision = rest.slice(dash + 1);
    rest = rest.slice(0, dash);
  }
  return { epoch, upstream: rest, revision };
}

/**
 * The `versions` attribute for the given repos (repo name → lock versions), as the hub writes it; undefined
 * when a string holds a character outside printable ASCII, `"` or `\` (their escaping is not reproduced).
 */
export function encodeHub(repos: ReadonlyMap<string, HubRepo>): string | undefined {
  try {
    return `{${sortedKeys(repos)
      .map((name) => `${quote(name)}:${encodeHubRepo(repos.get(name)!)}`)
      .join(",")}}`;
  } catch (e) {
    if (e instanceof Unencodable) return undefined;
    throw e;
  }
}

function encodeHubRepo(repo: HubRepo): string {
  return `{${sortedKeys(repo)
    .map((name) => {
      const byArch = repo.get(name)!;
      return `${quote(name)}:{${sortedKeys(byArch)
        .map((arch) => {
          const raw = byArch.get(arch)!;
          const { epoch, upstream, revision } = splitHubVersion(raw);
          // A struct's fields, sorted by name.
          return `${quote(arch)}:{"epoch":${quoteOrNull(epoch)},"raw":${quote(raw)},"revision":${quoteOrNull(revision)},"upstream":${quote(upstream)}}`;
        })
        .join(",")}}`;
    })
    .join(",")}}`;
}

/** Any parsed JSON value encoded the same way (sorted keys, no spaces), to compare a recorded repo with a lock. */
function encodeJson(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") return quote(value);
  if (typeof value === "object" && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .sort(compareCodeUnits)
      .map((k) => `${quote(k)}:${encodeJson(obj[k])}`)
      .join(",")}}`;
  }
  // Numbers, booleans and arrays never occur in a hub's attribute: make such a repo match nothing.
  return `\u0000${JSON.stringify(value)}`;
}

class Unencodable extends Error {}

function quote(s: string): string {
  if (!/^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/.test(s)) throw new Unencodable(s);
  return `"${s}"`;
}

function quoteOrNull(s: string | null): string {
  return s === null ? "null" : quote(s);
}

/** Keys in the order Bazel's json.encode writes them: Java's String.compareTo, UTF-16 code units. */
function sortedKeys(map: ReadonlyMap<string, unknown>): string[] {
  return [...map.keys()].sort(compareCodeUnits);
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
