import type { Token } from "./lexer.js";

/**
 * The shallow Starlark syntax tree: enough structure to find calls, lists, dicts and assignments and to
 * edit them by span. Every node carries `start`/`end` offsets into the original text; anything the
 * editor does not need to understand (operators, conditionals, lambdas, slices) is an `other` node that
 * still exposes its sub-expressions as `children`.
 */
export interface Span {
  readonly start: number;
  readonly end: number;
}

export interface StringExpr extends Span {
  readonly kind: "string";
  /** The decoded value. */
  readonly value: string;
  /** The literal as written, prefix and quotes included. */
  readonly raw: string;
}

export interface NumberExpr extends Span {
  readonly kind: "number";
  readonly raw: string;
}

/** A name, including `True`, `False` and `None`. */
export interface IdentExpr extends Span {
  readonly kind: "ident";
  readonly name: string;
}

/** `object.name` */
export interface DotExpr extends Span {
  readonly kind: "dot";
  readonly object: Expr;
  readonly name: string;
}

export interface Arg extends Span {
  /** The keyword of a keyword argument. */
  readonly name?: string;
  readonly star?: "*" | "**";
  readonly value: Expr;
}

export interface CallExpr extends Span {
  readonly kind: "call";
  readonly callee: Expr;
  readonly args: readonly Arg[];
  /** Offsets of `(` and `)`. */
  readonly open: number;
  readonly close: number;
}

/** `object[...]`: index or slice; `children` are the expressions inside the brackets. */
export interface IndexExpr extends Span {
  readonly kind: "index";
  readonly object: Expr;
  readonly children: readonly Expr[];
}

/** A list literal (not a comprehension). */
export interface ListExpr extends Span {
  readonly kind: "list";
  readonly elements: readonly Expr[];
  /** Offsets of the element-separating commas, a trailing comma included. */
  readonly commas: readonly number[];
  /** Offsets of `[` and `]`. */
  readonly open: number;
  readonly close: number;
}

/** A parenthesised expression (one element, no comma) or a tuple. */
export interface TupleExpr extends Span {
  readonly kind: "tuple";
  readonly elements: readonly Expr[];
  readonly commas: readonly number[];
  readonly parenthesized: boolean;
}

export interface DictEntry extends Span {
  readonly key: Expr;
  readonly value: Expr;
}

export interface DictExpr extends Span {
  readonly kind: "dict";
  readonly entries: readonly DictEntry[];
  readonly commas: readonly number[];
  readonly open: number;
  readonly close: number;
}

/** One `for vars in iter` or `if cond` clause of a comprehension. */
export type ComprehensionClause = { readonly kind: "for"; readonly vars: Expr; readonly iter: Expr } | { readonly kind: "if"; readonly cond: Expr };

/** `[x for x in y if z]`, `{k: v for ...}`, `(x for ...)`. */
export interface ComprehensionExpr extends Span {
  readonly kind: "comprehension";
  readonly bracket: "[" | "{" | "(";
  /** The element expression (the key of a dict comprehension). */
  readonly body: Expr;
  /** The value expression of a dict comprehension. */
  readonly value?: Expr;
  readonly clauses: readonly ComprehensionClause[];
  /** All sub-expressions in source order. */
  readonly children: readonly Expr[];
}

/** Operators, conditional expressions, lambdas: sub-expressions in source order. */
export interface OtherExpr extends Span {
  readonly kind: "other";
  readonly children: readonly Expr[];
}

export type Expr =
  | StringExpr
  | NumberExpr
  | IdentExpr
  | DotExpr
  | CallExpr
  | IndexExpr
  | ListExpr
  | TupleExpr
  | DictExpr
  | ComprehensionExpr
  | OtherExpr;

/** `target = value` or an augmented assignment (`+=`, ...). */
export interface AssignStatement extends Span {
  readonly kind: "assign";
  readonly target: Expr;
  readonly op: string;
  readonly value: Expr;
  /** Column (0-based) of the statement's first character; 0 at top level. */
  readonly indent: number;
}

export interface ExprStatement extends Span {
  readonly kind: "expr";
  readonly expr: Expr;
  readonly indent: number;
}

/** A statement that starts with a keyword (`def`, `if`, `for`, `return`, ...); the block body follows as separate statements. */
export interface KeywordStatement extends Span {
  readonly kind: "keyword";
  readonly keyword: string;
  readonly children: readonly Expr[];
  readonly indent: number;
}

export type Statement = AssignStatement | ExprStatement | KeywordStatement;

export interface StarlarkFile {
  readonly file: string;
  readonly text: string;
  readonly tokens: readonly Token[];
  /** Every statement in source order, nested block bodies included (see `indent`). */
  readonly statements: readonly Statement[];
}

/** The direct sub-expressions of an expression, in source order. */
export function childrenOf(expr: Expr): readonly Expr[] {
  switch (expr.kind) {
    case "string":
    case "number":
    case "ident":
      return [];
    case "dot":
      return [expr.object];
    case "call":
      return [expr.callee, ...expr.args.map((a) => a.value)];
    case "index":
      return [expr.object, ...expr.children];
    case "list":
    case "tuple":
      return expr.elements;
    case "dict":
      return expr.entries.flatMap((e) => [e.key, e.value]);
    case "comprehension":
    case "other":
      return expr.children;
  }
}

/** Visits every expression of the file depth-first, parents before children, in source order. */
export function walkExpressions(file: StarlarkFile, visit: (expr: Expr) => void): void {
  const go = (expr: Expr): void => {
    visit(expr);
    for (const child of childrenOf(expr)) go(child);
  };
  for (const st of file.statements) {
    if (st.kind === "assign") {
      go(st.target);
      go(st.value);
    } else if (st.kind === "expr") go(st.expr);
    else for (const child of st.children) go(child);
  }
}

/** `deb.package` for a DotExpr chain of names, `glob` for an ident, undefined for anything else. */
export function dottedName(expr: Expr): string | undefined {
  if (expr.kind === "ident") return expr.name;
  if (expr.kind === "dot") {
    const head = dottedName(expr.object);
    return head === undefined ? undefined : `${head}.${expr.name}`;
  }
  return undefined;
}

/** Every call expression of the file, in source order. */
export function findCalls(file: StarlarkFile, callee?: string): CallExpr[] {
  const calls: CallExpr[] = [];
  walkExpressions(file, (e) => {
    if (e.kind === "call" && (callee === undefined || dottedName(e.callee) === callee)) calls.push(e);
  });
  return calls;
}

/** Top-level (`indent` 0) assignments to a plain name, by name; the last one wins as in Starlark. */
export function topLevelAssignments(file: StarlarkFile): Map<string, AssignStatement> {
  const out = new Map<string, AssignStatement>();
  for (const st of file.statements) {
    if (st.kind === "assign" && st.indent === 0 && st.op === "=" && st.target.kind === "ident") out.set(st.target.name, st);
  }
  return out;
}

/** The keyword argument `name` of a call. */
export function keywordArg(call: CallExpr, name: string): Arg | undefined {
  return call.args.find((a) => a.name === name);
}
