import { relative } from "node:path";
import type { FileChange } from "../../io/files.js";
import type { Paint } from "./color.js";

/**
 * A unified diff (`diff -u` style, 3 lines of context) of one file's change, with `a/` and `b/` paths.
 * Empty when nothing changed. Lines are compared whole; a missing final newline is marked like diff does.
 */
export function formatUnifiedDiff(path: string, before: string | null, after: string | null, context = 3): string {
  if (before === after) return "";
  const split = (t: string | null): string[] => {
    if (t === null || t === "") return [];
    const lines = t.split("\n");
    if (lines[lines.length - 1] === "") lines.pop();
    else lines[lines.length - 1] += "\n\\ No newline at end of file";
    return lines;
  };
  const a = split(before);
  const b = split(after);
  // Trim the common head and tail, then an LCS over the (small) middle.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const am = a.slice(head, a.length - tail);
  const bm = b.slice(head, b.length - tail);
  type Op = { kind: " " | "-" | "+"; line: string };
  const ops: Op[] = a.slice(0, head).map((line) => ({ kind: " ", line }));
  if (am.length * bm.length <= 4_000_000) {
    const n = am.length;
    const m = bm.length;
    const lcs = new Array<Uint32Array>(n + 1);
    for (let i = 0; i <= n; i++) lcs[i] = new Uint32Array(m + 1);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) lcs[i]![j] = am[i] === bm[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && am[i] === bm[j]) {
        ops.push({ kind: " ", line: am[i]! });
        i++;
        j++;
      } else if (i < n && (j === m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) ops.push({ kind: "-", line: am[i++]! });
      else ops.push({ kind: "+", line: bm[j++]! });
    }
  } else {
    for (const line of am) ops.push({ kind: "-", line });
    for (const line of bm) ops.push({ kind: "+", line });
  }
  for (const line of a.slice(a.length - tail)) ops.push({ kind: " ", line });

  const out = [`--- ${before === null ? "/dev/null" : `a/${path}`}`, `+++ ${after === null ? "/dev/null" : `b/${path}`}`];
  let k = 0;
  while (k < ops.length) {
    if (ops[k]!.kind === " ") {
      k++;
      continue;
    }
    // A hunk: from `context` lines before the change to `context` lines after the last change within reach.
    const start = Math.max(0, k - context);
    let end = k;
    let lastChange = k;
    while (end < ops.length && end - lastChange <= 2 * context) {
      if (ops[end]!.kind !== " ") lastChange = end;
      end++;
    }
    end = Math.min(ops.length, lastChange + context + 1);
    const slice = ops.slice(start, end);
    const aStart = ops.slice(0, start).filter((o) => o.kind !== "+").length;
    const bStart = ops.slice(0, start).filter((o) => o.kind !== "-").length;
    const aLen = slice.filter((o) => o.kind !== "+").length;
    const bLen = slice.filter((o) => o.kind !== "-").length;
    out.push(`@@ -${aLen === 0 ? aStart : aStart + 1},${aLen} +${bLen === 0 ? bStart : bStart + 1},${bLen} @@`);
    for (const o of slice) out.push(`${o.kind}${o.line}`);
    k = end;
  }
  return `${out.join("\n")}\n`;
}

/** Every change of a change set as one unified diff, paths relative to the workspace root. */
export function formatChangeSetDiff(root: string, changes: readonly FileChange[]): string {
  return changes.map((c) => formatUnifiedDiff(relative(root, c.path).split("\\").join("/"), c.before, c.after)).join("");
}

/** Colours a unified diff as git does on a terminal: file headers bold, hunk ranges cyan, removals red, additions green. */
export function paintDiff(diff: string, paint: Paint): string {
  return diff.replace(/^.*$/gm, (line) => {
    if (line === "") return line;
    if (line.startsWith("--- ") || line.startsWith("+++ ")) return paint("bold", line);
    if (line.startsWith("@@")) return paint("cyan", line);
    if (line.startsWith("-")) return paint("red", line);
    if (line.startsWith("+")) return paint("green", line);
    return line;
  });
}
