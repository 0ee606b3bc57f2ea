import { posix } from "node:path";
import { DebLockError } from "../../core/errors.js";
import type { WorkspaceFiles } from "../../io/workspace-files.js";
import type { CheckFinding } from "../check/check-finding.js";
import type { ImageInfo } from "./images.js";
import type { RepoDecl } from "./workspace.js";

/** Codes of discoverImage for directories that are simply not images deb-lock can read. */
const NOT_AN_IMAGE = new Set(["IMAGE_NOT_FOUND", "IMAGE_LAYOUT_UNKNOWN", "IMAGE_PACKAGES_NOT_FOUND"]);

/** How deep below the root Bazel packages are searched for images (distroless nests none deeper than 2). */
const MAX_DEPTH = 4;

/**
 * Every image of the workspace: every oci_image of every Bazel package (nested ones too) whose name reads as
 * `<name>_<user>_<arch>_<distro>` and whose tars list Debian packages — so `base/` gives static, base_nossl and base,
 * `java/` gives java_base and each java version. Images whose package lists and ancestors are exactly those of an
 * image already found (debug variants) are not checked twice. Packages that are not images are skipped; images
 * discovery cannot fully read (unknown repo, list not found) become findings.
 */
export async function discoverWorkspaceImages(
  root: string,
  files: WorkspaceFiles,
  repos: readonly RepoDecl[],
): Promise<{ images: ImageInfo[]; findings: CheckFinding[] }> {
  const images: ImageInfo[] = [];
  const findings: CheckFinding[] = [];
  const seen = new Set<string>();
  const packages = await bazelPackages(root, files);
  if (packages.length === 0) return { images, findings };
  // Loaded here: a workspace without Bazel packages (an offline `check` of manifests only) does not load the
  // image interpreter.
  const { discoverImage, imageNamesIn } = await import("./images.js");
  for (const pkg of packages) {
    const buildFile = (await files.exists(posix.join(root, pkg, "BUILD.bazel"))) ? `${pkg}/BUILD.bazel` : `${pkg}/BUILD`;
    let names: string[];
    try {
      names = await imageNamesIn(root, pkg, files);
    } catch (error) {
      if (!(error instanceof DebLockError)) throw error;
      findings.push({
        code: error.code,
        file: buildFile,
        message: error.message,
        hint: error.hint ?? "see deb-lock's documentation of the distroless layouts",
      });
      continue;
    }
    for (const name of names) {
      try {
        const image = await discoverImage(root, name === posix.basename(pkg) ? pkg : `${pkg}:${name}`, files, repos);
        const ancestorPackages = (d: (typeof image.distros)[number]) =>
          Object.entries(d.ancestors).map(([arch, chain]) => [
            arch,
            chain.filter((a) => a.packages.length > 0).map((a) => [a.repo, a.packages.map((p) => p.name)]),
          ]);
        const signature = JSON.stringify(image.distros.map((d) => [d.distro, d.archs, d.repo.name, d.packages, ancestorPackages(d)]));
        if (seen.has(signature)) continue;
        seen.add(signature);
        images.push(image);
      } catch (error) {
        if (!(error instanceof DebLockError)) throw error;
        if (NOT_AN_IMAGE.has(error.code)) continue;
        findings.push({
          code: error.code,
          file: buildFile,
          message: error.message,
          hint: error.hint ?? "see deb-lock's documentation of the distroless layouts",
        });
      }
    }
  }
  return { images, findings };
}

/** Workspace-relative directories holding a BUILD or BUILD.bazel file, depth first, in name order. */
async function bazelPackages(root: string, files: WorkspaceFiles, dir = "", depth = 1): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await files.listDir(posix.join(root, dir))) {
    // Hidden directories, Bazel's output symlinks (bazel-bin, bazel-out, bazel-<workspace>), private/ (rules
    // and repo declarations) and node_modules hold no images.
    if (entry.startsWith(".") || entry.startsWith("bazel-") || entry === "node_modules" || (dir === "" && entry === "private")) continue;
    const rel = dir === "" ? entry : `${dir}/${entry}`;
    const abs = posix.join(root, rel);
    const isPackage = (await files.exists(posix.join(abs, "BUILD"))) || (await files.exists(posix.join(abs, "BUILD.bazel")));
    if (isPackage) out.push(rel);
    if (depth < MAX_DEPTH && (isPackage || (await files.listDir(abs)).length > 0)) out.push(...(await bazelPackages(root, files, rel, depth + 1)));
  }
  return out;
}
