import { describe, expect, it } from "vitest";
import { type CallExpr, dottedName, type Expr, keywordArg } from "./ast.js";
import { emptyScope, evaluate, fileScope } from "./evaluate.js";
import {
  bindMacroArgs,
  type Clause,
  callsWithClauses,
  companionAddition,
  conditionHolds,
  defNamed,
  defParams,
  dirSuffixFor,
  enumerate,
  forEachCallBinding,
  loopOver,
  ociCallsInDef,
  parseRepoLabel,
  splitImageTarget,
  starlarkFileFormat,
  statementExprs,
} from "./macro.js";
import { parseStarlark } from "./parser.js";

/** The calls of `callee` in a file's top-level statements, with their comprehension clauses. */
function sites(text: string, callee: string): { call: CallExpr; clauses: readonly Clause[] }[] {
  const file = parseStarlark(text, "BUILD");
  const out: { call: CallExpr; clauses: readonly Clause[] }[] = [];
  for (const st of file.statements) {
    for (const e of statementExprs(st)) callsWithClauses(e, [], (call, clauses) => dottedName(call.callee) === callee && out.push({ call, clauses }));
  }
  return out;
}

describe("callsWithClauses and enumerate", () => {
  it("binds every combination of nested comprehension loops, in loop order", () => {
    const text = `ARCHS = ["amd64", "arm64"]\nDISTROS = ["debian12", "debian13"]\n[oci_image(name = "x_" + arch + "_" + distro) for distro in DISTROS for arch in ARCHS]\n`;
    const [site] = sites(text, "oci_image");
    expect(site!.clauses.map((c) => (c.vars?.kind === "ident" ? c.vars.name : "if"))).toEqual(["distro", "arch"]);
    const envs = enumerate(site!.clauses, text, fileScope(parseStarlark(text, "BUILD")));
    expect(envs).toEqual([
      { distro: "debian12", arch: "amd64" },
      { distro: "debian12", arch: "arm64" },
      { distro: "debian13", arch: "amd64" },
      { distro: "debian13", arch: "arm64" },
    ]);
  });

  it("drops bindings whose condition is false, unpacks tuples and keeps a binding whose list is unknown", () => {
    const text = `[f(a, b) for (a, b) in [("x", 1), ("y", 2)] if b != 1]\n[f(x) for x in unknown_call()]\n`;
    const [f1, f2] = sites(text, "f");
    expect(enumerate(f1!.clauses, text, emptyScope)).toEqual([{ a: "y", b: 2 }]);
    expect(enumerate(f2!.clauses, text, emptyScope)).toEqual([{}]);
  });

  it("stops at the limit", () => {
    const text = `[f(a, b) for a in ["1", "2", "3"] for b in ["x", "y"]]\n`;
    const [site] = sites(text, "f");
    expect(enumerate(site!.clauses, text, emptyScope, 4)).toHaveLength(4);
  });

  it("finds the loop over a name", () => {
    const text = `[f(arch) for distro in D for arch in A]\n`;
    const [site] = sites(text, "f");
    const loop = loopOver(site!.clauses, "arch");
    expect(loop === undefined ? undefined : text.slice(loop.iter.start, loop.iter.end)).toBe("A");
    expect(loopOver(site!.clauses, "pkg")).toBeUndefined();
  });
});

describe("macro definitions", () => {
  const bzl = [
    'load("@rules_oci//oci:defs.bzl", "oci_image")',
    "",
    'def python_image(distro, packages, archs = ["amd64", "arm64"], *args, **kwargs):',
    "    # one image per arch",
    "    for arch in archs:",
    '        if distro == "debian13":',
    '            oci_image(name = "py_" + arch, tars = [])',
    "        else:",
    '            [oci_image(name = "py_" + arch + "_" + user) for user in ["root", "nonroot"]]',
    '    native.alias(name = "alias", actual = ":py_amd64")',
    "",
    "def other():",
    '    oci_image(name = "other")',
    "",
  ].join("\n");
  const file = parseStarlark(bzl, "python3/image.bzl");

  it("names the def and its parameters with defaults, leaving *args and **kwargs out", () => {
    const found = defNamed(file, "python_image");
    expect(found?.index).toBe(1);
    expect(defNamed(file, "missing")).toBeUndefined();
    const params = defParams(found!.def);
    expect(params.map((p) => p.name)).toEqual(["distro", "packages", "archs"]);
    expect(evaluate(params[2]!.defaultValue!, bzl, emptyScope)).toEqual(["amd64", "arm64"]);
  });

  it("finds the oci_image calls of that def only, each inside its for-loops and comprehensions", () => {
    const { index } = defNamed(file, "python_image")!;
    const calls = ociCallsInDef(file, index);
    expect(
      calls.map((c) =>
        evaluate(keywordArg(c.call, "name")!.value, bzl, { get: (n) => (n === "arch" ? "amd64" : n === "user" ? "root" : undefined) }),
      ),
    ).toEqual(["py_amd64", "py_amd64_root"]);
    expect(calls.map((c) => c.clauses.map((x) => (x.vars?.kind === "ident" ? x.vars.name : "?")))).toEqual([["arch"], ["arch", "user"]]);
    expect(ociCallsInDef(file, defNamed(file, "other")!.index)).toHaveLength(1);
  });

  it("binds keyword and positional arguments, and defaults evaluated in the macro's scope", () => {
    const build = `CONFIG = {"debian12": ["bash"]}\npython_image("debian12", packages = CONFIG["debian12"])\n`;
    const buildFile = parseStarlark(build, "python3/BUILD");
    const call = sites(build, "python_image")[0]!.call;
    const { def } = defNamed(file, "python_image")!;
    const bound = bindMacroArgs(call, defParams(def), { text: build, scope: fileScope(buildFile) }, { text: bzl, scope: fileScope(file) });
    expect(bound.bindings).toEqual({ distro: "debian12", packages: ["bash"], archs: ["amd64", "arm64"] });
    expect([...bound.args.keys()]).toEqual(["distro", "packages"]);
    const packagesArg: Expr = bound.args.get("packages")!;
    expect(build.slice(packagesArg.start, packagesArg.end)).toBe('CONFIG["debian12"]');
  });
});

describe("companion additions", () => {
  const text = [
    "tars = [",
    '    deb.package(arch, distro, "bash"),',
    '] + ([ "@bookworm_extra//libfoo/amd64", "@bookworm_extra//libbar/amd64" ] if arch == "amd64" and distro in ["debian12"] else [])',
    "",
  ].join("\n");
  const file = parseStarlark(text, "BUILD");
  const value = file.statements[0]!.kind === "assign" ? file.statements[0]!.value : undefined;
  const parts = value?.kind === "other" ? value.children : [];

  it("reads the repo, arch, labels and condition of a ([...] if cond else []) addition", () => {
    const addition = companionAddition(parts[1]!, text);
    expect(addition).toMatchObject({ repo: "bookworm_extra", arch: "amd64" });
    expect(addition!.labels.map((l) => l.name)).toEqual(["libfoo", "libbar"]);
    const scope = (arch: string, distro: string) => ({ get: (n: string) => (n === "arch" ? arch : n === "distro" ? distro : undefined) });
    expect(conditionHolds(addition!.cond, text, scope("amd64", "debian12"))).toBe(true);
    expect(conditionHolds(addition!.cond, text, scope("arm64", "debian12"))).toBe(false);
    expect(conditionHolds(addition!.cond, text, scope("amd64", "debian13"))).toBe(false);
    expect(conditionHolds(addition!.cond, text, emptyScope)).toBe(false);
  });

  it("is not an addition when labels mix repos or the else branch is not empty", () => {
    for (const bad of [
      '([ "@a//x/amd64", "@b//y/amd64" ] if arch == "amd64" else [])',
      '([ "@a//x/amd64" ] if arch == "amd64" else ["@a//y/amd64"])',
      '([ "not-a-label" ] if arch == "amd64" else [])',
    ]) {
      const t = `x = ${bad}\n`;
      const st = parseStarlark(t, "BUILD").statements[0]!;
      expect(st.kind === "assign" ? companionAddition(st.value, t) : "not an assignment").toBeUndefined();
    }
  });

  it("parses repo labels", () => {
    expect(parseRepoLabel("@bookworm_extra//libfoo/amd64")).toEqual({ repo: "bookworm_extra", name: "libfoo", arch: "amd64" });
    expect(parseRepoLabel("//libfoo/amd64")).toBeUndefined();
    expect(parseRepoLabel("@r//a/b/c")).toBeUndefined();
  });
});

describe("file kinds and directory suffixes", () => {
  it("tells BUILD files from .bzl files", () => {
    expect(["BUILD", "a/BUILD.bazel", "a/defs.bzl", "a/BUILD.tpl"].map(starlarkFileFormat)).toEqual(["build", "build", "bzl", "bzl"]);
  });

  it("reads the repo suffix a deb.bzl picks by directory", () => {
    const text = [
      "def package(arch, dist, pkg):",
      '    if native.package_name() in ["python3", "python3-debug"]:',
      '        dist += "_python"',
      "    return dist",
      "",
    ].join("\n");
    const file = parseStarlark(text, "private/util/deb.bzl");
    expect(dirSuffixFor(file, "python3")).toBe("python");
    expect(dirSuffixFor(file, "cc")).toBeUndefined();
  });
});

describe("forEachCallBinding", () => {
  const visit = (text: string): string[] => {
    const file = parseStarlark(text, "MODULE.bazel");
    const scope = fileScope(file);
    const seen: string[] = [];
    for (const st of file.statements) {
      for (const e of statementExprs(st)) {
        forEachCallBinding(e, text, scope, (call, s) => {
          const name = keywordArg(call, "name");
          if (dottedName(call.callee) === "apt.install") seen.push(String(name === undefined ? "?" : evaluate(name.value, text, s)));
        });
      }
    }
    return seen;
  };

  it("visits a call once per binding of the comprehensions around it", () => {
    expect(
      visit(`REPOS = ["bookworm", "trixie"]\n[apt.install(name = r, manifest = "//:" + r + ".yaml") for r in REPOS]\napt.install(name = "flat")\n`),
    ).toEqual(["bookworm", "trixie", "flat"]);
    expect(visit(`[apt.install(name = r + "_" + a) for r in ["bookworm"] for a in ["amd64", "arm64"] if a != "arm64"]\n`)).toEqual([
      "bookworm_amd64",
    ]);
  });

  it("visits a call in a comprehension over an unknown list once, its loop variable unbound", () => {
    expect(visit(`[apt.install(name = r) for r in computed()]\n`)).toEqual(["undefined"]);
  });
});

describe("splitImageTarget", () => {
  it("splits <image>_<user>_<arch>_<distro>, the image name possibly holding underscores", () => {
    expect(splitImageTarget("python3_nonroot_amd64_debian12", "amd64", "debian12")).toEqual({ image: "python3", user: "nonroot" });
    expect(splitImageTarget("java_base_debug_root_arm64_debian13", "arm64", "debian13")).toEqual({ image: "java_base_debug", user: "root" });
    expect(splitImageTarget("static_root_amd64_debian12", "arm64", "debian12")).toBeUndefined();
    expect(splitImageTarget("root_amd64_debian12", "amd64", "debian12")).toBeUndefined();
  });
});
