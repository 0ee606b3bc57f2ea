import { posix } from "node:path";
import { formatLock, parseLock } from "../../core/lock/index.js";
import { parseManifest } from "../../edit/manifest.js";
import type { ImageDistro } from "../workspace/images.js";
import type { RepoState } from "../workspace/repo-state.js";

/**
 * Arch-specific companion repos. When an image is built for several archs from one package list and some of
 * the packages it needs exist only on some archs (ffmpeg's libmfx1 is amd64-only), those packages go into a
 * companion repo per arch, `<repo>_<arch>_only`: its own manifest (the main repo's sources, that one arch) and
 * lock, declared like the main repo, and referenced from the image's list only for that arch. distroless keeps
 * `bookworm_s390x` the same way for a whole arch.
 */

/** `bookworm_python` + `amd64` → `bookworm_python_amd64_only`. */
export function companionRepoName(repo: string, debArch: string): string {
  return `${repo}_${debArch}_only`;
}

/** The main repo and Debian arch of a companion repo name; undefined for any other name. */
export function parseCompanionRepoName(name: string): { repo: string; arch: string } | undefined {
  const m = /^(.+)_([a-z0-9]+)_only$/.exec(name);
  return m === null ? undefined : { repo: m[1]!, arch: m[2]! };
}

/**
 * The manifest of a new companion of `main` for one arch: a header comment, `version`, the main manifest's
 * `sources` block as written, `archs: [arch]`, and no packages yet.
 */
export function companionManifestText(main: RepoState, debArch: string, purpose: string): string {
  const text = main.manifestText;
  const nl = text.includes("\r\n") ? "\r\n" : "\n";
  const lines = text.split(/\r?\n/);
  const from = lines.findIndex((l) => /^sources\s*:/.test(l));
  let to = from + 1;
  while (to < lines.length && !/^[A-Za-z_"']/.test(lines[to]!)) to++;
  while (to > from + 1 && lines[to - 1]!.trim() === "") to--;
  const sources = from === -1 ? [] : lines.slice(from, to);
  const dash = /^([ \t]*-[ \t]+)/.exec(lines.find((l, i) => i > from && /^[ \t]*-[ \t]+\S/.test(l)) ?? "  - ")?.[1] ?? "  - ";
  return [`# ${purpose}`, "version: 1", "", ...sources, "", "archs:", `${dash}${debArch}`, "", "packages: []", ""].join(nl);
}

/** The manifest and lock (workspace-relative) of a new companion repo: beside the main repo's. */
export function companionFiles(main: Pick<RepoState, "manifestPath">, name: string): { manifestPath: string; lockPath: string } {
  const dir = posix.dirname(main.manifestPath);
  return {
    manifestPath: dir === "." ? `${name}.yaml` : `${dir}/${name}.yaml`,
    lockPath: dir === "." ? `${name}.lock.json` : `${dir}/${name}.lock.json`,
  };
}

/** The state of a companion repo that does not exist yet: files beside the main repo's, empty lock. */
export function newCompanionState(main: RepoState, name: string, debArch: string, purpose: string): RepoState {
  const { manifestPath, lockPath } = companionFiles(main, name);
  const manifestText = companionManifestText(main, debArch, purpose);
  const lockText = formatLock({ version: 1, packages: [] }, main.lock.dialect, main.lock.layout);
  return {
    repo: { ...main.repo, name, manifestPath, lockPath },
    manifestPath,
    lockPath,
    manifestText,
    manifest: parseManifest(manifestText, manifestPath),
    lockText,
    lock: parseLock(lockText, lockPath),
  };
}

/**
 * The condition of an image's arch-specific addition: the arch, and the distro too when the expression is
 * evaluated for several distros (a macro fed from a config dict keyed by distro).
 */
export function additionCondition(distro: ImageDistro, bazelArch: string): string {
  const site = distro.additionsAt!;
  const arch = `${site.archExpr} == ${JSON.stringify(bazelArch)}`;
  return distro.list.element.kind === "string" ? `${arch} and ${site.distroExpr} == ${JSON.stringify(distro.distro)}` : arch;
}

/** Where a new arch-specific addition of an image goes: after its deb.package list (or comprehension), and after the additions already there. */
export function newAdditionOffset(distro: ImageDistro): number {
  const site = distro.additionsAt!;
  let after = site.offset;
  for (let grew = true; grew; ) {
    grew = false;
    for (const b of distro.additionBlocks) {
      if (b.file === site.file && b.start === after) {
        after = b.end;
        grew = true;
      }
    }
  }
  return after;
}
