import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type JsonNode, parseJsonTree, parseJsonUnlocated } from "./json-tree.js";

/** The tree without its positions. */
function unlocated(node: JsonNode): unknown {
  if (node.kind === "object") return { kind: "object", members: node.members.map((m) => ({ key: m.key, value: unlocated(m.value) })) };
  if (node.kind === "array") return { kind: "array", items: node.items.map(unlocated) };
  return { kind: node.kind, value: node.value };
}

function hasRepeatedOrIndexName(node: JsonNode): boolean {
  if (node.kind === "array") return node.items.some(hasRepeatedOrIndexName);
  if (node.kind !== "object") return false;
  const keys = node.members.map((m) => m.key);
  return (
    new Set(keys).size < keys.length || keys.some((k) => /^(?:0|[1-9][0-9]*)$/.test(k)) || node.members.some((m) => hasRepeatedOrIndexName(m.value))
  );
}

function located(text: string): unknown {
  try {
    return unlocated(parseJsonTree(text, "x.json", "BAD_LOCK"));
  } catch {
    return undefined;
  }
}

/** A small change of a text: a character inserted, or a stretch (perhaps a whole member) repeated or removed. */
const edit = fc
  .tuple(
    fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    fc.integer({ min: 0, max: 12 }),
    fc.constantFrom("insert", "repeat", "remove"),
    fc.constantFrom(",", ":", '"', "\\", "}", "]", " ", "1", "x"),
  )
  .map(([f, n, op, c]) => (t: string): string => {
    const i = Math.floor(f * t.length);
    if (op === "insert") return t.slice(0, i) + c + t.slice(i);
    if (op === "repeat") return t.slice(0, i + n) + t.slice(i, i + n) + t.slice(i + n);
    return t.slice(0, i) + t.slice(i + n);
  });

describe("parseJsonUnlocated", () => {
  it("gives parseJsonTree's tree (without positions) for JSON, and nothing for text that is not JSON", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(0, 1, "\t"), fc.option(edit), (value, space, change) => {
        const json = JSON.stringify(value, null, space);
        const text = change === null ? json : change(json);
        const quick = parseJsonUnlocated(text);
        if (quick !== undefined) expect(unlocated(quick)).toStrictEqual(located(text));
        // Left to parseJsonTree only: text that is not JSON, repeats or index-like names, `\u` escapes.
        else
          expect(located(text) === undefined || hasRepeatedOrIndexName(parseJsonTree(text, "x.json", "BAD_LOCK")) || text.includes("\\u")).toBe(true);
      }),
      { numRuns: 2000 },
    );
    for (const bad of ["", "{", '{"a":1,}', "[1,]", "01", '"\\x"', "\uFEFF{}", "{'a':1}", "NaN", '{"a":1} x']) {
      expect(parseJsonUnlocated(bad), bad).toBeUndefined();
      expect(located(bad), bad).toBeUndefined();
    }
  });

  it("leaves objects that repeat a member name, or name one like an array index, and deep nesting to parseJsonTree", () => {
    expect(parseJsonUnlocated(`${"[".repeat(100_000)}${"]".repeat(100_000)}`)).toBeUndefined();
    expect(parseJsonUnlocated('{"a": 1, "b": {"c": 2, "c": 3}}')).toBeUndefined();
    expect(parseJsonUnlocated('{"b": 1, "1": 2}')).toBeUndefined();
    // Names inside strings are not names: a value holding `"x":` counts for nothing.
    const tricky = '{"a": "\\"b\\": 1", "c": ["\\"", ":"], "d\\"": {"e": ":"}}';
    expect(unlocated(parseJsonUnlocated(tricky)!)).toStrictEqual(located(tricky));
  });
});
