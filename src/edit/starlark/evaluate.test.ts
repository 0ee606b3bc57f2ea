import { describe, expect, it } from "vitest";
import { topLevelAssignments } from "./ast.js";
import { asStringList, bindScope, emptyScope, evaluate, fileScope, loadsOf, type Scope } from "./evaluate.js";
import { parseStarlark } from "./parser.js";

const SRC = `load("//:checksums.bzl", ARCHS = "BASE_ARCHITECTURES", "VERSIONS")
BASE = ["amd64", "arm64"]
ALL = BASE + ["arm", "s390x"]  # concatenation
PACKAGES = {
    "debian12": ["libc6", "libssl3"],
    "debian13": ["libc6"],
}
ALIAS = dict(debian12 = "bookworm", n = 3)
LABEL = "//private/repos/deb:{}.lock.json".format("bookworm")
PICK = PACKAGES["debian12"][-1]
NOT_CONST = glob(["*"])
MIXED = BASE + "x"
def f():
    LOCAL = {"debian12": ["a"]}
`;

describe("evaluate", () => {
  const file = parseStarlark(SRC);
  const imported: Scope = { get: (n) => (n === "ARCHS" ? ["amd64"] : undefined) };
  const scope = fileScope(file, imported);

  it("evaluates literals, concatenation, dict(), format and indexing", () => {
    expect(scope.get("ALL")).toEqual(["amd64", "arm64", "arm", "s390x"]);
    expect(scope.get("PACKAGES")).toEqual(
      new Map([
        ["debian12", ["libc6", "libssl3"]],
        ["debian13", ["libc6"]],
      ]),
    );
    expect(scope.get("ALIAS")).toEqual(
      new Map<string, unknown>([
        ["debian12", "bookworm"],
        ["n", 3],
      ]),
    );
    expect(scope.get("LABEL")).toBe("//private/repos/deb:bookworm.lock.json");
    expect(scope.get("PICK")).toBe("libssl3");
    expect(scope.get("ARCHS")).toEqual(["amd64"]);
  });

  it("gives undefined for what is not a constant", () => {
    expect(scope.get("NOT_CONST")).toBeUndefined();
    expect(scope.get("MIXED")).toBeUndefined();
    expect(scope.get("LOCAL")).toBeUndefined();
    expect(scope.get("NOPE")).toBeUndefined();
    expect(fileScope(file, imported, { nested: true }).get("LOCAL")).toEqual(new Map([["debian12", ["a"]]]));
  });

  it("evaluates the operator forms image target names use", () => {
    const src = `N = ("python3" if (not mode) else mode[1:]) + "_" + user + "_" + arch
B = "//cc" + (mode if mode else ":cc") + "_" + user
U = "%d" % uid
C = arch == "amd64"
D = arch in ["arm64", "s390x"]
E = arch not in ["arm64"]
M = 1 + "x" if mode else 3
`;
    const f = parseStarlark(src);
    const get = (name: string, bindings: Record<string, string | number>) =>
      evaluate(topLevelAssignments(f).get(name)!.value, src, bindScope(emptyScope, bindings));
    expect(get("N", { mode: "", user: "root", arch: "amd64" })).toBe("python3_root_amd64");
    expect(get("N", { mode: ":debug", user: "root", arch: "amd64" })).toBe("debug_root_amd64");
    expect(get("B", { mode: "", user: "root" })).toBe("//cc:cc_root");
    expect(get("B", { mode: ":debug", user: "root" })).toBe("//cc:debug_root");
    expect(get("U", { uid: 65532 })).toBe("65532");
    expect(get("C", { arch: "amd64" })).toBe(true);
    expect(get("D", { arch: "amd64" })).toBe(false);
    expect(get("E", { arch: "amd64" })).toBe(true);
    expect(get("M", { mode: "" })).toBeUndefined();
  });

  it("binds names over a scope", () => {
    const expr = parseStarlark("X = PACKAGES[distro]\n");
    const value = topLevelAssignments(expr).get("X")!.value;
    expect(asStringList(evaluate(value, expr.text, bindScope(scope, { distro: "debian13" })))).toEqual(["libc6"]);
  });

  it("lists load statements with their local names", () => {
    expect(loadsOf(file)).toEqual([
      {
        label: "//:checksums.bzl",
        symbols: new Map([
          ["ARCHS", "BASE_ARCHITECTURES"],
          ["VERSIONS", "VERSIONS"],
        ]),
      },
    ]);
  });
});
