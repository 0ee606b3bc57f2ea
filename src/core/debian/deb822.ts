import { ParseError } from "../errors.js";

/**
 * Generic deb822 (RFC 822-style control file) parsing, as used by Release files: paragraphs separated
 * by blank lines, `Name: value` fields, continuation lines starting with a space or tab.
 *
 * Values keep their lines: the text after the colon (trimmed), then one `\n`-separated line per
 * continuation line, without its leading space/tab and trailing whitespace. So the `SHA256` field of a
 * Release file has the value "\n<hash> <size> <path>\n...". Packages indexes have their own, faster
 * parser (packages-index.ts).
 */

export interface Deb822Field {
  /** The field name as written (compare case-insensitively). */
  readonly name: string;
  readonly value: string;
  /** 1-based line of the field name. */
  readonly line: number;
}

export interface Paragraph {
  /** Fields in file order. */
  readonly fields: readonly Deb822Field[];
  /** 1-based line where the paragraph starts. */
  readonly line: number;
}

const HINT = "deb822 files hold paragraphs of `Name: value` lines separated by blank lines; continuation lines start with a space";

// Printable US-ASCII except space and colon; may not start with `#` or `-` (deb822(5)).
const FIELD_NAME_RE = /^[!-9;-~]+$/;

function fail(message: string, file: string, line: number): never {
  throw new ParseError("BAD_DEB822", message, { file, line }, { hint: HINT });
}

/**
 * Parses deb822 text into paragraphs. `file` names the text in errors. Throws ParseError (code
 * BAD_DEB822) with the line number for a line that is not a field, a continuation line before any
 * field, a bad field name, or a field that appears twice in one paragraph.
 */
export function parseDeb822(text: string, file: string): Paragraph[] {
  const paragraphs: Paragraph[] = [];
  const lines = text.split("\n");
  let fields: Deb822Field[] | undefined;
  let names: Set<string> | undefined;
  let paragraphLine = 0;
  // The field being read: continuation lines are appended to it.
  let name = "";
  let value = "";
  let fieldLine = 0;

  const finishField = (): void => {
    if (fields !== undefined && fieldLine > 0) fields.push({ name, value, line: fieldLine });
    fieldLine = 0;
  };
  const finishParagraph = (): void => {
    finishField();
    if (fields !== undefined) paragraphs.push({ fields, line: paragraphLine });
    fields = undefined;
    names = undefined;
  };

  // A trailing newline does not start an extra line.
  const count = lines.length > 0 && lines[lines.length - 1] === "" ? lines.length - 1 : lines.length;
  for (let i = 0; i < count; i++) {
    const lineNo = i + 1;
    let raw = lines[i]!;
    if (raw.endsWith("\r")) raw = raw.slice(0, -1);
    if (raw === "") {
      finishParagraph();
      continue;
    }
    const first = raw.charCodeAt(0);
    if (first === 32 || first === 9) {
      if (fieldLine === 0) fail("continuation line before any field", file, lineNo);
      value += `\n${raw.slice(1).trimEnd()}`;
      continue;
    }
    finishField();
    const colon = raw.indexOf(":");
    if (colon <= 0) fail(`expected "Name: value", found ${JSON.stringify(raw.slice(0, 60))}`, file, lineNo);
    const fieldName = raw.slice(0, colon);
    if (!FIELD_NAME_RE.test(fieldName) || fieldName.startsWith("#") || fieldName.startsWith("-")) {
      fail(`invalid field name ${JSON.stringify(fieldName)}`, file, lineNo);
    }
    if (fields === undefined) {
      fields = [];
      names = new Set();
      paragraphLine = lineNo;
    }
    const key = fieldName.toLowerCase();
    if (names!.has(key)) fail(`duplicate field ${fieldName} in the paragraph at line ${paragraphLine}`, file, lineNo);
    names!.add(key);
    name = fieldName;
    value = raw.slice(colon + 1).trim();
    fieldLine = lineNo;
  }
  finishParagraph();
  return paragraphs;
}

/** The value of the field `name` (case-insensitive), or undefined. */
export function getField(paragraph: Paragraph, name: string): string | undefined {
  const key = name.toLowerCase();
  for (const f of paragraph.fields) if (f.name.toLowerCase() === key) return f.value;
  return undefined;
}

/** The field `name` (case-insensitive) with its line, or undefined. */
export function findField(paragraph: Paragraph, name: string): Deb822Field | undefined {
  const key = name.toLowerCase();
  return paragraph.fields.find((f) => f.name.toLowerCase() === key);
}

/**
 * Writes paragraphs back as deb822 text: `Name: value`, continuation lines indented by one space,
 * paragraphs separated by one blank line, a final newline. Values are written as given (no ` .`
 * encoding of empty lines), so `parseDeb822(formatDeb822(p))` gives back the same fields.
 */
export function formatDeb822(paragraphs: ReadonlyArray<{ readonly fields: ReadonlyArray<Pick<Deb822Field, "name" | "value">> }>): string {
  return paragraphs
    .map((p) =>
      p.fields
        .map((f) => {
          const [head, ...rest] = f.value.split("\n");
          return `${f.name}:${head === "" ? "" : ` ${head}`}${rest.map((l) => `\n ${l}`).join("")}\n`;
        })
        .join(""),
    )
    .join("\n");
}
