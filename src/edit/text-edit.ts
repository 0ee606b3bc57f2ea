import { InternalError } from "../core/errors.js";

/** Replace `text.slice(start, end)` by `text`. `start === end` inserts. Offsets are UTF-16 indexes. */
export interface TextEdit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/**
 * Applies span edits to a text in one pass. Edits may come in any order; overlapping edits are a bug of the
 * caller and throw (EDIT_OVERLAP). Several insertions at the same offset apply in the order given. Bytes
 * outside the edits are kept as they are, and a set of edits that changes nothing returns the input itself.
 */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  for (const e of edits) {
    if (!(Number.isInteger(e.start) && Number.isInteger(e.end) && 0 <= e.start && e.start <= e.end && e.end <= text.length)) {
      throw new InternalError("EDIT_OUT_OF_RANGE", `edit [${e.start}, ${e.end}) lies outside a text of length ${text.length}`, {
        report: "the file being edited",
      });
    }
  }
  const sorted = edits
    .map((edit, index) => ({ edit, index }))
    .sort((a, b) => a.edit.start - b.edit.start || a.edit.end - b.edit.end || a.index - b.index)
    .map((x) => x.edit);
  const parts: string[] = [];
  let cursor = 0;
  let changed = false;
  for (let i = 0; i < sorted.length; i++) {
    const edit = sorted[i]!;
    const previous = sorted[i - 1];
    // Touching spans are fine; a span starting inside the previous one is not.
    if (previous !== undefined && edit.start < previous.end) {
      throw new InternalError("EDIT_OVERLAP", `edits [${previous.start}, ${previous.end}) and [${edit.start}, ${edit.end}) overlap`, {
        report: "the file being edited",
      });
    }
    parts.push(text.slice(cursor, edit.start), edit.text);
    if (edit.text !== text.slice(edit.start, edit.end)) changed = true;
    cursor = edit.end;
  }
  if (!changed) return text;
  parts.push(text.slice(cursor));
  return parts.join("");
}
