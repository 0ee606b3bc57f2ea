import type { ErrorCode } from "../error-codes.js";
import { ParseError } from "../errors.js";

/**
 * JSON parsed into a tree that remembers where every value sits in the text, so callers can report
 * positions and edit single values without re-serialising the document (lock files, MODULE.bazel.lock).
 * Spans are UTF-16 offsets into the parsed string: `start` inclusive, `end` exclusive.
 */
export type JsonNode = JsonObject | JsonArray | JsonScalar;

export interface JsonSpan {
  readonly start: number;
  readonly end: number;
}

export interface JsonMember extends JsonSpan {
  readonly key: string;
  /** Span of the quoted key. */
  readonly keySpan: JsonSpan;
  readonly value: JsonNode;
}

export interface JsonObject extends JsonSpan {
  readonly kind: "object";
  readonly members: readonly JsonMember[];
}

export interface JsonArray extends JsonSpan {
  readonly kind: "array";
  readonly items: readonly JsonNode[];
}

export interface JsonScalar extends JsonSpan {
  readonly kind: "string" | "number" | "boolean" | "null";
  readonly value: string | number | boolean | null;
}

/** 1-based line and column of an offset. */
export function positionOf(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, col: offset - lineStart + 1 };
}

/** The deepest nesting accepted (MODULE.bazel.lock and lock files are a few levels deep). */
const MAX_DEPTH = 256;

/** Parses strict JSON (RFC 8259). Throws ParseError(`code`) with line and column on malformed input. */
export function parseJsonTree(text: string, file: string, code: ErrorCode): JsonNode {
  let pos = 0;

  const fail = (message: string, at = pos): never => {
    throw new ParseError(
      code,
      message,
      { file, ...positionOf(text, at) },
      { hint: "the file is not valid JSON; restore it from version control or regenerate it" },
    );
  };

  const skipSpace = (): void => {
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) pos++;
      else break;
    }
  };

  const parseString = (): JsonScalar => {
    const start = pos;
    pos++; // opening quote
    let out = "";
    let chunkStart = pos;
    for (;;) {
      if (pos >= text.length) fail("unterminated string", start);
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        out += text.slice(chunkStart, pos);
        pos++;
        return { kind: "string", value: out, start, end: pos };
      }
      if (c < 0x20) fail("control character in string");
      if (c === 0x5c) {
        out += text.slice(chunkStart, pos);
        const e = text[pos + 1];
        const simple: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
        if (e !== undefined && simple[e] !== undefined) {
          out += simple[e];
          pos += 2;
        } else if (e === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(pos + 2, pos + 6))) {
          out += String.fromCharCode(parseInt(text.slice(pos + 2, pos + 6), 16));
          pos += 6;
        } else {
          fail("bad escape sequence in string");
        }
        chunkStart = pos;
        continue;
      }
      pos++;
    }
  };

  // Real lock files nest four deep; a hostile one nested a million deep would overflow the stack.
  let depth = 0;
  const parseValue = (): JsonNode => {
    if (++depth > MAX_DEPTH) fail(`nested more than ${MAX_DEPTH} levels deep`);
    try {
      return parseValueAt();
    } finally {
      depth--;
    }
  };

  const parseValueAt = (): JsonNode => {
    skipSpace();
    const start = pos;
    const c = text[pos];
    if (c === "{") {
      pos++;
      const members: JsonMember[] = [];
      skipSpace();
      if (text[pos] === "}") {
        pos++;
        return { kind: "object", members, start, end: pos };
      }
      for (;;) {
        skipSpace();
        if (text[pos] !== '"') fail("expected a property name in double quotes");
        const key = parseString();
        skipSpace();
        if (text[pos] !== ":") fail("expected ':' after property name");
        pos++;
        const value = parseValue();
        members.push({ key: key.value as string, keySpan: { start: key.start, end: key.end }, value, start: key.start, end: value.end });
        skipSpace();
        if (text[pos] === ",") {
          pos++;
          continue;
        }
        if (text[pos] === "}") {
          pos++;
          return { kind: "object", members, start, end: pos };
        }
        fail("expected ',' or '}' after property value");
      }
    }
    if (c === "[") {
      pos++;
      const items: JsonNode[] = [];
      skipSpace();
      if (text[pos] === "]") {
        pos++;
        return { kind: "array", items, start, end: pos };
      }
      for (;;) {
        items.push(parseValue());
        skipSpace();
        if (text[pos] === ",") {
          pos++;
          continue;
        }
        if (text[pos] === "]") {
          pos++;
          return { kind: "array", items, start, end: pos };
        }
        fail("expected ',' or ']' after array element");
      }
    }
    if (c === '"') return parseString();
    for (const [word, value] of [
      ["true", true],
      ["false", false],
      ["null", null],
    ] as const) {
      if (text.startsWith(word, pos)) {
        pos += word.length;
        return { kind: value === null ? "null" : "boolean", value, start, end: pos };
      }
    }
    const num = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(pos, pos + 64));
    if (num !== null) {
      pos += num[0].length;
      return { kind: "number", value: Number(num[0]), start, end: pos };
    }
    return fail(pos >= text.length ? "unexpected end of input" : `unexpected character ${JSON.stringify(c)}`);
  };

  const root = parseValue();
  skipSpace();
  if (pos < text.length) fail("unexpected text after the JSON value");
  return root;
}

/**
 * The tree of `text` as JSON.parse reads it, without positions (every span is 0): parseJsonTree's answer for
 * valid JSON, at a fraction of its cost. Undefined for text that is not JSON, and for an object that repeats a
 * key (JSON.parse keeps the last; callers that reject repeats need parseJsonTree to say where) or has a member
 * named like an array index (JavaScript objects put those first, out of the text's order). For readers
 * that use positions only to report a problem: read this tree, and on a problem read parseJsonTree's.
 */
export function parseJsonUnlocated(text: string): JsonNode | undefined {
  // An escaped character could be a `:` (see the count below): such text is left to parseJsonTree.
  if (text.includes("\\u")) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  // Each member name of the text is followed by one `:`; every other `:` of the text is inside a string (names
  // and values, read back unescaped). So the text names as many members as the objects hold unless a name repeats.
  let colonsInStrings = 0;
  let names = 0;
  let indexLike = false;
  const colons = (s: string): number => {
    let n = 0;
    for (let i = s.indexOf(":"); i >= 0; i = s.indexOf(":", i + 1)) n++;
    return n;
  };
  const node = (v: unknown, depth: number): JsonNode => {
    // parseJsonTree refuses deeper nesting (and says where); recursing that deep here could overflow the stack.
    if (depth > MAX_DEPTH) throw TOO_DEEP;
    if (Array.isArray(v)) {
      const items: JsonNode[] = [];
      for (const item of v) items.push(node(item, depth + 1));
      return { kind: "array", items, start: 0, end: 0 };
    }
    if (v !== null && typeof v === "object") {
      const members: JsonMember[] = [];
      for (const key of Object.keys(v)) {
        names++;
        colonsInStrings += colons(key);
        if (/^(?:0|[1-9][0-9]*)$/.test(key)) indexLike = true;
        members.push({ key, keySpan: NO_SPAN, value: node((v as Record<string, unknown>)[key], depth + 1), start: 0, end: 0 });
      }
      return { kind: "object", members, start: 0, end: 0 };
    }
    if (typeof v === "string") {
      colonsInStrings += colons(v);
      return { kind: "string", value: v, start: 0, end: 0 };
    }
    return { kind: v === null ? "null" : typeof v === "number" ? "number" : "boolean", value: v as JsonScalar["value"], start: 0, end: 0 };
  };
  let root: JsonNode;
  try {
    root = node(value, 1);
  } catch (e) {
    if (e === TOO_DEEP) return undefined;
    throw e;
  }
  return !indexLike && colons(text) - colonsInStrings === names ? root : undefined;
}

const NO_SPAN: JsonSpan = { start: 0, end: 0 };
const TOO_DEEP = Symbol("nested too deep");

/** The member of an object with the given key, if any. */
export function memberOf(node: JsonObject, key: string): JsonMember | undefined {
  return node.members.find((m) => m.key === key);
}
