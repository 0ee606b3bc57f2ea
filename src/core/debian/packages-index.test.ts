import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseErrorOf } from "../../../test/support/parse-error-of.js";
import type { PackageRecord } from "./package.js";
import { recordsOf } from "./packages-columns.js";
import { createPackagesColumnsParser, createPackagesParser, parsePackagesIndex } from "./packages-index.js";

const FIXTURE = join(import.meta.dirname, "../../../test/fixtures/debian/Packages.bookworm-amd64.excerpt");
const bytes = new Uint8Array(readFileSync(FIXTURE));
const text = new TextDecoder().decode(bytes);
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A deliberately simple, string-based reading of the same file, to cross-check the byte parser. */
function naiveFields(index: string): Array<Map<string, string>> {
  return index
    .split("\n\n")
    .filter((s) => s.trim() !== "")
    .map((stanza) => {
      const fields = new Map<string, string>();
      let last = "";
      for (const line of stanza.split("\n")) {
        if (line.startsWith(" ")) {
          fields.set(last, `${fields.get(last)} ${line.trim()}`);
        } else {
          const i = line.indexOf(":");
          last = line.slice(0, i);
          fields.set(last, line.slice(i + 1).trim());
        }
      }
      return fields;
    });
}

function parseInChunks(data: Uint8Array, sizes: (i: number) => number): PackageRecord[] {
  const out: PackageRecord[] = [];
  const parser = createPackagesParser("chunks", (r) => out.push(r));
  let i = 0;
  for (let offset = 0; offset < data.length; i++) {
    const n = Math.max(1, sizes(i));
    parser.push(data.slice(offset, offset + n));
    offset += n;
  }
  parser.end();
  return out;
}

describe("parsePackagesIndex on real bookworm stanzas", () => {
  const records = parsePackagesIndex(bytes, FIXTURE);

  it("reads every stanza, in file order", () => {
    const expected = naiveFields(text);
    expect(records.map((r) => r.name)).toEqual(expected.map((f) => f.get("Package")));
    expect(records).toHaveLength(41);
  });

  it("materialises exactly the PackageRecord fields, matching a naive reading", () => {
    const naive = naiveFields(text);
    const keys: Array<[keyof PackageRecord, string]> = [
      ["version", "Version"],
      ["architecture", "Architecture"],
      ["multiArch", "Multi-Arch"],
      ["priority", "Priority"],
      ["source", "Source"],
      ["section", "Section"],
      ["depends", "Depends"],
      ["preDepends", "Pre-Depends"],
      ["provides", "Provides"],
      ["conflicts", "Conflicts"],
      ["breaks", "Breaks"],
      ["filename", "Filename"],
      ["sha256", "SHA256"],
    ];
    records.forEach((r, i) => {
      const f = naive[i]!;
      for (const [key, field] of keys) expect(r[key], `${r.name} ${field}`).toBe(f.get(field));
      expect(r.size).toBe(Number(f.get("Size")));
      expect(r.installedSize).toBe(f.has("Installed-Size") ? Number(f.get("Installed-Size")) : undefined);
      expect(r.essential).toBe(f.get("Essential") === "yes" ? true : undefined);
      const other = ["Recommends", "Suggests", "Replaces", "Enhances"].flatMap((field) => (f.has(field) ? [f.get(field)!] : []));
      expect(r.otherRelations, `${r.name} Recommends/Suggests/Replaces/Enhances`).toBe(other.length === 0 ? undefined : other.join(", "));
    });
  });

  it("reads bash completely, including Essential and Pre-Depends", () => {
    expect(records.find((r) => r.name === "bash")).toEqual({
      name: "bash",
      source: "bash (5.2.15-2)",
      version: "5.2.15-2+b13",
      essential: true,
      installedSize: 7164,
      architecture: "amd64",
      depends: "base-files (>= 2.1.12), debianutils (>= 5.6-0.1)",
      preDepends: "libc6 (>= 2.36), libtinfo6 (>= 6)",
      conflicts: "bash-completion (<< 20060301-0)",
      otherRelations: "bash-completion (>= 20060301-0), bash-doc, bash-completion (<< 20060301-0), bash-doc (<= 2.05-1)",
      multiArch: "foreign",
      section: "shells",
      priority: "required",
      filename: "pool/main/b/bash/bash_5.2.15-2+b13_amd64.deb",
      size: 1490652,
      sha256: "82130bb6a560cd2a7234d8018baf73f188f5dd56413d5aa0accc987b2197a6a1",
    });
  });

  it("keeps versioned Provides and Breaks verbatim", () => {
    const perl = records.find((r) => r.name === "perl-base")!;
    expect(perl.provides).toContain("libfile-path-perl (= 2.18)");
    expect(perl.provides).toContain("perlapi-5.36.0");
    const libc = records.find((r) => r.name === "libc6")!;
    expect(libc.multiArch).toBe("same");
    expect(libc.breaks).toMatch(/^[a-z0-9]/);
  });

  it("skips multi-line fields it does not keep (Tag)", () => {
    expect(text).toMatch(/\nTag: [^\n]*\n /);
    const game = records.find((r) => r.name === "0ad")!;
    expect(Object.keys(game)).not.toContain("tag");
    expect(game.section).toBe("games");
  });
});

describe("createPackagesParser", () => {
  const whole = parsePackagesIndex(bytes, FIXTURE);

  it("gives the same records whatever the chunk boundaries", () => {
    expect(parseInChunks(bytes, () => 1)).toEqual(whole);
    expect(parseInChunks(bytes, () => 7)).toEqual(whole);
    expect(parseInChunks(bytes, () => 4096)).toEqual(whole);
    let seed = 42;
    const random = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % 3000;
    };
    expect(parseInChunks(bytes, random)).toEqual(whole);
  });

  it("splits exactly at the blank line between stanzas, and inside a field name", () => {
    const blank = text.indexOf("\n\n");
    for (const cut of [blank, blank + 1, blank + 2, text.indexOf("SHA256:") + 3, text.indexOf("Package:", 10) + 4]) {
      const out: PackageRecord[] = [];
      const p = createPackagesParser("cut", (r) => out.push(r));
      p.push(bytes.subarray(0, cut));
      p.push(bytes.subarray(cut));
      p.end();
      expect(out, `cut at ${cut}`).toEqual(whole);
    }
  });

  it("reports records as soon as their stanza is complete", () => {
    const out: PackageRecord[] = [];
    const p = createPackagesParser("early", (r) => out.push(r));
    const second = text.indexOf("\n\nPackage:", text.indexOf("\n\n") + 2);
    p.push(bytes.subarray(0, second + 2));
    expect(out.map((r) => r.name)).toEqual(whole.slice(0, 2).map((r) => r.name));
    p.push(bytes.subarray(second + 2));
    p.end();
    expect(out).toHaveLength(whole.length);
  });

  it("counts lines across chunks: an error deep in the file has the same line however it is fed", () => {
    const mawk = whole.find((r) => r.name === "mawk")!;
    const broken = text.replace(`\nSize: ${mawk.size}\n`, `\nSize: ${mawk.size}x\n`);
    const line = broken.split("\n").indexOf(`Size: ${mawk.size}x`) + 1;
    expect(line).toBeGreaterThan(500);
    const data = new TextEncoder().encode(broken);
    for (const size of [1, 13, 4096, data.length]) {
      const e = parseErrorOf(() => parseInChunks(data, () => size));
      expect([e.code, e.line], `chunks of ${size}`).toEqual(["BAD_PACKAGES_INDEX", line]);
      expect(e.message).toContain("Size of mawk");
    }
  });

  it("does not keep references to pushed chunks", () => {
    const out: PackageRecord[] = [];
    const p = createPackagesParser("reuse", (r) => out.push(r));
    const buf = new Uint8Array(100);
    for (let offset = 0; offset < bytes.length; offset += 100) {
      const n = Math.min(100, bytes.length - offset);
      buf.set(bytes.subarray(offset, offset + n));
      p.push(buf.subarray(0, n));
      buf.fill(0x7a);
    }
    p.end();
    expect(out).toEqual(whole);
  });
});

describe("parsePackagesIndex syntax", () => {
  const minimal = (extra = ""): string =>
    `Package: foo\nVersion: 1.0-1\nArchitecture: all\n${extra}Filename: pool/main/f/foo/foo_1.0-1_all.deb\nSize: 10\nSHA256: ${"ab".repeat(32)}\n`;

  it("treats field names case-insensitively and tolerates CRLF and a missing final newline", () => {
    const crlf = minimal("MULTI-ARCH: allowed\n").replace(/\n/g, "\r\n").replace(/\r\n$/, "");
    const [r] = parsePackagesIndex(enc(`package: foo\n${crlf.slice("Package: foo\r\n".length)}`), "crlf");
    expect(r).toEqual({
      name: "foo",
      version: "1.0-1",
      architecture: "all",
      multiArch: "allowed",
      filename: "pool/main/f/foo/foo_1.0-1_all.deb",
      size: 10,
      sha256: "ab".repeat(32),
    });
  });

  it("folds continuation lines of kept fields with single spaces", () => {
    const [r] = parsePackagesIndex(enc(minimal("Depends: libc6 (>= 2.36),\n  libfoo1,\n\tlibbar2\n")), "folded");
    expect(r!.depends).toBe("libc6 (>= 2.36), libfoo1, libbar2");
  });

  it("lower-cases an upper-case SHA256 and decodes UTF-8 values", () => {
    const data = minimal("Section: ünïcode\n").replace("ab".repeat(32), "AB".repeat(32));
    const [r] = parsePackagesIndex(enc(data), "utf8");
    expect(r!.sha256).toBe("ab".repeat(32));
    expect(r!.section).toBe("ünïcode");
  });

  it("accepts empty input and extra blank lines", () => {
    expect(parsePackagesIndex(new Uint8Array(0), "empty")).toEqual([]);
    expect(parsePackagesIndex(enc(`\n\n${minimal()}\n\n\n${minimal().replace("foo", "bar")}\n`), "blank").map((r) => r.name)).toEqual(["foo", "bar"]);
  });

  it.each([
    ["Version", 2],
    ["Architecture", 3],
    ["Filename", 4],
    ["Size", 5],
    ["SHA256", 6],
  ])("reports a stanza without %s with the stanza's line", (field) => {
    const stanza = minimal()
      .split("\n")
      .filter((l) => !l.startsWith(`${field}:`))
      .join("\n");
    const e = parseErrorOf(() => parsePackagesIndex(enc(`${minimal()}\n${stanza}`), "dists/x/Packages"));
    expect(e.code).toBe("BAD_PACKAGES_INDEX");
    expect(e.file).toBe("dists/x/Packages");
    expect(e.line).toBe(8);
    expect(e.message).toContain(field);
    expect(e.message).toContain("dists/x/Packages:8");
    expect(e.hint).toBeTruthy();
  });

  it("reports a stanza without Package", () => {
    const e = parseErrorOf(() => parsePackagesIndex(enc(`Description: x\n${minimal().slice("Package: foo\n".length)}`), "p"));
    expect([e.code, e.line]).toEqual(["BAD_PACKAGES_INDEX", 1]);
    expect(e.message).toContain("Package");
  });

  it.each([
    ["a line without a colon", `${minimal()}\nPackage bar\n`, 8],
    ["a continuation line before any field", ` oops\n${minimal()}`, 1],
    ["a duplicate kept field", minimal("Version: 2\n"), 4],
    ["a non-numeric Size", minimal().replace("Size: 10", "Size: 1O"), 5],
    ["an empty Installed-Size", minimal("Installed-Size:\n"), 4],
    ["a short SHA256", minimal().replace("ab".repeat(32), "ab"), 6],
    ["an unknown Multi-Arch value", minimal("Multi-Arch: sometimes\n"), 4],
    ["an Essential that is neither yes nor no", minimal("Essential: maybe\n"), 4],
  ])("rejects %s", (_what, data, line) => {
    const e = parseErrorOf(() => parsePackagesIndex(enc(data), "bad"));
    expect(e.code).toBe("BAD_PACKAGES_INDEX");
    expect(e.line).toBe(line);
  });
});

describe("createPackagesColumnsParser", () => {
  const minimal = (extra = ""): string =>
    `Package: foo\nVersion: 1.0-1\nArchitecture: all\n${extra}Filename: pool/main/f/foo/foo_1.0-1_all.deb\nSize: 10\nSHA256: ${"ab".repeat(32)}\n`;

  /** What the record parser makes of `data`: its records, or the error it throws. */
  const viaRecords = (data: Uint8Array): PackageRecord[] | string => {
    try {
      return parsePackagesIndex(data, "x");
    } catch (e) {
      return String(e instanceof Error ? `${e.constructor.name} ${e.message}` : e);
    }
  };
  /** The same through the columns, fed in chunks of `chunk` bytes. */
  const viaColumns = (data: Uint8Array, chunk = data.length || 1): PackageRecord[] | string => {
    try {
      const p = createPackagesColumnsParser("x");
      for (let at = 0; at < data.length; at += chunk) p.push(data.slice(at, at + chunk));
      p.end();
      return recordsOf(p.columns());
    } catch (e) {
      return String(e instanceof Error ? `${e.constructor.name} ${e.message}` : e);
    }
  };

  it("holds the records the record parser makes, on real stanzas, in any chunking", () => {
    const expected = parsePackagesIndex(bytes, "x");
    for (const chunk of [bytes.length, 1, 7, 4096]) expect(viaColumns(bytes, chunk)).toEqual(expected);
  });

  it("holds the same records for every shape the record parser accepts, and refuses what it refuses", () => {
    const cases = [
      "",
      minimal(),
      minimal("MULTI-ARCH: allowed\n").replace(/\n/g, "\r\n"),
      minimal("Depends: libc6 (>= 2.36),\n  libfoo1,\n\tlibbar2\n"),
      minimal("Recommends: a\nSuggests: b,\n c\nEnhances: d\n"),
      minimal("Replaces: x (<< 1)\nRecommends: y\n"),
      minimal("Section: ünïcode\nEssential: yes\nInstalled-Size: 12\n").replace("ab".repeat(32), "AB".repeat(32)),
      minimal("Provides: a, b (= 1), c\nSource: src (1.0)\nPriority: optional\n"),
      minimal().replace("pool/main/f/foo/foo_1.0-1_all.deb", "pool/main/f/föo/föo_1.0-1_all.deb"),
      `${minimal()}\n${minimal().replace("foo", "bar")}`,
      ...["/abs", "../x", "pool//x", "pool/./x", "a:b/x", "pool/x y", "pool/x?y", "pool/x#y", "pool\\x", "pool/\u00a0x", "pool/..", "."].map((f) =>
        minimal().replace("pool/main/f/foo/foo_1.0-1_all.deb", f),
      ),
      minimal("Version: 2\n"),
      minimal("Multi-Arch: sometimes\n"),
      minimal("Essential: maybe\n"),
      minimal().replace("Size: 10", "Size: 1O"),
      ` oops\n${minimal()}`,
    ];
    for (const c of cases) expect(viaColumns(enc(c)), c).toEqual(viaRecords(enc(c)));
  });

  it("property: on the real stanzas with a line dropped or a byte changed, agrees with the record parser", () => {
    const lineStarts = [0, ...[...bytes.keys()].filter((i) => bytes[i - 1] === 10)];
    fc.assert(
      fc.property(fc.nat(lineStarts.length - 1), fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 }), fc.boolean(), (line, at, byte, drop) => {
        let data: Uint8Array;
        if (drop) {
          const end = lineStarts[line + 1] ?? bytes.length;
          data = new Uint8Array([...bytes.subarray(0, lineStarts[line]!), ...bytes.subarray(end)]);
        } else {
          data = bytes.slice();
          data[at] = byte;
        }
        expect(viaColumns(data, 997)).toEqual(viaRecords(data));
      }),
      { numRuns: 300 },
    );
  });
});
