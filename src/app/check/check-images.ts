import type { ImageInfo, ImagePackageRef } from "../workspace/images.js";
import { type CheckFinding, relockHint } from "./check-finding.js";
import type { CheckedRepo } from "./check-repo.js";

/** The offline check of image package lists (distroless layouts) against the locks of their repos. */

export interface ImageCheckInput {
  /** The image's Bazel package directory, e.g. python3 */
  readonly image: string;
  /** e.g. debian12 */
  readonly distro: string;
  /** Debian archs the image is built for */
  readonly archs: readonly string[];
  /** Repo whose lock serves the image's packages */
  readonly repo: string;
  /** Per Debian arch, when an arch takes its packages from another repo (e.g. bookworm_s390x) */
  readonly repoByArch?: Readonly<Record<string, string>>;
  readonly packages: readonly ImagePackageRef[];
  /** Per Debian arch, packages the image takes on that arch only, from arch-specific companion repos */
  readonly archPackages?: Readonly<Record<string, readonly { readonly repo: string; readonly packages: readonly ImagePackageRef[] }[]>>;
  /** Per Debian arch, the packages of the images it is built on (they satisfy dependencies too) */
  readonly ancestors?: Readonly<Record<string, readonly { readonly repo: string; readonly names: readonly string[] }[]>>;
}

/** Every package an image list references exists in its repo's lock for every arch the image builds. */
export function checkImagePackages(image: ImageCheckInput, repos: ReadonlyMap<string, CheckedRepo>): CheckFinding[] {
  const findings: CheckFinding[] = [];
  for (const ref of image.packages) {
    const missing = new Map<string, string[]>(); // repo → archs
    for (const arch of image.archs) {
      const repoName = image.repoByArch?.[arch] ?? image.repo;
      const repo = repos.get(repoName);
      if (repo === undefined) {
        if (!findings.some((f) => f.code === "IMAGE_REPO_UNKNOWN" && f.message.includes(` repo ${repoName},`))) {
          findings.push({
            code: "IMAGE_REPO_UNKNOWN",
            file: ref.file,
            line: ref.line,
            message: `image ${image.image} (${image.distro}) takes its packages from repo ${repoName}, which is not among the checked repos`,
            hint: "declare the repo (apt.install in MODULE.bazel), or check it too",
          });
        }
        continue;
      }
      if (repo.lock === undefined) continue; // already reported against the repo
      if (!repo.entries.has(`${ref.name}:${arch}`)) missing.set(repoName, [...(missing.get(repoName) ?? []), arch]);
    }
    for (const [repoName, archs] of missing) {
      const repo = repos.get(repoName)!;
      const inManifest = repo.manifest?.packages.some((p) => p.name === ref.name) ?? false;
      findings.push({
        code: "IMAGE_PACKAGE_NOT_LOCKED",
        file: ref.file,
        line: ref.line,
        message: `image ${image.image} (${image.distro}) uses ${ref.name}, which the ${repoName} lock has no entry for on ${archs.join(", ")}`,
        hint: inManifest ? relockHint(repo.manifest!.file) : `run \`deb-lock add ${ref.name} --image ${image.image}\``,
      });
    }
  }
  // Companion labels: `@repo//pkg/arch` must be locked in that repo for that arch.
  for (const [arch, lists] of Object.entries(image.archPackages ?? {})) {
    for (const list of lists) {
      const repo = repos.get(list.repo);
      for (const ref of list.packages) {
        if (repo === undefined) {
          findings.push({
            code: "IMAGE_REPO_UNKNOWN",
            file: ref.file,
            line: ref.line,
            message: `image ${image.image} (${image.distro}, ${arch}) names @${list.repo}//${ref.name}/${arch}, and repo ${list.repo} is not among the checked repos`,
            hint: "declare the repo like the image's other repos, or check it too",
          });
          break;
        }
        if (repo.lock === undefined || repo.entries.has(`${ref.name}:${arch}`)) continue;
        const inManifest = repo.manifest?.packages.some((p) => p.name === ref.name) ?? false;
        findings.push({
          code: "IMAGE_PACKAGE_NOT_LOCKED",
          file: ref.file,
          line: ref.line,
          message: `image ${image.image} (${image.distro}) uses @${list.repo}//${ref.name}/${arch}, which the ${list.repo} lock has no entry for`,
          hint: inManifest ? relockHint(repo.manifest!.file) : `run \`deb-lock add ${ref.name} --image ${image.image} --arch ${arch}\``,
        });
      }
    }
  }
  return findings;
}

/** The image lists of a discovered image, one input per distro, in Debian arch names. */
export function imageCheckInputs(info: ImageInfo): ImageCheckInput[] {
  return info.distros.map((d) => {
    const deb = (arch: string) => d.debianArch[arch] ?? arch;
    return {
      image: info.image,
      distro: d.distro,
      archs: d.archs.map(deb),
      repo: d.repo.name,
      repoByArch: Object.fromEntries(d.archs.map((a) => [deb(a), (d.repoByArch[a] ?? d.repo).name])),
      packages: d.packages,
      archPackages: Object.fromEntries(
        d.archs.map((a) => [deb(a), d.companions.filter((c) => c.arch === a).map((c) => ({ repo: c.repo, packages: c.packages }))]),
      ),
      ancestors: Object.fromEntries(
        d.archs.map((a) => [deb(a), (d.ancestors[a] ?? []).map((anc) => ({ repo: anc.repo, names: anc.packages.map((p) => p.name) }))]),
      ),
    };
  });
}
