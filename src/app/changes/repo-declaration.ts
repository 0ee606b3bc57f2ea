import { ProblemError } from "../../core/errors.js";
import { type CallExpr, dottedName, type Expr, type ListExpr, topLevelAssignments, walkExpressions } from "../../edit/starlark/ast.js";
import { insertListElements, removeListElementsByKey } from "../../edit/starlark/list-editor.js";
import { parseStarlark } from "../../edit/starlark/parser.js";

/**
 * Declares (and undeclares) a repo beside an existing one, in the existing declaration's own form, so that a
 * companion repo is declared exactly like the workspace's other repos:
 * - an explicit call (`deb_index(name = "bookworm_python", ...)` in a WORKSPACE-era .bzl, `apt.install(...)`
 *   in MODULE.bazel): a copy of that call for the new name, right after it, with a comment line;
 * - a comprehension over a list of names (`[apt.install(name = repo, ...) for repo in REPOS]`): the name
 *   added to that list;
 * and, in either case, the name added to the `use_repo(...)` of the same file that names the existing repo.
 * Text in, text out; `undeclareRepo` takes out exactly what `declareRepo` put in.
 */

const DECL_CALLEES = /(^|\.)(install|deb_index)$/;

interface DeclSite {
  readonly call: CallExpr;
  /** The list of names the call's comprehension iterates over, when it is one. */
  readonly namesList?: ListExpr;
}

function isDeclCall(e: Expr): e is CallExpr {
  return e.kind === "call" && DECL_CALLEES.test(dottedName(e.callee) ?? "");
}

function nameArg(call: CallExpr): Expr | undefined {
  return call.args.find((a) => a.name === "name")?.value;
}

/** The declaration of `name` in the file: an explicit call naming it, or a comprehension over a list holding it. */
function findDecl(text: string, file: string, name: string): DeclSite | undefined {
  const parsed = parseStarlark(text, file);
  const globals = topLevelAssignments(parsed);
  let found: DeclSite | undefined;
  walkExpressions(parsed, (e) => {
    if (found !== undefined) return;
    if (isDeclCall(e)) {
      const n = nameArg(e);
      if (n?.kind === "string" && n.value === name) found = { call: e };
      return;
    }
    if (e.kind === "comprehension" && e.bracket === "[" && isDeclCall(e.body) && e.clauses.length === 1) {
      const loop = e.clauses[0]!;
      const n = nameArg(e.body);
      if (loop.kind !== "for" || loop.vars.kind !== "ident" || loop.iter.kind !== "ident" || n?.kind !== "ident" || n.name !== loop.vars.name) return;
      const list = globals.get(loop.iter.name)?.value;
      if (list?.kind === "list" && list.elements.some((x) => x.kind === "string" && x.value === name)) found = { call: e.body, namesList: list };
    }
  });
  return found;
}

function useRepoCall(text: string, file: string, name: string): { call: CallExpr; arg: number } | undefined {
  let found: { call: CallExpr; arg: number } | undefined;
  walkExpressions(parseStarlark(text, file), (e) => {
    if (found !== undefined || e.kind !== "call" || dottedName(e.callee) !== "use_repo") return;
    const arg = e.args.findIndex((a) => a.name === undefined && a.value.kind === "string" && a.value.value === name);
    if (arg > 0) found = { call: e, arg };
  });
  return found;
}

function lineStart(text: string, pos: number): number {
  return text.lastIndexOf("\n", pos - 1) + 1;
}

/** Whether `file` declares `name` in a form declareRepo can copy. */
export function canDeclareBeside(text: string, file: string, existing: string): boolean {
  return findDecl(text, file, existing) !== undefined;
}

/**
 * `text` with `name` declared beside `existing`, its manifest and lock named like the existing repo's with the new
 * name (`//private/repos/deb:<name>.yaml`, `<name>.lock.json`). Throws ProblemError when the declaration of
 * `existing` is not in a form this can follow.
 */
export function declareRepo(text: string, file: string, existing: string, name: string, comment: string): string {
  const site = findDecl(text, file, existing);
  if (site === undefined) {
    throw new ProblemError("REPO_DECLARATION_UNKNOWN", `${file}: found no declaration of repo ${existing} deb-lock can copy for ${name}`, {
      hint: `declare ${name} like ${existing} by hand (manifest and lock beside ${existing}'s), then run the command again; nothing was written`,
    });
  }
  let out: string;
  if (site.namesList !== undefined) {
    out = insertListElements(text, site.namesList, [{ code: JSON.stringify(name), key: name }], { file });
  } else {
    const call = site.call;
    const indent = /^[ \t]*/.exec(text.slice(lineStart(text, call.start)))![0];
    const nl = text.includes("\r\n") ? "\r\n" : "\n";
    const escaped = existing.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    // The name, and the file names of the manifest and lock (`:bookworm_python.yaml`, `/bookworm_python.lock.json`).
    const copy = text.slice(call.start, call.end).replace(new RegExp(`(["':/])${escaped}(?=["']|\\.yaml["']|\\.lock\\.json["'])`, "g"), `$1${name}`);
    out = `${text.slice(0, call.end)}${nl}${nl}${indent}# ${comment}${nl}${indent}${copy}${text.slice(call.end)}`;
  }
  const use = useRepoCall(out, file, existing);
  if (use !== undefined && useRepoCall(out, file, name) === undefined) {
    const arg = use.call.args[use.arg]!;
    const multiline = out.slice(use.call.open, use.call.close).includes("\n");
    const indent = /^[ \t]*/.exec(out.slice(lineStart(out, arg.start)))![0];
    const sep = multiline ? `,${out.includes("\r\n") ? "\r\n" : "\n"}${indent}` : ", ";
    out = `${out.slice(0, arg.end)}${sep}${JSON.stringify(name)}${out.slice(arg.end)}`;
  }
  return out;
}

/** `text` without the declaration (and use_repo entry) of `name`; the text unchanged when it has none. */
export function undeclareRepo(text: string, file: string, name: string): string {
  let out = text;
  const use = useRepoCall(out, file, name);
  if (use !== undefined) {
    const prev = use.call.args[use.arg - 1]!;
    out = out.slice(0, prev.end) + out.slice(use.call.args[use.arg]!.end);
  }
  const site = findDecl(out, file, name);
  if (site === undefined) return out;
  if (site.namesList !== undefined) return removeListElementsByKey(out, site.namesList, [name], undefined, file);
  // The call, the comment lines right above it, and the blank lines before those.
  let start = lineStart(out, site.call.start);
  while (start > 0) {
    const prev = lineStart(out, start - 1);
    if (!/^[ \t]*#/.test(out.slice(prev, start))) break;
    start = prev;
  }
  while (start > 0 && /\s/.test(out[start - 1]!)) start--;
  return out.slice(0, start) + out.slice(site.call.end);
}
