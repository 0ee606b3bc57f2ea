import { type CallExpr, dottedName, keywordArg } from "./ast.js";
import { evaluate, fileScope, isDict, loadsOf } from "./evaluate.js";
import { parseStarlark } from "./parser.js";

/**
 * A `pkg_tar(name = "...", symlinks = {...})` layer in a BUILD file: the links the packages' maintainer scripts
 * would make, which image builds (they run no scripts) must carry as a layer of their own, as distroless does
 * for its python aliases. Reading takes top-level calls whose name and symlinks are constant; editing writes or
 * replaces one such call, in buildifier's format, leaving every other byte as it was.
 */
export interface SymlinkLayer {
  readonly name: string;
  /** Link path → target, as written. */
  readonly symlinks: Readonly<Record<string, string>>;
  /** Offsets of the call (statement) in the text. */
  readonly start: number;
  readonly end: number;
}

const PKG_TAR_LOAD_LABEL = "@rules_pkg//pkg:tar.bzl";
const PKG_TAR_LOAD = `load("${PKG_TAR_LOAD_LABEL}", "pkg_tar")`;

function topLevelPkgTars(text: string, file: string): { call: CallExpr; start: number; end: number }[] {
  const parsed = parseStarlark(text, file);
  const out: { call: CallExpr; start: number; end: number }[] = [];
  for (const st of parsed.statements) {
    if (st.kind === "expr" && st.indent === 0 && st.expr.kind === "call" && dottedName(st.expr.callee) === "pkg_tar")
      out.push({ call: st.expr, start: st.start, end: st.end });
  }
  return out;
}

/** Every top-level pkg_tar of the file with a constant name and a constant `symlinks` dict of strings. */
export function readSymlinkLayers(text: string, file: string): SymlinkLayer[] {
  const parsed = parseStarlark(text, file);
  const scope = fileScope(parsed);
  const out: SymlinkLayer[] = [];
  for (const { call, start, end } of topLevelPkgTars(text, file)) {
    const nameArg = keywordArg(call, "name");
    const linksArg = keywordArg(call, "symlinks");
    if (nameArg === undefined || linksArg === undefined) continue;
    const name = evaluate(nameArg.value, text, scope);
    const links = evaluate(linksArg.value, text, scope);
    if (typeof name !== "string" || !isDict(links)) continue;
    const symlinks: Record<string, string> = {};
    let constant = true;
    for (const [k, v] of links) {
      if (typeof v === "string") symlinks[k] = v;
      else constant = false;
    }
    if (constant) out.push({ name, symlinks, start, end });
  }
  return out;
}

/** The text of a links layer, in buildifier's format (keys sorted, as buildifier leaves dict order alone). */
export function formatSymlinkLayer(name: string, symlinks: Readonly<Record<string, string>>, comment: readonly string[]): string {
  const entries = Object.keys(symlinks)
    .sort()
    .map((k) => `        ${JSON.stringify(k)}: ${JSON.stringify(symlinks[k])},\n`)
    .join("");
  const dict = entries === "" ? "{}" : `{\n${entries}    }`;
  return `${comment.map((c) => `# ${c}\n`).join("")}pkg_tar(\n    name = ${JSON.stringify(name)},\n    symlinks = ${dict},\n)\n`;
}

/**
 * Writes the layer `name` with these links: replaces the existing pkg_tar of that name, or appends one (with
 * the rules_pkg load when the file has none for pkg_tar). Returns the text unchanged when nothing differs.
 */
export function upsertSymlinkLayer(
  text: string,
  file: string,
  name: string,
  symlinks: Readonly<Record<string, string>>,
  comment: readonly string[],
): string {
  const existing = readSymlinkLayers(text, file).find((l) => l.name === name);
  if (existing !== undefined) {
    const same = JSON.stringify(Object.entries(existing.symlinks).sort()) === JSON.stringify(Object.entries(symlinks).sort());
    if (same) return text;
    const body = formatSymlinkLayer(name, symlinks, []);
    return `${text.slice(0, existing.start)}${body.trimEnd()}${text.slice(existing.end)}`;
  }
  let out = text;
  const hasLoad = loadsOf(parseStarlark(text, file)).some((l) => [...l.symbols.keys()].includes("pkg_tar"));
  if (!hasLoad) {
    const parsed = parseStarlark(text, file);
    const loads = parsed.statements.filter(
      (s) => s.kind === "expr" && s.indent === 0 && s.expr.kind === "call" && dottedName(s.expr.callee) === "load",
    );
    // buildifier keeps loads sorted: external repositories, then the main repository, then the package.
    const rank = (label: string): string => `${label.startsWith("@") ? 0 : label.startsWith("//") ? 1 : 2}${label}`;
    const ours = rank(PKG_TAR_LOAD_LABEL);
    const after = loads.find(
      (l) => l.kind === "expr" && l.expr.kind === "call" && l.expr.args[0]?.value.kind === "string" && rank(l.expr.args[0].value.value) > ours,
    );
    const last = loads[loads.length - 1];
    if (last === undefined) out = `${PKG_TAR_LOAD}\n\n${out}`;
    else if (after !== undefined) {
      const lineStart = out.lastIndexOf("\n", after.start - 1) + 1;
      out = `${out.slice(0, lineStart)}${PKG_TAR_LOAD}\n${out.slice(lineStart)}`;
    } else {
      const lineEnd = out.indexOf("\n", last.end);
      const at = lineEnd < 0 ? out.length : lineEnd + 1;
      out = `${out.slice(0, at)}${lineEnd < 0 ? "\n" : ""}${PKG_TAR_LOAD}\n${out.slice(at)}`;
    }
  }
  const sep = out.length === 0 ? "" : out.endsWith("\n\n") ? "" : out.endsWith("\n") ? "\n" : "\n\n";
  return `${out}${sep}${formatSymlinkLayer(name, symlinks, comment)}`;
}

/** Removes the pkg_tar `name` (with the comment lines directly above it); unchanged text when there is none. */
export function removeSymlinkLayer(text: string, file: string, name: string): string {
  const existing = readSymlinkLayers(text, file).find((l) => l.name === name);
  if (existing === undefined) return text;
  let start = existing.start;
  // take the comment block directly above, and one blank line before it
  for (;;) {
    const prevEnd = start - 1;
    if (prevEnd < 0) break;
    const lineStart = text.lastIndexOf("\n", prevEnd - 1) + 1;
    if (!text.slice(lineStart, prevEnd).startsWith("#")) break;
    start = lineStart;
  }
  let end = existing.end;
  if (text[end] === "\n") end++;
  if (start >= 2 && text.slice(start - 2, start) === "\n\n") start--;
  return `${text.slice(0, start)}${text.slice(end)}`;
}
