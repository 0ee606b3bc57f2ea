import { describe, expect, it } from "vitest";
import { readSymlinkLayers } from "../../edit/starlark/symlink-layer.js";
import { planLinkLayerEdit } from "./alternative-links.js";
import { linkLayerName } from "./link-layers.js";

const BLAS = {
  kind: "alternative" as const,
  link: "/usr/lib/x86_64-linux-gnu/libblas.so.3",
  target: "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3",
  name: "libblas.so.3-x86_64-linux-gnu",
  priority: 10,
  script: "postinst",
  pkg: "libblas3",
};
const BUILD = 'load("@rules_oci//oci:defs.bzl", "oci_image")\n\noci_image(name = "x")\n';

describe("links layer planning", () => {
  it("names the layer after the image, arch and distro", () => {
    expect(linkLayerName("python3", "amd64", "debian12")).toBe("python3_links_amd64_debian12");
    expect(linkLayerName("base:static", "arm", "debian13")).toBe("static_links_arm_debian13");
  });

  it("writes the needed links, replaces them on the next plan, and removes the layer when none are needed", () => {
    const name = "python3_links_amd64_debian12";
    const written = planLinkLayerEdit(BUILD, "python3/BUILD", name, [BLAS], () => false);
    expect(readSymlinkLayers(written, "python3/BUILD")).toMatchObject([{ name, symlinks: { [BLAS.link]: BLAS.target } }]);
    expect(planLinkLayerEdit(written, "python3/BUILD", name, [BLAS], () => false)).toBe(written);
    const gone = planLinkLayerEdit(written, "python3/BUILD", name, [], () => false);
    expect(readSymlinkLayers(gone, "python3/BUILD")).toEqual([]);
    // add then remove gives back the file, but for the rules_pkg load the layer needed
    expect(gone).toBe(BUILD.replace('"oci_image")\n', '"oci_image")\nload("@rules_pkg//pkg:tar.bzl", "pkg_tar")\n'));
    // a layer the image's tars list stays, empty
    const empty = planLinkLayerEdit(written, "python3/BUILD", name, [], () => false, { keepEmpty: true });
    expect(readSymlinkLayers(empty, "python3/BUILD")).toMatchObject([{ name, symlinks: {} }]);
    expect(empty).toContain("symlinks = {},");
  });
});
