import { createHash } from "node:crypto";
import { type JsonSpan, memberOf, parseJsonTree } from "../../core/lock/json-tree.js";

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
            out.push({
              ...base,
              field: field.key,
              key: m.key,
              path: recordedInputPath(m.key),
              hash: m.value.value as string,
              span: { start: m.value.start, end: m.value.end },
            });
          }
        } else if (field.key === "recordedInputs" && field.value.kind === "array") {
          for (const item of field.value.items) {
            const m = item.kind === "string" ? /^FILE:(\S+) (\S*)$/.exec(item.value as string) : null;
            if (m === null) continue;
            out.push({
              ...base,
              field: "recordedInputs",
              key: m[1]!,
              path: recordedInputPath(m[1]!),
              hash: m[2]!,
              span: { start: item.start, end: item.end },
            });
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
export function staleRecordedInputs(
  moduleLockText: string,
  changedFiles: ReadonlyMap<string, string | Uint8Array>,
  file = "MODULE.bazel.lock",
): StaleRecordedInput[] {
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
