import {
  type CallExpr,
  type ComprehensionClause,
  childrenOf,
  dottedName,
  type Expr,
  type KeywordStatement,
  type ListExpr,
  type StarlarkFile,
  type Statement,
} from "./ast.js";
import { bindScope, evaluate, isList, isTruthy, type Scope, type StarlarkValue } from "./evaluate.js";

/**
 * The pure part of reading distroless-style image macros: which calls sit inside which loops, every binding
 * those loops produce, a macro's parameters and the arguments a call binds to them, and the arch-conditional
 * companion additions deb-lock writes. Text in, values out; reading files and following load() is the caller's.
 */

/** A `for vars in iter` loop, from a comprehension or a for-statement. */
export interface Loop {
  readonly vars: Expr;
  readonly iter: Expr;
  readonly cond?: undefined;
}

/** A loop, or a comprehension's `if cond`. */
export type Clause = Loop | { readonly vars?: undefined; readonly iter?: undefined; readonly cond: Expr };

function clausesOf(clauses: readonly ComprehensionClause[]): Clause[] {
  return clauses.map((c) => (c.kind === "for" ? { vars: c.vars, iter: c.iter } : { cond: c.cond }));
}

/** Calls of an expression tree, each with the comprehension clauses around it (outermost first). */
export function callsWithClauses(expr: Expr, outer: readonly Clause[], visit: (call: CallExpr, clauses: readonly Clause[]) => void): void {
  if (expr.kind === "comprehension") {
    const inner = [...outer, ...clausesOf(expr.clauses)];
    callsWithClauses(expr.body, inner, visit);
    if (expr.value !== undefined) callsWithClauses(expr.value, inner, visit);
    return;
  }
  if (expr.kind === "call") visit(expr, outer);
  for (const child of childrenOf(expr)) callsWithClauses(child, outer, visit);
}

/** The expressions a statement holds: an assignment's value, an expression statement, a keyword's operands. */
export function statementExprs(st: Statement): Expr[] {
  if (st.kind === "assign") return [st.value];
  if (st.kind === "expr") return [st.expr];
  return [...st.children];
}

/**
 * Every binding of loop variables the clauses produce, in loop order (a clause whose list is unknown binds
 * nothing and keeps the binding; a condition that is known false drops it). At most `limit` bindings.
 */
export function enumerate(clauses: readonly Clause[], text: string, scope: Scope, limit = 4096): Record<string, StarlarkValue>[] {
  let envs: Record<string, StarlarkValue>[] = [{}];
  for (const clause of clauses) {
    const next: Record<string, StarlarkValue>[] = [];
    for (const env of envs) {
      const s = bindScope(scope, env);
      if (clause.cond !== undefined) {
        const c = evaluate(clause.cond, text, s);
        if (c === false || c === null || c === "" || c === 0) continue;
        next.push(env);
        continue;
      }
      const iter = evaluate(clause.iter, text, s);
      if (!isList(iter)) {
        next.push(env);
        continue;
      }
      for (const item of iter) {
        const bound = { ...env };
        if (clause.vars.kind === "ident") bound[clause.vars.name] = item;
        else if (clause.vars.kind === "tuple" && isList(item) && item.length === clause.vars.elements.length) {
          clause.vars.elements.forEach((v, i) => {
            if (v.kind === "ident") bound[v.name] = item[i]!;
          });
        }
        next.push(bound);
      }
    }
    envs = next.slice(0, limit);
  }
  return envs;
}

/**
 * Calls `onCall` for every call inside `expr` once per binding of the comprehension loops around it
 * (`[apt.install(name = r, ...) for r in REPOS]` gives one call per repo), with those loop variables bound.
 * A call outside any comprehension, or inside one whose list is unknown, is visited once with `scope`.
 */
export function forEachCallBinding(expr: Expr, text: string, scope: Scope, onCall: (call: CallExpr, scope: Scope) => void): void {
  callsWithClauses(expr, [], (call, clauses) => {
    for (const env of enumerate(clauses, text, scope)) onCall(call, clauses.length === 0 ? scope : bindScope(scope, env));
  });
}

/** A def's parameters in order, with their default values; `*args` and `**kwargs` are left out. */
export function defParams(def: KeywordStatement): { name: string; defaultValue?: Expr }[] {
  const sig = def.children[0];
  if (sig?.kind !== "call") return [];
  return sig.args.flatMap((a) => {
    if (a.star !== undefined) return [];
    if (a.name !== undefined) return [{ name: a.name, defaultValue: a.value }];
    return a.value.kind === "ident" ? [{ name: a.value.name }] : [];
  });
}

/** The `def name(...)` statement of a file and its index among the file's statements. */
export function defNamed(f: StarlarkFile, name: string): { def: KeywordStatement; index: number } | undefined {
  const index = f.statements.findIndex(
    (st) => st.kind === "keyword" && st.keyword === "def" && st.children[0]?.kind === "call" && dottedName(st.children[0].callee) === name,
  );
  return index === -1 ? undefined : { def: f.statements[index] as KeywordStatement, index };
}

/** Calls of `callee` inside a def body, with the for-loops and comprehension clauses around them. */
export function callsInDef(f: StarlarkFile, defIndex: number, callee: string): { call: CallExpr; clauses: Clause[] }[] {
  const def = f.statements[defIndex]!;
  const out: { call: CallExpr; clauses: Clause[] }[] = [];
  const stack: { indent: number; loop?: Loop }[] = [];
  for (let i = defIndex + 1; i < f.statements.length; i++) {
    const st = f.statements[i]!;
    if (st.indent <= def.indent) break;
    while (stack.length > 0 && stack[stack.length - 1]!.indent >= st.indent) stack.pop();
    const loops = stack.flatMap((s) => (s.loop === undefined ? [] : [s.loop]));
    if (st.kind === "keyword" && st.keyword === "for" && st.children.length >= 2) {
      stack.push({ indent: st.indent, loop: { vars: st.children[0]!, iter: st.children[1]! } });
      continue;
    }
    if (st.kind === "keyword" && ["if", "elif", "else", "while", "def"].includes(st.keyword)) {
      stack.push({ indent: st.indent });
      continue;
    }
    for (const e of statementExprs(st)) {
      callsWithClauses(e, loops, (call, clauses) => {
        if (dottedName(call.callee) === callee) out.push({ call, clauses: [...clauses] });
      });
    }
  }
  return out;
}

/** oci_image calls inside a def body, with the for-loops and comprehension clauses around them. */
export function ociCallsInDef(f: StarlarkFile, defIndex: number): { call: CallExpr; clauses: Clause[] }[] {
  return callsInDef(f, defIndex, "oci_image");
}

/** What a call of a macro binds to its parameters. */
export interface MacroArgs {
  /** Parameter → value, for the parameters whose argument or default evaluates to a constant. */
  readonly bindings: Record<string, StarlarkValue>;
  /** Parameter → the argument expression written at the call (parameters left to their default are absent). */
  readonly args: Map<string, Expr>;
}

/**
 * Binds a call's arguments to a macro's parameters as Starlark does for keyword and positional arguments.
 * Arguments evaluate in the caller's text and scope, defaults in the macro's.
 */
export function bindMacroArgs(
  call: CallExpr,
  params: readonly { name: string; defaultValue?: Expr }[],
  caller: { readonly text: string; readonly scope: Scope },
  macro: { readonly text: string; readonly scope: Scope },
): MacroArgs {
  const bindings: Record<string, StarlarkValue> = {};
  const args = new Map<string, Expr>();
  const positional = call.args.filter((a) => a.name === undefined && a.star === undefined);
  params.forEach((p, i) => {
    const arg = call.args.find((a) => a.name === p.name) ?? positional[i];
    const value =
      arg !== undefined
        ? evaluate(arg.value, caller.text, caller.scope)
        : p.defaultValue !== undefined
          ? evaluate(p.defaultValue, macro.text, macro.scope)
          : undefined;
    if (value !== undefined) bindings[p.name] = value;
    if (arg !== undefined) args.set(p.name, arg.value);
  });
  return { bindings, args };
}

/** The first `for <name> in ...` loop of the clauses. */
export function loopOver(clauses: readonly Clause[], name: string): Loop | undefined {
  for (const c of clauses) {
    if (c.vars?.kind === "ident" && c.vars.name === name && c.iter !== undefined) return c as Loop;
  }
  return undefined;
}

/**
 * A distroless image target name `<image>_<user>_<arch>_<distro>` (`python3_nonroot_amd64_debian12`,
 * `java_base_debug_root_arm64_debian13`) split for a known arch and distro: the user is the part before the arch,
 * the image all before that. Undefined when the name does not end in `_<user>_<arch>_<distro>`.
 */
export function splitImageTarget(target: string, arch: string, distro: string): { image: string; user: string } | undefined {
  const tail = `_${arch}_${distro}`;
  if (!target.endsWith(tail)) return undefined;
  const withUser = target.slice(0, -tail.length);
  const cut = withUser.lastIndexOf("_");
  return cut < 0 ? undefined : { image: withUser.slice(0, cut), user: withUser.slice(cut + 1) };
}

/** `build` for a BUILD or BUILD.bazel path, `bzl` for any other. */
export function starlarkFileFormat(path: string): "build" | "bzl" {
  return /(^|\/)BUILD(\.bazel)?$/.test(path) ? "build" : "bzl";
}

/** `@repo//pkg/arch` → its parts; undefined for any other label. */
export function parseRepoLabel(label: string): { repo: string; name: string; arch: string } | undefined {
  const m = /^@([A-Za-z0-9_.-]+)\/\/([^/:]+)\/([^/:]+)$/.exec(label);
  return m === null ? undefined : { repo: m[1]!, name: m[2]!, arch: m[3]! };
}

/** An arch-conditional list of labels of one repo and arch, as deb-lock writes companion additions. */
export interface CompanionAddition {
  /** The operands of the condition, in order. */
  readonly cond: readonly Expr[];
  readonly list: ListExpr;
  readonly repo: string;
  readonly arch: string;
  readonly labels: { name: string; start: number }[];
}

/**
 * `([labels] if <cond> else [])`: an arch-conditional list of `"@repo//pkg/arch"` labels of one repo and arch,
 * as deb-lock writes companion additions.
 */
export function companionAddition(e: Expr, text: string): CompanionAddition | undefined {
  const inner = e.kind === "tuple" && e.parenthesized && e.elements.length === 1 && e.commas.length === 0 ? e.elements[0]! : undefined;
  if (inner?.kind !== "other" || inner.children.length < 3) return undefined;
  // The parser keeps `[...] if arch == "amd64" else []` as one operator node: then, the condition's operands, else.
  const then = inner.children[0]!;
  const otherwise = inner.children[inner.children.length - 1]!;
  const condFirst = inner.children[1]!;
  const condLast = inner.children[inner.children.length - 2]!;
  const between = (a: Expr, b: Expr): string =>
    text
      .slice(a.end, b.start)
      .replace(/#[^\n]*/g, "")
      .trim();
  if (
    then.kind !== "list" ||
    otherwise.kind !== "list" ||
    otherwise.elements.length !== 0 ||
    between(then, condFirst) !== "if" ||
    between(condLast, otherwise) !== "else"
  )
    return undefined;
  const labels: { name: string; start: number }[] = [];
  let repo: string | undefined;
  let arch: string | undefined;
  for (const el of then.elements) {
    const parsed = el.kind === "string" ? parseRepoLabel(el.value) : undefined;
    if (parsed === undefined || (repo !== undefined && (parsed.repo !== repo || parsed.arch !== arch))) return undefined;
    repo = parsed.repo;
    arch = parsed.arch;
    labels.push({ name: parsed.name, start: el.start });
  }
  if (repo === undefined || arch === undefined) return undefined;
  return { cond: inner.children.slice(1, -1), list: then, repo, arch, labels };
}

/**
 * Whether a condition holds that is written as comparisons joined by `and`: `arch == "amd64"`,
 * `arch == "amd64" and distro == "debian12"` (also `!=`, `in`, `not in`, or a single operand).
 * A comparison of a value that is not a constant does not hold.
 */
export function conditionHolds(operands: readonly Expr[], text: string, scope: Scope): boolean {
  const clauses: Expr[][] = [[]];
  const ops: string[] = [];
  operands.forEach((o, i) => {
    if (i > 0) {
      const op = text
        .slice(operands[i - 1]!.end, o.start)
        .replace(/#[^\n]*/g, "")
        .replace(/\s+/g, " ")
        .trim();
      if (op === "and") clauses.push([]);
      else ops[clauses.length - 1] = op;
    }
    clauses[clauses.length - 1]!.push(o);
  });
  return clauses.every((c, i) => comparisonHolds(c, ops[i], text, scope));
}

function comparisonHolds(operands: readonly Expr[], op: string | undefined, text: string, scope: Scope): boolean {
  const values = operands.map((o) => evaluate(o, text, scope));
  if (values.some((v) => v === undefined)) return false;
  if (operands.length === 1) return isTruthy(values[0]!);
  if (operands.length !== 2) return false;
  const [a, b] = values as [StarlarkValue, StarlarkValue];
  const contains = (): boolean => (isList(b) ? b.includes(a) : typeof b === "string" && typeof a === "string" && b.includes(a));
  if (op === "==") return a === b;
  if (op === "!=") return a !== b;
  if (op === "in") return contains();
  if (op === "not in") return !contains();
  return false;
}

/**
 * The repo suffix a `deb.bzl` picks from the image's directory (2024 distroless layout):
 * `if pkg == "python3": dist += "_python"` (or `elif`, or `pkg in [...]`) gives `python` for package `python3`.
 */
export function dirSuffixFor(file: StarlarkFile, pkg: string): string | undefined {
  const sts = file.statements;
  let dirSuffix: string | undefined;
  sts.forEach((st, i) => {
    if (dirSuffix !== undefined || st.kind !== "keyword" || (st.keyword !== "if" && st.keyword !== "elif")) return;
    const strings: string[] = [];
    const collect = (e: Expr): void => {
      if (e.kind === "string") strings.push(e.value);
      childrenOf(e).forEach(collect);
    };
    st.children.forEach(collect);
    const next = sts[i + 1];
    if (strings.includes(pkg) && next?.kind === "assign" && next.op === "+=" && next.value.kind === "string")
      dirSuffix = next.value.value.replace(/^_/, "");
  });
  return dirSuffix;
}
