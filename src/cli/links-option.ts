import { posix } from "node:path";
import { createArchiveServices } from "../app/indexes/services.js";
import { type ImageLinksPlan, planImageLinks } from "../app/links/alternative-links.js";
import { imageBuildFile, linkLayerName } from "../app/links/link-layers.js";
import type { RepoDecl } from "../app/workspace/workspace.js";
import { discoverWorkspaceImages } from "../app/workspace/workspace-images.js";
import { readSymlinkLayers } from "../edit/starlark/symlink-layer.js";
import type { FileChange } from "../io/files.js";
import { nodeWorkspaceFiles } from "../io/workspace-files.js";
import type { CommandContext } from "./command.js";

/** `--links` of add: help line, shared so the option reads the same wherever it is offered. */
export const LINKS_HELP = `  --links                also write the links the image's packages' maintainer scripts would make and
                         a file of the image needs (update-alternatives), as the image's
                         pkg_tar(name = "<image>_links_<arch>_<distro>", symlinks = {...}) layer;
                         reads every .deb of the image (fetched and cached as for verify)`;

/**
 * Adds the image's links layers to a command's planned changes (see planImageLinks), with progress and a
 * warning for a layer the image's tars do not list yet.
 */
export async function withImageLinks(
  ctx: CommandContext,
  root: string,
  repos: readonly RepoDecl[],
  image: string,
  distro: string | undefined,
  changes: readonly FileChange[],
): Promise<ImageLinksPlan> {
  const services = createArchiveServices({ ...ctx.options, env: ctx.io.env, homeDir: ctx.io.homeDir });
  try {
    const plan = await planImageLinks({ root, image, ...(distro === undefined ? {} : { distro }) }, changes, {
      files: nodeWorkspaceFiles(),
      repos,
      debs: { http: services.http, cache: services.cache, offline: services.offline },
      onEvent: (e) => {
        if (e.type === "deb") ctx.reporter.progress(`links: .debs ${e.done}/${e.total}: ${e.name}`);
      },
    });
    for (const name of plan.unreferenced) {
      ctx.reporter.warn(
        `the links layer ${name} is written in ${image}'s BUILD file, but the image's tars do not list it yet: add ":${name}" (for every arch and distro: ":${name.replace(/_links_.*$/, "_links_")}" + arch + "_" + distro) to the oci_image's tars`,
      );
    }
    return plan;
  } finally {
    await services.close();
    ctx.reporter.done();
  }
}

/**
 * update --links: keeps every links layer of the workspace current. Only images whose BUILD file already holds
 * a `<image>_links_<arch>_<distro>` layer are read (an update of a workspace without layers reads no .deb).
 */
export async function withWorkspaceLinks(
  ctx: CommandContext,
  root: string,
  repos: readonly RepoDecl[],
  changes: readonly FileChange[],
): Promise<FileChange[]> {
  const files = nodeWorkspaceFiles();
  const { images } = await discoverWorkspaceImages(root, files, repos);
  let out = [...changes];
  for (const info of images) {
    const file = await imageBuildFile(root, info.image, files);
    if (file === undefined) continue;
    const text = await files.readText(posix.join(root, file));
    const names = new Set(readSymlinkLayers(text, file).map((l) => l.name));
    for (const d of info.distros) {
      if (!d.archs.some((a) => names.has(linkLayerName(info.image, a, d.distro)))) continue;
      out = (await withImageLinks(ctx, root, repos, info.image, d.distro, out)).changes;
    }
  }
  return out;
}
