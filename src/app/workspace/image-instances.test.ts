import { describe, expect, it } from "vitest";
import { parseStarlark } from "../../edit/starlark/parser.js";
import { aliasesFor, instancesIn, type LoadedFile, loadedFile, loadTargets } from "./image-instances.js";

/** Files given as text, each read after the files it loads, as images.ts reads them from disk. */
function readAll(texts: Record<string, string>): Map<string, LoadedFile> {
  const read = new Map<string, LoadedFile>();
  const visit = (path: string): void => {
    if (read.has(path) || texts[path] === undefined) return;
    const file = parseStarlark(texts[path], path);
    for (const target of loadTargets(file, path)) visit(target);
    read.set(path, loadedFile(path, file, read));
  };
  for (const path of Object.keys(texts)) visit(path);
  return read;
}

const DEB_BZL = `DIST_ALIAS = {"debian12": "bookworm", "debian13": "trixie"}
ARCH_ALIAS = {"arm": "armhf"}

def _package(arch, dist, package, suffix = None):
    pass

deb = struct(package = _package)
`;

describe("instancesIn (no file is read: everything comes from the files given)", () => {
  it("evaluates an inline oci_image for every (arch, distro) of its loops, through two load()ed .bzl files", () => {
    const files = readAll({
      "private/util/deb.bzl": DEB_BZL,
      "python3/archs.bzl": `ARCHS = {"debian12": ["amd64", "arm64"], "debian13": ["amd64"]}\n`,
      "python3/BUILD": `load("//private/util:deb.bzl", "deb")
load(":archs.bzl", "ARCHS")

[
    oci_image(
        name = "python3_root_" + arch + "_" + distro,
        base = "//cc:cc_root_" + arch + "_" + distro,
        tars = [
            deb.package(arch, distro, "libffi8"),
            deb.package(arch, distro, "python3.11-minimal"),
        ],
    )
    for distro in ["debian12", "debian13"]
    for arch in ARCHS[distro]
]
`,
    });
    const build = files.get("python3/BUILD")!;
    const instances = instancesIn(build, "python3", files);
    expect(instances.map((i) => [i.name, i.arch, i.distro, i.base])).toEqual([
      ["python3_root_amd64_debian12", "amd64", "debian12", "//cc:cc_root_amd64_debian12"],
      ["python3_root_arm64_debian12", "arm64", "debian12", "//cc:cc_root_arm64_debian12"],
      ["python3_root_amd64_debian13", "amd64", "debian13", "//cc:cc_root_amd64_debian13"],
    ]);
    const first = instances[0]!;
    expect(first.packages.map((p) => p.ref)).toEqual([
      { name: "libffi8", file: "python3/BUILD", line: 9 },
      { name: "python3.11-minimal", file: "python3/BUILD", line: 10 },
    ]);
    expect(first.lists).toEqual([
      expect.objectContaining({
        file: "python3/BUILD",
        format: "build",
        element: { kind: "deb.package", callee: "deb.package", args: "arch, distro" },
        archVariable: "arch",
      }),
    ]);
    expect(first.archSource).toBe("ARCHS[distro] (python3/BUILD)");
    const aliases = aliasesFor(first, { files, pkg: "python3" });
    expect(aliases.dist.debian13).toBe("trixie");
    expect(aliases.arch.arm).toBe("armhf");
  });

  it("finds the list of a config.bzl dict behind a macro's comprehension, and its repo suffix", () => {
    const files = readAll({
      "private/util/deb.bzl": DEB_BZL,
      "python3/config.bzl": `PACKAGES = {
    "debian13": [
        "libpython3.13-minimal",
        "python3.13-minimal",
    ],
}
`,
      "python3/image.bzl": `load("//private/util:deb.bzl", "deb")

def python_image(distro, packages):
    for arch in ["amd64", "arm64"]:
        oci_image(
            name = "python3_root_" + arch + "_" + distro,
            tars = [deb.package(arch, distro, pkg, "python") for pkg in packages],
        )
`,
      "python3/BUILD": `load(":config.bzl", "PACKAGES")
load(":image.bzl", "python_image")

python_image(distro = "debian13", packages = PACKAGES["debian13"])
`,
    });
    const instances = instancesIn(files.get("python3/BUILD")!, "python3", files);
    expect(instances.map((i) => [i.name, i.suffix])).toEqual([
      ["python3_root_amd64_debian13", "python"],
      ["python3_root_arm64_debian13", "python"],
    ]);
    expect(instances[0]!.packages.map((p) => p.name)).toEqual(["libpython3.13-minimal", "python3.13-minimal"]);
    expect(instances[0]!.lists).toEqual([expect.objectContaining({ file: "python3/config.bzl", format: "bzl", element: { kind: "string" } })]);
    expect(instances[0]!.lists[0]!.packages.map((p) => [p.name, p.line])).toEqual([
      ["libpython3.13-minimal", 3],
      ["python3.13-minimal", 4],
    ]);
  });

  it("sees nothing of a file it was not given (a load() of a missing file)", () => {
    const files = readAll({
      "img/BUILD": `load(":missing.bzl", "image_macro")\n\nimage_macro(name = "x")\n`,
    });
    expect(instancesIn(files.get("img/BUILD")!, "img", files)).toEqual([]);
  });
});
