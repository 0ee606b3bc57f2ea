import { posix } from "node:path";
import type { NeededLink } from "../core/image/verify-image.js";
import { readSymlinkLayers, removeSymlinkLayer, upsertSymlinkLayer } from "../edit/starlark/symlink-layer.js";
import type { WorkspaceFiles } from "../io/workspace-files.js";

/**
 * The links layer of an image: a `pkg_tar(name = "<image>_links_<arch>_<distro>", symlinks = {...})` in the
 * image's BUILD file holding the links that maintainer scripts of its packages would make (update-alternatives)
 * and that a file of the image needs. verify counts it as the image's last layer; planLinkLayerEdit writes it.
 */

/** `python3_links_amd64_debian12` for image `python3` (or `base:static` → `static_links_...`). */
export function linkLayerName(image: string, bazelArch: string, distro: string): string {
  const base = image.includes(":") ? image.slice(image.indexOf(":") + 1) : posix.basename(image);
  return `${base}_links_${bazelArch}_${distro}`;
}

/** The image's BUILD file (workspace-relative), `BUILD.bazel` first, as Bazel reads them. */
export async function imageBuildFile(root: string, image: string, files: WorkspaceFiles): Promise<string | undefined> {
  const dir = image.split(":")[0]!.replace(/^\/\//, "");
  for (const name of ["BUILD.bazel", "BUILD"]) {
    const rel = dir === "" || dir === "." ? name : `${dir}/${name}`;
    if (await files.exists(posix.join(root, rel))) return rel;
  }
  return undefined;
}

/** The links of the image's links layer for (arch, distro), if its BUILD has one. */
export async function readLinkLayer(root: string, image: string, bazelArch: string, distro: string, files: WorkspaceFiles): Promise<{ file: string; name: string; symlinks: Readonly<Record<string, string>> } | undefined> {
  const file = await imageBuildFile(root, image, files);
  if (file === undefined) return undefined;
  const name = linkLayerName(image, bazelArch, distro);
  const layer = readSymlinkLayers(await files.readText(posix.join(root, file)), file).find((l) => l.name === name);
  return layer === undefined ? undefined : { file, name, symlinks: layer.symlinks };
}

const COMMENT = [
  "Links the maintainer scripts of the image's packages make (update-alternatives --install),",
  "which image builds do not run; files of the image need them. Written by deb-lock.",
];

/**
 * The BUILD text with the links layer of (image, arch, distro) set to `links` (plus links it already has that
 * are still wanted: `keep`), or removed when none remain. Pure: text in, text out.
 */
export function planLinkLayerEdit(buildText: string, file: string, name: string, links: readonly NeededLink[], keep: (link: string) => boolean = () => true): string {
  const current = readSymlinkLayers(buildText, file).find((l) => l.name === name);
  const symlinks: Record<string, string> = {};
  for (const [k, v] of Object.entries(current?.symlinks ?? {})) if (keep(k)) symlinks[k] = v;
  for (const l of links) symlinks[l.link] = l.target;
  if (Object.keys(symlinks).length === 0) return removeSymlinkLayer(buildText, file, name);
  return upsertSymlinkLayer(buildText, file, name, symlinks, COMMENT);
}
