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

/** The operator text between two sibling sub-expressions, comments and blanks removed. */
function operatorBetween(text: string, a: Expr, b: Expr): string {
  return text.slice(a.end, b.start).replace(/#[^\n]*/g, "").replace(/[\s()\\]/g, "");
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
      if (expr.children.length !== 1 || text.slice(expr.object.end, expr.end).includes(":")) return undefined;
      const key = evaluate(expr.children[0]!, text, scope);
      if (isDict(obj) && typeof key === "string") return obj.get(key);
      if (isList(obj) && typeof key === "number") return obj[key < 0 ? obj.length + key : key];
      return undefined;
    }
    case "call":
      return evaluateCall(expr, text, scope);
    case "other": {
      // Only `-n` and `a + b + ...` of strings or of lists.
      if (expr.children.length === 1 && text.slice(expr.start, expr.children[0]!.start).trim() === "-") {
        const n = evaluate(expr.children[0]!, text, scope);
        return typeof n === "number" ? -n : undefined;
      }
      const parts: StarlarkValue[] = [];
      for (let i = 0; i < expr.children.length; i++) {
        const child = expr.children[i]!;
        if (i > 0 && operatorBetween(text, expr.children[i - 1]!, child) !== "+") return undefined;
        if (i === 0 && text.slice(expr.start, child.start).trim() !== "") return undefined;
        const v = evaluate(child, text, scope);
        if (v === undefined) return undefined;
        parts.push(v);
      }
      if (parts.every((p) => typeof p === "string")) return parts.join("");
      if (parts.every(isList)) return parts.flat(1) as StarlarkValue[];
      return undefined;
    }
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
