import { posix } from "node:path";
import { DebLockError, ParseError, UsageError } from "../../core/errors.js";
import { type CallExpr, dottedName, type Expr, type StarlarkFile, topLevelAssignments } from "../../edit/starlark/ast.js";
import { evaluate, fileScope, type Scope, type StarlarkValue } from "../../edit/starlark/evaluate.js";
import { labelPath } from "../../edit/starlark/label.js";
import { positionOf } from "../../edit/starlark/lexer.js";
import { forEachCallBinding } from "../../edit/starlark/macro.js";
import { parseStarlark } from "../../edit/starlark/parser.js";
import type { WorkspaceFiles } from "../../io/workspace-files.js";

/** A rules_distroless repository of the workspace: a YAML manifest and its lock file. */
export interface RepoDecl {
  /** The Bazel repository name (`apt.install(name = ...)`). */
  readonly name: string;
  /** Workspace-relative POSIX path of the manifest, e.g. `private/repos/deb/bookworm.yaml`. */
  readonly manifestPath: string;
  /** Workspace-relative path of the lock: the declared `lock`, else `<manifest stem>.lock.json` beside the manifest. */
  readonly lockPath: string;
  /** Whether the declaration names its lock (`lock = ...`). */
  readonly lockDeclared: boolean;
  /** rules_distroless `resolve_transitive` (default true). */
  readonly resolveTransitive: boolean;
  /** Where the repository is declared (workspace-relative file, 1-based line). */
  readonly declaredIn: { readonly file: string; readonly line: number };
  /** `module`: MODULE.bazel or an include()d file; `workspace`: WORKSPACE-era `.bzl`; `convention`: found by file name. */
  readonly via: "module" | "workspace" | "convention";
}

/** A declaration discovery saw but could not use, and why. */
export interface DiscoverySkip {
  readonly file: string;
  readonly line: number;
  readonly reason: string;
}

export interface DiscoverOptions {
  readonly onSkip?: (skip: DiscoverySkip) => void;
}

const WORKSPACE_MARKERS = ["MODULE.bazel", "WORKSPACE.bazel", "WORKSPACE"];
const CONVENTION_DIR = "private/repos/deb";

/** The nearest directory at or above `cwd` holding MODULE.bazel, WORKSPACE.bazel or WORKSPACE. */
export async function findWorkspaceRoot(cwd: string, files: WorkspaceFiles): Promise<string> {
  let dir = posix.resolve(cwd);
  for (;;) {
    for (const marker of WORKSPACE_MARKERS) {
      if (await files.exists(posix.join(dir, marker))) return dir;
    }
    const parent = posix.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new UsageError(`no Bazel workspace at or above ${cwd} (looked for ${WORKSPACE_MARKERS.join(", ")})`, {
    code: "WORKSPACE_NOT_FOUND",
    hint: "run deb-lock inside a Bazel workspace, or point it at one with --workspace <dir>",
  });
}

/**
 * Finds the workspace's rules_distroless repositories, in declaration order:
 * 1. `apt.install(...)` tags in MODULE.bazel and the files it include()s (in place), through the variable
 *    bound to `use_extension("@rules_distroless//apt:extensions.bzl", "apt")`; list comprehensions over a
 *    top-level list (`[apt.install(name = r, ...) for r in REPOS]`) and `"...{}".format(r)` are evaluated;
 * 2. WORKSPACE-era `deb_index(...)` / `apt.install(...)` calls in WORKSPACE(.bazel) and the main-repo .bzl
 *    files it loads, transitively;
 * 3. when neither declares anything: every `private/repos/deb/*.yaml`, with `<name>.lock.json` beside it.
 * A repository name declared twice keeps its first declaration.
 */
export async function discoverRepos(root: string, files: WorkspaceFiles, options: DiscoverOptions = {}): Promise<RepoDecl[]> {
  const skip = options.onSkip ?? (() => {});
  const found: RepoDecl[] = [];
  const add = (decl: RepoDecl): void => {
    const earlier = found.find((d) => d.name === decl.name);
    if (earlier !== undefined) {
      skip({ ...decl.declaredIn, reason: `repository ${decl.name} is already declared at ${earlier.declaredIn.file}:${earlier.declaredIn.line}` });
      return;
    }
    found.push(decl);
  };

  if (await files.exists(posix.join(root, "MODULE.bazel"))) {
    await scanModuleFile(root, "MODULE.bazel", files, new Set(), add, skip);
  }
  const workspaceFile = (await files.exists(posix.join(root, "WORKSPACE.bazel")))
    ? "WORKSPACE.bazel"
    : (await files.exists(posix.join(root, "WORKSPACE")))
      ? "WORKSPACE"
      : undefined;
  if (workspaceFile !== undefined) await scanWorkspaceFile(root, workspaceFile, files, new Set(), add, skip);

  if (found.length === 0) {
    const names = (await files.listDir(posix.join(root, CONVENTION_DIR))).filter((n) => n.endsWith(".yaml")).sort();
    for (const fileName of names) {
      const manifestPath = `${CONVENTION_DIR}/${fileName}`;
      found.push({
        name: fileName.slice(0, -".yaml".length),
        manifestPath,
        lockPath: defaultLockPath(manifestPath),
        lockDeclared: false,
        resolveTransitive: true,
        declaredIn: { file: manifestPath, line: 1 },
        via: "convention",
      });
    }
  }
  return found;
}

/**
 * The workspace-relative path a main-repository label points at, seen from a file in package `fromPackage`:
 * `//a/b:c.yaml`, `@//a/b:c.yaml`, `@@//a/b:c.yaml` → `a/b/c.yaml`; `:c.yaml` and `c.yaml` → `<fromPackage>/c.yaml`;
 * `//a/b` → `a/b/b`. Labels of other repositories (`@foo//...`) give undefined.
 */
export function labelToPath(label: string, fromPackage: string): string | undefined {
  return labelPath(label, fromPackage);
}

// ---------------------------------------------------------------------------------------------------------

async function scanModuleFile(
  root: string,
  path: string,
  files: WorkspaceFiles,
  visited: Set<string>,
  add: (decl: RepoDecl) => void,
  skip: (s: DiscoverySkip) => void,
): Promise<void> {
  if (visited.has(path)) return;
  visited.add(path);
  const file = parseStarlark(await files.readText(posix.join(root, path)), path);
  const pkg = posix.dirname(path) === "." ? "" : posix.dirname(path);
  const globals = fileScope(file);
  // Variables bound to the rules_distroless apt extension in this file.
  const aptVars = new Set<string>();
  for (const [name, st] of topLevelAssignments(file)) {
    const v = st.value;
    if (v.kind !== "call" || dottedName(v.callee) !== "use_extension") continue;
    const [bzl, ext] = v.args.map((a) => a.value);
    if (bzl?.kind === "string" && /\/\/apt:extensions\.bzl$/.test(bzl.value) && ext?.kind === "string" && ext.value === "apt") aptVars.add(name);
  }
  for (const st of file.statements) {
    if (st.indent !== 0) continue;
    const expr = st.kind === "expr" ? st.expr : st.kind === "assign" ? st.value : undefined;
    if (expr === undefined) continue;
    if (expr.kind === "call" && dottedName(expr.callee) === "include") {
      const label = expr.args[0]?.value;
      const target = label?.kind === "string" ? labelToPath(label.value, pkg) : undefined;
      if (target === undefined) {
        skip({ file: path, line: lineOf(file, expr), reason: "include() of a label outside the main repository" });
        continue;
      }
      const where = { file: path, line: lineOf(file, expr) };
      refuseEscape(target, (label as { value: string }).value, where);
      try {
        await scanModuleFile(root, target, files, visited, add, skip);
      } catch (e) {
        if (!(e instanceof DebLockError) || (e.code !== "FILE_NOT_FOUND" && e.code !== "NOT_A_FILE" && e.code !== "FILE_UNREADABLE")) throw e;
        throw new ParseError("INCLUDE_NOT_FOUND", `include("${(label as { value: string }).value}"): ${e.message}`, where, {
          hint: "create the included file, or correct or remove the include() line",
          cause: e,
        });
      }
      continue;
    }
    forEachCallBinding(expr, file.text, globals, (call, scope) => {
      const callee = dottedName(call.callee);
      if (callee === undefined || !callee.endsWith(".install") || !aptVars.has(callee.slice(0, -".install".length))) return;
      const decl = declFromCall(file, call, scope, pkg, "module", skip);
      if (decl !== undefined) add(decl);
    });
  }
}

async function scanWorkspaceFile(
  root: string,
  path: string,
  files: WorkspaceFiles,
  visited: Set<string>,
  add: (decl: RepoDecl) => void,
  skip: (s: DiscoverySkip) => void,
): Promise<void> {
  if (visited.has(path)) return;
  visited.add(path);
  const absolute = posix.join(root, path);
  if (!(await files.exists(absolute))) return;
  let file: StarlarkFile;
  try {
    file = parseStarlark(await files.readText(absolute), path);
  } catch (e) {
    // A loaded .bzl file deb-lock cannot read is no reason to give up on the others; WORKSPACE itself is.
    if (path === "WORKSPACE" || path === "WORKSPACE.bazel" || !(e instanceof DebLockError)) throw e;
    skip({ file: path, line: e instanceof ParseError ? (e.line ?? 1) : 1, reason: `cannot read this file: ${e.message}` });
    return;
  }
  const pkg = posix.dirname(path) === "." ? "" : posix.dirname(path);
  const globals = fileScope(file);
  const loads: string[] = [];
  for (const st of file.statements) {
    const expr = st.kind === "expr" ? st.expr : st.kind === "assign" ? st.value : undefined;
    if (expr === undefined) continue;
    if (st.indent === 0 && expr.kind === "call" && dottedName(expr.callee) === "load") {
      const label = expr.args[0]?.value;
      const target = label?.kind === "string" ? labelToPath(label.value, pkg) : undefined;
      if (target !== undefined && target.endsWith(".bzl")) loads.push(target);
      continue;
    }
    forEachCallBinding(expr, file.text, globals, (call, scope) => {
      const callee = dottedName(call.callee);
      if (callee !== "deb_index" && callee !== "apt.install") return;
      const decl = declFromCall(file, call, scope, pkg, "workspace", skip);
      if (decl !== undefined) add(decl);
    });
  }
  for (const target of loads) await scanWorkspaceFile(root, target, files, visited, add, skip);
}

function declFromCall(
  file: StarlarkFile,
  call: CallExpr,
  scope: Scope,
  pkg: string,
  via: "module" | "workspace",
  skip: (s: DiscoverySkip) => void,
): RepoDecl | undefined {
  const line = lineOf(file, call);
  const where = { file: file.file, line };
  const arg = (name: string): { expr: Expr; value: StarlarkValue | undefined } | undefined => {
    const a = call.args.find((x) => x.name === name);
    return a === undefined ? undefined : { expr: a.value, value: evaluate(a.value, file.text, scope) };
  };
  const name = arg("name");
  const manifest = arg("manifest");
  const lock = arg("lock");
  const transitive = arg("resolve_transitive");
  if (typeof name?.value !== "string") {
    skip({ ...where, reason: "the repository name is missing or not a plain string" });
    return undefined;
  }
  if (typeof manifest?.value !== "string") {
    skip({ ...where, reason: `repository ${name.value}: the manifest is missing or not a plain label string` });
    return undefined;
  }
  const manifestPath = labelToPath(manifest.value, pkg);
  if (manifestPath === undefined) {
    skip({ ...where, reason: `repository ${name.value}: manifest ${manifest.value} is outside the main repository` });
    return undefined;
  }
  refuseEscape(manifestPath, manifest.value, where);
  let lockPath = defaultLockPath(manifestPath);
  if (lock !== undefined && lock.value !== null) {
    const declared = typeof lock.value === "string" ? labelToPath(lock.value, pkg) : undefined;
    if (declared === undefined) {
      skip({ ...where, reason: `repository ${name.value}: the lock is not a plain label of the main repository` });
      return undefined;
    }
    refuseEscape(declared, lock.value as string, where);
    lockPath = declared;
  }
  let resolveTransitive = true;
  if (transitive !== undefined) {
    if (typeof transitive.value !== "boolean") {
      skip({ ...where, reason: `repository ${name.value}: resolve_transitive is not True or False` });
      return undefined;
    }
    resolveTransitive = transitive.value;
  }
  return {
    name: name.value,
    manifestPath,
    lockPath,
    lockDeclared: lock !== undefined && lock.value !== null,
    resolveTransitive,
    declaredIn: where,
    via,
  };
}

/**
 * A label whose package or target climbs with `..` (Bazel itself rejects such labels) would make deb-lock read
 * and write outside the workspace: refused, naming the label.
 */
function refuseEscape(path: string, label: string, where: { file: string; line: number }): void {
  if (path.split("/").some((segment) => segment === ".." || segment === ".") || path.startsWith("/")) {
    throw new ParseError(
      "LABEL_OUTSIDE_WORKSPACE",
      `the label "${label}" points outside the workspace (Bazel labels cannot contain '..' or '.' segments)`,
      where,
      {
        hint: "name a file inside the workspace, e.g. //private/repos/deb:bookworm.lock.json",
      },
    );
  }
}

/** rules_distroless: `manifest.name.replace(".yaml", ".lock.json")`, beside the manifest. */
function defaultLockPath(manifestPath: string): string {
  const dir = posix.dirname(manifestPath);
  const base = posix.basename(manifestPath).replace(".yaml", ".lock.json");
  return dir === "." ? base : `${dir}/${base}`;
}

function lineOf(file: StarlarkFile, expr: { start: number }): number {
  return positionOf(file.text, expr.start).line;
}
