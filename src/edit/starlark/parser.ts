import { ParseError } from "../../core/errors.js";
import type { Arg, ComprehensionClause, DictEntry, Expr, StarlarkFile, Statement } from "./ast.js";
import { decodeStringToken, lexStarlark, positionOf, type Token } from "./lexer.js";

/** The deepest expression nesting accepted. */
const MAX_NESTING = 200;

const STATEMENT_KEYWORDS = new Set(["def", "if", "elif", "else", "for", "while", "return", "pass", "break", "continue"]);
const EXPRESSION_KEYWORDS = new Set(["and", "or", "not", "in", "is", "if", "else"]);
const ASSIGN_OPS = new Set(["=", "+=", "-=", "*=", "/=", "//=", "%=", "&=", "|=", "^=", "<<=", ">>="]);
const BINARY_OPS = new Set(["+", "-", "*", "/", "//", "%", "**", "&", "|", "^", "~", "<", ">", "<=", ">=", "==", "!=", "<<", ">>", "!"]);
const CLOSERS = new Set([")", "]", "}"]);
const OPENER_OF: Record<string, string> = { ")": "(", "]": "[", "}": "{" };

/** Keywords that end an expression in the current context. */
type Stops = ReadonlySet<"in" | "if">;
const NO_STOPS: Stops = new Set();
const STOP_IN: Stops = new Set(["in"]);
const STOP_IF: Stops = new Set(["if"]);

class Parser {
  private pos = 0;
  private lastEnd = 0;

  constructor(
    private readonly text: string,
    private readonly file: string,
    private readonly toks: readonly Token[],
  ) {}

  private peek(ahead = 0): Token | undefined {
    return this.toks[this.pos + ahead];
  }

  private next(): Token {
    const t = this.toks[this.pos];
    if (t === undefined) this.fail(this.text.length, "unexpected end of file");
    this.pos++;
    this.lastEnd = t.end;
    return t;
  }

  private isOp(t: Token | undefined, ...ops: string[]): boolean {
    return t !== undefined && t.kind === "op" && ops.includes(t.text);
  }

  private isWord(t: Token | undefined, word: string): boolean {
    return t !== undefined && t.kind === "ident" && t.text === word;
  }

  private atStatementEnd(): boolean {
    const t = this.peek();
    return t === undefined || t.kind === "newline" || this.isOp(t, ";");
  }

  private expectOp(op: string): Token {
    const t = this.peek();
    if (!this.isOp(t, op))
      this.fail(t?.start ?? this.text.length, `expected "${op}", found ${t === undefined ? "end of file" : JSON.stringify(t.text)}`);
    return this.next();
  }

  fail(offset: number, message: string): never {
    const { line, col } = positionOf(this.text, offset);
    throw new ParseError(
      "STARLARK_SYNTAX",
      message,
      { file: this.file, line, col },
      {
        hint: "the file is not valid Starlark; run buildifier on it to see the problem",
      },
    );
  }

  parseFile(): Statement[] {
    const statements: Statement[] = [];
    for (;;) {
      while (this.peek() !== undefined && (this.peek()!.kind === "newline" || this.isOp(this.peek(), ";"))) this.next();
      if (this.peek() === undefined) return statements;
      statements.push(this.parseStatement());
      if (!this.atStatementEnd()) {
        // A compound statement may carry its body on the same line (`if x: return y`).
        const t = this.peek()!;
        if (!this.isWord(t, "return") && !this.isWord(t, "pass")) this.fail(t.start, `unexpected ${JSON.stringify(t.text)}`);
      }
    }
  }

  private parseStatement(): Statement {
    const first = this.peek()!;
    const lineStart = this.text.lastIndexOf("\n", first.start - 1) + 1;
    const indent = first.start - lineStart;
    if (first.kind === "ident" && STATEMENT_KEYWORDS.has(first.text)) {
      this.next();
      const children: Expr[] = [];
      while (!this.atStatementEnd()) {
        const t = this.peek()!;
        if (this.isOp(t, ":", ",", "=", "->") || this.isWord(t, "in") || this.isWord(t, "else")) {
          this.next();
          if (this.isOp(t, ":") && (this.isWord(this.peek(), "return") || this.isWord(this.peek(), "pass"))) break;
          continue;
        }
        children.push(this.parseExpr(first.text === "for" ? STOP_IN : NO_STOPS));
      }
      return { kind: "keyword", keyword: first.text, children, indent, start: first.start, end: this.lastEnd };
    }
    const target = this.parseExprList(NO_STOPS);
    const t = this.peek();
    if (t !== undefined && t.kind === "op" && ASSIGN_OPS.has(t.text)) {
      this.next();
      const value = this.parseExprList(NO_STOPS);
      return { kind: "assign", target, op: t.text, value, indent, start: first.start, end: value.end };
    }
    return { kind: "expr", expr: target, indent, start: first.start, end: target.end };
  }

  /** `a, b, c` without brackets (a bare tuple) or a single expression. */
  private parseExprList(stops: Stops): Expr {
    const first = this.parseExpr(stops);
    if (!this.isOp(this.peek(), ",")) return first;
    const elements: Expr[] = [first];
    const commas: number[] = [];
    while (this.isOp(this.peek(), ",")) {
      commas.push(this.next().start);
      if (this.atStatementEnd() || this.isOp(this.peek(), "=") || this.isWord(this.peek(), "in")) break;
      elements.push(this.parseExpr(stops));
    }
    return { kind: "tuple", elements, commas, parenthesized: false, start: first.start, end: this.lastEnd };
  }

  /** One expression, flattened: a lone operand is returned as is, anything with operators becomes `other`. */
  private parseExpr(stops: Stops): Expr {
    // BUILD, .bzl and MODULE.bazel files nest a handful of levels; a hostile one could overflow the stack.
    if (++this.depth > MAX_NESTING) this.fail(this.peek()?.start ?? this.text.length, `expressions nested more than ${MAX_NESTING} levels deep`);
    try {
      return this.parseExprAt(stops);
    } finally {
      this.depth--;
    }
  }

  private depth = 0;

  private parseExprAt(stops: Stops): Expr {
    const startTok = this.peek();
    if (startTok === undefined) this.fail(this.text.length, "expected an expression, found end of file");
    const children: Expr[] = [];
    let operators = 0;
    let expectOperand = true;
    for (;;) {
      const t = this.peek();
      if (t === undefined || t.kind === "newline") break;
      if (t.kind === "op") {
        if (BINARY_OPS.has(t.text)) {
          this.next();
          operators++;
          expectOperand = true;
          continue;
        }
        if ((t.text === "(" || t.text === "[" || t.text === "{") && expectOperand) {
          children.push(this.parsePostfix());
          expectOperand = false;
          continue;
        }
        break;
      }
      if (t.kind === "ident") {
        if (t.text === "for") break;
        if ((t.text === "in" || t.text === "if") && stops.has(t.text)) break;
        if (EXPRESSION_KEYWORDS.has(t.text)) {
          this.next();
          operators++;
          expectOperand = true;
          continue;
        }
        if (t.text === "lambda") {
          this.next();
          operators++;
          // Parameters up to the colon; the body is an ordinary expression.
          let depth = 0;
          while (this.peek() !== undefined && !(depth === 0 && this.isOp(this.peek(), ":"))) {
            const p = this.next();
            if (this.isOp(p, "(", "[", "{")) depth++;
            if (this.isOp(p, ")", "]", "}")) depth--;
          }
          this.expectOp(":");
          expectOperand = true;
          continue;
        }
      }
      // An operand cannot directly follow another operand.
      if (!expectOperand) break;
      children.push(this.parsePostfix());
      expectOperand = false;
    }
    if (children.length === 0) {
      const t = this.peek();
      this.fail(t?.start ?? this.text.length, `expected an expression, found ${t === undefined ? "end of file" : JSON.stringify(t.text)}`);
    }
    if (children.length === 1 && operators === 0) return children[0]!;
    return { kind: "other", children, start: startTok.start, end: this.lastEnd };
  }

  private parsePostfix(): Expr {
    let expr = this.parsePrimary();
    for (;;) {
      const t = this.peek();
      if (this.isOp(t, ".")) {
        this.next();
        const name = this.next();
        if (name.kind !== "ident") this.fail(name.start, `expected a name after ".", found ${JSON.stringify(name.text)}`);
        expr = { kind: "dot", object: expr, name: name.text, start: expr.start, end: name.end };
      } else if (this.isOp(t, "(")) {
        const open = this.next().start;
        const args = this.parseArgs();
        const close = this.expectOp(")").start;
        expr = { kind: "call", callee: expr, args, open, close, start: expr.start, end: close + 1 };
      } else if (this.isOp(t, "[")) {
        this.next();
        const children: Expr[] = [];
        while (!this.isOp(this.peek(), "]")) {
          if (this.isOp(this.peek(), ":", ",")) {
            this.next();
            continue;
          }
          children.push(this.parseExpr(NO_STOPS));
        }
        const close = this.expectOp("]");
        expr = { kind: "index", object: expr, children, start: expr.start, end: close.end };
      } else {
        return expr;
      }
    }
  }

  private parseArgs(): Arg[] {
    const args: Arg[] = [];
    while (!this.isOp(this.peek(), ")")) {
      const t = this.peek();
      if (t === undefined) this.fail(this.text.length, 'unclosed "("');
      let arg: Arg;
      if (this.isOp(t, "*", "**")) {
        this.next();
        const value = this.parseExpr(NO_STOPS);
        arg = { star: t.text as "*" | "**", value, start: t.start, end: value.end };
      } else if (t.kind === "ident" && this.isOp(this.peek(1), "=")) {
        this.next();
        this.next();
        const value = this.parseExpr(NO_STOPS);
        arg = { name: t.text, value, start: t.start, end: value.end };
      } else {
        const value = this.parseExpr(NO_STOPS);
        if (this.isWord(this.peek(), "for")) {
          // A generator expression as the sole argument: f(x for x in y).
          const clauses = this.parseClauses(")");
          const children = [value, ...clauses.flatMap((c) => (c.kind === "for" ? [c.vars, c.iter] : [c.cond]))];
          const gen: Expr = { kind: "comprehension", bracket: "(", body: value, clauses, children, start: value.start, end: this.lastEnd };
          args.push({ value: gen, start: gen.start, end: gen.end });
          continue;
        }
        arg = { value, start: value.start, end: value.end };
      }
      args.push(arg);
      if (!this.isOp(this.peek(), ",")) break;
      this.next();
    }
    return args;
  }

  /** `for ... in ... [if ...]...` clauses of a comprehension, up to (not including) the closer. */
  private parseClauses(closer: string): ComprehensionClause[] {
    const clauses: ComprehensionClause[] = [];
    while (!this.isOp(this.peek(), closer)) {
      if (this.isWord(this.peek(), "for")) {
        this.next();
        const vars = this.parseExprList(STOP_IN);
        if (!this.isWord(this.peek(), "in")) this.fail(this.peek()?.start ?? this.text.length, 'expected "in" in comprehension');
        this.next();
        clauses.push({ kind: "for", vars, iter: this.parseExpr(STOP_IF) });
      } else if (this.isWord(this.peek(), "if")) {
        this.next();
        clauses.push({ kind: "if", cond: this.parseExpr(STOP_IF) });
      } else {
        const t = this.peek();
        this.fail(t?.start ?? this.text.length, `unexpected ${t === undefined ? "end of file" : JSON.stringify(t.text)} in comprehension`);
      }
    }
    return clauses;
  }

  private comprehension(bracket: "[" | "{" | "(", start: number, body: Expr, value: Expr | undefined, closer: string): Expr {
    const clauses = this.parseClauses(closer);
    const children = [body, ...(value === undefined ? [] : [value]), ...clauses.flatMap((c) => (c.kind === "for" ? [c.vars, c.iter] : [c.cond]))];
    const close = this.expectOp(closer);
    return { kind: "comprehension", bracket, body, ...(value === undefined ? {} : { value }), clauses, children, start, end: close.end };
  }

  private parsePrimary(): Expr {
    const t = this.next();
    switch (t.kind) {
      case "string":
        return { kind: "string", value: decodeStringToken(t.text), raw: t.text, start: t.start, end: t.end };
      case "number":
        return { kind: "number", raw: t.text, start: t.start, end: t.end };
      case "ident":
        return { kind: "ident", name: t.text, start: t.start, end: t.end };
      default:
        break;
    }
    if (t.text === "[") return this.parseList(t);
    if (t.text === "{") return this.parseDict(t);
    if (t.text === "(") return this.parseParen(t);
    return this.fail(t.start, `unexpected ${JSON.stringify(t.text)}`);
  }

  private parseList(open: Token): Expr {
    const elements: Expr[] = [];
    const commas: number[] = [];
    while (!this.isOp(this.peek(), "]")) {
      const e = this.parseExpr(NO_STOPS);
      if (elements.length === 0 && this.isWord(this.peek(), "for")) return this.comprehension("[", open.start, e, undefined, "]");
      elements.push(e);
      if (!this.isOp(this.peek(), ",")) break;
      commas.push(this.next().start);
    }
    const close = this.expectOp("]");
    return { kind: "list", elements, commas, open: open.start, close: close.start, start: open.start, end: close.end };
  }

  private parseDict(open: Token): Expr {
    const entries: DictEntry[] = [];
    const commas: number[] = [];
    while (!this.isOp(this.peek(), "}")) {
      const key = this.parseExpr(NO_STOPS);
      this.expectOp(":");
      const value = this.parseExpr(NO_STOPS);
      if (entries.length === 0 && this.isWord(this.peek(), "for")) return this.comprehension("{", open.start, key, value, "}");
      entries.push({ key, value, start: key.start, end: value.end });
      if (!this.isOp(this.peek(), ",")) break;
      commas.push(this.next().start);
    }
    const close = this.expectOp("}");
    return { kind: "dict", entries, commas, open: open.start, close: close.start, start: open.start, end: close.end };
  }

  private parseParen(open: Token): Expr {
    const elements: Expr[] = [];
    const commas: number[] = [];
    while (!this.isOp(this.peek(), ")")) {
      const e = this.parseExpr(NO_STOPS);
      if (elements.length === 0 && this.isWord(this.peek(), "for")) return this.comprehension("(", open.start, e, undefined, ")");
      elements.push(e);
      if (!this.isOp(this.peek(), ",")) break;
      commas.push(this.next().start);
    }
    const close = this.expectOp(")");
    return { kind: "tuple", elements, commas, parenthesized: true, start: open.start, end: close.end };
  }
}

/**
 * The tokens the parser looks at: no spaces or comments, and no newlines inside brackets
 * (where Starlark ignores them). Unbalanced brackets are reported here.
 */
function significantTokens(text: string, file: string, tokens: readonly Token[]): Token[] {
  const out: Token[] = [];
  const stack: Token[] = [];
  for (const t of tokens) {
    if (t.kind === "space" || t.kind === "comment") continue;
    if (t.kind === "newline") {
      if (stack.length === 0 && out.length > 0 && out[out.length - 1]!.kind !== "newline") out.push(t);
      continue;
    }
    if (t.kind === "op" && (t.text === "(" || t.text === "[" || t.text === "{")) stack.push(t);
    if (t.kind === "op" && CLOSERS.has(t.text)) {
      const open = stack.pop();
      if (open === undefined || open.text !== OPENER_OF[t.text]) {
        const { line, col } = positionOf(text, t.start);
        throw new ParseError(
          "STARLARK_SYNTAX",
          `unbalanced "${t.text}"`,
          { file, line, col },
          {
            hint: "the file is not valid Starlark; run buildifier on it to see the problem",
          },
        );
      }
    }
    out.push(t);
  }
  const unclosed = stack.pop();
  if (unclosed !== undefined) {
    const { line, col } = positionOf(text, unclosed.start);
    throw new ParseError(
      "STARLARK_SYNTAX",
      `"${unclosed.text}" is never closed`,
      { file, line, col },
      {
        hint: "the file is not valid Starlark; run buildifier on it to see the problem",
      },
    );
  }
  return out;
}

/**
 * Parses a BUILD, .bzl or MODULE.bazel file into a shallow tree with spans. Lossless: the tokens
 * cover every byte, and no node rewrites text. Throws ParseError with line and column on bad syntax.
 */
export function parseStarlark(text: string, file = "<input>"): StarlarkFile {
  const tokens = lexStarlark(text, file);
  const parser = new Parser(text, file, significantTokens(text, file, tokens));
  const statements = parser.parseFile();
  return { file, text, tokens, statements };
}
