import { posix } from "node:path";
import { type NeededLink, verifyImage } from "../../core/image/verify-image.js";
import { readSymlinkLayers, removeSymlinkLayer, upsertSymlinkLayer } from "../../edit/starlark/symlink-layer.js";
import type { FileChange } from "../../io/files.js";
import type { WorkspaceFiles } from "../../io/workspace-files.js";
import { linkLayerContents, targetContents, type VerifyDeps, verifyTargets } from "../verify/verify.js";
import { imageBuildFile, imageDirTexts, isLinkLayerReferenced, linkLayerName } from "./link-layers.js";

/**
 * The links layer of an image: a `pkg_tar(name = "<image>_links_<arch>_<distro>", symlinks = {...})` in the
 * image's BUILD file holding the links that maintainer scripts of its packages would make (update-alternatives)
 * and that a file of the image needs. verify counts it as the image's last layer; planLinkLayerEdit writes it.
 */

const COMMENT = [
  "Links the maintainer scripts of the image's packages make (update-alternatives --install),",
  "which image builds do not run; files of the image need them. Written by deb-lock.",
];

/**
 * The BUILD text with the links layer of (image, arch, distro) set to `links` (plus links it already has that
 * are still wanted: `keep`), or removed when none remain. Pure: text in, text out.
 */
export function planLinkLayerEdit(
  buildText: string,
  file: string,
  name: string,
  links: readonly NeededLink[],
  keep: (link: string) => boolean = () => true,
  options: { keepEmpty?: boolean } = {},
): string {
  const current = readSymlinkLayers(buildText, file).find((l) => l.name === name);
  const symlinks: Record<string, string> = {};
  for (const [k, v] of Object.entries(current?.symlinks ?? {})) if (keep(k)) symlinks[k] = v;
  for (const l of links) symlinks[l.link] = l.target;
  if (Object.keys(symlinks).length === 0) {
    // A layer the image's tars list stays, empty, so the build still finds the target.
    if (current === undefined || !options.keepEmpty) return removeSymlinkLayer(buildText, file, name);
  }
  return upsertSymlinkLayer(buildText, file, name, symlinks, COMMENT);
}

/** The workspace as it will be once `changes` apply. */
function filesAfter(files: WorkspaceFiles, changes: readonly FileChange[]): WorkspaceFiles {
  const byPath = new Map(changes.map((c) => [c.path, c]));
  return {
    readText: async (path) => {
      const c = byPath.get(path);
      if (c === undefined) return files.readText(path);
      if (c.after === null) throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" });
      return c.after;
    },
    exists: async (path) => {
      const c = byPath.get(path);
      return c === undefined ? files.exists(path) : c.after !== null;
    },
    listDir: (path) => files.listDir(path),
  };
}

export interface ImageLinksPlan {
  /** `changes` with the image's BUILD file edited (or unchanged when no layer changes). */
  readonly changes: FileChange[];
  /** The links layers written, with their links (empty: the layer was removed). */
  readonly layers: readonly { readonly file: string; readonly name: string; readonly links: readonly NeededLink[] }[];
  /** Layers written that nothing in the image's BUILD and .bzl files names yet: they must go into its tars. */
  readonly unreferenced: readonly string[];
}

/**
 * The links layers an image needs once `changes` (of add, remove or update) apply: for each (distro, arch) of
 * the image, the maintainer-script links that a file of the image needs at start (see verifyImage), written as
 * the image's `<image>_links_<arch>_<distro>` layer — replaced, or removed when none are needed any more.
 * Reads every package of the image (the .debs are fetched and cached as for verify).
 */
export async function planImageLinks(
  request: { readonly root: string; readonly image: string; readonly distro?: string },
  changes: readonly FileChange[],
  deps: Pick<VerifyDeps, "files" | "repos" | "debs" | "onEvent" | "concurrency">,
): Promise<ImageLinksPlan> {
  const files = filesAfter(deps.files, changes);
  const targets = await verifyTargets(
    { root: request.root, image: request.image, ...(request.distro === undefined ? {} : { distro: request.distro }) },
    { files, repos: deps.repos },
  );
  const contents = await targetContents(targets, deps);
  const texts = new Map<string, string>();
  const layers: { file: string; name: string; links: NeededLink[] }[] = [];
  const dirTexts = await imageDirTexts(request.root, request.image, files);
  const referenced = (name: string): boolean => isLinkLayerReferenced(dirTexts, name);
  for (const t of targets) {
    const own = linkLayerName(t.image!, t.bazelArch, t.distro!);
    const result = verifyImage([
      ...t.packages.map((p) => ({ pkg: p.name, contents: contents.get(p.sha256)! })),
      ...t.linkLayers.filter((l) => l.name !== own).map(linkLayerContents),
    ]);
    const file = await imageBuildFile(request.root, t.image!, files);
    if (file === undefined) continue;
    const text = texts.get(file) ?? (await files.readText(posix.join(request.root, file)));
    texts.set(
      file,
      planLinkLayerEdit(text, file, own, result.neededLinks, () => false, { keepEmpty: referenced(own) }),
    );
    layers.push({ file, name: own, links: [...result.neededLinks] });
  }
  const out = [...changes];
  for (const [file, after] of texts) {
    const abs = posix.join(request.root, file);
    const i = out.findIndex((c) => c.path === abs);
    const before = i >= 0 ? out[i]!.before : await deps.files.readText(abs);
    if (after === (i >= 0 ? out[i]!.after : before)) continue;
    if (i >= 0) out[i] = { ...out[i]!, after };
    else out.push({ path: abs, before, after });
  }
  const unreferenced = layers.filter((l) => l.links.length > 0 && !referenced(l.name)).map((l) => l.name);
  return { changes: out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)), layers, unreferenced };
}
