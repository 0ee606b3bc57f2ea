import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { registrationOrder } from "../resolve/universe.js";
import type { PackageRecord } from "./package.js";
import { columnsOf, type PackagesColumns, recordsOf, registeredNames, registrationRank, registrationTableOf } from "./packages-columns.js";
import { parsePackagesIndex } from "./packages-index.js";

const FIXTURE = join(import.meta.dirname, "../../../test/fixtures/debian/Packages.bookworm-amd64.excerpt");

describe("columnsOf / recordsOf", () => {
  it("give back the records, field for field", () => {
    const records = parsePackagesIndex(new Uint8Array(readFileSync(FIXTURE)), FIXTURE);
    expect(recordsOf(columnsOf(records))).toEqual(records);
  });
});

/** The registration table's names in rank order, each found again by registrationRank. */
function namesOf(c: PackagesColumns): string[] {
  const table = registrationTableOf(c);
  const names = registeredNames(c.blob, table);
  names.forEach((name, rank) => {
    expect(registrationRank(c.blob, table, name)).toBe(rank);
  });
  return names;
}

describe("registrationTableOf", () => {
  const record = (name: string, fields: Partial<PackageRecord>): PackageRecord => ({
    name,
    version: "1",
    architecture: "all",
    filename: `pool/${name}.deb`,
    size: 1,
    sha256: "a".repeat(64),
    ...fields,
  });

  it("is registrationOrder over the records, on real stanzas", () => {
    const records = parsePackagesIndex(new Uint8Array(readFileSync(FIXTURE)), FIXTURE);
    const order = namesOf(columnsOf(records));
    const c = columnsOf(records);
    for (const absent of ["not-a-package", "libc", "", "é"]) expect(registrationRank(c.blob, registrationTableOf(c), absent)).toBeUndefined();
    expect(order).toEqual(registrationOrder(records));
    expect(order.length).toBeGreaterThan(records.length);
  });

  it("property: is registrationOrder over the records, for any relation text", () => {
    const word = fc.constantFrom("libc6", "libfoo1", "a", "b-c", "x.y+z", "é", "libc6:any", "perl:native", "p:any", "Q9");
    const piece = fc.constantFrom(", ", " | ", " (>= 1.0)", " [amd64]", " <!nocheck>", " (", ")", ":", ":an", "  ", "ü,");
    const text = fc.array(fc.oneof(word, piece), { maxLength: 12 }).map((parts) => parts.join(""));
    const fields = fc.record(
      { preDepends: text, depends: text, conflicts: text, breaks: text, otherRelations: text, provides: text },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom("libc6", "a", "zz", "b-c"), fields), { maxLength: 6 }), (specs) => {
        const records = specs.map(([name, f]) => record(name, f));
        expect(namesOf(columnsOf(records))).toEqual(registrationOrder(records));
      }),
      { numRuns: 500 },
    );
  });

  it("grows past its first size (tens of thousands of names, as a real index has)", () => {
    const records = Array.from({ length: 50 }, (_, i) =>
      record(`p${i}`, { depends: Array.from({ length: 1000 }, (_, k) => `n${(k * 7919 + i * 104729) % 45000}`).join(", ") }),
    );
    const names = namesOf(columnsOf(records));
    expect(names).toEqual(registrationOrder(records));
    expect(names.length).toBeGreaterThan(40000);
  });
});
