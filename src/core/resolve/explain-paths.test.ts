import { describe, expect, it } from "vitest";
import { pathsTo } from "./explain-paths.js";

describe("pathsTo", () => {
  const edges = new Map<string, string[]>([
    ["python3", ["libpython3", "libc6", "zlib1g"]],
    ["libpython3", ["libc6", "libssl3", "zlib1g"]],
    ["libssl3", ["libc6"]],
    ["zlib1g", ["libc6"]],
    ["libc6", ["libgcc-s1"]],
    ["libgcc-s1", ["libc6"]],
  ]);

  it("gives shortest paths first, in root and edge order, never visiting a package twice", () => {
    expect(pathsTo(edges, ["python3"], "libc6", 3)).toEqual([
      ["python3", "libc6"],
      ["python3", "libpython3", "libc6"],
      ["python3", "zlib1g", "libc6"],
    ]);
    expect(pathsTo(edges, ["python3"], "libgcc-s1", 10).every((p) => new Set(p).size === p.length)).toBe(true);
  });

  it("follows edges in the order given (why keeps the record's dependency order)", () => {
    const reversed = new Map([...edges].map(([k, v]) => [k, [...v].reverse()]));
    expect(pathsTo(reversed, ["python3"], "libc6", 2)).toEqual([
      ["python3", "libc6"],
      ["python3", "zlib1g", "libc6"],
    ]);
  });

  it("gives a root asked about as a one-element path, and nothing for an unreachable target or a zero limit", () => {
    expect(pathsTo(edges, ["libssl3", "python3"], "libssl3")).toEqual([["libssl3"], ["python3", "libpython3", "libssl3"]]);
    expect(pathsTo(edges, ["zlib1g"], "libssl3")).toEqual([]);
    expect(pathsTo(edges, ["python3"], "libc6", 0)).toEqual([]);
  });
});
