import { ParseError } from "../../core/errors.js";

/**
 * Token kinds of the lossless Starlark lexer. Every byte of the input belongs to exactly one token,
 * so joining the token texts gives back the input.
 * - `space`: spaces, tabs, form feeds and backslash-newline continuations
 * - `newline`: `\n` or `\r\n`
 * - `comment`: `#` up to (not including) the end of the line
 */
export type TokenKind = "space" | "newline" | "comment" | "string" | "number" | "ident" | "op";

export interface Token {
  readonly kind: TokenKind;
  /** Offset of the first character (UTF-16 code units, as JavaScript strings index). */
  readonly start: number;
  /** Offset just past the last character. */
  readonly end: number;
  readonly text: string;
}

// Longest operators first so that matching is greedy.
const OPERATORS = [
  "//=",
  "<<=",
  ">>=",
  "**",
  "==",
  "!=",
  "<=",
  ">=",
  "+=",
  "-=",
  "*=",
  "/=",
  "%=",
  "&=",
  "|=",
  "^=",
  "//",
  "<<",
  ">>",
  "->",
  "+",
  "-",
  "*",
  "/",
  "%",
  "&",
  "|",
  "^",
  "~",
  "<",
  ">",
  "(",
  ")",
  "[",
  "]",
  "{",
  "}",
  ",",
  ";",
  ":",
  ".",
  "=",
  "!",
];

const STRING_PREFIX_RE = /(?:[rR][bB]?|[bB][rR]?)?(?="|')/y;
const NUMBER_RE = /0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/y;
const IDENT_RE = /[A-Za-z_][A-Za-z0-9_]*/y;
const SPACE_RE = /(?:[ \t\f]|\\\r?\n)+/y;

/** Line and column (both 1-based) of an offset. */
export function positionOf(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, col: offset - lineStart + 1 };
}

function stickyMatch(re: RegExp, text: string, at: number): string | undefined {
  re.lastIndex = at;
  const m = re.exec(text);
  return m === null ? undefined : m[0];
}

/** Length of the string literal (prefix included) starting at `at`, or throws on an unterminated one. */
function scanString(text: string, at: number, file: string): number {
  const prefix = stickyMatch(STRING_PREFIX_RE, text, at) ?? "";
  let i = at + prefix.length;
  const quote = text[i]!;
  const triple = text.startsWith(quote.repeat(3), i);
  const closer = triple ? quote.repeat(3) : quote;
  i += closer.length;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "\\") {
      // Even raw strings cannot end with an odd backslash before the quote: the pair is skipped.
      i += 2;
      continue;
    }
    if (text.startsWith(closer, i)) return i + closer.length - at;
    if (!triple && c === "\n") break;
    i++;
  }
  const { line, col } = positionOf(text, at);
  throw new ParseError(
    "STARLARK_UNTERMINATED_STRING",
    "unterminated string literal",
    { file, line, col },
    {
      hint: "close the string with the same quote it opens with",
    },
  );
}

/**
 * Splits Starlark source into tokens without losing a byte: `tokens.map(t => t.text).join("") === text`.
 * Throws ParseError (with line and column) on an unterminated string or a character Starlark does not allow.
 */
export function lexStarlark(text: string, file = "<input>"): Token[] {
  const tokens: Token[] = [];
  const push = (kind: TokenKind, start: number, end: number): void => {
    tokens.push({ kind, start, end, text: text.slice(start, end) });
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "\n") {
      push("newline", i, i + 1);
      i++;
      continue;
    }
    if (c === "\r" && text[i + 1] === "\n") {
      push("newline", i, i + 2);
      i += 2;
      continue;
    }
    const space = stickyMatch(SPACE_RE, text, i);
    if (space !== undefined) {
      push("space", i, i + space.length);
      i += space.length;
      continue;
    }
    if (c === "#") {
      let end = text.indexOf("\n", i);
      if (end === -1) end = text.length;
      if (end > i && text[end - 1] === "\r") end--;
      push("comment", i, end);
      i = end;
      continue;
    }
    if (stickyMatch(STRING_PREFIX_RE, text, i) !== undefined) {
      const len = scanString(text, i, file);
      push("string", i, i + len);
      i += len;
      continue;
    }
    const ident = stickyMatch(IDENT_RE, text, i);
    if (ident !== undefined) {
      push("ident", i, i + ident.length);
      i += ident.length;
      continue;
    }
    if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(text[i + 1] ?? ""))) {
      const num = stickyMatch(NUMBER_RE, text, i)!;
      push("number", i, i + num.length);
      i += num.length;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (op !== undefined) {
      push("op", i, i + op.length);
      i += op.length;
      continue;
    }
    const { line, col } = positionOf(text, i);
    throw new ParseError(
      "STARLARK_BAD_CHARACTER",
      `unexpected character ${JSON.stringify(c)}`,
      { file, line, col },
      {
        hint: "the file is not valid Starlark; check it with buildifier",
      },
    );
  }
  return tokens;
}

/** Decodes the value of a string token (escapes resolved; raw strings kept verbatim). */
export function decodeStringToken(raw: string): string {
  const prefix = /^[rRbB]*/.exec(raw)![0];
  const isRaw = /[rR]/.test(prefix);
  const body0 = raw.slice(prefix.length);
  const q = body0.startsWith('"""') || body0.startsWith("'''") ? 3 : 1;
  const body = body0.slice(q, body0.length - q);
  if (isRaw) return body;
  return body.replace(/\\(\r?\n|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|.)/gs, (_m, e: string) => {
    switch (e[0]) {
      case "\n":
      case "\r":
        return "";
      case "n":
        return "\n";
      case "t":
        return "\t";
      case "r":
        return "\r";
      case "a":
        return "\x07";
      case "b":
        return "\b";
      case "f":
        return "\f";
      case "v":
        return "\v";
      case "x":
      case "u":
      case "U":
        return String.fromCodePoint(parseInt(e.slice(1), 16));
      default:
        if (/[0-7]/.test(e[0]!)) return String.fromCodePoint(parseInt(e, 8));
        // `\\`, `\'`, `\"` and unknown escapes (kept literally, as Starlark does for the unknown ones)
        return e === "\\" || e === "'" || e === '"' ? e : `\\${e}`;
    }
  });
}
