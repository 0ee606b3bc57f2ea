import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatDeb822, parseDeb822 } from "./deb822.js";

// Field names: printable ASCII without space or colon, not starting with # or -.
const nameChar = fc.constantFrom(..."ABCZabcz09-_.!~".split(""));
const fieldName = fc
  .tuple(fc.constantFrom(..."ABCSVabsv".split("")), fc.array(nameChar, { maxLength: 10 }))
  .map(([first, rest]) => first + rest.join(""));
const text = (chars: string) => fc.array(fc.constantFrom(...chars.split("")), { maxLength: 20 }).map((cs) => cs.join(""));
// First line: trimmed; continuation lines: no trailing whitespace (both are trimmed by the parser).
const firstLine = text("ab1:,()~| \t.ü").map((s) => s.trim());
const continuation = text("ab1:,()~| \t.ü").map((s) => s.trimEnd());
const value = fc.tuple(firstLine, fc.array(continuation, { maxLength: 4 })).map(([head, rest]) => [head, ...rest].join("\n"));

const paragraph = fc
  .uniqueArray(fc.tuple(fieldName, value), { minLength: 1, maxLength: 8, selector: ([n]) => n.toLowerCase() })
  .map((fields) => ({ fields: fields.map(([name, v]) => ({ name, value: v })) }));

describe("deb822 format/parse round-trip (fast-check)", () => {
  it("parseDeb822(formatDeb822(paragraphs)) gives back the same fields, with consistent line numbers", () => {
    fc.assert(
      fc.property(fc.array(paragraph, { maxLength: 4 }), (paragraphs) => {
        const written = formatDeb822(paragraphs);
        const read = parseDeb822(written, "prop");
        expect(read.map((p) => p.fields.map(({ name, value }) => ({ name, value })))).toEqual(paragraphs.map((p) => p.fields));
        const lines = written.split("\n");
        for (const p of read) {
          expect(p.line).toBe(p.fields[0]!.line);
          for (const f of p.fields) expect(lines[f.line - 1]!.startsWith(`${f.name}:`)).toBe(true);
        }
        expect(formatDeb822(read)).toBe(written);
      }),
      { numRuns: 200 },
    );
  });
});
