import { posix } from "node:path";
import { readSymlinkLayers } from "../../edit/starlark/symlink-layer.js";
import type { WorkspaceFiles } from "../../io/workspace-files.js";

/**
 * Reading the links layers of images (see alternative-links.ts for what they hold and how they are written):
 * their names, the BUILD file that holds them and whether an image's files list them. Light on purpose: the
 * offline `check` uses it without loading the image verification.
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
export async function readLinkLayer(
  root: string,
  image: string,
  bazelArch: string,
  distro: string,
  files: WorkspaceFiles,
): Promise<{ file: string; name: string; symlinks: Readonly<Record<string, string>> } | undefined> {
  const file = await imageBuildFile(root, image, files);
  if (file === undefined) return undefined;
  const name = linkLayerName(image, bazelArch, distro);
  const layer = readSymlinkLayers(await files.readText(posix.join(root, file)), file).find((l) => l.name === name);
  return layer === undefined ? undefined : { file, name, symlinks: layer.symlinks };
}

/** The texts of the BUILD and .bzl files of an image's directory. */
export async function imageDirTexts(root: string, image: string, files: WorkspaceFiles): Promise<string[]> {
  const dir = image.split(":")[0]!.replace(/^\/\//, "");
  const names = (await files.listDir(posix.join(root, dir))).filter((n) => /^BUILD(\.bazel)?$|\.bzl$/.test(n));
  return Promise.all(names.map((n) => files.readText(posix.join(root, dir, n))));
}

/**
 * Whether the image's files name a links layer beyond its own pkg_tar: the label `":<name>"`, or the
 * concatenation `"<image>_links_" + arch ...` that names one per arch and distro.
 */
export function isLinkLayerReferenced(dirTexts: readonly string[], name: string): boolean {
  const all = dirTexts.join("\n");
  const count = (needle: string): number => all.split(needle).length - 1;
  return (
    count(`"${name}"`) + count(`":${name}"`) >= 2 ||
    all.includes(`"${name.slice(0, name.indexOf("_links_"))}_links_" +`) ||
    all.includes(`":${name.slice(0, name.indexOf("_links_"))}_links_" +`)
  );
}
