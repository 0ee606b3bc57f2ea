import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildAr, buildDeb, buildElf, buildTar } from "../../../test/support/deb-builder.js";
import { parseAr } from "./ar.js";
import { summarizeDeb } from "./deb-contents.js";
import { parseElf } from "./elf.js";
import { matchesGlob, parseLdSoConf } from "./ld-so-conf.js";
import { expandSearchPath, resolveLibrary } from "./loader.js";
import { parseMaintainerLinks } from "./maintainer-links.js";
import { RootFs } from "./rootfs.js";
import { packageNamesForSoname } from "./soname-package.js";
import { parseTar } from "./tar.js";
import { type ImageLayer, verifyImage } from "./verify-image.js";

const LD = "/lib64/ld-linux-x86-64.so.2";
const T = "x86_64-linux-gnu";

/** A package whose data holds these files (ELF specs become synthetic ELF files). */
function layer(pkg: string, files: Record<string, ReturnType<typeof buildElf> | string | { symlink: string }>, postinst?: string): ImageLayer {
  const entries = Object.entries(files).map(([path, v]) =>
    typeof v === "object" && "symlink" in v ? { path, kind: "symlink" as const, target: v.symlink } : { path, kind: "file" as const, data: v },
  );
  const data = parseTar(buildTar(entries));
  const control = parseTar(buildTar(postinst === undefined ? [] : [{ path: "/postinst", kind: "file", data: postinst }]));
  if (!data.ok || !control.ok) throw new Error("test tar does not parse");
  return { pkg, contents: summarizeDeb(data.entries, control.entries) };
}

const libc = (): ImageLayer =>
  layer("libc6", {
    [`/usr/lib/${T}/ld-linux-x86-64.so.2`]: buildElf({ soname: "ld-linux-x86-64.so.2" }),
    [LD]: { symlink: `/usr/lib/${T}/ld-linux-x86-64.so.2` },
    [`/usr/lib/${T}/libc.so.6`]: buildElf({ soname: "libc.so.6" }),
  });

describe("ELF reading", () => {
  it("reads class, machine, interpreter, DT_NEEDED, SONAME, RPATH and RUNPATH of 64- and 32-bit files", () => {
    const r64 = parseElf(
      buildElf({ interpreter: LD, needed: ["libc.so.6", "libm.so.6"], soname: "libx.so.1", rpath: "$ORIGIN/../lib", runpath: "/opt/lib" }),
    );
    expect(r64).toEqual({
      ok: true,
      elf: {
        bits: 64,
        bigEndian: false,
        machine: 62,
        type: 3,
        interpreter: LD,
        needed: ["libc.so.6", "libm.so.6"],
        soname: "libx.so.1",
        rpath: "$ORIGIN/../lib",
        runpath: "/opt/lib",
      },
    });
    const r32 = parseElf(buildElf({ bits: 32, machine: 40, needed: ["libc.so.6"] }));
    expect(r32?.ok && r32.elf).toMatchObject({ bits: 32, machine: 40, needed: ["libc.so.6"] });
    expect(parseElf(new TextEncoder().encode("#!/bin/sh\n"))).toBeUndefined();
  });

  it("calls a truncated ELF file a problem instead of throwing", () => {
    const whole = buildElf({ interpreter: LD, needed: ["libc.so.6"] });
    const r = parseElf(whole.subarray(0, 100));
    expect(r?.ok).toBe(false);
  });

  it.skipIf(!existsSync("/bin/ls"))("agrees with readelf on a real executable of this machine", () => {
    const r = parseElf(new Uint8Array(readFileSync("/bin/ls")));
    expect(r?.ok).toBe(true);
    if (!r?.ok) return;
    let readelf: string | undefined;
    try {
      readelf = execFileSync("readelf", ["-d", "-l", "/bin/ls"], { encoding: "utf8" });
    } catch {
      readelf = undefined;
    }
    if (readelf !== undefined) {
      expect(r.elf.needed).toEqual([...readelf.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]));
      expect(r.elf.interpreter).toBe(/Requesting program interpreter: ([^\]]+)\]/.exec(readelf)?.[1]);
    } else {
      // Without binutils: a Debian /bin/ls links libc and names glibc's loader.
      expect(r.elf.needed).toContain("libc.so.6");
      expect(r.elf.interpreter).toMatch(/^\/lib.*\/ld-linux/);
    }
  });
});

describe("ar and tar", () => {
  it("round-trip the members and entries the builders write, long names included", () => {
    const long = `/usr/share/${"x".repeat(120)}/file`;
    const tar = parseTar(
      buildTar([
        { path: "/usr", kind: "dir" },
        { path: long, kind: "file", data: "hi", mode: 0o755 },
        { path: "/usr/bin/a", kind: "symlink", target: "b" },
        { path: "/usr/bin/c", kind: "hardlink", target: long },
      ]),
    );
    expect(tar.ok && tar.entries.map((e) => [e.path, e.kind, e.linkTarget])).toEqual([
      ["/usr", "dir", undefined],
      [long, "file", undefined],
      ["/usr/bin/a", "symlink", "b"],
      ["/usr/bin/c", "hardlink", long],
    ]);
    const ar = parseAr(
      buildAr([
        { name: "debian-binary", data: new TextEncoder().encode("2.0\n") },
        { name: "x", data: new Uint8Array([1, 2, 3]) },
      ]),
    );
    expect(ar.ok && ar.members.map((m) => [m.name, m.data.length])).toEqual([
      ["debian-binary", 4],
      ["x", 3],
    ]);
  });

  it("report truncation as a problem", () => {
    const deb = buildDeb({ files: [{ path: "/a", kind: "file", data: "x".repeat(5000) }] });
    const ar = parseAr(deb.subarray(0, deb.length - 100));
    expect(ar.ok).toBe(false);
    const tar = buildTar([{ path: "/a", kind: "file", data: "x".repeat(5000) }]);
    const r = parseTar(tar.subarray(0, 2048));
    expect(r.ok ? "ok" : r.problem).toMatch(/truncated/);
  });
});

describe("the loader's search", () => {
  const ctxOf = (layers: ImageLayer[]): { fs: RootFs } => {
    const fs = new RootFs();
    for (const l of layers) fs.apply(l.pkg, l.contents);
    return { fs };
  };
  const objOf = (fs: RootFs, path: string): { path: string; elf: NonNullable<ReturnType<RootFs["get"]>>["elf"] & object } => ({
    path,
    elf: fs.get(path)!.elf!,
  });

  it("expands $ORIGIN to the object's directory", () => {
    const { fs } = ctxOf([
      libc(),
      layer("app", {
        "/opt/app/bin/app": buildElf({ interpreter: LD, needed: ["libapp.so.1"], runpath: "$ORIGIN/../lib" }),
        "/opt/app/lib/libapp.so.1": buildElf({ soname: "libapp.so.1" }),
      }),
    ]);
    expect(resolveLibrary({ fs }, objOf(fs, "/opt/app/bin/app"), "libapp.so.1")).toMatchObject({
      found: true,
      path: "/opt/app/lib/libapp.so.1",
      step: "runpath",
    });
    expect(expandSearchPath("${ORIGIN}/x:$LIB", "/a", { bits: 64, machine: 62, bigEndian: false })).toBe(`/a/x:lib/${T}`);
  });

  it("ignores DT_RPATH when DT_RUNPATH is present, and uses it when alone", () => {
    const lib = buildElf({ soname: "libp.so.1" });
    const { fs } = ctxOf([
      libc(),
      layer("app", {
        "/usr/bin/both": buildElf({ interpreter: LD, needed: ["libp.so.1"], rpath: "/opt/rpath", runpath: "/opt/runpath" }),
        "/usr/bin/rpath-only": buildElf({ interpreter: LD, needed: ["libp.so.1"], rpath: "/opt/rpath" }),
        "/opt/rpath/libp.so.1": lib,
      }),
    ]);
    const both = resolveLibrary({ fs }, objOf(fs, "/usr/bin/both"), "libp.so.1");
    expect(both.found).toBe(false);
    expect(!both.found && both.searched).toEqual([
      "/opt/runpath/libp.so.1",
      `/lib/${T}/libp.so.1`,
      `/usr/lib/${T}/libp.so.1`,
      "/lib/libp.so.1",
      "/usr/lib/libp.so.1",
    ]);
    expect(resolveLibrary({ fs }, objOf(fs, "/usr/bin/rpath-only"), "libp.so.1")).toMatchObject({ found: true, step: "rpath" });
  });

  it("skips a library of another ELF class or machine and goes on searching", () => {
    const { fs } = ctxOf([
      libc(),
      layer("app", {
        "/usr/bin/app": buildElf({ interpreter: LD, needed: ["libq.so.1", "libonly32.so.1"] }),
        [`/lib/${T}/libq.so.1`]: buildElf({ bits: 32, machine: 3, soname: "libq.so.1" }),
        "/usr/lib/libq.so.1": buildElf({ soname: "libq.so.1" }),
        [`/usr/lib/${T}/libonly32.so.1`]: buildElf({ bits: 32, machine: 3, soname: "libonly32.so.1" }),
      }),
    ]);
    expect(resolveLibrary({ fs }, objOf(fs, "/usr/bin/app"), "libq.so.1")).toMatchObject({ found: true, path: "/usr/lib/libq.so.1" });
    const r = resolveLibrary({ fs }, objOf(fs, "/usr/bin/app"), "libonly32.so.1");
    expect(r).toMatchObject({ found: false, mismatches: [{ path: `/usr/lib/${T}/libonly32.so.1`, bits: 32, machine: 3 }] });
  });

  it("follows merged-/usr directory links, and places files through them", () => {
    const fs = new RootFs();
    fs.apply("base-files", {
      files: [
        { path: "/usr", kind: "dir", mode: 0o755 },
        { path: "/usr/lib", kind: "dir", mode: 0o755 },
        { path: "/lib", kind: "symlink", mode: 0o777, target: "usr/lib" },
      ],
      links: [],
    });
    fs.apply("x", { files: [{ path: "/lib/libz.so.1", kind: "file", mode: 0o644 }], links: [] });
    expect(fs.get("/usr/lib/libz.so.1")?.pkg).toBe("x");
    expect(fs.resolve("/lib/libz.so.1")).toMatchObject({ path: "/usr/lib/libz.so.1", via: ["/lib"] });
  });
});

describe("maintainer-script links", () => {
  it("reads update-alternatives --install over continuation lines, with slaves and variables", () => {
    const links = parseMaintainerLinks(
      "postinst",
      `#!/bin/sh\nset -e\nT=x86_64-linux-gnu\nif [ "$1" = configure ]; then\nupdate-alternatives --install /usr/lib/$T/libblas.so.3 \\\n   libblas.so.3-$T /usr/lib/$T/blas/libblas.so.3 10 \\\n   --slave /usr/lib/$T/libblas.so libblas.so-$T /usr/lib/$T/blas/libblas.so\nfi\nln -sf ../x/y /usr/lib/z\nupdate-alternatives --install /usr/bin/$UNKNOWN foo /usr/bin/foo 5\n`,
    );
    expect(links).toEqual([
      {
        kind: "alternative",
        link: `/usr/lib/${T}/libblas.so.3`,
        target: `/usr/lib/${T}/blas/libblas.so.3`,
        name: `libblas.so.3-${T}`,
        priority: 10,
        script: "postinst",
      },
      {
        kind: "alternative",
        link: `/usr/lib/${T}/libblas.so`,
        target: `/usr/lib/${T}/blas/libblas.so`,
        name: `libblas.so-${T}`,
        priority: 10,
        script: "postinst",
      },
      { kind: "symlink", link: "/usr/lib/z", target: "../x/y", script: "postinst" },
    ]);
  });
});

describe("verifyImage", () => {
  const blas = (prio: number, pkg = "libblas3", dir = "blas"): ImageLayer =>
    layer(
      pkg,
      { [`/usr/lib/${T}/${dir}/libblas.so.3`]: buildElf({ soname: "libblas.so.3" }) },
      `update-alternatives --install /usr/lib/${T}/libblas.so.3 libblas.so.3-${T} /usr/lib/${T}/${dir}/libblas.so.3 ${prio}\n`,
    );
  const app = (): ImageLayer => layer("app", { "/usr/bin/app": buildElf({ interpreter: LD, needed: ["libc.so.6", "libblas.so.3"] }) });

  it("is clean when every interpreter and library resolves", () => {
    const r = verifyImage([libc(), layer("app", { "/usr/bin/app": buildElf({ interpreter: LD, needed: ["libc.so.6"] }) })]);
    expect(r.findings).toEqual([]);
    expect(r.objects).toBe(1);
  });

  it("names the alternative link a library resolves through, choosing the highest priority", () => {
    const r = verifyImage([libc(), blas(10), blas(100, "libopenblas0", "openblas"), app()]);
    expect(r.findings).toMatchObject([
      {
        code: "LINK_NEEDED",
        file: "/usr/bin/app",
        needs: "libblas.so.3",
        scope: "startup",
        link: { link: `/usr/lib/${T}/libblas.so.3`, target: `/usr/lib/${T}/openblas/libblas.so.3`, pkg: "libopenblas0" },
      },
    ]);
    expect(r.neededLinks.map((l) => l.link)).toEqual([`/usr/lib/${T}/libblas.so.3`]);
  });

  it("is clean when the image carries the link itself", () => {
    const r = verifyImage([
      libc(),
      blas(10),
      app(),
      layer("links", { [`/usr/lib/${T}/libblas.so.3`]: { symlink: `/usr/lib/${T}/blas/libblas.so.3` } }),
    ]);
    expect(r.findings).toEqual([]);
  });

  it("reports a missing library and interpreter, and the library found outside the loader's path", () => {
    const r = verifyImage([
      layer("app", {
        "/usr/bin/app": buildElf({ interpreter: LD, needed: ["libc.so.6", "libfoo.so.2"] }),
        "/opt/foo/libfoo.so.2": buildElf({ soname: "libfoo.so.2" }),
      }),
    ]);
    expect(r.findings.map((f) => f.code)).toEqual(["INTERPRETER_MISSING", "LIBRARY_MISSING", "LIBRARY_MISSING"]);
    expect(r.findings[2]).toMatchObject({ soname: "libfoo.so.2", elsewhere: [{ path: "/opt/foo/libfoo.so.2", pkg: "app" }] });
  });

  it("says a directory only ld.so.conf names is not searched without an ld.so.cache", () => {
    const r = verifyImage([
      libc(),
      layer("conf", {
        "/etc/ld.so.conf": "include /etc/ld.so.conf.d/*.conf\n",
        "/etc/ld.so.conf.d/x.conf": "/opt/x/lib\n",
        "/opt/x/lib/libx.so.1": buildElf({ soname: "libx.so.1" }),
      }),
      layer("app", { "/usr/bin/app": buildElf({ interpreter: LD, needed: ["libc.so.6", "libx.so.1"] }) }),
    ]);
    expect(r.findings).toMatchObject([
      { code: "LIBRARY_MISSING", soname: "libx.so.1", ldSoConf: [{ dir: "/opt/x/lib", conf: "/etc/ld.so.conf.d/x.conf" }] },
    ]);
  });

  it("scopes findings of plugins nothing links to as modules", () => {
    const r = verifyImage([libc(), layer("plugin", { [`/usr/lib/${T}/caca/libgl_plugin.so`]: buildElf({ needed: ["libc.so.6", "libGLU.so.1"] }) })]);
    expect(r.findings).toMatchObject([{ code: "LIBRARY_MISSING", soname: "libGLU.so.1", scope: "module" }]);
  });
});

describe("helpers", () => {
  it("guesses Debian package names from sonames", () => {
    expect(packageNamesForSoname("libavcodec.so.59")).toEqual(["libavcodec59", "libavcodec59t64"]);
    expect(packageNamesForSoname("libSDL2-2.0.so.0")).toEqual(["libsdl2-2.0-0", "libsdl2-2.0-0t64"]);
    expect(packageNamesForSoname("ld-linux.so")).toEqual([]);
  });
  it("parses ld.so.conf and its include globs", () => {
    expect(parseLdSoConf("# c\ninclude /etc/ld.so.conf.d/*.conf\n/usr/local/lib\n")).toEqual({
      dirs: ["/usr/local/lib"],
      includes: ["/etc/ld.so.conf.d/*.conf"],
    });
    expect(matchesGlob("/etc/ld.so.conf.d/*.conf", "/etc/ld.so.conf.d/a.conf")).toBe(true);
    expect(matchesGlob("/etc/ld.so.conf.d/*.conf", "/etc/ld.so.conf.d/sub/a.conf")).toBe(false);
  });
});
