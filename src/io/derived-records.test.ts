import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { PackageRecord } from "../core/debian/package.js";
import { createPackagesColumnsParser, parsePackagesIndex } from "../core/debian/packages-index.js";
import { buildUniverse } from "../core/resolve/universe.js";
import { createMemoryCache } from "./cache.js";
import {
  decodeDerivedRecords,
  encodeDerivedColumns,
  encodeDerivedRecords,
  plainRecord,
  readDerivedRecords,
  writeDerivedColumns,
} from "./derived-records.js";

/** The names a Provides field lists (test-side: a plain split). */
const splitProvidesNames = (text: string): string[] => text.split(",").map((x) => x.trim().split(/[\s(]/)[0]!);

/** The decoded records as plain objects (they read their fields lazily), or undefined. */
const decoded = (sha: string, bytes: Uint8Array): PackageRecord[] | undefined => decodeDerivedRecords(sha, bytes)?.map(plainRecord);

describe("derived records", () => {
  const SHA = "a".repeat(64);
  // Real bookworm stanzas: every kept field, Essential, Provides, folded lines, an arch:all package.
  const excerpt = readFileSync(join(import.meta.dirname, "../../test/fixtures/debian/Packages.bookworm-amd64.excerpt"));
  const records = parsePackagesIndex(excerpt, "Packages.bookworm-amd64.excerpt");

  it("read back equal to the parsed records, field for field and in the parser's field order", () => {
    const all = [
      ...records,
      {
        name: "zz-ünïcode",
        version: "1:2.0~rc1-1",
        architecture: "all",
        filename: "pool/main/z/zz/zz_2.0~rc1-1_all.deb",
        size: 0,
        sha256: "b".repeat(64),
        source: "zz (2.0~rc1-0.1)",
      },
    ];
    // all ASCII (the usual case), and with a UTF-8 string
    expect(decoded(SHA, encodeDerivedRecords(SHA, records))).toEqual(records);
    // also from a Node Buffer at an odd offset of a larger allocation, as files are read
    const encoded = encodeDerivedRecords(SHA, records);
    const file = Buffer.alloc(encoded.byteLength + 83);
    file.set(encoded, 83);
    expect(decoded(SHA, file.subarray(83))).toEqual(records);
    const back = decoded(SHA, encodeDerivedRecords(SHA, all));
    expect(back).toEqual(all);
    back!.forEach((r, i) => {
      expect(Object.keys(r)).toEqual(Object.keys(all[i]!));
    });
    expect(
      records.some((r) => r.essential === true) &&
        records.some((r) => r.provides !== undefined) &&
        records.some((r) => r.installedSize !== undefined),
    ).toBe(true);
    expect(decodeDerivedRecords(SHA, encodeDerivedRecords(SHA, []))).toEqual([]);
  });

  it("from the columns the parser writes read back equal to the parsed records, lookups included", async () => {
    const data = Buffer.concat([
      excerpt,
      Buffer.from(
        "\nPackage: zz\nVersion: 1\nArchitecture: all\nSection: ünï\nProvides: zz-virtual, libc6\nFilename: pool/z.deb\nSize: 1\nSHA256: " +
          "c".repeat(64) +
          "\n",
      ),
    ]);
    const p = createPackagesColumnsParser("x");
    p.push(data);
    p.end();
    const expected = parsePackagesIndex(data, "x");
    const columns = p.columns();
    const back = decodeDerivedRecords(SHA, encodeDerivedColumns(SHA, columns))!;
    expect(back.map(plainRecord)).toEqual(expected);
    // written to a cache: the records handed back (over the columns) and those read back from the entry
    const cache = createMemoryCache();
    const written = await writeDerivedColumns(cache, SHA, columns);
    const cached = (await readDerivedRecords(cache, SHA))!;
    expect(written.map(plainRecord)).toEqual(expected);
    expect(cached.map(plainRecord)).toEqual(expected);
    const fresh = buildUniverse([{ id: "a", pin: 500, records: written }], "amd64");
    const stored = buildUniverse([{ id: "a", pin: 500, records: cached }], "amd64");
    for (const name of ["libc6", "zz-virtual", "zz", "bash", "awk", "absent"]) {
      expect(fresh.providersOf(name).map((x) => x.by.record.name)).toEqual(stored.providersOf(name).map((x) => x.by.record.name));
      expect(fresh.versionsOf(name).map((x) => x.record.version)).toEqual(stored.versionsOf(name).map((x) => x.record.version));
    }
    expect(stored.providersOf("zz-virtual").map((x) => x.by.record.name)).toEqual(["zz"]);
    const viaRecords = decodeDerivedRecords(SHA, encodeDerivedRecords(SHA, expected))!;
    const universe = buildUniverse([{ id: "a", pin: 500, records: back }], "amd64");
    const reference = buildUniverse([{ id: "a", pin: 500, records: viaRecords }], "amd64");
    for (const name of ["libc6", "zz-virtual", "zz", "bash", "awk", "absent"]) {
      expect(universe.providersOf(name).map((x) => x.by.record.name)).toEqual(reference.providersOf(name).map((x) => x.by.record.name));
      expect(universe.versionsOf(name).map((x) => x.record.version)).toEqual(reference.versionsOf(name).map((x) => x.record.version));
    }
  });

  it("carry apt's registration order: a universe over them ranks names as one over the parsed records does", () => {
    // two sources that overlap, as main and security do: names first seen in the second rank after the first's
    const first = records.slice(0, 25);
    const second = records.slice(15);
    const plain = buildUniverse(
      [
        { id: "a", pin: 500, records: first },
        { id: "b", pin: 500, records: second },
      ],
      "amd64",
    );
    const cached = buildUniverse(
      [
        { id: "a", pin: 500, records: decodeDerivedRecords(SHA, encodeDerivedRecords(SHA, first))! },
        { id: "b", pin: 500, records: decodeDerivedRecords(SHA, encodeDerivedRecords(SHA, second))! },
      ],
      "amd64",
    );
    const mentioned = new Set<string>();
    for (const r of records)
      for (const text of [r.name, r.preDepends, r.depends, r.conflicts, r.breaks, r.otherRelations, r.provides])
        for (const word of text?.match(/[a-z0-9][a-z0-9+.-]*(:any)?/g) ?? []) mentioned.add(word);
    const names = [...mentioned, "not-mentioned-anywhere"];
    const order = (u: typeof plain) => [...names].sort((x, y) => u.registeredAt(x) - u.registeredAt(y) || (x < y ? -1 : 1));
    expect(order(cached)).toEqual(order(plain));
    expect(names.filter((x) => plain.registeredAt(x) === Number.MAX_SAFE_INTEGER)).toEqual(
      names.filter((x) => cached.registeredAt(x) === Number.MAX_SAFE_INTEGER),
    );
    expect(names.filter((x) => plain.registeredAt(x) < Number.MAX_SAFE_INTEGER).length).toBeGreaterThan(100);
  });

  it("read each field lazily, serialise to the parsed record, and keep absent fields absent", () => {
    const back = decodeDerivedRecords(SHA, encodeDerivedRecords(SHA, records))!;
    const fields = [
      "name",
      "version",
      "architecture",
      "multiArch",
      "essential",
      "priority",
      "source",
      "section",
      "depends",
      "preDepends",
      "provides",
      "conflicts",
      "breaks",
      "otherRelations",
      "filename",
      "size",
      "sha256",
      "installedSize",
    ] as const;
    back.forEach((r, i) => {
      for (const f of fields) expect(r[f]).toBe(records[i]![f]);
      expect(JSON.parse(JSON.stringify(r))).toEqual(records[i]);
      // a second read gives the same string (decoded once, kept)
      expect(r.name).toBe(records[i]!.name);
    });
  });

  it("answer name and Provides lookups like a scan of the records, and give a universe equal to one over plain records", () => {
    const back = decodeDerivedRecords(SHA, encodeDerivedRecords(SHA, records))!;
    const plainU = buildUniverse([{ id: "s@0", pin: 500, records }], "amd64");
    const tableU = buildUniverse([{ id: "s@0", pin: 500, records: back }], "amd64");
    const provided = new Set(records.flatMap((r) => (r.provides === undefined ? [] : splitProvidesNames(r.provides))));
    expect(provided.size).toBeGreaterThan(3);
    expect(tableU.names()).toEqual(plainU.names());
    expect(tableU.size).toBe(plainU.size);
    const show = (u: typeof plainU, name: string) => ({
      versions: u.versionsOf(name).map((v) => `${v.record.name} ${v.record.version} ${v.sourceId} ${v.pin}`),
      providers: u.providersOf(name).map((p) => `${p.by.record.name} ${p.by.record.version} ${p.version === undefined ? "" : p.version.upstream}`),
    });
    for (const name of [...plainU.names(), ...provided, "no-such-package"]) expect(show(tableU, name), name).toEqual(show(plainU, name));
  });

  it("read back equal when the string table spans several write batches, with a UTF-8 string in a later one", () => {
    const many = Array.from({ length: 3000 }, (_, i) => ({ ...records[i % records.length]!, name: `pkg-${i}`, filename: `pool/p/pkg-${i}.deb` }));
    const last = { ...many[0]!, name: "zz-ünïcode", source: "zz (2.0~rc1-0.1)" };
    for (const list of [many, [...many, last]]) expect(decoded(SHA, encodeDerivedRecords(SHA, list))).toEqual(list);
  });

  it("are refused (undefined, so the index is parsed again) when of another index or format, or inconsistent", () => {
    const bytes = encodeDerivedRecords(SHA, records);
    expect(decodeDerivedRecords(SHA, bytes)).toHaveLength(records.length);
    expect(decodeDerivedRecords("b".repeat(64), bytes)).toBeUndefined();
    const text = new TextDecoder().decode(bytes.subarray(0, 200));
    // the magic line ends padded (so that the columns after the eight header words are 8-byte aligned), then the header
    const headerAt = text.indexOf("\n", text.indexOf(SHA)) + 1;
    expect((headerAt + 32) % 8).toBe(0);
    expect(text.startsWith("deb-lock/packages-records/")).toBe(true);
    const changed = (at: number, value: number): Uint8Array => {
      const copy = Uint8Array.from(bytes);
      copy[at] = value;
      return copy;
    };
    const words = (copy: Uint8Array): DataView => new DataView(copy.buffer, copy.byteOffset + headerAt);
    // older format, other byte order, a record count that does not fit the size, cut short
    expect(text[text.indexOf("\n") - 1]).toBe("7");
    expect(decodeDerivedRecords(SHA, changed(text.indexOf("\n") - 1, "2".charCodeAt(0)))).toBeUndefined();
    expect(decodeDerivedRecords(SHA, changed(headerAt, 1))).toBeUndefined();
    const moreRecords = Uint8Array.from(bytes);
    words(moreRecords).setUint32(4, records.length + 1, true);
    expect(decodeDerivedRecords(SHA, moreRecords)).toBeUndefined();
    expect(decodeDerivedRecords(SHA, bytes.subarray(0, bytes.length - 1))).toBeUndefined();
    // a string id past the string table, and a required field (the first record's name) absent
    const refsAt = headerAt + 32 + records.length * 16; // after the Size and Installed-Size columns
    for (const id of [0x7fffffff, -1]) {
      const bad = Uint8Array.from(bytes);
      new DataView(bad.buffer, bad.byteOffset + refsAt).setInt32(0, id, true);
      expect(decodeDerivedRecords(SHA, bad)).toBeUndefined();
    }
    expect(decodeDerivedRecords(SHA, new Uint8Array())).toBeUndefined();
  });
});
