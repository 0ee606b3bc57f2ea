import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readSymlinkLayers, removeSymlinkLayer, upsertSymlinkLayer } from "./symlink-layer.js";

const BUILDIFIER = join(import.meta.dirname, "..", "..", "..", "node_modules", ".bin", "buildifier");

/** buildifier --mode=check on a BUILD text: the oracle for the format distroless's CI enforces. */
function buildifierClean(text: string): boolean {
  const r = spawnSync(BUILDIFIER, ["--mode=check", "--type=build", "-"], { input: text, encoding: "utf8" });
  if (r.error !== undefined) throw r.error;
  return r.status === 0;
}

const BUILD = `load("@rules_oci//oci:defs.bzl", "oci_image")
load(":python.bzl", "python3_image")  # the macro

package(default_visibility = ["//visibility:public"])

# images
[
    python3_image(
        arch = arch,
        distro = distro,
    )
    for distro in ["debian12"]
    for arch in ["amd64"]
]
`;
const LINKS = {
  "/usr/lib/x86_64-linux-gnu/libblas.so.3": "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3",
  "/usr/lib/x86_64-linux-gnu/liblapack.so.3": "/usr/lib/x86_64-linux-gnu/lapack/liblapack.so.3",
};
const NAME = "python3_links_amd64_debian12";

describe("links layers in BUILD files", () => {
  it("appends a layer with the rules_pkg load, buildifier-clean, keeping every other byte", () => {
    const out = upsertSymlinkLayer(BUILD, "python3/BUILD", NAME, LINKS, ["Links maintainer scripts make."]);
    expect(buildifierClean(BUILD)).toBe(true);
    expect(buildifierClean(out)).toBe(true);
    expect(out).toContain('load("@rules_pkg//pkg:tar.bzl", "pkg_tar")\n');
    expect(out.replace('load("@rules_pkg//pkg:tar.bzl", "pkg_tar")\n', "").startsWith(BUILD)).toBe(true);
    expect(out.indexOf("@rules_pkg")).toBeLessThan(out.indexOf(":python.bzl"));
    expect(readSymlinkLayers(out, "python3/BUILD")).toMatchObject([{ name: NAME, symlinks: LINKS }]);
    // idempotent: writing the same links again changes nothing
    expect(upsertSymlinkLayer(out, "python3/BUILD", NAME, LINKS, ["Links maintainer scripts make."])).toBe(out);
  });

  it("replaces the links of an existing layer in place, and removes it with its comment", () => {
    const once = upsertSymlinkLayer(BUILD, "python3/BUILD", NAME, LINKS, ["Links maintainer scripts make."]);
    const fewer = upsertSymlinkLayer(
      once,
      "python3/BUILD",
      NAME,
      { "/usr/lib/x86_64-linux-gnu/libblas.so.3": "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3" },
      [],
    );
    expect(buildifierClean(fewer)).toBe(true);
    expect(readSymlinkLayers(fewer, "python3/BUILD")[0]!.symlinks).toEqual({
      "/usr/lib/x86_64-linux-gnu/libblas.so.3": "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3",
    });
    const removed = removeSymlinkLayer(fewer, "python3/BUILD", NAME);
    expect(removed).toBe(BUILD.replace('load(":python.bzl"', 'load("@rules_pkg//pkg:tar.bzl", "pkg_tar")\nload(":python.bzl"'));
    expect(buildifierClean(removed)).toBe(true);
    expect(removeSymlinkLayer(removed, "python3/BUILD", NAME)).toBe(removed);
  });

  it("reads only constant layers, and keeps an existing pkg_tar load", () => {
    const text = `load("@rules_pkg//:pkg.bzl", "pkg_tar")\n\nV = "3.11"\n\npkg_tar(\n    name = "aliases",\n    symlinks = {"/usr/bin/python3": "/usr/bin/python" + V},\n)\n\npkg_tar(\n    name = "x",\n    symlinks = {"/a": SOMETHING},\n)\n`;
    expect(readSymlinkLayers(text, "BUILD")).toMatchObject([{ name: "aliases", symlinks: { "/usr/bin/python3": "/usr/bin/python3.11" } }]);
    const out = upsertSymlinkLayer(text, "BUILD", NAME, LINKS, []);
    expect(out.match(/pkg_tar"\)/g)).toHaveLength(1);
    expect(buildifierClean(out)).toBe(true);
  });
});
