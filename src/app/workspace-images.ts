import { resolve as resolvePath } from "node:path";
import { DebLockError } from "../core/errors.js";
import type { WorkspaceFiles } from "../io/workspace-files.js";
import type { CheckFinding } from "./check-finding.js";
import { discoverImage, type ImageInfo } from "./images.js";
import type { RepoDecl } from "./workspace.js";

/** Codes of discoverImage for directories that are simply not images deb-lock can read. */
const NOT_AN_IMAGE = new Set(["IMAGE_NOT_FOUND", "IMAGE_LAYOUT_UNKNOWN", "IMAGE_PACKAGES_NOT_FOUND"]);

/**
 * Every image of the workspace: each top-level directory with a BUILD file that discovery reads as a
 * distroless image. Directories that are not images are skipped; images discovery cannot fully read
 * (unknown repo, list not found) become findings.
 */
export async function discoverWorkspaceImages(root: string, files: WorkspaceFiles, repos: readonly RepoDecl[]): Promise<{ images: ImageInfo[]; findings: CheckFinding[] }> {
  const images: ImageInfo[] = [];
  const findings: CheckFinding[] = [];
  for (const dir of await files.listDir(root)) {
    // Hidden directories, Bazel's output symlinks (bazel-bin, bazel-out, bazel-<workspace>) and private/
    // (rules and repo declarations, not images) hold no images.
    if (dir.startsWith(".") || dir.startsWith("bazel-") || dir === "private" || dir === "node_modules") continue;
    const hasBuild = (await files.exists(resolvePath(root, dir, "BUILD"))) || (await files.exists(resolvePath(root, dir, "BUILD.bazel")));
    if (!hasBuild) continue;
    try {
      images.push(await discoverImage(root, dir, files, repos));
    } catch (error) {
      if (!(error instanceof DebLockError)) throw error;
      if (NOT_AN_IMAGE.has(error.code)) continue;
      findings.push({ code: error.code, file: `${dir}/BUILD`, message: error.message, hint: error.hint ?? "see deb-lock's documentation of the distroless layouts" });
    }
  }
  return { images, findings };
}
