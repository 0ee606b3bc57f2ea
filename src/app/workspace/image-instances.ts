import { type CallExpr, childrenOf, dottedName, type Expr, keywordArg, type ListExpr, type StarlarkFile } from "../../edit/starlark/ast.js";
import { asStringList, bindScope, evaluate, fileScope, isDict, loadsOf, type Scope, type StarlarkValue } from "../../edit/starlark/evaluate.js";
import { positionOf } from "../../edit/starlark/lexer.js";
import {
  bindMacroArgs,
  type Clause,
  callsWithClauses,
  companionAddition,
  conditionHolds,
  defNamed,
  defParams,
  dirSuffixFor,
  enumerate,
  loopOver,
  ociCallsInDef,
  starlarkFileFormat,
  statementExprs,
} from "../../edit/starlark/macro.js";
import { labelToPath } from "./workspace.js";

/**
 * What a distroless-style image declares, read from BUILD and .bzl files already loaded: its oci_image instances
 * (one per distro, arch and flavour, with their Debian packages and the lists those are written in), and the
 * alias tables of the file defining `deb`. Pure and synchronous: images.ts reads the files (each file together
 * with every file it loads), then asks this module what they declare.
 */

/** A package name written in an image list, with where it is written. */
export interface ImagePackageRef {
  readonly name: string;
  /** Workspace-relative file. */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
}

/** How elements of an image list are written. */
export type ListElementForm =
  /** `deb.package(<args>, "pkg"[, "<suffix>"])`; `args` is the text before the package, e.g. `arch, distro`. */
  | { readonly kind: "deb.package"; readonly callee: string; readonly args: string; readonly suffix?: string }
  /** `"pkg"` */
  | { readonly kind: "string" }
  /** `"@<repo>//pkg/<arch>"`: a label written out, as in an arch-specific companion list. */
  | { readonly kind: "label"; readonly repo: string; readonly arch: string };

/**
 * Packages an image takes on one arch only, from an arch-specific companion repo (its manifest lists just that
 * arch), written as an arch-conditional addition to the image's list:
 * `tars = [...] + (["@bookworm_python_amd64_only//libmfx1/amd64"] if arch == "amd64" else [])`.
 */
export interface CompanionList {
  /** Bazel arch the addition is for. */
  readonly arch: string;
  /** The companion repo the labels name. */
  readonly repo: string;
  readonly packages: readonly ImagePackageRef[];
  /** The list literal of the labels. */
  readonly list: ImageListLocation;
  /** The whole addition, ` + ([...] if arch == "amd64" else [])`, from the end of the list it follows. */
  readonly block: { readonly file: string; readonly start: number; readonly end: number };
}

/** An editable list literal that holds (some of) an image's packages. */
export interface ImageListLocation {
  /** Workspace-relative path. */
  readonly file: string;
  readonly format: "build" | "bzl";
  /** Offset of the list's `[` in the file as read. */
  readonly listStart: number;
  readonly element: ListElementForm;
  readonly packages: readonly ImagePackageRef[];
  /** The name of the arch loop variable visible where the list is written (inline lists); undefined for config dicts. */
  readonly archVariable?: string;
}

export const DEFAULT_DIST_ALIAS: Readonly<Record<string, string>> = {
  debian10: "buster",
  debian11: "bullseye",
  debian12: "bookworm",
  debian13: "trixie",
  debian14: "forky",
};
export const DEFAULT_ARCH_ALIAS: Readonly<Record<string, string>> = { arm: "armhf", ppc64le: "ppc64el" };

/** A BUILD or .bzl file, parsed, with its top-level scope. */
export interface LoadedFile {
  readonly path: string;
  readonly pkg: string;
  readonly file: StarlarkFile;
  readonly scope: Scope;
  /** Local name → the file and name it was loaded from. */
  readonly imports: ReadonlyMap<string, { readonly path: string; readonly name: string }>;
}

/** The files read so far, by workspace-relative path. */
export interface LoadedFiles {
  get(path: string): LoadedFile | undefined;
}

/** The workspace-relative paths of the other files `file` (read from `path`) loads, in order. */
export function loadTargets(file: StarlarkFile, path: string): string[] {
  const targets: string[] = [];
  for (const target of loadsWithTargets(file, path).map((l) => l.target)) {
    if (target !== undefined && target !== path && !targets.includes(target)) targets.push(target);
  }
  return targets;
}

/** `file`, read from `path`, with its scope: what it loads is looked up in `files` (where its load targets are). */
export function loadedFile(path: string, file: StarlarkFile, files: LoadedFiles): LoadedFile {
  const imports = new Map<string, { path: string; name: string }>();
  for (const { target, symbols } of loadsWithTargets(file, path)) {
    if (target === undefined) continue;
    for (const [local, exported] of symbols) imports.set(local, { path: target, name: exported });
  }
  const imported: Scope = {
    get: (name) => {
      const from = imports.get(name);
      return from === undefined || from.path === path ? undefined : files.get(from.path)?.scope.get(from.name);
    },
  };
  return { path, pkg: packageOf(path), file, scope: fileScope(file, imported, { nested: true }), imports };
}

/** The load() statements of `file`, each with the workspace-relative path it names (undefined: not in this workspace). */
function loadsWithTargets(file: StarlarkFile, path: string): { target: string | undefined; symbols: ReadonlyMap<string, string> }[] {
  const pkg = packageOf(path);
  return loadsOf(file).map((load) => ({ target: labelToPath(load.label, pkg), symbols: load.symbols }));
}

/** The Bazel package of a workspace-relative file path (`python3` for `python3/BUILD`, `` at the top). */
function packageOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "" : path.slice(0, slash);
}

function lineOf(f: LoadedFile, offset: number): number {
  return positionOf(f.file.text, offset).line;
}

/** One evaluated `oci_image(...)` of a package: one (distro, arch, flavour) image. */
export interface Instance {
  readonly pkg: string;
  readonly name: string | undefined;
  readonly base: string | undefined;
  readonly distro: string | undefined;
  readonly arch: string | undefined;
  readonly packages: readonly PackageEntry[];
  readonly lists: readonly ImageListLocation[];
  readonly suffix: string | undefined;
  /** The file whose deb.package calls name the packages. */
  readonly debFile: LoadedFile | undefined;
  /** Where the arch loop takes its list from, e.g. `PYTHON_ARCHITECTURES[distro] (python3/BUILD)`. */
  archSource?: string;
  /** Arch-conditional companion additions whose condition holds for this instance. */
  readonly companions: readonly Omit<CompanionList, "arch">[];
  readonly additionsAt: AdditionSite | undefined;
  readonly blocks: readonly { readonly file: string; readonly start: number; readonly end: number }[];
}

export interface PackageEntry {
  readonly name: string;
  readonly ref: ImagePackageRef;
}

export interface Context {
  /** The files read so far: a file with every file it loads, transitively. */
  readonly files: LoadedFiles;
  /** BUILD package of the image (deb.bzl's `native.package_name()`). */
  readonly pkg: string;
}

/** Where a list-valued expression is written as a list literal of strings, if it is. */
function listOrigin(
  expr: Expr,
  f: LoadedFile,
  scope: Scope,
  params: ReadonlyMap<string, { expr: Expr; file: LoadedFile; scope: Scope }>,
  ctx: Context,
  depth = 0,
): { list: ListExpr; file: LoadedFile } | undefined {
  if (depth > 8) return undefined;
  if (expr.kind === "list") return { list: expr, file: f };
  if (expr.kind === "ident") {
    const param = params.get(expr.name);
    if (param !== undefined) return listOrigin(param.expr, param.file, param.scope, new Map(), ctx, depth + 1);
    const found = assignmentOf(expr.name, f, ctx);
    return found === undefined ? undefined : listOrigin(found.value, found.file, found.file.scope, new Map(), ctx, depth + 1);
  }
  if (expr.kind === "index" && expr.object.kind === "ident" && expr.children.length === 1) {
    const key = evaluate(expr.children[0]!, f.file.text, scope);
    if (typeof key !== "string") return undefined;
    const param = params.get(expr.object.name);
    let dict: { value: Expr; file: LoadedFile } | undefined;
    if (param !== undefined) dict = param.expr.kind === "dict" ? { value: param.expr, file: param.file } : undefined;
    else dict = assignmentOf(expr.object.name, f, ctx);
    if (dict === undefined || dict.value.kind !== "dict") return undefined;
    const entry = dict.value.entries.find((e) => evaluate(e.key, dict!.file.file.text, dict!.file.scope) === key);
    return entry === undefined ? undefined : listOrigin(entry.value, dict.file, dict.file.scope, new Map(), ctx, depth + 1);
  }
  return undefined;
}

/** The (last top-level, else first nested) assignment of a name in a file, following load() into other files. */
function assignmentOf(name: string, f: LoadedFile, ctx: Context): { value: Expr; file: LoadedFile } | undefined {
  let found: Expr | undefined;
  for (const st of f.file.statements) {
    if (st.kind !== "assign" || st.op !== "=" || st.target.kind !== "ident" || st.target.name !== name) continue;
    if (st.indent === 0) found = st.value;
    else found ??= st.value;
  }
  if (found !== undefined) return { value: found, file: f };
  const from = f.imports.get(name);
  if (from === undefined) return undefined;
  const other = ctx.files.get(from.path);
  return other === undefined ? undefined : assignmentOf(from.name, other, ctx);
}

function str(v: StarlarkValue | undefined): string | undefined {
  return typeof v === "string" ? v : undefined;
}

/** Packages of a `tars = ...` expression, and the editable lists they are written in. */
function tarsPackages(
  expr: Expr,
  f: LoadedFile,
  scope: Scope,
  params: ReadonlyMap<string, { expr: Expr; file: LoadedFile; scope: Scope }>,
  archVariable: string | undefined,
  ctx: Context,
  out: TarsOut,
): void {
  const text = f.file.text;
  const noteCall = (call: CallExpr): void => {
    const [a, d, , s] = call.args.map((x) => x.value);
    out.arch ??= a === undefined ? undefined : str(evaluate(a, text, scope));
    out.distro ??= d === undefined ? undefined : str(evaluate(d, text, scope));
    if (out.suffix === undefined) out.suffix = s === undefined ? null : (str(evaluate(s, text, scope)) ?? null);
  };
  const isDeb = (e: Expr): e is CallExpr => e.kind === "call" && (dottedName(e.callee) ?? "").endsWith(".package") && e.args.length >= 3;
  if (expr.kind === "list") {
    const debs = expr.elements.filter(isDeb);
    if (debs.length === 0) return;
    const refs: ImagePackageRef[] = [];
    for (const call of debs) {
      noteCall(call);
      const pkgArg = call.args[2]!.value;
      const name = str(evaluate(pkgArg, text, scope));
      if (name === undefined) continue;
      const ref = { name, file: f.path, line: lineOf(f, pkgArg.start) };
      out.packages.push({ name, ref });
      if (pkgArg.kind === "string") refs.push(ref);
    }
    const first = debs[0]!;
    out.additionsAt ??= additionSite(f, expr.end, first);
    const argText = text.slice(first.args[0]!.start, first.args[1]!.end);
    const suffixArg = first.args[3]?.value;
    out.lists.push({
      file: f.path,
      format: starlarkFileFormat(f.path),
      listStart: expr.start,
      element: {
        kind: "deb.package",
        callee: dottedName(first.callee)!,
        args: argText,
        ...(suffixArg === undefined ? {} : { suffix: text.slice(suffixArg.start, suffixArg.end) }),
      },
      packages: refs,
      ...(archVariable === undefined ? {} : { archVariable }),
    });
    return;
  }
  if (expr.kind === "comprehension" && expr.bracket === "[" && isDeb(expr.body)) {
    const loop = expr.clauses[0];
    const pkgArg = expr.body.args[2]!.value;
    if (expr.clauses.length !== 1 || loop?.kind !== "for" || loop.vars.kind !== "ident" || pkgArg.kind !== "ident" || pkgArg.name !== loop.vars.name)
      return;
    const names = asStringList(evaluate(loop.iter, text, scope)) ?? [];
    noteCall(expr.body);
    out.additionsAt ??= additionSite(f, expr.end, expr.body);
    const origin = listOrigin(loop.iter, f, scope, params, ctx);
    const refs: ImagePackageRef[] = [];
    if (origin !== undefined) {
      for (const e of origin.list.elements) {
        if (e.kind === "string") refs.push({ name: e.value, file: origin.file.path, line: lineOf(origin.file, e.start) });
      }
      out.lists.push({
        file: origin.file.path,
        format: starlarkFileFormat(origin.file.path),
        listStart: origin.list.start,
        element: { kind: "string" },
        packages: refs,
      });
    }
    for (const name of names) {
      out.packages.push({
        name,
        ref: refs.find((r) => r.name === name) ?? { name, file: origin?.file.path ?? f.path, line: lineOf(f, loop.iter.start) },
      });
    }
    return;
  }
  if (expr.kind === "other" || (expr.kind === "tuple" && expr.parenthesized)) {
    const children = childrenOf(expr);
    for (let i = 0; i < children.length; i++) {
      const child = children[i]!;
      const companion = i > 0 && expr.kind === "other" ? companionAddition(child, text) : undefined;
      if (companion === undefined) {
        tarsPackages(child, f, scope, params, archVariable, ctx, out);
        continue;
      }
      out.blocks.push({ file: f.path, start: children[i - 1]!.end, end: child.end });
      // Only the additions whose condition holds for this (arch, distro) count; the others are another arch's.
      if (!conditionHolds(companion.cond, text, scope)) continue;
      const refs = companion.labels.map((l) => ({ name: l.name, file: f.path, line: lineOf(f, l.start) }));
      out.companions.push({
        repo: companion.repo,
        packages: refs,
        list: {
          file: f.path,
          format: starlarkFileFormat(f.path),
          listStart: companion.list.start,
          element: { kind: "label", repo: companion.repo, arch: companion.arch },
          packages: refs,
        },
        block: { file: f.path, start: children[i - 1]!.end, end: child.end },
      });
    }
  }
}

/** Where arch-specific additions go: after the expression (list or comprehension) of deb.package calls. */
export interface AdditionSite {
  readonly file: string;
  /** Offset just after that expression in the file as read. */
  readonly offset: number;
  /** The deb.package call's arch and distro arguments as written (`arch`, `distro`). */
  readonly archExpr: string;
  readonly distroExpr: string;
}

function additionSite(f: LoadedFile, offset: number, call: CallExpr): AdditionSite | undefined {
  const [a, d] = call.args.map((x) => x.value);
  if (a?.kind !== "ident" || d?.kind !== "ident") return undefined;
  return { file: f.path, offset, archExpr: a.name, distroExpr: d.name };
}

interface TarsOut {
  additionsAt?: AdditionSite | undefined;
  /** Every arch-specific addition written there, whichever arch and distro it is for. */
  blocks: { file: string; start: number; end: number }[];
  packages: PackageEntry[];
  lists: ImageListLocation[];
  companions: Omit<CompanionList, "arch">[];
  distro?: string;
  arch?: string;
  suffix?: string | null;
}

function instanceOf(
  call: CallExpr,
  f: LoadedFile,
  scope: Scope,
  params: ReadonlyMap<string, { expr: Expr; file: LoadedFile; scope: Scope }>,
  archVariable: string | undefined,
  ctx: Context,
): Instance {
  const text = f.file.text;
  const nameExpr = keywordArg(call, "name")?.value;
  const baseExpr = keywordArg(call, "base")?.value;
  const tars = keywordArg(call, "tars")?.value;
  const out: TarsOut = { packages: [], lists: [], companions: [], blocks: [] };
  if (tars !== undefined) tarsPackages(tars, f, scope, params, archVariable, ctx, out);
  return {
    pkg: ctx.pkg,
    name: nameExpr === undefined ? undefined : str(evaluate(nameExpr, text, scope)),
    base: baseExpr === undefined ? undefined : str(evaluate(baseExpr, text, scope)),
    distro: out.distro ?? str(scope.get("distro")),
    arch: out.arch ?? str(scope.get("arch")),
    packages: out.packages,
    lists: out.lists,
    companions: out.companions,
    additionsAt: out.additionsAt,
    blocks: out.blocks,
    suffix: out.suffix ?? undefined,
    debFile: out.packages.length > 0 ? f : undefined,
  };
}

/** Where the arch loop takes its list from, e.g. `PYTHON_ARCHITECTURES[distro] (python3/BUILD)`. */
function archSourceOf(clauses: readonly Clause[], f: LoadedFile): string | undefined {
  const loop = loopOver(clauses, "arch");
  return loop === undefined ? undefined : `${f.file.text.slice(loop.iter.start, loop.iter.end)} (${f.path})`;
}

function archVarOf(clauses: readonly Clause[]): string | undefined {
  return loopOver(clauses, "arch") === undefined ? undefined : "arch";
}

/**
 * Every oci_image of the Bazel package `pkg`, evaluated for every combination of its loops: those its BUILD file
 * `build` declares, and those of the macros it calls from the .bzl files it loads (all in `files`).
 */
export function instancesIn(build: LoadedFile, pkg: string, files: LoadedFiles): Instance[] {
  const ctx: Context = { files, pkg };
  const instances: Instance[] = [];
  for (const st of build.file.statements) {
    if (st.indent !== 0) continue;
    for (const e of statementExprs(st)) {
      const sites: { call: CallExpr; clauses: readonly Clause[] }[] = [];
      callsWithClauses(e, [], (call, clauses) => sites.push({ call, clauses }));
      for (const { call, clauses } of sites) {
        const callee = dottedName(call.callee);
        if (callee === undefined) continue;
        if (callee === "oci_image") {
          for (const env of enumerate(clauses, build.file.text, build.scope)) {
            const inst = instanceOf(call, build, bindScope(build.scope, env), new Map(), archVarOf(clauses), ctx);
            inst.archSource = archSourceOf(clauses, build);
            instances.push(inst);
          }
          continue;
        }
        // A macro from a .bzl of the workspace that declares oci_image targets.
        const from = build.imports.get(callee);
        if (from === undefined) continue;
        const macroFile = files.get(from.path);
        const def = macroFile === undefined ? undefined : defNamed(macroFile.file, from.name);
        if (macroFile === undefined || def === undefined) continue;
        const inner = ociCallsInDef(macroFile.file, def.index);
        if (inner.length === 0) continue;
        const paramsSpec = defParams(def.def);
        for (const env of enumerate(clauses, build.file.text, build.scope)) {
          const callScope = bindScope(build.scope, env);
          const { bindings, args } = bindMacroArgs(
            call,
            paramsSpec,
            { text: build.file.text, scope: callScope },
            { text: macroFile.file.text, scope: macroFile.scope },
          );
          const params = new Map<string, { expr: Expr; file: LoadedFile; scope: Scope }>();
          for (const [name, expr] of args) params.set(name, { expr, file: build, scope: callScope });
          const macroScope = bindScope(macroFile.scope, bindings);
          for (const site of inner) {
            for (const innerEnv of enumerate(site.clauses, macroFile.file.text, macroScope)) {
              const inst = instanceOf(site.call, macroFile, bindScope(macroScope, innerEnv), params, archVarOf(site.clauses), ctx);
              inst.archSource = archSourceOf(clauses, build) ?? archSourceOf(site.clauses, macroFile);
              instances.push(inst);
            }
          }
        }
      }
    }
  }
  return instances;
}

export interface Aliases {
  readonly dist: Readonly<Record<string, string>>;
  readonly arch: Readonly<Record<string, string>>;
  /** Repo suffix chosen from the image's directory (2024 layout), if private/util/deb.bzl does that. */
  readonly dirSuffix: string | undefined;
}

function mapOf(v: StarlarkValue | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (isDict(v)) for (const [k, x] of v) if (typeof x === "string") out[k] = x;
  return out;
}

/**
 * Reads the alias tables of the file defining `deb` (private/util/deb.bzl) and directory rule: `DIST_ALIAS`, `ARCH_ALIAS`, and
 * `if pkg == "python3": dist += "_python"` style statements (2024 layout).
 */
export function aliasesFor(instance: Instance, ctx: Context): Aliases {
  const f = instance.debFile;
  let debBzl: LoadedFile | undefined;
  if (f !== undefined) {
    const from = f.imports.get("deb");
    debBzl = from === undefined ? undefined : ctx.files.get(from.path);
  }
  const dist = { ...DEFAULT_DIST_ALIAS, ...mapOf(debBzl?.scope.get("DIST_ALIAS")) };
  const arch = { ...DEFAULT_ARCH_ALIAS, ...mapOf(debBzl?.scope.get("ARCH_ALIAS")) };
  const dirSuffix = debBzl === undefined ? undefined : dirSuffixFor(debBzl.file, ctx.pkg);
  return { dist, arch, dirSuffix };
}
