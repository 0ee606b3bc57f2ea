import { InternalError } from "../../core/errors.js";
import { dottedName, type Expr, type ListExpr, walkExpressions } from "../../edit/starlark/ast.js";
import { type ElementKey, insertListElements, removeListElementsByKey } from "../../edit/starlark/list-editor.js";
import { parseRepoLabel } from "../../edit/starlark/macro.js";
import { parseStarlark } from "../../edit/starlark/parser.js";
import type { ImageListLocation } from "../workspace/images.js";

/**
 * Edits of an image's package list (a BUILD or .bzl list of `"pkg"` strings or `deb.package(..., "pkg")`
 * calls), written in the list's own element form. `start` is the list's `[` offset in `text`, which may
 * differ from `loc.listStart` when earlier edits moved it.
 */

/** `names` inserted into the list in sorted position; in a deb.package list, after its last package (other tars may follow). */
export function insertImageListPackages(text: string, loc: ImageListLocation, start: number, names: readonly string[]): string {
  const list = listAtOffset(text, loc.file, start);
  const keyOf = imageElementKey(loc);
  const at = loc.element.kind === "deb.package" ? list.elements.findLastIndex((e) => keyOf(e) !== undefined) + 1 : undefined;
  const items = names.map((n) => ({ code: imageElementCode(loc, n), key: n }));
  return insertListElements(text, list, items, { keyOf, format: loc.format, file: loc.file, ...(at === undefined ? {} : { at }) });
}

/** The elements of `names` taken out of the list. */
export function removeImageListPackages(text: string, loc: ImageListLocation, start: number, names: ReadonlySet<string>): string {
  return removeListElementsByKey(text, listAtOffset(text, loc.file, start), names, imageElementKey(loc), loc.file);
}

function listAtOffset(text: string, file: string, start: number): ListExpr {
  let found: ListExpr | undefined;
  walkExpressions(parseStarlark(text, file), (e) => {
    if (e.kind === "list" && e.start === start) found = e;
  });
  if (found === undefined) throw new InternalError("IMAGE_LIST_MOVED", `${file}: the package list at offset ${start} is gone`);
  return found;
}

/** Sort key of an image list element: the package name of `deb.package(..., "pkg")` or of `"pkg"`. */
function imageElementKey(loc: ImageListLocation): ElementKey {
  const element = loc.element;
  return (e: Expr) => {
    if (element.kind === "string") return e.kind === "string" ? e.value : undefined;
    if (element.kind === "label") return e.kind === "string" ? parseRepoLabel(e.value)?.name : undefined;
    if (e.kind !== "call" || dottedName(e.callee) !== element.callee) return undefined;
    const pkg = e.args[2]?.value;
    return pkg?.kind === "string" ? pkg.value : undefined;
  };
}

function imageElementCode(loc: ImageListLocation, name: string): string {
  if (loc.element.kind === "string") return JSON.stringify(name);
  if (loc.element.kind === "label") return JSON.stringify(companionLabel(loc.element.repo, name, loc.element.arch));
  const suffix = loc.element.suffix === undefined ? "" : `, ${loc.element.suffix}`;
  return `${loc.element.callee}(${loc.element.args}, ${JSON.stringify(name)}${suffix})`;
}

/** The label of a package of an arch-specific companion repo, as rules_distroless names it. */
export function companionLabel(repo: string, name: string, debArch: string): string {
  return `@${repo}//${name}/${debArch}`;
}

/**
 * Appends an arch-conditional companion addition after `after` (the end offset of the image's list or
 * comprehension, or of the last addition already there): ` + ([\n    "@repo//pkg/arch",\n] if <condition> else [])`
 * with a condition such as `arch == "amd64"` or `arch == "amd64" and distro == "debian12"`, indented
 * like the line that ends at `after`. Buildifier keeps this form as written.
 */
export function insertCompanionBlock(
  text: string,
  after: number,
  condition: string,
  repo: string,
  debArch: string,
  names: readonly string[],
): string {
  const lineStart = text.lastIndexOf("\n", after - 1) + 1;
  const indent = /^[ \t]*/.exec(text.slice(lineStart))![0];
  const nl = text.includes("\r\n") ? "\r\n" : "\n";
  const items = [...names]
    .sort()
    .map((n) => `${indent}    ${JSON.stringify(companionLabel(repo, n, debArch))},${nl}`)
    .join("");
  const block = ` + ([${nl}${items}${indent}] if ${condition} else [])`;
  return text.slice(0, after) + block + text.slice(after);
}

/** Takes a companion addition (as found by image discovery) out of the text. */
export function removeCompanionBlock(text: string, start: number, end: number): string {
  return text.slice(0, start) + text.slice(end);
}

/** The end offset (after `]`) of an image list whose `[` is at `start` in `text`. */
export function imageListEnd(text: string, loc: ImageListLocation, start: number): number {
  return listAtOffset(text, loc.file, start).end;
}
