import { InternalError } from "../../core/errors.js";
import { applyEdits, type TextEdit } from "../text-edit.js";
import { type Expr, type ListExpr, walkExpressions } from "./ast.js";
import { parseStarlark } from "./parser.js";

/** An element to insert: its source text (e.g. `"zlib1g"`) and the key it sorts by (e.g. `zlib1g`). */
export interface NewListElement {
  readonly code: string;
  readonly key: string;
}

/** Sort key of an existing element, or undefined when it has none (then the list counts as unsorted). */
export type ElementKey = (element: Expr) => string | undefined;

/** The key of a string literal element: its value. */
export const stringElementKey: ElementKey = (e) => (e.kind === "string" ? e.value : undefined);

export interface ListStyle {
  /** Elements one per line (`[` and the first element on different lines). */
  readonly multiline: boolean;
  /** Whitespace before each element on its line (multi-line lists). */
  readonly indent: string;
  readonly trailingComma: boolean;
  /** Every element has a key and the keys are in ascending order (two elements or more). */
  readonly sorted: boolean;
}

const WS_COMMENT_EOL = /[ \t]*(?:#[^\n]*)?\n/y;

function lineStartOf(text: string, pos: number): number {
  return text.lastIndexOf("\n", pos - 1) + 1;
}

/** If only spaces and a comment follow `pos` up to the end of its line: the offset of that line break (before `\r`). */
function lineBreakAfter(text: string, pos: number): number | undefined {
  WS_COMMENT_EOL.lastIndex = pos;
  const m = WS_COMMENT_EOL.exec(text);
  if (m === null) return undefined;
  const nl = pos + m[0].length - 1;
  return text[nl - 1] === "\r" ? nl - 1 : nl;
}

function nextLineStart(text: string, pos: number): number | undefined {
  const br = lineBreakAfter(text, pos);
  return br === undefined ? undefined : text.indexOf("\n", br) + 1;
}

function newlineOf(text: string): string {
  return text.includes("\r\n") ? "\r\n" : "\n";
}

/** True when the element starts its line and nothing but its comma and a comment follow it there. */
function ownsItsLine(text: string, list: ListExpr, i: number): boolean {
  const e = list.elements[i]!;
  const before = text.slice(lineStartOf(text, e.start), e.start);
  if (!/^[ \t]*$/.test(before) || lineStartOf(text, e.start) <= list.open) return false;
  const comma = list.commas[i];
  return lineBreakAfter(text, comma === undefined ? e.end : comma + 1) !== undefined;
}

/** The layout of a list literal as written. */
export function listStyle(text: string, list: ListExpr, keyOf: ElementKey = stringElementKey): ListStyle {
  const first = list.elements[0];
  const multiline = first !== undefined && text.slice(list.open, first.start).includes("\n");
  let indent = "";
  if (first !== undefined && multiline) indent = text.slice(lineStartOf(text, first.start), first.start).replace(/[^ \t].*$/s, "");
  else {
    const closeLine = text.slice(lineStartOf(text, list.close), list.close);
    indent = `${/^[ \t]*/.exec(closeLine)![0]}    `;
  }
  const keys = list.elements.map(keyOf);
  const sorted = keys.length >= 2 && keys.every((k, i) => k !== undefined && (i === 0 || keys[i - 1]! <= k));
  return { multiline, indent, trailingComma: list.elements.length > 0 && list.commas.length === list.elements.length, sorted };
}

/**
 * Rewrites a one-line list as one element per line, indented one level (4 spaces) deeper than the line
 * the list starts on: the form buildifier gives BUILD-file lists of two or more elements.
 */
function explode(text: string, list: ListExpr): string {
  const nl = newlineOf(text);
  const base = /^[ \t]*/.exec(text.slice(lineStartOf(text, list.open)))![0];
  const body = list.elements.map((e) => `${base}    ${text.slice(e.start, e.end)},${nl}`).join("");
  return applyEdits(text, [{ start: list.open + 1, end: list.close, text: `${nl}${body}${base}` }]);
}

/**
 * One element inserted into `list` of `text`: the new text and the list in it. The list is found without parsing
 * when the insertion only adds text (the common case: see listAfterInsertion), else by parsing the list again.
 */
export function insertElement(
  text: string,
  list: ListExpr,
  item: NewListElement,
  gap: number,
  format: "build" | "bzl",
  file: string,
): { text: string; list: ListExpr } {
  if (format === "build" && list.elements.length >= 1 && !text.slice(list.open, list.close).includes("\n")) {
    const exploded = explode(text, list);
    return insertElement(exploded, listAt(exploded, list.start, file), item, gap, format, file);
  }
  const edits = insertionEdits(text, list, item, gap);
  const out = applyEdits(text, edits);
  const next = listAfterInsertion(out, list, edits, item, file);
  return { text: out, list: next ?? listAt(out, list.start, file, list.close + out.length - text.length) };
}

function insertionEdits(text: string, list: ListExpr, item: NewListElement, gap: number): TextEdit[] {
  const n = list.elements.length;
  const nl = newlineOf(text);
  if (n === 0) {
    const inside = text.slice(list.open + 1, list.close);
    if (!inside.includes("\n")) return [{ start: list.open + 1, end: list.close, text: item.code }];
    const closeLineStart = lineStartOf(text, list.close);
    const closeIndent = /^[ \t]*/.exec(text.slice(closeLineStart, list.close))![0];
    if (closeLineStart + closeIndent.length !== list.close) {
      return [{ start: list.close, end: list.close, text: `${item.code}` }];
    }
    return [{ start: closeLineStart, end: closeLineStart, text: `${closeIndent}    ${item.code},${nl}` }];
  }
  const style = listStyle(text, list);
  const inlineEdit = (): TextEdit =>
    gap < n
      ? { start: list.elements[gap]!.start, end: list.elements[gap]!.start, text: `${item.code}, ` }
      : { start: list.elements[n - 1]!.end, end: list.elements[n - 1]!.end, text: `, ${item.code}` };
  if (!style.multiline) return [inlineEdit()];
  const line = `${style.indent}${item.code},${nl}`;
  if (gap < n) {
    if (!ownsItsLine(text, list, gap)) return [inlineEdit()];
    const after = gap === 0 ? list.open + 1 : list.commas[gap - 1]! + 1;
    const at = nextLineStart(text, after);
    if (at === undefined || at > list.elements[gap]!.start) return [inlineEdit()];
    return [{ start: at, end: at, text: line }];
  }
  const last = list.elements[n - 1]!;
  if (style.trailingComma) {
    const at = nextLineStart(text, list.commas[n - 1]! + 1);
    if (at === undefined || at > list.close) {
      return [{ start: list.commas[n - 1]! + 1, end: list.commas[n - 1]! + 1, text: `${nl}${style.indent}${item.code},` }];
    }
    return [{ start: at, end: at, text: line }];
  }
  const br = lineBreakAfter(text, last.end);
  if (br === undefined || br > list.close) {
    return [{ start: last.end, end: last.end, text: `,${nl}${style.indent}${item.code}` }];
  }
  return [
    { start: last.end, end: last.end, text: "," },
    { start: br, end: br, text: `${nl}${style.indent}${item.code}` },
  ];
}

function removeOne(text: string, list: ListExpr, i: number): string {
  const n = list.elements.length;
  const e = list.elements[i]!;
  if (n === 1) {
    const inside = text.slice(list.open + 1, list.close);
    const rest = inside.slice(0, e.start - list.open - 1) + inside.slice(e.end - list.open - 1);
    if (!rest.includes("#")) return applyEdits(text, [{ start: list.open + 1, end: list.close, text: "" }]);
  }
  if (ownsItsLine(text, list, i) && text.slice(list.open, e.start).includes("\n")) {
    const comma = list.commas[i];
    if (comma !== undefined) {
      const end = nextLineStart(text, comma + 1)!;
      return applyEdits(text, [{ start: lineStartOf(text, e.start), end, text: "" }]);
    }
    if (i > 0) {
      const prevComma = list.commas[i - 1]!;
      const br = lineBreakAfter(text, prevComma + 1);
      if (br !== undefined) {
        return applyEdits(text, [
          { start: prevComma, end: prevComma + 1, text: "" },
          { start: br, end: e.end, text: "" },
        ]);
      }
    }
  }
  if (i < n - 1) return applyEdits(text, [{ start: e.start, end: list.elements[i + 1]!.start, text: "" }]);
  if (i > 0) return applyEdits(text, [{ start: list.commas[i - 1]!, end: e.end, text: "" }]);
  const comma = list.commas[0];
  return applyEdits(text, [{ start: e.start, end: comma === undefined ? e.end : comma + 1, text: "" }]);
}

/**
 * The list literal after `edits` (insertions of whole elements with their separators, into `list`) gave `text`,
 * found without parsing: the old elements move by the text inserted before them, the new element is parsed on its
 * own, and the commas are read from the gaps between elements. Undefined when an edit replaces text or the new
 * element cannot be placed; the caller then parses the list again.
 */
function listAfterInsertion(text: string, list: ListExpr, edits: readonly TextEdit[], item: NewListElement, file: string): ListExpr | undefined {
  if (edits.some((e) => e.start !== e.end)) return undefined;
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  // A character at `pos` moves by everything inserted at or before it; the end of a span (the offset after its
  // last character) by what is inserted strictly before it.
  const moved = (pos: number, isEnd: boolean): number => {
    let to = pos;
    for (const e of sorted) if (e.start < pos || (!isEnd && e.start === pos)) to += e.text.length;
    return to;
  };
  const host = sorted.findIndex((e) => e.text.includes(item.code));
  if (host === -1) return undefined;
  let at = sorted[host]!.start + sorted[host]!.text.indexOf(item.code);
  for (let k = 0; k < host; k++) at += sorted[k]!.text.length;
  const parsed = parseStarlark(item.code, file).statements;
  const only = parsed.length === 1 && parsed[0]!.kind === "expr" ? parsed[0]!.expr : undefined;
  if (only === undefined || only.start !== 0 || only.end !== item.code.length) return undefined;
  const added = { ...only, start: at, end: at + item.code.length } as Expr;
  const elements = list.elements.map((e) => ({ ...e, start: moved(e.start, false), end: moved(e.end, true) }) as Expr);
  const index = elements.findIndex((e) => e.start > at);
  elements.splice(index === -1 ? elements.length : index, 0, added);
  const close = moved(list.close, false);
  if (text[close] !== "]") return undefined;
  const commas: number[] = [];
  for (let i = 0; i < elements.length; i++) {
    const comma = commaIn(text, elements[i]!.end, i + 1 < elements.length ? elements[i + 1]!.start : close);
    if (comma === null) return undefined;
    if (comma !== undefined) commas.push(comma);
  }
  return { ...list, end: close + 1, close, elements, commas };
}

/** The offset of the comma in a gap between list elements (blanks, comments, one comma or none); null when the gap holds anything else. */
function commaIn(text: string, from: number, to: number): number | undefined | null {
  let comma: number | undefined;
  for (let i = from; i < to; i++) {
    const c = text[i]!;
    if (c === "#") {
      const nl = text.indexOf("\n", i);
      if (nl === -1 || nl >= to) return null;
      i = nl;
    } else if (c === ",") {
      if (comma !== undefined) return null;
      comma = i;
    } else if (c !== " " && c !== "\t" && c !== "\n" && c !== "\r" && c !== "\\") return null;
  }
  return comma;
}

/**
 * Finds the list literal starting at `start` in freshly parsed text (edits inside a list keep its start). With
 * `close`, where the edited list now ends, only the list is parsed: the text before it is replaced by one comment
 * line of the same length (offsets stay), so inserting many packages into a large .bzl file does not parse the
 * whole file once per package. Anything unexpected falls back to parsing the whole text.
 */
function listAt(text: string, start: number, file: string, close?: number): ListExpr {
  if (close !== undefined) {
    const found = listInRegion(text, start, close, file);
    if (found !== undefined) return found;
  }
  let found: ListExpr | undefined;
  walkExpressions(parseStarlark(text, file), (e) => {
    if (e.kind === "list" && e.start === start) found = e;
  });
  if (found === undefined)
    throw new InternalError("STARLARK_LIST_LOST", `${file}: the edited list at offset ${start} no longer parses as a list`, { report: "the file" });
  return found;
}

function listInRegion(text: string, start: number, close: number, file: string): ListExpr | undefined {
  if (text[start] !== "[" || text[close] !== "]") return undefined;
  const lineStart = text.lastIndexOf("\n", start - 1) + 1;
  const lead = start - lineStart;
  // Text before the list's line: one comment line of the same length. Before the list on its line: a statement
  // head the list completes (`_= [`, or `-[` with one column, or nothing at the start of a line).
  const before = lineStart === 0 ? "" : lineStart === 1 ? "\n" : `#${" ".repeat(lineStart - 2)}\n`;
  const head = lead === 0 ? "" : lead === 1 ? "-" : `_=${" ".repeat(lead - 2)}`;
  let found: ListExpr | undefined;
  try {
    walkExpressions(parseStarlark(before + head + text.slice(start, close + 1), file), (e) => {
      if (e.kind === "list" && e.start === start) found = e;
    });
  } catch {
    return undefined;
  }
  return found?.close === close ? found : undefined;
}

export interface InsertOptions {
  /** Sort key of existing elements; default: string literal values. */
  readonly keyOf?: ElementKey;
  /**
   * `build` (BUILD files): a one-line list that grows to two elements or more is rewritten one element
   * per line, as buildifier formats BUILD files. `bzl` (default): one-line lists stay one-line.
   */
  readonly format?: "build" | "bzl";
  /**
   * Insert before this element index (elements.length = append), overriding the choice: sorted
   * lists get sorted insertion, all others get the new elements appended.
   */
  readonly at?: number;
  readonly file?: string;
}

/**
 * Inserts elements into the list literal `list` of `text` in the list's own style (one per line with
 * its indentation and trailing comma, or inline), keeping every other byte. Text in, text out.
 * An item whose key an element already has is skipped, so inserting twice changes nothing more.
 */
export function insertListElements(text: string, list: ListExpr, items: readonly NewListElement[], options: InsertOptions = {}): string {
  const keyOf = options.keyOf ?? stringElementKey;
  const file = options.file ?? "<input>";
  let out = text;
  let current = list;
  let offset = 0;
  for (const item of items) {
    if (current.elements.some((e) => keyOf(e) === item.key)) continue;
    const style = listStyle(out, current, keyOf);
    const n = current.elements.length;
    let gap: number;
    if (options.at !== undefined) gap = Math.min(options.at + offset, n);
    else if (style.sorted) {
      const idx = current.elements.findIndex((e) => keyOf(e)! > item.key);
      gap = idx === -1 ? n : idx;
    } else gap = n;
    ({ text: out, list: current } = insertElement(out, current, item, gap, options.format ?? "bzl", file));
    offset++;
  }
  return out;
}

/**
 * Removes the elements at `indices` from the list literal `list` of `text`: a whole line for an element
 * that has its own line (its trailing comment goes with it), otherwise the element and its separator.
 * Inverse of insertListElements: inserting then removing gives back the original bytes.
 */
export function removeListElements(text: string, list: ListExpr, indices: readonly number[], file = "<input>"): string {
  let out = text;
  let current = list;
  for (const i of [...new Set(indices)].sort((a, b) => b - a)) {
    if (i < 0 || i >= current.elements.length) throw new RangeError(`no element ${i} in a list of ${current.elements.length}`);
    out = removeOne(out, current, i);
    current = listAt(out, list.start, file);
  }
  return out;
}

/** Removes every element whose key is in `keys` (see removeListElements); absent keys are ignored. */
export function removeListElementsByKey(
  text: string,
  list: ListExpr,
  keys: Iterable<string>,
  keyOf: ElementKey = stringElementKey,
  file = "<input>",
): string {
  const wanted = new Set(keys);
  const indices = list.elements.flatMap((e, i) => {
    const k = keyOf(e);
    return k !== undefined && wanted.has(k) ? [i] : [];
  });
  return indices.length === 0 ? text : removeListElements(text, list, indices, file);
}
