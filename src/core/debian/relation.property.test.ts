import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatRelations, parseRelations, type Relation, type RelationField, type RelationOp } from "./relation.js";
import { formatVersion, parseVersion } from "./version.js";

const lower = "abcdefghijklmnopqrstuvwxyz0123456789";
const word = (chars: string, min: number, max: number) =>
  fc.array(fc.constantFrom(...chars.split("")), { minLength: min, maxLength: max }).map((cs) => cs.join(""));

const packageName = fc.tuple(word(lower, 1, 1), word(`${lower}+.-`, 0, 12)).map(([a, b]) => a + b);
const archName = fc.constantFrom("amd64", "arm64", "i386", "armhf", "ppc64el", "s390x", "riscv64", "linux-any", "any-arm64");
const archQualifier = fc.constantFrom("any", "native", "amd64", "arm64");
const op = fc.constantFrom<RelationOp>("<<", "<=", "=", ">=", ">>");
const version = fc
  .tuple(
    fc.integer({ min: 0, max: 3 }),
    word("0123456789", 1, 3),
    word("0123456789abcz.+~", 0, 8),
    fc.oneof(fc.constant(""), word("0123456789abz.+~", 1, 6)),
  )
  .map(([epoch, head, rest, revision]) => formatVersion(parseVersion(`${epoch}:${head}${rest}${revision === "" ? "" : `-${revision}`}`)));
const profile = fc
  .array(fc.tuple(fc.boolean(), fc.constantFrom("nocheck", "stage1", "cross", "nodoc", "pkg.foo.bar")), { minLength: 1, maxLength: 3 })
  .map((terms) => `<${terms.map(([not, t]) => (not ? `!${t}` : t)).join(" ")}>`);

const relation: fc.Arbitrary<Relation> = fc
  .record(
    {
      name: packageName,
      archQualifier,
      constraint: fc.tuple(op, version),
      archRestrictions: fc.array(
        fc.tuple(fc.boolean(), archName).map(([not, a]) => (not ? `!${a}` : a)),
        { minLength: 1, maxLength: 3 },
      ),
      profiles: fc.array(profile, { minLength: 1, maxLength: 2 }),
    },
    { requiredKeys: ["name"] },
  )
  .map(({ constraint, ...rest }) => (constraint === undefined ? rest : { ...rest, op: constraint[0], version: constraint[1] }));

const relationField: fc.Arbitrary<RelationField> = fc.array(fc.array(relation, { minLength: 1, maxLength: 3 }), { maxLength: 5 });

describe("relation parse/format round-trip (fast-check)", () => {
  it("parseRelations(formatRelations(ast)) equals ast", () => {
    fc.assert(
      fc.property(relationField, (ast) => {
        expect(parseRelations(formatRelations(ast))).toEqual(ast);
      }),
      { numRuns: 200 },
    );
  });

  it("formatRelations is a fixed point after one parse", () => {
    fc.assert(
      fc.property(relationField, (ast) => {
        const text = formatRelations(ast);
        expect(formatRelations(parseRelations(text))).toBe(text);
      }),
      { numRuns: 200 },
    );
  });
});
