import { posix } from "node:path";
import type { ErrorCode } from "../../core/error-codes.js";
import { ProblemError, UsageError } from "../../core/errors.js";
import { type CallExpr, childrenOf, dottedName, type Expr, keywordArg, type ListExpr, type StarlarkFile } from "../../edit/starlark/ast.js";
import { asStringList, bindScope, evaluate, fileScope, isDict, loadsOf, type Scope, type StarlarkValue } from "../../edit/starlark/evaluate.js";
import { parseLabel } from "../../edit/starlark/label.js";
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
  splitImageTarget,
  starlarkFileFormat,
  statementExprs,
} from "../../edit/starlark/macro.js";
import { parseStarlark } from "../../edit/starlark/parser.js";
import type { WorkspaceFiles } from "../../io/workspace-files.js";
import { labelToPath, type RepoDecl } from "./workspace.js";

/**
 * Image discovery for distroless-style workspaces: which Debian packages an image (a Bazel package such as
 * `python3`) lists, where that list is written, which rules_distroless repo serves it, and which images it is
 * built on. Read from the checkout's BUILD and .bzl files only, by evaluating the constant parts of
 * Starlark (distro and arch lists, target names, `base = ...` labels) — no Bazel.
 *
 * Both real distroless layouts are understood:
 * - 2024: `oci_image(tars = [deb.package(arch, distro, "x"), ...])` written inline in the image's BUILD (or in
 *   a macro it calls), the repo chosen from the BUILD's directory by `private/util/deb.bzl`;
 * - 2026: `<image>/config.bzl` dicts keyed by distro, passed to a macro whose
 *   `[deb.package(arch, distro, pkg, "python") for pkg in packages]` names the repo suffix.
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

/** An image an image is built on (`base = "//cc:cc_root_amd64_debian12"`). */
export interface AncestorImage {
  /** Bazel package, e.g. `cc`. */
  readonly image: string;
  /** Target name, e.g. `cc_root_amd64_debian12`. */
  readonly target: string;
  /** The repo the ancestor's packages come from. */
  readonly repo: string;
  readonly packages: readonly ImagePackageRef[];
}

/** An image for one distro. */
export interface ImageDistro {
  /** As the workspace spells it, e.g. `debian12`. */
  readonly distro: string;
  /** Debian codename, e.g. `bookworm`. */
  readonly codename: string;
  /** Bazel arch names the image is built for, e.g. `amd64`, `arm`. */
  readonly archs: readonly string[];
  /** Debian arch per Bazel arch (`arm` → `armhf`). */
  readonly debianArch: Readonly<Record<string, string>>;
  /** The repo serving the image's own packages (for the first arch; see repoByArch). */
  readonly repo: RepoDecl;
  /**
   * The repo per Bazel arch. Usually one repo for all; distroless keeps e.g. `bookworm_s390x` for one arch,
   * which deb.package picks when no suffix is given.
   */
  readonly repoByArch: Readonly<Record<string, RepoDecl>>;
  /** The image's packages, in list order. */
  readonly packages: readonly ImagePackageRef[];
  /** Where new packages go: the first editable list of the image for this distro. */
  readonly list: ImageListLocation;
  /** Every editable list the image's packages are written in, for this distro. */
  readonly lists: readonly ImageListLocation[];
  /** Ancestors, nearest first, per Bazel arch. */
  readonly ancestors: Readonly<Record<string, readonly AncestorImage[]>>;
  /** Where the image's arch list for this distro comes from, e.g. `PYTHON_ARCHITECTURES[distro] (python3/BUILD)`. */
  readonly archSource?: string;
  /** Arch-specific additions from companion repos, one per (arch, repo), in Bazel arch order. */
  readonly companions: readonly CompanionList[];
  /** Where a new arch-specific addition goes (after the image's deb.package list or comprehension). */
  readonly additionsAt?: AdditionSite;
  /** Every arch-specific addition written there (for any arch or distro): a new one goes after the last. */
  readonly additionBlocks: readonly { readonly file: string; readonly start: number; readonly end: number }[];
}

export interface ImageInfo {
  /** Bazel package of the image, e.g. `python3`. */
  readonly image: string;
  readonly layout: "inline" | "config";
  readonly distros: readonly ImageDistro[];
}

const DEFAULT_DIST_ALIAS: Readonly<Record<string, string>> = {
  debian10: "buster",
  debian11: "bullseye",
  debian12: "bookworm",
  debian13: "trixie",
  debian14: "forky",
};
const DEFAULT_ARCH_ALIAS: Readonly<Record<string, string>> = { arm: "armhf", ppc64le: "ppc64el" };

/** `debian12` for `bookworm` and for `debian12`; undefined when unknown. */
export function distroName(name: string): string | undefined {
  if (Object.hasOwn(DEFAULT_DIST_ALIAS, name)) return name;
  return Object.entries(DEFAULT_DIST_ALIAS).find(([, codename]) => codename === name)?.[0];
}

function imageError(code: ErrorCode, message: string, hint: string): ProblemError | UsageError {
  // No image by the name given: the argument is wrong (exit 2), not the workspace.
  if (code === "IMAGE_NOT_FOUND" || code === "IMAGE_LAYOUT_UNKNOWN") return new UsageError(message, { hint, code });
  return new ProblemError(code, message, { hint });
}

// ---------------------------------------------------------------------------------------------------------
// Files and scopes

interface LoadedFile {
  readonly path: string;
  readonly pkg: string;
  readonly file: StarlarkFile;
  readonly scope: Scope;
  /** Local name → the file and name it was loaded from. */
  readonly imports: ReadonlyMap<string, { readonly path: string; readonly name: string }>;
}

class SourceTree {
  private readonly cache = new Map<string, Promise<LoadedFile | undefined>>();

  constructor(
    readonly root: string,
    readonly files: WorkspaceFiles,
  ) {}

  load(path: string): Promise<LoadedFile | undefined> {
    let pending = this.cache.get(path);
    if (pending === undefined) {
      pending = this.read(path);
      this.cache.set(path, pending);
    }
    return pending;
  }

  private async read(path: string): Promise<LoadedFile | undefined> {
    const abs = posix.join(this.root, path);
    if (!(await this.files.exists(abs))) return undefined;
    const file = parseStarlark(await this.files.readText(abs), path);
    const pkg = posix.dirname(path) === "." ? "" : posix.dirname(path);
    const imports = new Map<string, { path: string; name: string }>();
    const loaded = new Map<string, LoadedFile | undefined>();
    for (const load of loadsOf(file)) {
      const target = labelToPath(load.label, pkg);
      if (target === undefined) continue;
      if (!loaded.has(target)) loaded.set(target, target === path ? undefined : await this.load(target));
      for (const [local, exported] of load.symbols) imports.set(local, { path: target, name: exported });
    }
    const imported: Scope = {
      get: (name) => {
        const from = imports.get(name);
        return from === undefined ? undefined : loaded.get(from.path)?.scope.get(from.name);
      },
    };
    return { path, pkg, file, scope: fileScope(file, imported, { nested: true }), imports };
  }

  /** The BUILD file of a package: `BUILD.bazel` or `BUILD`. */
  async buildFile(pkg: string): Promise<LoadedFile | undefined> {
    for (const name of ["BUILD.bazel", "BUILD"]) {
      const f = await this.load(pkg === "" ? name : `${pkg}/${name}`);
      if (f !== undefined) return f;
    }
    return undefined;
  }
}

function lineOf(f: LoadedFile, offset: number): number {
  return positionOf(f.file.text, offset).line;
}

// ---------------------------------------------------------------------------------------------------------
// oci_image instances of a package

/** One evaluated `oci_image(...)` of a package: one (distro, arch, flavour) image. */
interface Instance {
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

interface PackageEntry {
  readonly name: string;
  readonly ref: ImagePackageRef;
}

interface Context {
  readonly tree: SourceTree;
  /** BUILD package of the image (deb.bzl's `native.package_name()`). */
  readonly pkg: string;
}

/** Where a list-valued expression is written as a list literal of strings, if it is. */
async function listOrigin(
  expr: Expr,
  f: LoadedFile,
  scope: Scope,
  params: ReadonlyMap<string, { expr: Expr; file: LoadedFile; scope: Scope }>,
  ctx: Context,
  depth = 0,
): Promise<{ list: ListExpr; file: LoadedFile } | undefined> {
  if (depth > 8) return undefined;
  if (expr.kind === "list") return { list: expr, file: f };
  if (expr.kind === "ident") {
    const param = params.get(expr.name);
    if (param !== undefined) return listOrigin(param.expr, param.file, param.scope, new Map(), ctx, depth + 1);
    const found = await assignmentOf(expr.name, f, ctx);
    return found === undefined ? undefined : listOrigin(found.value, found.file, found.file.scope, new Map(), ctx, depth + 1);
  }
  if (expr.kind === "index" && expr.object.kind === "ident" && expr.children.length === 1) {
    const key = evaluate(expr.children[0]!, f.file.text, scope);
    if (typeof key !== "string") return undefined;
    const param = params.get(expr.object.name);
    let dict: { value: Expr; file: LoadedFile } | undefined;
    if (param !== undefined) dict = param.expr.kind === "dict" ? { value: param.expr, file: param.file } : undefined;
    else dict = await assignmentOf(expr.object.name, f, ctx);
    if (dict === undefined || dict.value.kind !== "dict") return undefined;
    const entry = dict.value.entries.find((e) => evaluate(e.key, dict!.file.file.text, dict!.file.scope) === key);
    return entry === undefined ? undefined : listOrigin(entry.value, dict.file, dict.file.scope, new Map(), ctx, depth + 1);
  }
  return undefined;
}

/** The (last top-level, else first nested) assignment of a name in a file, following load() into other files. */
async function assignmentOf(name: string, f: LoadedFile, ctx: Context): Promise<{ value: Expr; file: LoadedFile } | undefined> {
  let found: Expr | undefined;
  for (const st of f.file.statements) {
    if (st.kind !== "assign" || st.op !== "=" || st.target.kind !== "ident" || st.target.name !== name) continue;
    if (st.indent === 0) found = st.value;
    else found ??= st.value;
  }
  if (found !== undefined) return { value: found, file: f };
  const from = f.imports.get(name);
  if (from === undefined) return undefined;
  const other = await ctx.tree.load(from.path);
  return other === undefined ? undefined : assignmentOf(from.name, other, ctx);
}

function str(v: StarlarkValue | undefined): string | undefined {
  return typeof v === "string" ? v : undefined;
}

/** Packages of a `tars = ...` expression, and the editable lists they are written in. */
async function tarsPackages(
  expr: Expr,
  f: LoadedFile,
  scope: Scope,
  params: ReadonlyMap<string, { expr: Expr; file: LoadedFile; scope: Scope }>,
  archVariable: string | undefined,
  ctx: Context,
  out: TarsOut,
): Promise<void> {
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
    const origin = await listOrigin(loop.iter, f, scope, params, ctx);
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
        await tarsPackages(child, f, scope, params, archVariable, ctx, out);
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

async function instanceOf(
  call: CallExpr,
  f: LoadedFile,
  scope: Scope,
  params: ReadonlyMap<string, { expr: Expr; file: LoadedFile; scope: Scope }>,
  archVariable: string | undefined,
  ctx: Context,
): Promise<Instance> {
  const text = f.file.text;
  const nameExpr = keywordArg(call, "name")?.value;
  const baseExpr = keywordArg(call, "base")?.value;
  const tars = keywordArg(call, "tars")?.value;
  const out: TarsOut = { packages: [], lists: [], companions: [], blocks: [] };
  if (tars !== undefined) await tarsPackages(tars, f, scope, params, archVariable, ctx, out);
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

/** Every oci_image of a Bazel package, evaluated for every combination of its loops. */
async function instancesOf(tree: SourceTree, pkg: string): Promise<{ build: LoadedFile | undefined; instances: Instance[] }> {
  const build = await tree.buildFile(pkg);
  if (build === undefined) return { build, instances: [] };
  const ctx: Context = { tree, pkg };
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
            const inst = await instanceOf(call, build, bindScope(build.scope, env), new Map(), archVarOf(clauses), ctx);
            inst.archSource = archSourceOf(clauses, build);
            instances.push(inst);
          }
          continue;
        }
        // A macro from a .bzl of the workspace that declares oci_image targets.
        const from = build.imports.get(callee);
        if (from === undefined) continue;
        const macroFile = await tree.load(from.path);
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
              const inst = await instanceOf(site.call, macroFile, bindScope(macroScope, innerEnv), params, archVarOf(site.clauses), ctx);
              inst.archSource = archSourceOf(clauses, build) ?? archSourceOf(site.clauses, macroFile);
              instances.push(inst);
            }
          }
        }
      }
    }
  }
  return { build, instances };
}

// ---------------------------------------------------------------------------------------------------------
// Repos

interface Aliases {
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
async function aliasesFor(instance: Instance, ctx: Context): Promise<Aliases> {
  const f = instance.debFile;
  let debBzl: LoadedFile | undefined;
  if (f !== undefined) {
    const from = f.imports.get("deb");
    debBzl = from === undefined ? undefined : await ctx.tree.load(from.path);
  }
  const dist = { ...DEFAULT_DIST_ALIAS, ...mapOf(debBzl?.scope.get("DIST_ALIAS")) };
  const arch = { ...DEFAULT_ARCH_ALIAS, ...mapOf(debBzl?.scope.get("ARCH_ALIAS")) };
  const dirSuffix = debBzl === undefined ? undefined : dirSuffixFor(debBzl.file, ctx.pkg);
  return { dist, arch, dirSuffix };
}

function repoFor(codename: string, debArch: string, suffix: string | undefined, repos: readonly RepoDecl[]): string {
  if (suffix !== undefined) return `${codename}_${suffix}`;
  // distroless keeps a separate repo for an arch whose packages come from elsewhere (bookworm_s390x).
  if (repos.some((r) => r.name === `${codename}_${debArch}`)) return `${codename}_${debArch}`;
  return codename;
}

// ---------------------------------------------------------------------------------------------------------

/** The instance an image is: `<name>_<user>_<arch>_<distro>`, `<name>` being the directory's name unless given. */
function isMainInstance(inst: Instance, base: string): boolean {
  if (inst.name === undefined || inst.arch === undefined || inst.distro === undefined) return false;
  return splitImageTarget(inst.name, inst.arch, inst.distro)?.image === base;
}

/**
 * The names of the images a Bazel package declares — every oci_image named `<name>_<user>_<arch>_<distro>` that
 * lists Debian packages (`base/` declares static, base_nossl and base; `java/` java_base, java17, ...) — in
 * order of first appearance. Each is an argument for discoverImage as `pkg:name`.
 */
export async function imageNamesIn(root: string, pkg: string, files: WorkspaceFiles): Promise<string[]> {
  const { instances } = await instancesOf(new SourceTree(root, files), pkg);
  const names: string[] = [];
  for (const inst of instances) {
    if (inst.name === undefined || inst.arch === undefined || inst.distro === undefined || inst.packages.length === 0) continue;
    const name = splitImageTarget(inst.name, inst.arch, inst.distro)?.image;
    if (name !== undefined && name !== "" && !names.includes(name)) names.push(name);
  }
  return names;
}

export interface DiscoverImageOptions {
  /** Only this distro (`debian12` or `bookworm`). */
  readonly distro?: string;
}

/**
 * Discovers an image of the workspace at `root` from its Bazel package directory (`python3`, `cc`, ...):
 * its distros, archs, package lists, repo and ancestors. Throws ProblemError naming what was not found.
 * `dir:name` picks an image of another name in that directory (`base:static`, `java:java_base`).
 */
export async function discoverImage(
  root: string,
  imageDir: string,
  files: WorkspaceFiles,
  repos: readonly RepoDecl[],
  options: DiscoverImageOptions = {},
): Promise<ImageInfo> {
  const [dirPart, namePart] = imageDir.replace(/^\/\//, "").split(":");
  const pkg = posix
    .normalize((dirPart ?? "").replace(/\\/g, "/"))
    .replace(/^\.\/?/, "")
    .replace(/\/$/, "");
  const imageName = namePart === undefined || namePart === "" ? posix.basename(pkg) : namePart;
  const tree = new SourceTree(root, files);
  const { build, instances } = await instancesOf(tree, pkg);
  if (build === undefined) {
    throw imageError(
      "IMAGE_NOT_FOUND",
      `no BUILD or BUILD.bazel file in ${pkg || "."} (workspace ${root})`,
      "--image takes the image's Bazel package directory, e.g. python3 or cc",
    );
  }
  const mains = instances.filter((i) => isMainInstance(i, imageName));
  if (mains.length === 0) {
    const named = instances.map((i) => i.name).filter((n): n is string => n !== undefined);
    throw imageError(
      "IMAGE_LAYOUT_UNKNOWN",
      `${build.path}: found no oci_image named ${imageName}_<user>_<arch>_<distro>` +
        (named.length > 0
          ? ` (oci_image targets found: ${[...new Set(named)].slice(0, 6).join(", ")}${named.length > 6 ? ", ..." : ""})`
          : " (no oci_image call, directly or through a macro of a loaded .bzl file, could be evaluated)"),
      `to pick another image of ${pkg || "."}, name it: --image ${pkg || "."}:<name> (e.g. the part of a target name before _<user>_<arch>_<distro>); deb-lock understands oci_image(tars = [deb.package(arch, distro, "pkg"), ...]) in the BUILD file or in a macro it calls; for a plain rules_distroless repo use --manifest`,
    );
  }
  const wantedDistro = options.distro === undefined ? undefined : (distroName(options.distro) ?? options.distro);
  const ctx: Context = { tree, pkg };
  const byDistro = new Map<string, Instance[]>();
  for (const inst of mains) {
    const list = byDistro.get(inst.distro!) ?? [];
    list.push(inst);
    byDistro.set(inst.distro!, list);
  }
  if (wantedDistro !== undefined && !byDistro.has(wantedDistro)) {
    throw imageError(
      "IMAGE_DISTRO_NOT_BUILT",
      `image ${pkg} is not built for ${options.distro} (it is built for ${[...byDistro.keys()].join(", ")})`,
      `pick one of: ${[...byDistro.keys()].join(", ")}`,
    );
  }
  const distros: ImageDistro[] = [];
  for (const [distro, insts] of byDistro) {
    if (wantedDistro !== undefined && distro !== wantedDistro) continue;
    const first = insts[0]!;
    if (first.packages.length === 0) {
      throw imageError(
        "IMAGE_PACKAGES_NOT_FOUND",
        `${build.path}: image ${first.name} has no deb.package(...) entries in its tars`,
        "deb-lock edits images whose Debian packages are listed as deb.package(arch, distro, pkg) in oci_image tars",
      );
    }
    if (first.lists.length === 0) {
      throw imageError(
        "IMAGE_LIST_NOT_FOUND",
        `${build.path}: the packages of ${first.name} are not written in a list deb-lock can find (looked for a list literal of deb.package(...) calls, or a list of strings behind the comprehension's "for pkg in ...")`,
        "write the image's packages as a list literal, or a dict of lists keyed by distro in a .bzl file",
      );
    }
    const aliases = await aliasesFor(first, ctx);
    const codename = aliases.dist[distro] ?? DEFAULT_DIST_ALIAS[distro];
    if (codename === undefined)
      throw imageError(
        "IMAGE_DISTRO_UNKNOWN",
        `image ${pkg}: unknown distro ${distro}`,
        "distros look like debian12 (bookworm) or debian13 (trixie)",
      );
    const archs = [...new Set(insts.map((i) => i.arch!))];
    const debianArch: Record<string, string> = {};
    for (const a of archs) debianArch[a] = aliases.arch[a] ?? a;
    const suffix = first.suffix ?? aliases.dirSuffix;
    const repoByArch: Record<string, RepoDecl> = {};
    for (const a of archs) {
      const repoName = repoFor(codename, debianArch[a]!, suffix, repos);
      const repo = repos.find((r) => r.name === repoName);
      if (repo === undefined) {
        throw imageError(
          "IMAGE_REPO_UNKNOWN",
          `image ${pkg} (${distro}, ${a}) takes its packages from repo ${repoName}, which the workspace does not declare (declared: ${repos.map((r) => r.name).join(", ") || "none"})`,
          "declare it with apt.install(name = ..., manifest = ..., lock = ...) in MODULE.bazel (or deb_index in WORKSPACE-era .bzl files)",
        );
      }
      repoByArch[a] = repo;
    }
    const repo = repoByArch[archs[0]!]!;
    const ancestors: Record<string, AncestorImage[]> = {};
    for (const inst of insts) {
      if (ancestors[inst.arch!] !== undefined) continue;
      ancestors[inst.arch!] = await ancestorChain(inst, tree, repos, codename);
    }
    // The first editable list that holds literal packages; a config dict entry or an inline list.
    const list = first.lists.find((l) => l.packages.length > 0) ?? first.lists[0]!;
    // Companion additions: per arch, from the first instance of that arch (the user/debug variants share them).
    const companions: CompanionList[] = [];
    for (const a of archs) {
      const inst = insts.find((i) => i.arch === a)!;
      for (const c of inst.companions) if (!companions.some((x) => x.arch === a && x.repo === c.repo)) companions.push({ arch: a, ...c });
    }
    distros.push({
      distro,
      codename,
      archs,
      debianArch,
      repo,
      repoByArch,
      packages: first.packages.map((p) => p.ref),
      list,
      lists: first.lists,
      ancestors,
      ...(first.archSource === undefined ? {} : { archSource: first.archSource }),
      ...(first.additionsAt === undefined ? {} : { additionsAt: first.additionsAt }),
      additionBlocks: first.blocks,
      companions,
    });
  }
  const layout = distros.some((d) => d.list.element.kind === "string") ? "config" : "inline";
  return { image: imageName === posix.basename(pkg) ? pkg : `${pkg}:${imageName}`, layout, distros };
}

async function ancestorChain(inst: Instance, tree: SourceTree, repos: readonly RepoDecl[], codename: string): Promise<AncestorImage[]> {
  const chain: AncestorImage[] = [];
  let current = inst;
  const seen = new Set<string>();
  while (current.base !== undefined) {
    const ref = parseLabel(current.base, current.pkg);
    if (ref === undefined) break; // an image from another repository (oci_pull): not ours to read
    const key = `${ref.pkg}:${ref.name}`;
    if (seen.has(key)) break;
    seen.add(key);
    const { instances } = await instancesOf(tree, ref.pkg);
    const next = instances.find((i) => i.name === ref.name);
    if (next === undefined) {
      throw imageError(
        "ANCESTOR_NOT_FOUND",
        `image ${inst.pkg} is built on ${current.base}, but no oci_image named ${ref.name} was found in ${ref.pkg || "."}/BUILD or the macros it calls`,
        "check the base = ... label of the image; deb-lock reads ancestors from the checkout",
      );
    }
    const aliases = await aliasesFor(next, { tree, pkg: ref.pkg });
    const arch = next.arch ?? inst.arch!;
    const suffix = next.suffix ?? aliases.dirSuffix;
    const flavour = next.arch !== undefined && next.distro !== undefined ? ref.name.split("_").slice(0, -3).join("_") : posix.basename(ref.pkg);
    chain.push({
      image: flavour === posix.basename(ref.pkg) || flavour === "" ? ref.pkg : `${ref.pkg}:${flavour}`,
      target: ref.name,
      repo: repoFor(codename, aliases.arch[arch] ?? arch, suffix, repos),
      packages: next.packages.map((p) => p.ref),
    });
    current = next;
  }
  return chain;
}
