import type { ImagePackages } from "../../core/report/image-impact.js";
import type { WorkspaceFiles } from "../../io/workspace-files.js";
import type { RepoDecl } from "../workspace/workspace.js";
import { discoverWorkspaceImages } from "../workspace/workspace-images.js";

/**
 * What every image of the workspace lists, per repo and Debian arch, its base images' lists included (for the
 * report's "images a change reaches"). Images discovery cannot read are left out: `check` reports them.
 */
export async function readImagePackages(root: string, files: WorkspaceFiles, repos: readonly RepoDecl[]): Promise<ImagePackages[]> {
  const { images } = await discoverWorkspaceImages(root, files, repos);
  const out: ImagePackages[] = [];
  for (const image of images) {
    for (const d of image.distros) {
      for (const arch of d.archs) {
        const debianArch = d.debianArch[arch] ?? arch;
        const repo = d.repoByArch[arch] ?? d.repo;
        out.push({ image: image.image, repo: repo.name, arch: debianArch, packages: d.packages.map((p) => p.name) });
        for (const a of d.ancestors[arch] ?? [])
          out.push({ image: image.image, repo: a.repo, arch: debianArch, packages: a.packages.map((p) => p.name) });
      }
    }
  }
  return out;
}
