import { posix } from "node:path";
import type { ErrorCode } from "../../core/error-codes.js";
import { ProblemError, UsageError } from "../../core/errors.js";
import { parseLabel } from "../../edit/starlark/label.js";
import { splitImageTarget } from "../../edit/starlark/macro.js";
import { parseStarlark } from "../../edit/starlark/parser.js";
import type { WorkspaceFiles } from "../../io/workspace-files.js";
import {
  type AdditionSite,
  aliasesFor,
  type CompanionList,
  type Context,
  DEFAULT_DIST_ALIAS,
  type ImageListLocation,
  type ImagePackageRef,
  type Instance,
  instancesIn,
  type LoadedFile,
  type LoadedFiles,
  loadedFile,
  loadTargets,
} from "./image-instances.js";
import type { RepoDecl } from "./workspace.js";

export type { AdditionSite, CompanionList, ImageListLocation, ImagePackageRef, ListElementForm } from "./image-instances.js";

/**
 * Image discovery for distroless-style workspaces: which Debian packages an image (a Bazel package such as
 * `python3`) lists, where that list is written, which rules_distroless repo serves it, and which images it is
 * built on. Read from the checkout's BUILD and .bzl files only, by evaluating the constant parts of
 * Starlark (distro and arch lists, target names, `base = ...` labels) — no Bazel.
 *
 * Both real distroless layouts are understood:
 * - 2024: `oci_image(tars = [deb.package(arch, distro, "x"), ...])` written inline in the image's BUILD (or in
 *   a macro it calls), the repo chosen from the BUILD's directory by `private/util/deb.bzl`;
 * - 2026: `<image>/config.bzl` dicts keyed by distro, passed to a macro whose
 *   `[deb.package(arch, distro, pkg, "python") for pkg in packages]` names the repo suffix.
 */

/** An image an image is built on (`base = "//cc:cc_root_amd64_debian12"`). */
export interface AncestorImage {
  /** Bazel package, e.g. `cc`. */
  readonly image: string;
  /** Target name, e.g. `cc_root_amd64_debian12`. */
  readonly target: string;
  /** The repo the ancestor's packages come from. */
  readonly repo: string;
  readonly packages: readonly ImagePackageRef[];
}

/** An image for one distro. */
export interface ImageDistro {
  /** As the workspace spells it, e.g. `debian12`. */
  readonly distro: string;
  /** Debian codename, e.g. `bookworm`. */
  readonly codename: string;
  /** Bazel arch names the image is built for, e.g. `amd64`, `arm`. */
  readonly archs: readonly string[];
  /** Debian arch per Bazel arch (`arm` → `armhf`). */
  readonly debianArch: Readonly<Record<string, string>>;
  /** The repo serving the image's own packages (for the first arch; see repoByArch). */
  readonly repo: RepoDecl;
  /**
   * The repo per Bazel arch. Usually one repo for all; distroless keeps e.g. `bookworm_s390x` for one arch,
   * which deb.package picks when no suffix is given.
   */
  readonly repoByArch: Readonly<Record<string, RepoDecl>>;
  /** The image's packages, in list order. */
  readonly packages: readonly ImagePackageRef[];
  /** Where new packages go: the first editable list of the image for this distro. */
  readonly list: ImageListLocation;
  /** Every editable list the image's packages are written in, for this distro. */
  readonly lists: readonly ImageListLocation[];
  /** Ancestors, nearest first, per Bazel arch. */
  readonly ancestors: Readonly<Record<string, readonly AncestorImage[]>>;
  /** Where the image's arch list for this distro comes from, e.g. `PYTHON_ARCHITECTURES[distro] (python3/BUILD)`. */
  readonly archSource?: string;
  /** Arch-specific additions from companion repos, one per (arch, repo), in Bazel arch order. */
  readonly companions: readonly CompanionList[];
  /** Where a new arch-specific addition goes (after the image's deb.package list or comprehension). */
  readonly additionsAt?: AdditionSite;
  /** Every arch-specific addition written there (for any arch or distro): a new one goes after the last. */
  readonly additionBlocks: readonly { readonly file: string; readonly start: number; readonly end: number }[];
}

export interface ImageInfo {
  /** Bazel package of the image, e.g. `python3`. */
  readonly image: string;
  readonly layout: "inline" | "config";
  readonly distros: readonly ImageDistro[];
}

/** `debian12` for `bookworm` and for `debian12`; undefined when unknown. */
export function distroName(name: string): string | undefined {
  if (Object.hasOwn(DEFAULT_DIST_ALIAS, name)) return name;
  return Object.entries(DEFAULT_DIST_ALIAS).find(([, codename]) => codename === name)?.[0];
}

function imageError(code: ErrorCode, message: string, hint: string): ProblemError | UsageError {
  // No image by the name given: the argument is wrong (exit 2), not the workspace.
  if (code === "IMAGE_NOT_FOUND" || code === "IMAGE_LAYOUT_UNKNOWN") return new UsageError(message, { hint, code });
  return new ProblemError(code, message, { hint });
}

// ---------------------------------------------------------------------------------------------------------
// Reading the files

/**
 * The BUILD and .bzl files of a workspace, read on first use, each after every file it loads (so that what a
 * loaded file is asked for, image-instances.ts finds without reading anything).
 */
class SourceTree implements LoadedFiles {
  private readonly pending = new Map<string, Promise<LoadedFile | undefined>>();
  private readonly read = new Map<string, LoadedFile>();

  constructor(
    readonly root: string,
    readonly files: WorkspaceFiles,
  ) {}

  /** A file read earlier (with the files it loads). */
  get(path: string): LoadedFile | undefined {
    return this.read.get(path);
  }

  /** `loading`: the files whose loads led here; one of them loaded again is a cycle, not waited for. */
  load(path: string, loading: ReadonlySet<string> = new Set()): Promise<LoadedFile | undefined> {
    let pending = this.pending.get(path);
    if (pending === undefined) {
      pending = this.readFile(path, new Set(loading).add(path));
      this.pending.set(path, pending);
    }
    return pending;
  }

  private async readFile(path: string, loading: ReadonlySet<string>): Promise<LoadedFile | undefined> {
    const abs = posix.join(this.root, path);
    if (!(await this.files.exists(abs))) return undefined;
    const file = parseStarlark(await this.files.readText(abs), path);
    // Bazel refuses a load cycle; here the file that closes it sees the other's names as undefined.
    for (const target of loadTargets(file, path)) if (!loading.has(target)) await this.load(target, loading);
    const loaded = loadedFile(path, file, this);
    this.read.set(path, loaded);
    return loaded;
  }

  /** The BUILD file of a package: `BUILD.bazel` or `BUILD`. */
  async buildFile(pkg: string): Promise<LoadedFile | undefined> {
    for (const name of ["BUILD.bazel", "BUILD"]) {
      const f = await this.load(pkg === "" ? name : `${pkg}/${name}`);
      if (f !== undefined) return f;
    }
    return undefined;
  }
}

/** Every oci_image of a Bazel package (see instancesIn), and its BUILD file. */
async function instancesOf(tree: SourceTree, pkg: string): Promise<{ build: LoadedFile | undefined; instances: Instance[] }> {
  const build = await tree.buildFile(pkg);
  return { build, instances: build === undefined ? [] : instancesIn(build, pkg, tree) };
}

// ---------------------------------------------------------------------------------------------------------
// Repos

function repoFor(codename: string, debArch: string, suffix: string | undefined, repos: readonly RepoDecl[]): string {
  if (suffix !== undefined) return `${codename}_${suffix}`;
  // distroless keeps a separate repo for an arch whose packages come from elsewhere (bookworm_s390x).
  if (repos.some((r) => r.name === `${codename}_${debArch}`)) return `${codename}_${debArch}`;
  return codename;
}

// ---------------------------------------------------------------------------------------------------------

/** The instance an image is: `<name>_<user>_<arch>_<distro>`, `<name>` being the directory's name unless given. */
function isMainInstance(inst: Instance, base: string): boolean {
  if (inst.name === undefined || inst.arch === undefined || inst.distro === undefined) return false;
  return splitImageTarget(inst.name, inst.arch, inst.distro)?.image === base;
}

/**
 * The names of the images a Bazel package declares — every oci_image named `<name>_<user>_<arch>_<distro>` that
 * lists Debian packages (`base/` declares static, base_nossl and base; `java/` java_base, java17, ...) — in
 * order of first appearance. Each is an argument for discoverImage as `pkg:name`.
 */
export async function imageNamesIn(root: string, pkg: string, files: WorkspaceFiles): Promise<string[]> {
  const { instances } = await instancesOf(new SourceTree(root, files), pkg);
  const names: string[] = [];
  for (const inst of instances) {
    if (inst.name === undefined || inst.arch === undefined || inst.distro === undefined || inst.packages.length === 0) continue;
    const name = splitImageTarget(inst.name, inst.arch, inst.distro)?.image;
    if (name !== undefined && name !== "" && !names.includes(name)) names.push(name);
  }
  return names;
}

export interface DiscoverImageOptions {
  /** Only this distro (`debian12` or `bookworm`). */
  readonly distro?: string;
}

/**
 * Discovers an image of the workspace at `root` from its Bazel package directory (`python3`, `cc`, ...):
 * its distros, archs, package lists, repo and ancestors. Throws ProblemError naming what was not found.
 * `dir:name` picks an image of another name in that directory (`base:static`, `java:java_base`).
 */
export async function discoverImage(
  root: string,
  imageDir: string,
  files: WorkspaceFiles,
  repos: readonly RepoDecl[],
  options: DiscoverImageOptions = {},
): Promise<ImageInfo> {
  const [dirPart, namePart] = imageDir.replace(/^\/\//, "").split(":");
  const pkg = posix
    .normalize((dirPart ?? "").replace(/\\/g, "/"))
    .replace(/^\.\/?/, "")
    .replace(/\/$/, "");
  const imageName = namePart === undefined || namePart === "" ? posix.basename(pkg) : namePart;
  const tree = new SourceTree(root, files);
  const { build, instances } = await instancesOf(tree, pkg);
  if (build === undefined) {
    throw imageError(
      "IMAGE_NOT_FOUND",
      `no BUILD or BUILD.bazel file in ${pkg || "."} (workspace ${root})`,
      "--image takes the image's Bazel package directory, e.g. python3 or cc",
    );
  }
  const mains = instances.filter((i) => isMainInstance(i, imageName));
  if (mains.length === 0) {
    const named = instances.map((i) => i.name).filter((n): n is string => n !== undefined);
    throw imageError(
      "IMAGE_LAYOUT_UNKNOWN",
      `${build.path}: found no oci_image named ${imageName}_<user>_<arch>_<distro>` +
        (named.length > 0
          ? ` (oci_image targets found: ${[...new Set(named)].slice(0, 6).join(", ")}${named.length > 6 ? ", ..." : ""})`
          : " (no oci_image call, directly or through a macro of a loaded .bzl file, could be evaluated)"),
      `to pick another image of ${pkg || "."}, name it: --image ${pkg || "."}:<name> (e.g. the part of a target name before _<user>_<arch>_<distro>); deb-lock understands oci_image(tars = [deb.package(arch, distro, "pkg"), ...]) in the BUILD file or in a macro it calls; for a plain rules_distroless repo use --manifest`,
    );
  }
  const wantedDistro = options.distro === undefined ? undefined : (distroName(options.distro) ?? options.distro);
  const ctx: Context = { files: tree, pkg };
  const byDistro = new Map<string, Instance[]>();
  for (const inst of mains) {
    const list = byDistro.get(inst.distro!) ?? [];
    list.push(inst);
    byDistro.set(inst.distro!, list);
  }
  if (wantedDistro !== undefined && !byDistro.has(wantedDistro)) {
    throw imageError(
      "IMAGE_DISTRO_NOT_BUILT",
      `image ${pkg} is not built for ${options.distro} (it is built for ${[...byDistro.keys()].join(", ")})`,
      `pick one of: ${[...byDistro.keys()].join(", ")}`,
    );
  }
  const distros: ImageDistro[] = [];
  for (const [distro, insts] of byDistro) {
    if (wantedDistro !== undefined && distro !== wantedDistro) continue;
    const first = insts[0]!;
    if (first.packages.length === 0) {
      throw imageError(
        "IMAGE_PACKAGES_NOT_FOUND",
        `${build.path}: image ${first.name} has no deb.package(...) entries in its tars`,
        "deb-lock edits images whose Debian packages are listed as deb.package(arch, distro, pkg) in oci_image tars",
      );
    }
    if (first.lists.length === 0) {
      throw imageError(
        "IMAGE_LIST_NOT_FOUND",
        `${build.path}: the packages of ${first.name} are not written in a list deb-lock can find (looked for a list literal of deb.package(...) calls, or a list of strings behind the comprehension's "for pkg in ...")`,
        "write the image's packages as a list literal, or a dict of lists keyed by distro in a .bzl file",
      );
    }
    const aliases = aliasesFor(first, ctx);
    const codename = aliases.dist[distro] ?? DEFAULT_DIST_ALIAS[distro];
    if (codename === undefined)
      throw imageError(
        "IMAGE_DISTRO_UNKNOWN",
        `image ${pkg}: unknown distro ${distro}`,
        "distros look like debian12 (bookworm) or debian13 (trixie)",
      );
    const archs = [...new Set(insts.map((i) => i.arch!))];
    const debianArch: Record<string, string> = {};
    for (const a of archs) debianArch[a] = aliases.arch[a] ?? a;
    const suffix = first.suffix ?? aliases.dirSuffix;
    const repoByArch: Record<string, RepoDecl> = {};
    for (const a of archs) {
      const repoName = repoFor(codename, debianArch[a]!, suffix, repos);
      const repo = repos.find((r) => r.name === repoName);
      if (repo === undefined) {
        throw imageError(
          "IMAGE_REPO_UNKNOWN",
          `image ${pkg} (${distro}, ${a}) takes its packages from repo ${repoName}, which the workspace does not declare (declared: ${repos.map((r) => r.name).join(", ") || "none"})`,
          "declare it with apt.install(name = ..., manifest = ..., lock = ...) in MODULE.bazel (or deb_index in WORKSPACE-era .bzl files)",
        );
      }
      repoByArch[a] = repo;
    }
    const repo = repoByArch[archs[0]!]!;
    const ancestors: Record<string, AncestorImage[]> = {};
    for (const inst of insts) {
      if (ancestors[inst.arch!] !== undefined) continue;
      ancestors[inst.arch!] = await ancestorChain(inst, tree, repos, codename);
    }
    // The first editable list that holds literal packages; a config dict entry or an inline list.
    const list = first.lists.find((l) => l.packages.length > 0) ?? first.lists[0]!;
    // Companion additions: per arch, from the first instance of that arch (the user/debug variants share them).
    const companions: CompanionList[] = [];
    for (const a of archs) {
      const inst = insts.find((i) => i.arch === a)!;
      for (const c of inst.companions) if (!companions.some((x) => x.arch === a && x.repo === c.repo)) companions.push({ arch: a, ...c });
    }
    distros.push({
      distro,
      codename,
      archs,
      debianArch,
      repo,
      repoByArch,
      packages: first.packages.map((p) => p.ref),
      list,
      lists: first.lists,
      ancestors,
      ...(first.archSource === undefined ? {} : { archSource: first.archSource }),
      ...(first.additionsAt === undefined ? {} : { additionsAt: first.additionsAt }),
      additionBlocks: first.blocks,
      companions,
    });
  }
  const layout = distros.some((d) => d.list.element.kind === "string") ? "config" : "inline";
  return { image: imageName === posix.basename(pkg) ? pkg : `${pkg}:${imageName}`, layout, distros };
}

async function ancestorChain(inst: Instance, tree: SourceTree, repos: readonly RepoDecl[], codename: string): Promise<AncestorImage[]> {
  const chain: AncestorImage[] = [];
  let current = inst;
  const seen = new Set<string>();
  while (current.base !== undefined) {
    const ref = parseLabel(current.base, current.pkg);
    if (ref === undefined) break; // an image from another repository (oci_pull): not ours to read
    const key = `${ref.pkg}:${ref.name}`;
    if (seen.has(key)) break;
    seen.add(key);
    const { instances } = await instancesOf(tree, ref.pkg);
    const next = instances.find((i) => i.name === ref.name);
    if (next === undefined) {
      throw imageError(
        "ANCESTOR_NOT_FOUND",
        `image ${inst.pkg} is built on ${current.base}, but no oci_image named ${ref.name} was found in ${ref.pkg || "."}/BUILD or the macros it calls`,
        "check the base = ... label of the image; deb-lock reads ancestors from the checkout",
      );
    }
    const aliases = aliasesFor(next, { files: tree, pkg: ref.pkg });
    const arch = next.arch ?? inst.arch!;
    const suffix = next.suffix ?? aliases.dirSuffix;
    const flavour = next.arch !== undefined && next.distro !== undefined ? ref.name.split("_").slice(0, -3).join("_") : posix.basename(ref.pkg);
    chain.push({
      image: flavour === posix.basename(ref.pkg) || flavour === "" ? ref.pkg : `${ref.pkg}:${flavour}`,
      target: ref.name,
      repo: repoFor(codename, aliases.arch[arch] ?? arch, suffix, repos),
      packages: next.packages.map((p) => p.ref),
    });
    current = next;
  }
  return chain;
}
