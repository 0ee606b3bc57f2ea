import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parsePackagesIndex } from "../debian/packages-index.js";
import { dependencyClosureOf } from "./dependency-closure.js";
import { explainPaths } from "./explain-paths.js";
import { formatProblem } from "./problem.js";
import { type InstalledPackage, type ResolveResult, type RootRequest, resolveClosure } from "./resolve-closure.js";
import { buildUniverse, type Universe, type UniverseSource } from "./universe.js";

// Small universes in real stanza format, one directory per bug class, one <suite>.Packages per source.
const UNIVERSES = join(import.meta.dirname, "../../../test/fixtures/resolve/universes");

function sources(name: string, pins: Readonly<Record<string, number>> = {}): UniverseSource[] {
  const dir = join(UNIVERSES, name);
  return readdirSync(dir)
    .filter((f) => f.endsWith(".Packages"))
    .map((f) => f.slice(0, -".Packages".length))
    .sort((a, b) => a.length - b.length || (a < b ? -1 : 1)) // main suite first, like a sources.list
    .map((suite) => {
      const file = join(dir, `${suite}.Packages`);
      return { id: suite, pin: pins[suite] ?? 500, records: parsePackagesIndex(new Uint8Array(readFileSync(file)), file) };
    });
}

function universe(name: string, arch = "amd64", pins: Readonly<Record<string, number>> = {}): Universe {
  return buildUniverse(sources(name, pins), arch);
}

function resolve(u: Universe, roots: readonly (string | RootRequest)[], installed?: readonly InstalledPackage[]): ResolveResult {
  return resolveClosure({ universe: u, roots: roots.map((r) => (typeof r === "string" ? { name: r } : r)), ...(installed ? { installed } : {}) });
}

function names(result: ResolveResult): string[] {
  return result.packages.map((p) => `${p.name}=${p.version}`);
}

function codes(result: ResolveResult): string[] {
  return result.ok ? [] : result.problems.map((p) => `${p.code} ${p.package}`);
}

describe("a real package is preferred over providers", () => {
  const u = universe("provider-shadow");

  it("picks libssl3 itself, not libssl3t64 which Provides libssl3 in a newer version", () => {
    const r = resolve(u, ["curl"]);
    expect(r.ok).toBe(true);
    expect(names(r)).toEqual(["curl=7.88.1-10+deb12u5", "libc6=2.36-9+deb12u4", "libssl3=3.0.11-1~deb12u2"]);
    expect(r.packages.find((p) => p.name === "curl")?.dependsOn).toEqual(["libc6", "libssl3"]);
  });

  it("falls back to a versioned provider when the real candidate is too old (as apt does)", () => {
    const r = resolve(u, ["wget"]);
    expect(names(r)).toEqual(["libc6=2.36-9+deb12u4", "libssl3t64=3.3.2-1", "wget=1.24.5-1"]);
    expect(r.packages.find((p) => p.name === "wget")?.dependsOn).toEqual(["libc6", "libssl3t64"]);
  });

  it("skips an alternative whose own dependencies no candidate satisfies (apt's IsInstallOk check)", () => {
    // libssl3t64-next needs libc6 (>= 2.38), only 2.36 exists: apt moves on to a provider of libssl-next
    expect(names(resolve(u, ["ssl-next-user"]))).toEqual(["libc6=2.36-9+deb12u4", "libssl-next-compat=3.2.0-1", "ssl-next-user=1.0-1"]);
  });

  it("settles a Breaks with an earlier pick as apt does: libssl3 is withdrawn, libssl3t64 serves curl too", () => {
    // apt 2.6.1 on these stanzas: `apt-get install curl wget` installs curl, libc6, libssl3t64, wget
    const r = resolve(u, ["curl", "wget"]);
    expect(r.ok).toBe(true);
    expect(names(r)).toEqual(["curl=7.88.1-10+deb12u5", "libc6=2.36-9+deb12u4", "libssl3t64=3.3.2-1", "wget=1.24.5-1"]);
    expect(r.packages.find((p) => p.name === "curl")?.dependsOn).toEqual(["libc6", "libssl3t64"]);
  });

  it("still reports the Breaks when the package it hits is a root", () => {
    const r = resolve(u, ["libssl3", "wget"]);
    expect(codes(r)).toEqual(["BREAKS libssl3t64"]);
    expect(r.ok ? "" : r.problems[0]!.message).toContain("libssl3 3.0.11-1~deb12u2");
  });
});

describe("two versions of a provider in two suites", () => {
  const u = universe("provider-two-suites");

  it("uses the candidate (highest version) of the providing package, with its source", () => {
    for (const root of ["app-any", "app-new"]) {
      const r = resolve(u, [root]);
      expect(r.ok).toBe(true);
      const ssl = r.packages.find((p) => p.name === "libssl3t64");
      expect([ssl?.version, ssl?.sourceId]).toEqual(["3.5.1-1", "trixie-security"]);
    }
  });

  it("does not fall back to an older, non-candidate version that would satisfy (apt does not either)", () => {
    const r = resolve(u, ["app-old"]);
    expect(codes(r)).toEqual(["NO_SATISFYING_VERSION libssl3"]);
    expect(r.ok ? [] : r.problems[0]!.chain).toEqual(["app-old", "libssl3"]);
  });

  it("a pin lower than 500 makes the older version the candidate", () => {
    const pinned = universe("provider-two-suites", "amd64", { "trixie-security": 1 });
    expect(names(resolve(pinned, ["app-old"]))).toEqual(["app-old=1.0-1", "libssl3t64=3.5.0-1"]);
  });
});

describe("or-groups", () => {
  const u = universe("or-group");

  it("takes the first alternative when nothing satisfies the group yet", () => {
    expect(names(resolve(u, ["prefers-mawk"]))).toEqual(["mawk=1.3.4.20200120-3.1", "prefers-mawk=1.0-1"]);
  });

  it("skips a group already satisfied by a chosen package (an earlier root)", () => {
    const r = resolve(u, ["needs-gawk", "prefers-mawk"]);
    expect(names(r)).toEqual(["gawk=1:5.2.1-2", "libc6=2.36-9+deb12u4", "needs-gawk=1.0-1", "prefers-mawk=1.0-1"]);
    expect(r.packages.find((p) => p.name === "prefers-mawk")?.dependsOn).toEqual(["gawk"]);
  });

  it("expands roots in the order given, as apt-get install does", () => {
    // prefers-mawk first: its `mawk | gawk` is not satisfied yet, mawk is picked; gawk then comes for needs-gawk
    const r = resolve(u, ["prefers-mawk", "needs-gawk"]);
    expect(names(r)).toEqual(["gawk=1:5.2.1-2", "libc6=2.36-9+deb12u4", "mawk=1.3.4.20200120-3.1", "needs-gawk=1.0-1", "prefers-mawk=1.0-1"]);
    expect(r.packages.find((p) => p.name === "prefers-mawk")?.dependsOn).toEqual(["mawk"]);
  });

  it("skips a group already satisfied by an earlier dependency of the same package", () => {
    expect(names(resolve(u, ["both-in-one"]))).toEqual(["both-in-one=1.0-1", "gawk=1:5.2.1-2", "libc6=2.36-9+deb12u4"]);
  });

  it("skips a group already satisfied by an installed package, which is not added", () => {
    const r = resolve(u, ["prefers-mawk"], [{ name: "gawk", version: "1:5.2.1-2", provides: "awk" }]);
    expect(names(r)).toEqual(["prefers-mawk=1.0-1"]);
    expect(r.packages[0]!.dependsOn).toEqual(["gawk"]);
  });

  it("credits a group to the package picked for it, also when another provider arrives later", () => {
    // like base-files' `Pre-Depends: awk`: mawk is picked for awk, gawk comes later for another group;
    // the lock entry must still list mawk (crediting awk to the alphabetically first provider lost it)
    const r = resolve(u, ["awk-then-gawk"]);
    expect(names(r)).toEqual(["awk-then-gawk=1.0-1", "gawk=1:5.2.1-2", "libc6=2.36-9+deb12u4", "mawk=1.3.4.20200120-3.1"]);
    const root = r.packages.find((p) => p.name === "awk-then-gawk")!;
    expect(root.groupSatisfiers).toEqual(["mawk", "gawk"]);
    expect(root.dependsOn).toEqual(["mawk", "gawk"]);
    expect(dependencyClosureOf(r, "awk-then-gawk").map((p) => p.name)).toEqual(["gawk", "libc6", "mawk"]);
  });

  it("among providers of a virtual package, prefers Essential, then Priority (apt's order)", () => {
    expect(names(resolve(u, ["needs-awk"]))).toEqual(["mawk=1.3.4.20200120-3.1", "needs-awk=1.0-1"]);
  });

  it("a virtual root already provided by an installed package adds nothing", () => {
    const r = resolve(u, ["awk"], [{ name: "mawk", version: "1.3.4.20200120-3.1", provides: "awk" }]);
    expect([r.ok, names(r)]).toEqual([true, []]);
  });

  it("a virtual root with several providers is a problem naming them", () => {
    const r = resolve(u, ["awk"]);
    expect(codes(r)).toEqual(["NOT_FOUND awk"]);
    expect(r.ok ? "" : r.problems[0]!.message).toContain("mawk, gawk, original-awk");
  });
});

describe("providers that tie on Essential and Priority: apt's registration order", () => {
  // apt's last tie-break is its cache's package ID, highest first: the provider apt registered last while
  // reading the indexes, counting every name a stanza mentions (Recommends, Suggests, Replaces, Enhances too).
  // Expected results are apt 2.6.1's on these very stanzas (apt-closure.sh --each), and on full bookworm +
  // updates + security amd64 deb-lock agrees with apt on all of: sa-exim, php-geos, cream, homer-api,
  // libtesseract-dev, parolottero, kde-telepathy-minimal, notmuch-vim, gedit-source-code-browser-plugin,
  // golang-github-containers-common, wireguard, lomiri-common (the eight that once differed among them).
  const u = universe("registration-order");

  it("takes the provider registered last: zeta-impl was met first, in an earlier stanza's Suggests", () => {
    expect(u.registeredAt("zeta-impl")).toBeLessThan(u.registeredAt("alpha-impl"));
    expect(names(resolve(u, ["wants-virt"]))).toEqual(["alpha-impl=1.0-1", "wants-virt=1.0-1"]);
  });

  it("make:any is a name of its own: the real make has no preference among its providers", () => {
    expect(names(resolve(u, ["wants-make-any"]))).toEqual(["make-guile=1.0-1", "wants-make-any=1.0-1"]);
    expect(names(resolve(u, ["wants-make"]))).toEqual(["make=1.0-1", "wants-make=1.0-1"]);
  });

  it("sa-exim: the mail-transport-agent provider apt picks", () => {
    expect(names(resolve(universe("provider-tie"), ["sa-exim"]))).toEqual(["exim4-daemon-light=4.96-15+deb12u10", "sa-exim=4.2.1-20+b1"]);
  });
});

describe("versions and roots with constraints", () => {
  const u = universe("versions");

  it("the highest version across sources is the candidate", () => {
    const r = resolve(u, ["bar"]);
    expect(names(r)).toEqual(["bar=2.0-1", "libfoo1=2.0-1"]);
    expect(r.packages.find((p) => p.name === "libfoo1")?.sourceId).toBe("bookworm-updates");
  });

  it("a root constraint selects the highest version satisfying it", () => {
    expect(names(resolve(u, [{ name: "libfoo1", op: "<<", version: "2.0" }]))).toEqual(["libfoo1=1.0-1"]);
    expect(names(resolve(u, [{ name: "libfoo1", op: ">=", version: "1.0" }]))).toEqual(["libfoo1=2.0-1"]);
    expect(names(resolve(u, [{ name: "libfoo1", op: "=", version: "1.0-1" }]))).toEqual(["libfoo1=1.0-1"]);
  });

  it("two roots needing incompatible versions: VERSION_CLASH", () => {
    const r = resolve(u, [
      { name: "libfoo1", op: "=", version: "1.0-1" },
      { name: "libfoo1", op: "=", version: "2.0-1" },
    ]);
    expect(codes(r)).toEqual(["VERSION_CLASH libfoo1"]);
  });

  it("a root pinned to a version another root's dependency rejects: VERSION_CLASH with the chain", () => {
    const r = resolve(u, [{ name: "libfoo1", op: "=", version: "1.0-1" }, "bar"]);
    expect(codes(r)).toEqual(["VERSION_CLASH libfoo1"]);
    expect(r.ok ? [] : r.problems[0]!.chain).toEqual(["bar", "libfoo1"]);
    expect(r.ok ? "" : formatProblem(r.problems[0]!)).toMatch(/^VERSION_CLASH libfoo1 \(amd64\): .*\n {2}required by: bar → libfoo1$/);
  });

  it("a constraint nothing satisfies: NO_SATISFYING_VERSION; an unknown name: NOT_FOUND", () => {
    expect(codes(resolve(u, [{ name: "libfoo1", op: ">=", version: "3" }]))).toEqual(["NO_SATISFYING_VERSION libfoo1"]);
    expect(codes(resolve(u, ["no-such-package"]))).toEqual(["NOT_FOUND no-such-package"]);
  });

  it("an installed package that is too old for a dependency cannot be replaced: VERSION_CLASH", () => {
    const r = resolve(u, ["bar"], [{ name: "libfoo1", version: "1.0-1" }]);
    expect(codes(r)).toEqual(["VERSION_CLASH libfoo1"]);
  });
});

describe("cycles and duplicate dependency entries", () => {
  const u = universe("cycle");

  it("resolves a cycle (perl ↔ perl-modules-5.36) once, with each package once", () => {
    const r = resolve(u, ["perl"]);
    expect(r.ok).toBe(true);
    const list = r.packages.map((p) => p.name);
    expect(list).toEqual(["dpkg", "gcc-12-base", "libc6", "libcrypt1", "libgcc-s1", "libperl5.36", "perl", "perl-base", "perl-modules-5.36"]);
    expect(new Set(list).size).toBe(list.length);
  });

  it("never repeats a name in dependsOn although perl lists perl-base twice", () => {
    const perl = resolve(u, ["perl"]).packages.find((p) => p.name === "perl")!;
    expect(perl.dependsOn).toEqual(["dpkg", "perl-base", "perl-modules-5.36", "libperl5.36"]);
  });

  it("dependencyClosureOf lists every dependency once, never the root, in rules_distroless' stack order", () => {
    const r = resolve(u, ["perl"]);
    const deps = dependencyClosureOf(r, "perl").map((p) => p.name);
    // stack after perl: [dpkg, perl-base, perl-modules-5.36, libperl5.36, perl-base] → pops the last first
    expect(deps).toEqual(["perl-base", "libcrypt1", "libc6", "libgcc-s1", "gcc-12-base", "libperl5.36", "perl-modules-5.36", "dpkg"]);
    expect(new Set(deps).size).toBe(deps.length);
    expect(deps).not.toContain("perl");
    expect(dependencyClosureOf(r, "not-a-root")).toEqual([]);
  });

  it("explainPaths gives root-to-package paths, shortest first", () => {
    const r = resolve(u, ["perl"]);
    expect(explainPaths(r, "libcrypt1", 3)).toEqual([
      ["perl", "libperl5.36", "libcrypt1"],
      ["perl", "perl-base", "libcrypt1"],
      ["perl", "perl-modules-5.36", "perl-base", "libcrypt1"],
    ]);
    expect(explainPaths(r, "perl")).toEqual([["perl"]]);
    expect(explainPaths(r, "absent")).toEqual([]);
  });
});

describe("Provides with and without versions", () => {
  const u = universe("provides-versioned");

  it("an unversioned Provides satisfies an unversioned dependency", () => {
    expect(names(resolve(u, ["mail-user"]))).toEqual(["exim4-daemon-light=4.96-15+deb12u4", "mail-user=1.0-1"]);
  });

  it("an unversioned Provides does not satisfy a versioned dependency", () => {
    const r = resolve(u, ["mail-user-versioned"]);
    expect(codes(r)).toEqual(["NO_SATISFYING_VERSION mail-transport-agent"]);
    expect(r.packages.map((p) => p.name)).toEqual(["mail-user-versioned"]);
  });

  it("a versioned Provides satisfies a versioned dependency", () => {
    expect(names(resolve(u, ["attrs-user"]))).toEqual(["attrs-user=1.0-1", "python3-attr=22.2.0-1"]);
  });
});

describe("architectures", () => {
  it("a dependency missing for one architecture is a problem naming package and arch", () => {
    const amd = resolve(universe("arch-missing", "amd64"), ["gdb"]);
    expect(amd.ok).toBe(true);
    expect(names(amd)).toContain("tzdata=2024a-0+deb12u1");
    const arm = resolve(universe("arch-missing", "arm64"), ["gdb"]);
    expect(arm.ok).toBe(false);
    expect(arm.ok ? [] : arm.problems.map((p) => [p.code, p.package, p.arch, p.chain])).toEqual([
      ["NOT_FOUND", "libipt2", "arm64", ["gdb", "libipt2"]],
    ]);
    // the rest of the closure is still there, Architecture: all included
    expect(names(arm)).toEqual(["gdb=13.1-3", "libc6=2.36-9+deb12u4", "tzdata=2024a-0+deb12u1"]);
  });

  it("a root missing for the architecture is NOT_FOUND for that arch", () => {
    const r = resolve(universe("arch-missing", "arm64"), ["libipt2"]);
    expect(r.ok ? [] : r.problems.map((p) => `${p.code} ${p.package} ${p.arch}`)).toEqual(["NOT_FOUND libipt2 arm64"]);
  });

  it(":any needs Multi-Arch: allowed (also for Provides); :native is the one architecture", () => {
    const u = universe("multi-arch");
    expect(names(resolve(u, ["py-tool"]))).toEqual(["py-tool=1.0-1", "python3=3.11.2-1+b1"]);
    expect(names(resolve(u, ["perl-tool"]))).toEqual(["perl=5.36.0-7+deb12u1", "perl-tool=1.0-1"]);
    expect(names(resolve(u, ["native-tool"]))).toEqual(["native-tool=1.0-1", "python3=3.11.2-1+b1"]);
    expect(codes(resolve(u, ["awk-tool"]))).toEqual(["NO_SATISFYING_VERSION gawk"]);
  });
});

describe("Conflicts and Breaks inside the chosen set", () => {
  const u = universe("conflicts");

  it("two mail transport agents that Conflict: reported both ways", () => {
    const r = resolve(u, ["exim4-daemon-light", "postfix"]);
    expect(codes(r)).toEqual(["CONFLICTS exim4-daemon-light", "CONFLICTS postfix"]);
    expect(r.packages.map((p) => p.name)).toEqual(["exim4-daemon-light", "postfix"]);
  });

  it("a package that Conflicts with a name it Provides itself is fine", () => {
    expect(resolve(u, ["postfix"]).ok).toBe(true);
  });

  it("an or-group already satisfied by a root does not pull in a conflicting alternative", () => {
    const r = resolve(u, ["mailer", "postfix"]);
    expect(r.ok).toBe(true);
    expect(r.packages.map((p) => p.name)).toEqual(["mailer", "postfix"]);
  });

  it("Breaks against a too-old chosen package", () => {
    const r = resolve(u, ["gcc-12"]);
    expect(codes(r)).toEqual(["BREAKS libgcc-s1"]);
    expect(r.ok ? [] : r.problems[0]!.chain).toEqual(["gcc-12", "libgcc-s1"]);
  });

  it("installed packages count for Conflicts too", () => {
    const r = resolve(u, ["exim4-daemon-light"], [{ name: "postfix", version: "3.7.10-0+deb12u1", provides: "mail-transport-agent" }]);
    expect(codes(r)).toEqual(["CONFLICTS exim4-daemon-light"]);
  });
});

describe("pins", () => {
  it("a NotAutomatic suite (pin 1) or NotAutomatic+ButAutomaticUpgrades (pin 100) loses to pin 500 despite a higher version", () => {
    for (const pin of [1, 100]) {
      const u = universe("pins", "amd64", { "bookworm-backports": pin });
      expect(names(resolve(u, ["golang-go"]))).toEqual(["golang-go=2:1.19~1"]);
      // asking for the newer version explicitly selects it, like apt-get install -t / pkg=version
      const r = resolve(u, [{ name: "golang-go", op: ">=", version: "2:1.21~" }]);
      expect(r.packages.map((p) => [p.version, p.sourceId])).toEqual([["2:1.21~2~bpo12+1", "bookworm-backports"]]);
    }
  });

  it("with equal pins the highest version wins", () => {
    expect(names(resolve(universe("pins"), ["golang-go"]))).toEqual(["golang-go=2:1.21~2~bpo12+1"]);
  });
});
