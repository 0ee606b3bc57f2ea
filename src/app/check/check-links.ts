import { posix } from "node:path";
import { readSymlinkLayers } from "../../edit/starlark/symlink-layer.js";
import type { WorkspaceFiles } from "../../io/workspace-files.js";
import { imageBuildFile, imageDirTexts, isLinkLayerReferenced, linkLayerName } from "../links/link-layers.js";
import type { ImageInfo } from "../workspace/images.js";
import type { CheckFinding } from "./check-finding.js";

/**
 * `check` on links layers (see ../links/alternative-links.ts), offline: a `<image>_links_<arch>_<distro>` layer the
 * image's tars do not list (the built image would lack its links), and one for an (arch, distro) the image is
 * not built for (left over). Whether the links are the right ones needs the .debs: `deb-lock verify`.
 */
export async function checkLinkLayers(root: string, images: readonly ImageInfo[], files: WorkspaceFiles): Promise<CheckFinding[]> {
  const findings: CheckFinding[] = [];
  for (const info of images) {
    const file = await imageBuildFile(root, info.image, files);
    if (file === undefined) continue;
    const text = await files.readText(posix.join(root, file));
    const prefix = linkLayerName(info.image, "", "").slice(0, -1); // `python3_links_`
    const layers = readSymlinkLayers(text, file).filter((l) => l.name.startsWith(prefix));
    if (layers.length === 0) continue;
    const expected = new Set(info.distros.flatMap((d) => d.archs.map((a) => linkLayerName(info.image, a, d.distro))));
    const texts = await imageDirTexts(root, info.image, files);
    for (const l of layers) {
      const line = text.slice(0, l.start).split("\n").length;
      if (!expected.has(l.name)) {
        findings.push({
          code: "LINKS_LAYER_UNUSED",
          file,
          line,
          message: `links layer ${l.name} is for an arch or distro image ${info.image} is not built for (it builds ${[...expected].join(", ")})`,
          hint: "delete it, or rewrite the layers with `deb-lock add --links` / `deb-lock update --links`",
        });
      } else if (!isLinkLayerReferenced(texts, l.name)) {
        findings.push({
          code: "LINKS_LAYER_NOT_IN_TARS",
          file,
          line,
          message: `links layer ${l.name} is not in the tars of image ${info.image}: the built image lacks its ${Object.keys(l.symlinks).length} link(s)`,
          hint: `add ":${l.name}" (or ":${prefix}" + arch + "_" + distro) to the oci_image's tars`,
        });
      }
    }
  }
  return findings;
}
