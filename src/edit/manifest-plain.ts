import type { Manifest, ManifestPackage, ManifestSource } from "./manifest.js";
import { parsePackageSpec } from "./package-spec.js";

/**
 * Reads the plain form nearly every rules_distroless manifest is written in, without the `yaml` package (whose
 * loading and parsing are most of the start-up of an offline `check`):
 *
 *     version: 1                       # comments on their own line or after a value
 *     sources:
 *       - channel: bookworm main
 *         url: https://snapshot.debian.org/archive/debian/20240706T203757Z
 *       - channel: bookworm-security main
 *         urls:
 *           - https://...
 *     archs: [amd64, arm64]            # or a block list
 *     packages:
 *       - libc6 # deb-lock: no-arch=arm64 ...
 *       - "tzdata"
 *
 * that is: printable ASCII, `\n` line ends, no tabs; a top-level map of exactly those four keys, each once; block
 * lists whose entries each sit on one line (`-` then the value), or flow lists on one line; plain scalars of
 * the characters package names, versions, channels and URLs use, or quoted scalars without escapes.
 *
 * Returns the same Manifest the YAML reader (manifest.ts) does, or undefined for anything else, and for every
 * manifest that is not valid: the caller then reads it with the YAML reader, whose answer (or error, with its
 * message and position) is the reference. It never gives a different answer: manifest-plain.test.ts checks it
 * against the YAML reader on every manifest of the repository and on generated and mutated ones.
 */
export function readPlainManifest(text: string): Manifest | undefined {
  // Anything but printable ASCII and \n (tabs, \r, a byte-order mark, non-ASCII text) is left to the YAML reader.
  if (/[^\n\x20-\x7e]/.test(text)) return undefined;
  const lines: Line[] = [];
  text.split("\n").forEach((s, i) => {
    // Blank lines and comment lines carry nothing, whatever their indentation.
    if (/^ *(#.*)?$/.test(s)) return;
    lines.push({ no: i + 1, s, indent: /^ */.exec(s)![0].length });
  });
  try {
    return readTop(new Cursor(lines));
  } catch (e) {
    if (e === OUTSIDE) return undefined;
    throw e;
  }
}

interface Line {
  readonly no: number;
  readonly s: string;
  readonly indent: number;
}

/** A scalar as written: its value and where its text starts and ends on its line (0-based columns). */
interface Scalar {
  readonly value: string;
  readonly no: number;
  readonly start: number;
  readonly end: number;
}

/** Thrown (and caught in readPlainManifest) for any text outside the plain form. */
const OUTSIDE = Symbol("outside the plain manifest form");

function outside(): never {
  throw OUTSIDE;
}

class Cursor {
  private i = 0;
  constructor(private readonly lines: readonly Line[]) {}
  peek(): Line | undefined {
    return this.lines[this.i];
  }
  next(): Line {
    return this.lines[this.i++] ?? outside();
  }
}

const TOP_KEYS = new Set(["version", "sources", "archs", "packages"]);

function readTop(cur: Cursor): Manifest {
  const seen = new Map<string, unknown>();
  for (let line = cur.peek(); line !== undefined; line = cur.peek()) {
    cur.next();
    if (line.indent !== 0) outside();
    const { key, rest } = keyOf(line.s, 0);
    if (!TOP_KEYS.has(key) || seen.has(key)) outside();
    if (key === "version") {
      // Only the plain `1`; the YAML reader judges any other spelling.
      if (!/^ +1(?: *| +#.*)$/.test(line.s.slice(rest))) outside();
      seen.set(key, 1);
    } else if (key === "sources") {
      if (!isEmptyRest(line.s, rest)) outside();
      seen.set(key, readSources(cur));
    } else {
      seen.set(key, isEmptyRest(line.s, rest) ? readScalarList(cur, 0) : flowList(line, rest));
    }
  }
  if (seen.size !== TOP_KEYS.size) outside();
  const sources = seen.get("sources") as ManifestSource[];
  const archs = (seen.get("archs") as Scalar[]).map((a) => a.value);
  if (sources.length === 0 || archs.length === 0 || new Set(archs).size !== archs.length) outside();
  if (!archs.every((a) => /^[a-z0-9][a-z0-9-]*$/.test(a))) outside();
  return { version: 1, sources, archs, packages: readPackages(seen.get("packages") as Scalar[]) };
}

function readPackages(items: readonly (Scalar & { block?: Line })[]): ManifestPackage[] {
  const seen = new Set<string>();
  return items.map((item) => {
    const parsed = parsePackageSpec(item.value);
    if ("error" in parsed || seen.has(parsed.name)) outside();
    seen.add(parsed.name);
    // A comment after the entry, on its line (block lists only).
    const comment = item.block === undefined ? undefined : /^ +#(.*)$/.exec(item.block.s.slice(item.end))?.[1]?.trim();
    return { ...parsed, spec: item.value, ...(comment === undefined ? {} : { comment }), line: item.no, col: item.start + 1 };
  });
}

/**
 * A block list of scalars whose first entry is the next line, indented at least `minIndent`. It ends at the
 * first line that is not an entry at its indentation (the caller judges that line); a line indented deeper
 * (a continued or nested value) is outside the form.
 */
function readScalarList(cur: Cursor, minIndent: number): (Scalar & { block: Line })[] {
  const first = cur.peek();
  if (first === undefined || first.indent < minIndent || !isEntry(first)) outside(); // null, or not a list
  const items: (Scalar & { block: Line })[] = [];
  for (let line = cur.peek(); line !== undefined && line.indent >= first.indent; line = cur.peek()) {
    if (line.indent > first.indent) outside();
    if (!isEntry(line)) break;
    cur.next();
    const item = scalarAt(line, valueStart(line), "block");
    if (!isEmptyRest(line.s, item.end)) outside();
    items.push({ ...item, block: line });
  }
  return items;
}

/** The sources list: block entries that are maps of channel and url or urls, each key on its own line. */
function readSources(cur: Cursor): ManifestSource[] {
  const first = cur.peek();
  if (first === undefined || !isEntry(first)) outside();
  const sources: ManifestSource[] = [];
  for (let line = cur.peek(); line !== undefined && line.indent >= first.indent; line = cur.peek()) {
    if (line.indent > first.indent) outside();
    if (!isEntry(line)) break;
    cur.next();
    const mapIndent = valueStart(line);
    const fields = new Map<string, string | string[]>();
    readSourceField(cur, line, mapIndent, fields);
    for (let next = cur.peek(); next !== undefined && next.indent === mapIndent; next = cur.peek()) {
      cur.next();
      readSourceField(cur, next, mapIndent, fields);
    }
    sources.push(sourceOf(fields, line.no));
  }
  return sources;
}

function readSourceField(cur: Cursor, line: Line, at: number, fields: Map<string, string | string[]>): void {
  const { key, rest } = keyOf(line.s, at);
  if (fields.has(key)) outside();
  if (key === "channel" || key === "url") {
    const value = scalarAt(line, rest, "block");
    if (!isEmptyRest(line.s, value.end)) outside();
    fields.set(key, value.value);
  } else if (key === "urls") {
    const list = isEmptyRest(line.s, rest) ? readScalarList(cur, at) : flowList(line, rest);
    fields.set(
      key,
      list.map((u) => u.value),
    );
  } else {
    outside();
  }
}

function sourceOf(fields: ReadonlyMap<string, string | string[]>, line: number): ManifestSource {
  const channel = fields.get("channel");
  const url = fields.get("url");
  const urls = fields.get("urls");
  if (typeof channel !== "string" || (url === undefined) === (urls === undefined)) outside();
  const [suite, ...components] = channel.trim().split(/\s+/);
  if (components.length === 0) outside();
  for (const word of [suite!, ...components]) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._+~-]*(\/[A-Za-z0-9][A-Za-z0-9._+~-]*)*$/.test(word) || word.split("/").includes("..")) outside();
  }
  const list = url === undefined ? (urls as string[]) : [url as string];
  if (list.length === 0) outside();
  return { channel, suite: suite!, components, urls: list, urlField: url === undefined ? "urls" : "url", line };
}

/** `key:` at column `at`, a plain key of lowercase letters; `rest` is the column after the colon. */
function keyOf(s: string, at: number): { key: string; rest: number } {
  const m = /^([a-z]+):(?= |$)/.exec(s.slice(at));
  if (m === null) outside();
  return { key: m[1]!, rest: at + m[0].length };
}

/** Whether the line is a block list entry: `-`, at least one space, then something. */
function isEntry(line: Line): boolean {
  return /^- +[^ ]/.test(line.s.slice(line.indent));
}

/** Column of the value after an entry's `- `. */
function valueStart(line: Line): number {
  return line.indent + /^- +/.exec(line.s.slice(line.indent))![0].length;
}

/** Whether the line from `at` holds nothing but blanks and a comment. */
function isEmptyRest(s: string, at: number): boolean {
  return /^(?: *| +#.*)$/.test(s.slice(at));
}

/** A flow list on one line starting at column `at` (after blanks), its closing bracket followed by nothing but a comment. */
function flowList(line: Line, at: number): Scalar[] {
  const s = line.s;
  let i = at;
  while (s[i] === " ") i++;
  if (s[i] !== "[") outside();
  i++;
  const items: Scalar[] = [];
  for (;;) {
    while (s[i] === " ") i++;
    if (s[i] === "]" && items.length === 0) break;
    const item = scalarAt(line, i, "flow");
    items.push(item);
    i = item.end;
    while (s[i] === " ") i++;
    if (s[i] === "]") break;
    if (s[i] !== ",") outside();
    i++;
  }
  if (!isEmptyRest(s, i + 1)) outside();
  return items;
}

// Characters of plain scalars: what package specs (`libstdc++6 (>= 12)`, `tzdata=2024a-0+deb12u1`), channels and
// URLs use. The first must be a letter or digit, so no YAML indicator (`- ? : , [ ] { } # & * ! | > ' " % @`)
// can start one; commas, brackets, braces and quotes never occur inside.
const PLAIN_FIRST = /[A-Za-z0-9]/;
const PLAIN_REST = /[A-Za-z0-9 ._+~:/=()<>@?&%!*$;#-]/;

/**
 * The scalar starting at column `at` (after blanks): plain, 'single-quoted' or "double-quoted" without escapes,
 * always a non-empty string (plain scalars YAML reads as null, a boolean or a number are outside the form).
 */
function scalarAt(line: Line, at: number, context: "block" | "flow"): Scalar {
  const s = line.s;
  let start = at;
  while (s[start] === " ") start++;
  const q = s[start];
  let value: string;
  let end: number;
  if (q === '"') {
    end = s.indexOf('"', start + 1);
    if (end < 0) outside();
    value = s.slice(start + 1, end);
    if (value.includes("\\")) outside();
    end++;
  } else if (q === "'") {
    value = "";
    let i = start + 1;
    for (;;) {
      const close = s.indexOf("'", i);
      if (close < 0) outside();
      value += s.slice(i, close);
      if (s[close + 1] !== "'") {
        end = close + 1;
        break;
      }
      value += "'";
      i = close + 2;
    }
  } else {
    if (q === undefined || !PLAIN_FIRST.test(q)) outside();
    end = start + 1;
    while (end < s.length && PLAIN_REST.test(s[end]!)) {
      // `: ` (or `:` ending the line or the flow entry) would make a key, not a value.
      if (s[end] === ":" && !/[A-Za-z0-9._+~:/=()<>@?&%!*$;#-]/.test(s[end + 1] ?? "")) outside();
      if (s[end] === " " && s[end + 1] === "#") break; // a comment
      end++;
    }
    while (s[end - 1] === " ") end--;
    value = s.slice(start, end);
    if (!isPlainString(value)) outside();
  }
  // What follows must end the scalar: blanks, a comment, or (in a flow list) `,` or `]`.
  const after = s[end];
  if (after !== undefined && after !== " " && !(context === "flow" && (after === "," || after === "]"))) outside();
  if (value.trim() === "") outside();
  return { value, no: line.no, start, end };
}

/**
 * Whether YAML 1.2's core schema reads the plain scalar as a string. Stricter than the schema: anything made
 * only of characters a number can contain (`0x1F`, `1e3`, `0ad`) is left to the YAML reader.
 */
export function isPlainString(value: string): boolean {
  if (/^(?:~|null|true|false)$/i.test(value)) return false;
  return !/^[-+.0-9a-fA-FxXoO]*$/.test(value) || !/[0-9]/.test(value);
}
