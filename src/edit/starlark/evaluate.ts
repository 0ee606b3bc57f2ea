import type { AssignStatement, CallExpr, Expr, StarlarkFile } from "./ast.js";
import { dottedName } from "./ast.js";

/**
 * Constant values a BUILD or .bzl file spells out: strings, ints, booleans, None, lists/tuples and
 * dicts with string keys. Enough to read `DISTROS = ["debian12"]`, `ARCHS = BASE + ["arm"]` or
 * `PACKAGES = {"debian12": [...]}`; anything computed at build time evaluates to undefined.
 */
export type StarlarkValue = string | number | boolean | null | readonly StarlarkValue[] | StarlarkDict;

/** A dict literal with string keys, in source order. */
export type StarlarkDict = ReadonlyMap<string, StarlarkValue>;

/** Name lookup for evaluate; undefined when the name is unknown or not a constant. */
export interface Scope {
  get(name: string): StarlarkValue | undefined;
}

export const emptyScope: Scope = { get: () => undefined };

/** A scope with some names bound on top of a parent (comprehension variables, macro parameters). */
export function bindScope(parent: Scope, bindings: Readonly<Record<string, StarlarkValue>>): Scope {
  return { get: (name) => (Object.hasOwn(bindings, name) ? bindings[name] : parent.get(name)) };
}

export function isDict(v: StarlarkValue | undefined): v is StarlarkDict {
  return v instanceof Map;
}

export function isList(v: StarlarkValue | undefined): v is readonly StarlarkValue[] {
  return Array.isArray(v);
}

/** A list whose elements are all strings, or undefined. */
export function asStringList(v: StarlarkValue | undefined): string[] | undefined {
  return isList(v) && v.every((x) => typeof x === "string") ? [...(v as string[])] : undefined;
}

function formatString(template: string, args: readonly StarlarkValue[], named: ReadonlyMap<string, StarlarkValue>): string | undefined {
  let auto = 0;
  let failed = false;
  const out = template.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (m, field: string | undefined) => {
    if (m === "{{") return "{";
    if (m === "}}") return "}";
    const v = field === "" ? args[auto++] : /^\d+$/.test(field!) ? args[Number(field)] : named.get(field!);
    if (typeof v === "string" || typeof v === "number") return String(v);
    failed = true;
    return "";
  });
  return failed ? undefined : out;
}

function evaluateCall(call: CallExpr, text: string, scope: Scope): StarlarkValue | undefined {
  const positional: StarlarkValue[] = [];
  const named = new Map<string, StarlarkValue>();
  for (const arg of call.args) {
    if (arg.star !== undefined) return undefined;
    const v = evaluate(arg.value, text, scope);
    if (v === undefined) return undefined;
    if (arg.name === undefined) positional.push(v);
    else named.set(arg.name, v);
  }
  if (call.callee.kind === "dot" && call.callee.name === "format") {
    const template = evaluate(call.callee.object, text, scope);
    return typeof template === "string" ? formatString(template, positional, named) : undefined;
  }
  if (dottedName(call.callee) === "dict" && positional.length === 0) return named;
  return undefined;
}

/** The operator text before each child (index 0: before the first) and after the last, comments and blanks removed. */
function operatorTexts(text: string, start: number, children: readonly Expr[]): string[] {
  const clean = (t: string) =>
    t
      .replace(/#[^\n]*/g, "")
      .replace(/\\\r?\n/g, " ")
      .trim()
      .replace(/\s+/g, " ");
  const out = [clean(text.slice(start, children[0]?.start ?? start))];
  for (let i = 1; i < children.length; i++) out.push(clean(text.slice(children[i - 1]!.end, children[i]!.start)));
  return out;
}

/** Starlark truthiness. */
export function isTruthy(v: StarlarkValue): boolean {
  if (v === null || v === false || v === 0 || v === "") return false;
  if (isList(v)) return v.length > 0;
  if (isDict(v)) return v.size > 0;
  return true;
}

function valuesEqual(a: StarlarkValue, b: StarlarkValue): boolean {
  if (isList(a) && isList(b)) return a.length === b.length && a.every((x, i) => valuesEqual(x, b[i]!));
  return a === b;
}

/** `"%s-%d" % (a, b)`: the %s, %d and %% conversions. */
function percentFormat(template: string, arg: StarlarkValue): string | undefined {
  const args = isList(arg) ? arg : [arg];
  let i = 0;
  let failed = false;
  const out = template.replace(/%([sdr%])/g, (_m, c: string) => {
    if (c === "%") return "%";
    const v = args[i++];
    if (c === "d" && typeof v !== "number") failed = true;
    if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") failed = true;
    return String(v);
  });
  return failed || i !== args.length ? undefined : out;
}

/**
 * The operator forms deb-lock reads: `not x`, `-n`, `a + b + ...`, `a if c else b`, `a == b`, `a != b`,
 * `a in b`, `a not in b`, `a % b`, `a and b`, `a or b`. Mixed forms evaluate to undefined.
 */
function evaluateOperators(children: readonly Expr[], ops: readonly string[], text: string, scope: Scope): StarlarkValue | undefined {
  const ev = (e: Expr) => evaluate(e, text, scope);
  const [first, second, third] = children;
  if (first === undefined || ops[ops.length] !== undefined) return undefined;
  if (children.length === 1) {
    const v = ev(first);
    if (v === undefined) return undefined;
    if (ops[0] === "not") return !isTruthy(v);
    if (ops[0] === "-" && typeof v === "number") return -v;
    return undefined;
  }
  if (ops[0] !== "") return undefined;
  if (children.length === 3 && ops[1] === "if" && ops[2] === "else") {
    const c = ev(second!);
    if (c === undefined) return undefined;
    return isTruthy(c) ? ev(first) : ev(third!);
  }
  if (ops.slice(1).every((o) => o === "+")) {
    const parts: StarlarkValue[] = [];
    for (const child of children) {
      const v = ev(child);
      if (v === undefined) return undefined;
      parts.push(v);
    }
    if (parts.every((p) => typeof p === "string")) return parts.join("");
    if (parts.every(isList)) return parts.flat(1) as StarlarkValue[];
    return undefined;
  }
  if (children.length !== 2) return undefined;
  const a = ev(first);
  const b = ev(second!);
  if (a === undefined || b === undefined) return undefined;
  switch (ops[1]) {
    case "==":
      return valuesEqual(a, b);
    case "!=":
      return !valuesEqual(a, b);
    case "in":
    case "not in": {
      let found: boolean | undefined;
      if (isList(b)) found = b.some((x) => valuesEqual(x, a));
      else if (isDict(b) && typeof a === "string") found = b.has(a);
      else if (typeof b === "string" && typeof a === "string") found = b.includes(a);
      if (found === undefined) return undefined;
      return ops[1] === "in" ? found : !found;
    }
    case "%":
      return typeof a === "string" ? percentFormat(a, b) : undefined;
    case "and":
      return isTruthy(a) ? b : a;
    case "or":
      return isTruthy(a) ? a : b;
    default:
      return undefined;
  }
}

/** Evaluates a constant expression; undefined for anything that is not one. */
export function evaluate(expr: Expr, text: string, scope: Scope): StarlarkValue | undefined {
  switch (expr.kind) {
    case "string":
      return expr.value;
    case "number":
      return /^\d+$/.test(expr.raw) ? Number(expr.raw) : undefined;
    case "ident":
      if (expr.name === "True") return true;
      if (expr.name === "False") return false;
      if (expr.name === "None") return null;
      return scope.get(expr.name);
    case "list":
    case "tuple": {
      if (expr.kind === "tuple" && expr.parenthesized && expr.elements.length === 1 && expr.commas.length === 0) {
        return evaluate(expr.elements[0]!, text, scope);
      }
      const out: StarlarkValue[] = [];
      for (const e of expr.elements) {
        const v = evaluate(e, text, scope);
        if (v === undefined) return undefined;
        out.push(v);
      }
      return out;
    }
    case "dict": {
      const out = new Map<string, StarlarkValue>();
      for (const entry of expr.entries) {
        const k = evaluate(entry.key, text, scope);
        const v = evaluate(entry.value, text, scope);
        if (typeof k !== "string" || v === undefined) return undefined;
        out.set(k, v);
      }
      return out;
    }
    case "index": {
      const obj = evaluate(expr.object, text, scope);
      const colon = text.indexOf(":", expr.object.end);
      if (colon !== -1 && colon < expr.end) {
        // obj[lo:hi] on a string or list
        const lo = expr.children.find((c) => c.end <= colon);
        const hi = expr.children.find((c) => c.start > colon);
        const l = lo === undefined ? 0 : evaluate(lo, text, scope);
        const h = hi === undefined ? undefined : evaluate(hi, text, scope);
        if (typeof l !== "number" || (h !== undefined && typeof h !== "number") || expr.children.length > 2) return undefined;
        if (typeof obj === "string") return obj.slice(l, h);
        if (isList(obj)) return obj.slice(l, h);
        return undefined;
      }
      if (expr.children.length !== 1) return undefined;
      const key = evaluate(expr.children[0]!, text, scope);
      if (isDict(obj) && typeof key === "string") return obj.get(key);
      if (isList(obj) && typeof key === "number") return obj[key < 0 ? obj.length + key : key];
      return undefined;
    }
    case "call":
      return evaluateCall(expr, text, scope);
    case "other":
      return evaluateOperators(expr.children, operatorTexts(text, expr.start, expr.children), text, scope);
    default:
      return undefined;
  }
}

/** The symbols a `load()` statement brings in: `{ local: exported }`. */
export interface LoadStatement {
  readonly label: string;
  readonly symbols: ReadonlyMap<string, string>;
}

/** Every top-level `load(...)` of a file. */
export function loadsOf(file: StarlarkFile): LoadStatement[] {
  const out: LoadStatement[] = [];
  for (const st of file.statements) {
    if (st.kind !== "expr" || st.expr.kind !== "call" || dottedName(st.expr.callee) !== "load") continue;
    const [first, ...rest] = st.expr.args;
    if (first?.value.kind !== "string") continue;
    const symbols = new Map<string, string>();
    for (const arg of rest) {
      if (arg.value.kind !== "string") continue;
      symbols.set(arg.name ?? arg.value.value, arg.value.value);
    }
    out.push({ label: first.value.value, symbols });
  }
  return out;
}

/**
 * The scope of a file: its assignments (the last top-level one of a name wins; with `nested`,
 * assignments inside function bodies count too when no top-level one exists) over `imported` names.
 * Values are evaluated lazily and cached; cycles evaluate to undefined.
 */
export function fileScope(file: StarlarkFile, imported: Scope = emptyScope, options: { nested?: boolean } = {}): Scope {
  const assignments = new Map<string, AssignStatement>();
  for (const st of file.statements) {
    if (st.kind !== "assign" || st.op !== "=" || st.target.kind !== "ident") continue;
    const name = st.target.name;
    if (st.indent === 0) assignments.set(name, st);
    else if (options.nested && !assignments.has(name)) assignments.set(name, st);
  }
  const cache = new Map<string, StarlarkValue | undefined>();
  const scope: Scope = {
    get(name) {
      if (cache.has(name)) return cache.get(name);
      const st = assignments.get(name);
      if (st === undefined) return imported.get(name);
      cache.set(name, undefined);
      const v = evaluate(st.value, file.text, scope);
      cache.set(name, v);
      return v;
    },
  };
  return scope;
}
