import { describe, expect, it } from "vitest";
import { ParseError } from "../../core/errors.js";
import { dottedName, type Expr, findCalls, keywordArg, type ListExpr, topLevelAssignments, walkExpressions } from "./ast.js";
import { parseStarlark } from "./parser.js";

const BUILD = `load("//private/util:deb.bzl", "deb")
load(":config.bzl", ARCHS = "ARCHITECTURES")

package(default_visibility = ["//visibility:public"])

[
    oci_image(
        name = ("py" if (not mode) else mode[1:]) + "_" + arch,
        base = "//cc" + (mode if mode else ":cc") + "_" + arch,
        env = {"LANG": "C.UTF-8"},  # utf-8
        tars = [
            deb.package(arch, distro, "libffi8"),
            # keep zlib last
            deb.package(arch, distro, "zlib1g"),
            ":aliases_%s" % distro,
        ] + select({
            "//conditions:default": [],
        }),
    )
    for mode in ["", ":debug"]
    for arch in ARCHS
    if arch != "s390x"
]
`;

const text = (src: string, e: { start: number; end: number }) => src.slice(e.start, e.end);

describe("parseStarlark", () => {
  it("finds calls with dotted callees, positional and keyword arguments and their spans", () => {
    const file = parseStarlark(BUILD, "python3/BUILD");
    const debCalls = findCalls(file, "deb.package");
    expect(debCalls.map((c) => c.args.map((a) => (a.value.kind === "string" ? a.value.value : text(BUILD, a.value))))).toEqual([
      ["arch", "distro", "libffi8"],
      ["arch", "distro", "zlib1g"],
    ]);
    expect(text(BUILD, debCalls[0]!)).toBe('deb.package(arch, distro, "libffi8")');
    const image = findCalls(file, "oci_image")[0]!;
    expect(image.args.map((a) => a.name)).toEqual(["name", "base", "env", "tars"]);
    const load = findCalls(file, "load")[1]!;
    expect(load.args.map((a) => [a.name, text(BUILD, a.value)])).toEqual([
      [undefined, '":config.bzl"'],
      ["ARCHS", '"ARCHITECTURES"'],
    ]);
  });

  it("gives list elements, commas and brackets, inside operators and comprehensions", () => {
    const file = parseStarlark(BUILD);
    const tars = keywordArg(findCalls(file, "oci_image")[0]!, "tars")!.value;
    expect(tars.kind).toBe("other");
    const list = (tars.kind === "other" ? tars.children[0] : undefined) as ListExpr;
    expect(list.kind).toBe("list");
    expect(list.elements.map((e) => text(BUILD, e))).toEqual([
      'deb.package(arch, distro, "libffi8")',
      'deb.package(arch, distro, "zlib1g")',
      '":aliases_%s" % distro',
    ]);
    expect(list.commas.length).toBe(3);
    expect(BUILD[list.open]).toBe("[");
    expect(BUILD[list.close]).toBe("]");
    const select = findCalls(file, "select")[0]!;
    const dict = select.args[0]!.value;
    expect(dict.kind === "dict" && dict.entries.map((e) => [text(BUILD, e.key), text(BUILD, e.value)])).toEqual([['"//conditions:default"', "[]"]]);
    const kinds: string[] = [];
    walkExpressions(file, (e) => kinds.push(e.kind));
    expect(kinds).toContain("comprehension");
  });

  it("reads top-level assignments and dicts keyed by distro", () => {
    const src = `PYTHON_DISTROS = ["debian13"]\nPYTHON_PACKAGES = {\n    "debian12": ["a", "b"],\n    "debian13": [\n        "c",  # why\n    ],\n}\ndef f(x, y = 1, *args, **kw):\n    z = x\n    if z: return y\n    return [v for v in args if v]\n`;
    const file = parseStarlark(src, "config.bzl");
    const top = topLevelAssignments(file);
    expect([...top.keys()]).toEqual(["PYTHON_DISTROS", "PYTHON_PACKAGES"]);
    const pkgs = top.get("PYTHON_PACKAGES")!.value;
    expect(pkgs.kind).toBe("dict");
    if (pkgs.kind !== "dict") return;
    const byDistro = pkgs.entries.map((e) => [
      e.key.kind === "string" ? e.key.value : "?",
      e.value.kind === "list" ? e.value.elements.map((x: Expr) => (x.kind === "string" ? x.value : "?")) : [],
    ]);
    expect(byDistro).toEqual([
      ["debian12", ["a", "b"]],
      ["debian13", ["c"]],
    ]);
    const nested = file.statements.filter((s) => s.kind === "assign" && s.indent === 4);
    expect(nested.length).toBe(1);
    expect(file.statements.filter((s) => s.kind === "keyword").map((s) => (s.kind === "keyword" ? s.keyword : ""))).toEqual([
      "def",
      "if",
      "return",
      "return",
    ]);
  });

  it("gives comprehension bodies and clauses", () => {
    const src = "X = [f(a, d) for d in DISTROS for a in ARCHS[d] if a != 'x']\nY = {k: v for k, v in D.items()}\n";
    const file = parseStarlark(src);
    const x = topLevelAssignments(file).get("X")!.value;
    expect(x.kind).toBe("comprehension");
    if (x.kind !== "comprehension") return;
    expect(text(src, x.body)).toBe("f(a, d)");
    expect(x.clauses.map((c) => (c.kind === "for" ? `for ${text(src, c.vars)} in ${text(src, c.iter)}` : `if ${text(src, c.cond)}`))).toEqual([
      "for d in DISTROS",
      "for a in ARCHS[d]",
      "if a != 'x'",
    ]);
    const y = topLevelAssignments(file).get("Y")!.value;
    expect(y.kind === "comprehension" && [text(src, y.body), y.value && text(src, y.value), y.clauses.length]).toEqual(["k", "v", 1]);
  });

  it("names callees only when they are plain dotted names", () => {
    const file = parseStarlark(`a.b.c(1)\nf()(2)\nx[0].y(3)\n`);
    const names = findCalls(file).map((c) => dottedName(c.callee));
    expect(names).toEqual(["a.b.c", undefined, "f", undefined]);
  });

  it("handles lambdas, slices, tuples, unary operators and implicit line joining", () => {
    const src = "x = sorted(l, key = lambda p: p[1:-1])\na, b = (1,), -2\ny = (\n  1 +\n  2\n)\nz = not a in b\n";
    const file = parseStarlark(src);
    expect(file.statements.map((s) => s.kind)).toEqual(["assign", "assign", "assign", "assign"]);
    const ab = file.statements[1]!;
    expect(ab.kind === "assign" && ab.target.kind === "tuple" && ab.target.elements.length).toBe(2);
  });

  it("reports syntax errors with the file, line and column", () => {
    expect(() => parseStarlark("x = [1, 2\ny = 3\n", "a/BUILD")).toThrow(ParseError);
    expect(() => parseStarlark("x = (1]\n", "a/BUILD")).toThrow(
      expect.objectContaining({ code: "STARLARK_SYNTAX", file: "a/BUILD", line: 1, col: 7 }),
    );
    expect(() => parseStarlark("f(a b)\n")).toThrow(expect.objectContaining({ code: "STARLARK_SYNTAX" }));
    expect(() => parseStarlark("x = \n")).toThrow(expect.objectContaining({ code: "STARLARK_SYNTAX", line: 1 }));
  });
});
