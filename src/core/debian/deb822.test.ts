import { describe, expect, it } from "vitest";
import { parseErrorOf } from "../../../test/support/parse-error-of.js";
import { findField, formatDeb822, getField, parseDeb822 } from "./deb822.js";

const RELEASE_HEAD = `Origin: Debian
Label: Debian
Suite: oldstable-updates
Codename: bookworm-updates
Date: Thu, 26 Nov 2026 02:14:46 UTC
Description: Debian 12 - Updates
SHA256:
 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855        0 contrib/Contents-all
 87e7e94047fb7fb6f4ceecc7022d4bee55b66031cc2a7666d3196f3e0aabb846     6924 main/binary-amd64/Packages.xz
`;

describe("parseDeb822", () => {
  it("keeps fields in order with their lines, and multi-line values line by line", () => {
    const [p, ...rest] = parseDeb822(RELEASE_HEAD, "Release");
    expect(rest).toEqual([]);
    expect(p!.line).toBe(1);
    expect(p!.fields.map((f) => [f.name, f.line])).toEqual([
      ["Origin", 1],
      ["Label", 2],
      ["Suite", 3],
      ["Codename", 4],
      ["Date", 5],
      ["Description", 6],
      ["SHA256", 7],
    ]);
    expect(getField(p!, "sha256")).toBe(
      "\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855        0 contrib/Contents-all" +
        "\n87e7e94047fb7fb6f4ceecc7022d4bee55b66031cc2a7666d3196f3e0aabb846     6924 main/binary-amd64/Packages.xz",
    );
    expect(getField(p!, "codename")).toBe("bookworm-updates");
    expect(findField(p!, "DATE")).toEqual({ name: "Date", value: "Thu, 26 Nov 2026 02:14:46 UTC", line: 5 });
    expect(getField(p!, "Valid-Until")).toBeUndefined();
  });

  it("splits paragraphs on blank lines and numbers them by their first line", () => {
    const ps = parseDeb822("\n\nA: 1\nB:  two words \n\n\nC: 3\n  indented\n\tx\r\nD:\r\n", "f");
    expect(ps.map((p) => p.line)).toEqual([3, 7]);
    expect(ps[0]!.fields.map((f) => [f.name, f.value])).toEqual([
      ["A", "1"],
      ["B", "two words"],
    ]);
    expect(ps[1]!.fields.map((f) => [f.name, f.value])).toEqual([
      ["C", "3\n indented\nx"],
      ["D", ""],
    ]);
  });

  it("returns no paragraphs for empty text", () => {
    expect(parseDeb822("", "f")).toEqual([]);
    expect(parseDeb822("\n\n", "f")).toEqual([]);
  });

  it.each([
    ["a line without a colon", "A: 1\nB\n", 2],
    ["a continuation before any field", " x\nA: 1\n", 1],
    ["a continuation right after a blank line", "A: 1\n\n x\n", 3],
    ["a duplicate field (case-insensitive)", "A: 1\nB: 2\na: 3\n", 3],
    ["an empty field name", ": 1\n", 1],
    ["a field name starting with #", "#A: 1\n", 1],
    ["a field name with a space", "A B: 1\n", 1],
  ])("rejects %s with its line", (_what, text, line) => {
    const e = parseErrorOf(() => parseDeb822(text, "dists/x/Release"));
    expect(e.code).toBe("BAD_DEB822");
    expect(e.file).toBe("dists/x/Release");
    expect(e.line).toBe(line);
    expect(e.message).toContain(`dists/x/Release:${line}`);
  });
});

describe("formatDeb822", () => {
  it("writes what parseDeb822 reads back", () => {
    const ps = parseDeb822(`${RELEASE_HEAD}\nA: b\nC:\n x\n  y\n`, "f");
    const text = formatDeb822(ps);
    expect(text).toBe(`${RELEASE_HEAD}\nA: b\nC:\n x\n  y\n`);
    expect(parseDeb822(text, "f")).toEqual(ps);
  });
});
