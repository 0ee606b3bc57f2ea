import { createHash } from "node:crypto";
import { DebLockError } from "../core/errors.js";
import { type JsonObject, type JsonSpan, memberOf, parseJsonTree } from "../core/lock/json-tree.js";
import { applyEdits, type TextEdit } from "../edit/text-edit.js";

/**
 * MODULE.bazel.lock records, per module extension, the SHA-256 of every workspace file the extension read
 * (for rules_distroless: the lock files). When deb-lock rewrites such a file, the recorded hash goes stale
 * and Bazel re-runs the extension — or, under `--lockfile_mode=error` (common in CI), fails.
 *
 * Bazel writes the file as 2-space-indented JSON with a final newline. Three shapes of the record exist:
 * - `"recordedFileInputs": {"@@//private/repos/deb/bookworm.lock.json": "<sha256 hex>"}` (Bazel 7.1–8);
 * - `"recordedInputs": ["FILE:@@//private/repos/deb/bookworm.lock.json <sha256 hex>", ...]` (newer Bazel);
 * - `"accumulatedFileDigests": {"@@//private/repos/deb:bookworm.lock.json": "<sha256 hex>"}` (Bazel 7.0, label keys).
 */
export interface RecordedFileInput {
  /** The extension's id, e.g. `//private/extensions:version.bzl%version`. */
  readonly extension: string;
  /** The extension entry's section, usually `general` (or an os/arch key). */
  readonly section: string;
  readonly field: "recordedFileInputs" | "recordedInputs" | "accumulatedFileDigests";
  /** The file as Bazel names it, e.g. `@@//private/repos/deb/bookworm.lock.json`. */
  readonly key: string;
  /** Workspace-relative path, when the file is in the main repository. */
  readonly path: string | undefined;
  /** The recorded hash. */
  readonly hash: string;
  /** Span of the JSON string literal holding the hash (the whole array element for `recordedInputs`). */
  readonly span: JsonSpan;
}

export interface StaleRecordedInput extends RecordedFileInput {
  readonly path: string;
  /** SHA-256 (hex) of the file's new content. */
  readonly newHash: string;
}

export interface UpdateRecordedInputsOptions {
  /**
   * `drop-extension` (default) removes the whole entry of each extension that read a changed file, so Bazel
   * evaluates it again and records fresh results on the next build (`--lockfile_mode=update`, Bazel's
   * default). `rehash` only replaces the stale hashes: right only when the extension's generated repositories
   * do not depend on the file's content — rarely true of lock files (distroless's `version` extension embeds
   * every lock's versions), so Bazel would keep using outdated repositories.
   */
  readonly strategy?: "drop-extension" | "rehash";
}

/** Every recorded file input of a MODULE.bazel.lock, in file order. */
export function listRecordedFileInputs(moduleLockText: string, file = "MODULE.bazel.lock"): RecordedFileInput[] {
  const root = parseJsonTree(moduleLockText, file, "BAD_MODULE_LOCK");
  const out: RecordedFileInput[] = [];
  const extensions = root.kind === "object" ? memberOf(root, "moduleExtensions")?.value : undefined;
  if (extensions?.kind !== "object") return out;
  for (const ext of extensions.members) {
    if (ext.value.kind !== "object") continue;
    for (const section of ext.value.members) {
      if (section.value.kind !== "object") continue;
      for (const field of section.value.members) {
        const base = { extension: ext.key, section: section.key };
        if ((field.key === "recordedFileInputs" || field.key === "accumulatedFileDigests") && field.value.kind === "object") {
          for (const m of field.value.members) {
            if (m.value.kind !== "string") continue;
            out.push({ ...base, field: field.key, key: m.key, path: recordedInputPath(m.key), hash: m.value.value as string, span: { start: m.value.start, end: m.value.end } });
          }
        } else if (field.key === "recordedInputs" && field.value.kind === "array") {
          for (const item of field.value.items) {
            const m = item.kind === "string" ? /^FILE:(\S+) (\S*)$/.exec(item.value as string) : null;
            if (m === null) continue;
            out.push({ ...base, field: "recordedInputs", key: m[1]!, path: recordedInputPath(m[1]!), hash: m[2]!, span: { start: item.start, end: item.end } });
          }
        }
      }
    }
  }
  return out;
}

/**
 * The workspace-relative path of a recorded file key of the main repository: `@@//a/b/c.json` (path form)
 * and `@@//a/b:c.json` (label form) both give `a/b/c.json`. Files of other repositories give undefined.
 */
export function recordedInputPath(key: string): string | undefined {
  const m = /^@@\/\/(.*)$/.exec(key);
  if (m === null) return undefined;
  const rest = m[1]!;
  const colon = rest.indexOf(":");
  if (colon < 0) return rest;
  const pkg = rest.slice(0, colon);
  const name = rest.slice(colon + 1);
  return pkg === "" ? name : `${pkg}/${name}`;
}

/** SHA-256 (hex) of content, as Bazel records it for a regular file. */
export function fileHash(content: string | Uint8Array): string {
  return createHash("sha256").update(content).digest("hex");
}

/**
 * The recorded inputs that no longer match the given new contents (keyed by workspace-relative path).
 * Files not in `changedFiles` are not checked.
 */
export function staleRecordedInputs(moduleLockText: string, changedFiles: ReadonlyMap<string, string | Uint8Array>, file = "MODULE.bazel.lock"): StaleRecordedInput[] {
  const hashes = new Map<string, string>();
  for (const [path, content] of changedFiles) hashes.set(path, fileHash(content));
  const stale: StaleRecordedInput[] = [];
  for (const input of listRecordedFileInputs(moduleLockText, file)) {
    if (input.path === undefined) continue;
    const newHash = hashes.get(input.path);
    if (newHash !== undefined && newHash !== input.hash) stale.push({ ...input, path: input.path, newHash });
  }
  return stale;
}

/**
 * Brings MODULE.bazel.lock in line with new file contents, editing only what must change (Bazel's own
 * formatting, key order and final newline are kept). See UpdateRecordedInputsOptions for the strategies.
 * Returns the input itself when nothing is stale.
 *
 * @deprecated Neither strategy is right in general: use `syncModuleLock` / `planModuleLockSync`
 * (module-lock-sync.ts), which recomputes what it can, rehashes only where nothing is generated, and leaves
 * the rest with a notice.
 */
export function updateRecordedInputs(
  moduleLockText: string,
  changedFiles: ReadonlyMap<string, string | Uint8Array>,
  options: UpdateRecordedInputsOptions = {},
  file = "MODULE.bazel.lock",
): string {
  const stale = staleRecordedInputs(moduleLockText, changedFiles, file);
  if (stale.length === 0) return moduleLockText;
  const edits: TextEdit[] = [];
  if ((options.strategy ?? "drop-extension") === "rehash") {
    for (const input of stale) {
      const value = input.field === "recordedInputs" ? `FILE:${input.key} ${input.newHash}` : input.newHash;
      edits.push({ ...input.span, text: JSON.stringify(value) });
    }
  } else {
    const root = parseJsonTree(moduleLockText, file, "BAD_MODULE_LOCK") as JsonObject;
    const extensions = memberOf(root, "moduleExtensions")!.value as JsonObject;
    const doomed = new Set(stale.map((s) => s.extension));
    edits.push(...removeMembers(extensions, doomed));
  }
  const out = applyEdits(moduleLockText, edits);
  const left = staleRecordedInputs(out, changedFiles, file);
  if (left.length > 0) {
    throw new DebLockError("EDIT_NOT_APPLIED", `${file}: ${left.length} recorded file hashes are still stale after the update`, { hint: "this is a bug in deb-lock; please report it with the MODULE.bazel.lock" });
  }
  return out;
}

/** Edits removing the named members of an object, keeping the surrounding layout (commas, indentation). */
function removeMembers(object: JsonObject, names: ReadonlySet<string>): TextEdit[] {
  const members = object.members;
  const firstKept = members.findIndex((m) => !names.has(m.key));
  if (firstKept < 0) return [{ start: object.start, end: object.end, text: "{}" }];
  const edits: TextEdit[] = [];
  // A leading run of removed members goes up to the first kept one, with its comma and line break.
  if (firstKept > 0) edits.push({ start: members[0]!.start, end: members[firstKept]!.start, text: "" });
  // Any later one goes from the end of the member before it (taking that comma) to its own end.
  for (let i = firstKept + 1; i < members.length; i++) {
    if (names.has(members[i]!.key)) edits.push({ start: members[i - 1]!.end, end: members[i]!.end, text: "" });
  }
  return edits;
}
