import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ListExpr, topLevelAssignments } from "./ast.js";
import { insertElement, insertListElements, listStyle, removeListElements, removeListElementsByKey, stringElementKey } from "./list-editor.js";
import { parseStarlark } from "./parser.js";

function listOf(text: string, name = "X"): ListExpr {
  const v = topLevelAssignments(parseStarlark(text)).get(name)!.value;
  if (v.kind !== "list") throw new Error("not a list");
  return v;
}

const values = (text: string) => listOf(text).elements.map(stringElementKey);

describe("listStyle", () => {
  it("tells one-per-line from inline lists, their indent, trailing comma and order", () => {
    expect(listStyle('X = [\n\t"a",\n\t"b",\n]\n', listOf('X = [\n\t"a",\n\t"b",\n]\n'))).toEqual({
      multiline: true,
      indent: "\t",
      trailingComma: true,
      sorted: true,
    });
    const inline = 'X = ["b", "a"]\n';
    expect(listStyle(inline, listOf(inline))).toEqual({ multiline: false, indent: "    ", trailingComma: false, sorted: false });
  });
});

describe("insertListElements / removeListElements", () => {
  it("inserts into the middle of a sorted list at the right line and keeps comments with their elements", () => {
    const text = 'X = [\n    "a",  # one\n    # before c\n    "c",\n]\n';
    const out = insertListElements(text, listOf(text), [{ code: '"b"', key: "b" }]);
    expect(out).toBe('X = [\n    "a",  # one\n    "b",\n    # before c\n    "c",\n]\n');
  });

  it("removes an element with its trailing comment but leaves comment lines above it", () => {
    const text = 'X = [\n    "a",  # one\n    # before c\n    "c",  # three\n]\n';
    expect(removeListElementsByKey(text, listOf(text), ["c"])).toBe('X = [\n    "a",  # one\n    # before c\n]\n');
    expect(removeListElements(text, listOf(text), [0, 1])).toBe("X = [\n    # before c\n]\n");
  });

  it("rejects an index outside the list", () => {
    expect(() => removeListElements('X = ["a"]\n', listOf('X = ["a"]\n'), [3])).toThrow(RangeError);
  });

  it("property: inserting new elements then removing them gives back the original bytes, in every style", () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9.+-]{0,6}$/);
    fc.assert(
      fc.property(
        fc.uniqueArray(name, { maxLength: 6 }),
        fc.uniqueArray(name, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom("  ", "    ", "\t"),
        fc.boolean(),
        (existing, added0, multiline, trailing, sortedInput, indent, comments) => {
          const added = added0.filter((a) => !existing.includes(a));
          const els = sortedInput ? [...existing].sort() : existing;
          let text: string;
          if (multiline && els.length > 0) {
            const lines = els.map((e, i) => `${indent}"${e}"${i < els.length - 1 || trailing ? "," : ""}${comments && i % 2 === 0 ? "  # c" : ""}\n`);
            text = `# head\nX = [${comments ? "  # open" : ""}\n${lines.join("")}]\nY = 1`;
          } else {
            text = `X = [${els.map((e) => `"${e}"`).join(", ")}${trailing && els.length > 0 ? "," : ""}]\n`;
          }
          const out = insertListElements(
            text,
            listOf(text),
            added.map((a) => ({ code: JSON.stringify(a), key: a })),
          );
          expect(new Set(values(out))).toEqual(new Set([...els, ...added]));
          if (listStyle(text, listOf(text)).sorted) expect(values(out)).toEqual([...els, ...added].sort());
          expect(removeListElementsByKey(out, listOf(out), added)).toBe(text);
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe("insertElement", () => {
  // The list as the parser finds it in the new text: the oracle for the list insertElement hands on without parsing.
  const shape = (l: ListExpr) => ({
    open: l.open,
    close: l.close,
    end: l.end,
    commas: l.commas,
    elements: l.elements.map((e) => ({
      kind: e.kind,
      start: e.start,
      end: e.end,
      key: e.kind === "call" ? e.args[2]?.value.kind : stringElementKey(e),
    })),
  });

  it("property: the list it returns is the list the parser finds in the new text, in every style", () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9.+-]{0,6}$/);
    fc.assert(
      fc.property(
        fc.uniqueArray(name, { maxLength: 6 }),
        fc.uniqueArray(name, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom("string", "call"),
        fc.constantFrom("build", "bzl"),
        fc.nat(),
        (existing, added, multiline, trailing, comments, form, format, seed) => {
          const code = (n: string) => (form === "string" ? JSON.stringify(n) : `deb.package(arch, "d", ${JSON.stringify(n)})`);
          let text: string;
          if (multiline && existing.length > 0) {
            const lines = existing.map(
              (e, i) => `    ${code(e)}${i < existing.length - 1 || trailing ? "," : ""}${comments && i % 2 === 0 ? "  # c, d" : ""}\n`,
            );
            text = `# head\nX = [${comments ? "  # open" : ""}\n${lines.join("")}]\nY = 1`;
          } else {
            text = `X = [${existing.map(code).join(", ")}${trailing && existing.length > 0 ? "," : ""}]\n`;
          }
          let list = listOf(text);
          for (const [k, a] of added.entries()) {
            const gap = (seed + k) % (list.elements.length + 1);
            ({ text, list } = insertElement(text, list, { code: code(a), key: a }, gap, format, "<test>"));
            expect(shape(list)).toEqual(shape(listOf(text)));
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
