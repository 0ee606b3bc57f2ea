import { posix } from "node:path";
import { type Loaded, loadedEntry } from "./loaded.js";

/**
 * The edits one command plans over workspace files, kept in memory until the caller applies them in one
 * transaction. Several targets may edit the same file: each edit starts from the text the set holds so far.
 * Pure: the texts of the files the edits may touch are loaded before planning.
 */

/** One file's change (absolute path); `null` before = create, `null` after = delete. */
export interface FileChange {
  readonly path: string;
  readonly before: string | null;
  readonly after: string | null;
}

/** A text file being edited in several places; list offsets of the original text are mapped through earlier edits. */
export class FileEdit {
  private readonly shifts: { at: number; delta: number }[] = [];
  text: string;

  constructor(
    readonly path: string,
    readonly before: string,
    /** A file the set creates: `before` is its first text, and it must not exist. */
    readonly created = false,
  ) {
    this.text = before;
  }

  /** The offset in the current text of an offset of the original text outside every edited region. */
  map(offset: number): number {
    return offset + this.shifts.filter((s) => s.at < offset).reduce((n, s) => n + s.delta, 0);
  }

  /** Like map, but past text inserted exactly at `offset` by earlier edits (to append after it). */
  mapAfter(offset: number): number {
    return offset + this.shifts.filter((s) => s.at <= offset).reduce((n, s) => n + s.delta, 0);
  }

  record(originalAt: number, newText: string): void {
    this.shifts.push({ at: originalAt, delta: newText.length - this.text.length });
    this.text = newText;
  }
}

export class ChangeSet {
  readonly edits = new Map<string, FileEdit>();

  constructor(
    private readonly root: string,
    /** The texts of the workspace files the edits may touch, by workspace-relative path. */
    private readonly texts: ReadonlyMap<string, Loaded<string>>,
  ) {}

  /** The edit of a workspace-relative file, started from its loaded text on first use. */
  file(rel: string): FileEdit {
    let e = this.edits.get(rel);
    if (e === undefined) {
      e = new FileEdit(rel, loadedEntry(this.texts, rel, "file"));
      this.edits.set(rel, e);
    }
    return e;
  }

  /** Files this set deletes, by workspace-relative path, with the text they must hold. */
  private readonly deleted = new Map<string, string>();

  /** A new file (later `set` calls edit it further). */
  create(rel: string, text: string): void {
    this.edits.set(rel, new FileEdit(rel, text, true));
  }

  /** Deletes a file that holds `before`. */
  delete(rel: string, before: string): void {
    this.edits.delete(rel);
    this.deleted.set(rel, before);
  }

  set(rel: string, before: string, after: string): void {
    const e = this.edits.get(rel) ?? new FileEdit(rel, before);
    e.text = after;
    this.edits.set(rel, e);
  }

  /**
   * File changes (absolute paths, sorted). MODULE.bazel.lock is not among them: the command brings it in step
   * afterwards (withModuleLock), as it reads files the plan does not edit.
   */
  changes(): FileChange[] {
    const changed = [...this.edits.values()].filter((e) => e.created || e.text !== e.before);
    const out: FileChange[] = changed.map((e) => ({ path: posix.join(this.root, e.path), before: e.created ? null : e.before, after: e.text }));
    for (const [rel, before] of this.deleted) out.push({ path: posix.join(this.root, rel), before, after: null });
    return sortChanges(out);
  }
}

/** Changes in path order (the order every plan reports them in). */
export function sortChanges(changes: FileChange[]): FileChange[] {
  return changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
