import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { discoverImage } from "../../src/app/workspace/images.js";
import { discoverRepos } from "../../src/app/workspace/workspace.js";
import { parseLock } from "../../src/core/lock/index.js";
import { nodeWorkspaceFiles } from "../../src/io/workspace-files.js";

/**
 * What Bazel would evaluate, per arch: every package label the image's build files produce for that arch
 * (deb.package(...) routed to the image's repo, and the arch-conditional companion labels) names a declared
 * repo whose lock has that package for that arch. Returns the (repo, package) pairs per "codename arch".
 */
export async function labelsResolve(root: string, image: string): Promise<Map<string, { repo: string; name: string }[]>> {
  const files = nodeWorkspaceFiles();
  const repos = await discoverRepos(root, files);
  const info = await discoverImage(root, image, files, repos);
  const out = new Map<string, { repo: string; name: string }[]>();
  for (const d of info.distros) {
    for (const arch of d.archs) {
      const debArch = d.debianArch[arch]!;
      const labels = [
        ...d.packages.map((p) => ({ repo: d.repoByArch[arch]!.name, name: p.name })),
        ...d.companions.filter((c) => c.arch === arch).flatMap((c) => c.packages.map((p) => ({ repo: c.repo, name: p.name }))),
      ];
      for (const l of labels) {
        const decl = repos.find((r) => r.name === l.repo);
        expect(decl, `@${l.repo} is declared`).toBeDefined();
        const lock = parseLock(readFileSync(join(root, decl!.lockPath), "utf8"), decl!.lockPath);
        expect(
          lock.lock.packages.some((p) => p.name === l.name && p.arch === debArch),
          `@${l.repo}//${l.name}/${debArch} is locked`,
        ).toBe(true);
      }
      out.set(`${d.codename} ${debArch}`, labels);
    }
  }
  return out;
}

/** Every "name version" the locks of one codename's repos (`bookworm*.lock.json`) hold for one arch. */
export function lockedOnArch(root: string, arch: string, codename: string): Set<string> {
  const out = new Set<string>();
  const dir = join(root, "private/repos/deb");
  for (const f of readdirSync(dir).filter((n) => n.startsWith(codename) && n.endsWith(".lock.json"))) {
    for (const p of parseLock(readFileSync(join(dir, f), "utf8"), f).lock.packages) if (p.arch === arch) out.add(`${p.name} ${p.version}`);
  }
  return out;
}
