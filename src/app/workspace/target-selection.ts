import { posix } from "node:path";
import { UsageError } from "../../core/errors.js";
import type { RepoDecl } from "./workspace.js";

/** What add, remove and why work on: an image directory (distroless layouts) or a manifest of a plain workspace. */

/** Refuses a request naming neither or both of an image and a manifest. */
export function requireImageOrManifest(request: { readonly image?: string; readonly manifest?: string }): void {
  if ((request.image === undefined) === (request.manifest === undefined)) {
    throw new UsageError("give exactly one of --image DIR and --manifest FILE", {
      hint: "--image for distroless-style images, --manifest for a plain rules_distroless repo",
    });
  }
}

/** The repo whose manifest is `manifest` (workspace-relative or absolute path, or the repo's name). */
export function findManifestRepo(root: string, manifest: string, repos: readonly RepoDecl[]): RepoDecl {
  const rel = posix.isAbsolute(manifest) ? posix.relative(root, manifest) : posix.normalize(manifest);
  const repo = repos.find((r) => r.manifestPath === rel || r.name === manifest);
  if (repo === undefined) {
    throw new UsageError(`${manifest} is not a manifest of the workspace ${root}`, {
      hint:
        repos.length === 0
          ? "the workspace declares no apt repos (apt.install in MODULE.bazel); give -C the workspace root"
          : `give --manifest one of ${repos.map((r) => r.manifestPath).join(", ")} (or its repo's name)`,
    });
  }
  return repo;
}
