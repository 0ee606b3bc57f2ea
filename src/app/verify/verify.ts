import { DebLockError, ProblemError, UsageError } from "../../core/errors.js";
import type { DebContents } from "../../core/image/deb-contents.js";
import { defaultLibraryDirs, elfArchOfDebianArch } from "../../core/image/loader.js";
import { packageNamesForSoname } from "../../core/image/soname-package.js";
import { describeArch, type ImageVerification, type NeededLink, type VerifyFinding, verifyImage } from "../../core/image/verify-image.js";
import { type LockPackage, lockPackageUrls } from "../../core/lock/index.js";
import type { DebArchives } from "../../io/deb-archive.js";
import { readDebArchives } from "../../io/deb-archive.js";
import { type DebFetchDeps, debContents, fetchDeb, type LockedDeb } from "../../io/deb-fetch.js";
import type { RunPlanResult, RunResult } from "../../io/rootfs-run.js";
import type { WorkspaceFiles } from "../../io/workspace-files.js";
import type { IndexLoader } from "../indexes/index-loader.js";
import { linkLayerName, readLinkLayer } from "../links/link-layers.js";
import { loadManifestIndexes } from "../lock/lock.js";
import { discoverImage } from "../workspace/images.js";
import { type RepoState, readRepo } from "../workspace/repo-state.js";
import { findManifestRepo, requireImageOrManifest } from "../workspace/target-selection.js";
import type { RepoDecl } from "../workspace/workspace.js";

/**
 * `deb-lock verify`: proves an image can start. For each (distro, arch) of an image (with its base images) or
 * each arch of a manifest: fetch every locked .deb (checked against the lock's SHA-256, cached by it), assemble
 * the root filesystem as rules_distroless builds it (data archives in image order, no maintainer scripts),
 * check every dynamically linked ELF file's interpreter and libraries, and report the links maintainer scripts
 * would have made that a file needs. Optionally run a command inside the assembled root.
 */

export interface VerifyRequest {
  readonly root: string;
  readonly image?: string;
  readonly manifest?: string;
  readonly distro?: string;
  /** Bazel or Debian arch name; default every arch. */
  readonly arch?: string;
  /** A command to run inside each assembled root (program and arguments). */
  readonly run?: readonly string[];
}

export type VerifyEvent =
  | { readonly type: "target"; readonly label: string; readonly packages: number }
  | { readonly type: "deb"; readonly done: number; readonly total: number; readonly downloadedBytes: number; readonly name: string }
  | { readonly type: "run"; readonly label: string; readonly argv: readonly string[] };

/** What --run needs from the machine: a temporary directory, a plan and a process. */
export interface RootRunner {
  makeTempDir(): Promise<string>;
  removeTempDir(dir: string): Promise<void>;
  writeRootFs(dir: string, layers: readonly { pkg: string; archives: DebArchives }[], extraLinks: readonly { link: string; target: string }[]): void;
  plan(dir: string, argv: readonly string[], debArch: string): RunPlanResult;
  run(plan: Extract<RunPlanResult, { ok: true }>["plan"]): Promise<RunResult>;
}

export interface VerifyDeps {
  readonly files: WorkspaceFiles;
  readonly repos: readonly RepoDecl[];
  readonly debs: DebFetchDeps;
  /** For naming the package that would provide a missing library (read only when a library is missing). */
  readonly loader?: IndexLoader;
  readonly runner?: RootRunner;
  readonly onEvent?: (event: VerifyEvent) => void;
  /** How many .debs to fetch and read at once (default 8). */
  readonly concurrency?: number;
}

export interface VerifyPackage extends LockedDeb {
  /** The repo whose lock records it. */
  readonly repo: string;
  /** The image (or ancestor) whose list names it; the repo for a manifest. */
  readonly from: string;
}

export interface VerifyTarget {
  /** `python3 (debian12, amd64)` or `bookworm (amd64)`. */
  readonly label: string;
  readonly image?: string;
  readonly distro?: string;
  /** Debian arch. */
  readonly arch: string;
  /** Bazel arch (`arm` for armhf); the Debian arch for a manifest. */
  readonly bazelArch: string;
  /** The repo of the image's own packages (or the manifest's). */
  readonly repo: RepoState;
  /** In image order: the deepest base image's packages first. */
  readonly packages: readonly VerifyPackage[];
  /** Links layers of the image and its base images (`pkg_tar(symlinks = ...)`, see ../links/alternative-links.ts). */
  readonly linkLayers: readonly { readonly file: string; readonly name: string; readonly symlinks: Readonly<Record<string, string>> }[];
}

export type ReportedFinding = VerifyFinding & {
  /** The package that would provide what is missing, when one is known. */
  readonly provider?: { readonly name: string; readonly version?: string; readonly inImage: boolean };
  /** What to do about it. */
  readonly fix: string;
};

export interface RunReport {
  readonly argv: readonly string[];
  /** Set when the command ran. */
  readonly result?: RunResult & { readonly method: string; readonly emulator?: string };
  /** Set when it could not run here: why and what to install. */
  readonly unavailable?: { readonly reason: string; readonly install: string };
}

export interface VerifyTargetReport {
  readonly label: string;
  readonly image?: string;
  readonly distro?: string;
  readonly arch: string;
  readonly packages: number;
  readonly files: number;
  readonly objects: number;
  readonly findings: readonly ReportedFinding[];
  readonly neededLinks: readonly NeededLink[];
  /** Why packages providing missing libraries could not be looked up in the sources' indexes. */
  readonly providerLookupError?: string;
  readonly run?: RunReport;
}

export interface VerifyReport {
  readonly targets: readonly VerifyTargetReport[];
  /** No finding of scope `startup` (module findings are warnings), and every --run exited 0. */
  readonly ok: boolean;
}

function lockIndex(state: RepoState, arch: string): Map<string, LockPackage> {
  const out = new Map<string, LockPackage>();
  for (const p of state.lock.lock.packages) if (p.arch === arch && !out.has(p.name)) out.set(p.name, p);
  return out;
}

function toPackage(p: LockPackage, repo: string, from: string): VerifyPackage {
  return { name: p.name, version: p.version, sha256: p.sha256, urls: lockPackageUrls(p), repo, from };
}

/** The (distro, arch) targets of the request, each with its packages in image order. */
export async function verifyTargets(request: VerifyRequest, deps: Pick<VerifyDeps, "files" | "repos">): Promise<VerifyTarget[]> {
  requireImageOrManifest(request);
  const wantArch = (bazel: string, debian: string): boolean => request.arch === undefined || request.arch === bazel || request.arch === debian;
  const targets: VerifyTarget[] = [];
  if (request.manifest !== undefined) {
    const repo = findManifestRepo(request.root, request.manifest, deps.repos);
    const state = await readRepo(request.root, repo, deps.files);
    for (const arch of state.manifest.archs) {
      if (!wantArch(arch, arch)) continue;
      const packages = [...lockIndex(state, arch).values()].map((p) => toPackage(p, repo.name, repo.name));
      targets.push({ label: `${repo.name} (${arch})`, arch, bazelArch: arch, repo: state, packages, linkLayers: [] });
    }
    if (targets.length === 0)
      throw new UsageError(`${repo.manifestPath} does not build ${request.arch}`, { hint: `give --arch one of ${state.manifest.archs.join(", ")}` });
    return targets;
  }
  const info = await discoverImage(
    request.root,
    request.image!,
    deps.files,
    deps.repos,
    request.distro === undefined ? {} : { distro: request.distro },
  );
  const states = new Map<string, RepoState>();
  const stateOf = async (name: string): Promise<RepoState> => {
    let s = states.get(name);
    if (s === undefined) {
      const repo = deps.repos.find((r) => r.name === name);
      if (repo === undefined)
        throw new ProblemError("IMAGE_REPO_UNKNOWN", `image ${info.image} takes packages from repo ${name}, which the workspace does not declare`, {
          hint: "declare it with apt.install in MODULE.bazel",
        });
      s = await readRepo(request.root, repo, deps.files);
      states.set(name, s);
    }
    return s;
  };
  for (const d of info.distros) {
    for (const bazelArch of d.archs) {
      const debArch = d.debianArch[bazelArch]!;
      if (!wantArch(bazelArch, debArch)) continue;
      const lists: { image: string; repo: string; names: readonly string[] }[] = [];
      for (const a of [...(d.ancestors[bazelArch] ?? [])].reverse())
        lists.push({ image: a.image, repo: a.repo, names: a.packages.map((p) => p.name) });
      lists.push({ image: info.image, repo: d.repoByArch[bazelArch]!.name, names: d.packages.map((p) => p.name) });
      // Packages the image takes on this arch only, from arch-specific companion repos.
      for (const c of d.companions) if (c.arch === bazelArch) lists.push({ image: info.image, repo: c.repo, names: c.packages.map((p) => p.name) });
      const packages: VerifyPackage[] = [];
      const seen = new Set<string>();
      for (const list of lists) {
        const state = await stateOf(list.repo);
        const locked = lockIndex(state, debArch);
        for (const name of list.names) {
          const p = locked.get(name);
          if (p === undefined) {
            throw new ProblemError(
              "IMAGE_PACKAGE_NOT_LOCKED",
              `image ${list.image} (${d.distro}, ${bazelArch}) lists ${name}, but ${state.lockPath} has no ${debArch} entry for it`,
              {
                hint: `add it to ${state.manifestPath} and run \`deb-lock lock ${state.manifestPath}\` (deb-lock check finds every such gap)`,
              },
            );
          }
          if (seen.has(p.sha256)) continue;
          seen.add(p.sha256);
          packages.push(toPackage(p, list.repo, list.image));
        }
      }
      const linkLayers = [];
      for (const img of [...(d.ancestors[bazelArch] ?? []).map((a) => a.image).reverse(), info.image]) {
        const layer = await readLinkLayer(request.root, img, bazelArch, d.distro, deps.files);
        if (layer !== undefined) linkLayers.push(layer);
      }
      targets.push({
        label: `${info.image} (${d.distro}, ${debArch})`,
        image: info.image,
        distro: d.distro,
        arch: debArch,
        bazelArch,
        repo: await stateOf(d.repoByArch[bazelArch]!.name),
        packages,
        linkLayers,
      });
    }
    if (request.arch !== undefined && !d.archs.some((a) => wantArch(a, d.debianArch[a]!))) {
      throw new UsageError(`image ${info.image} (${d.distro}) is not built for ${request.arch}`, {
        hint: `give --arch one of ${d.archs.join(", ")}, or leave --arch out for every arch`,
      });
    }
  }
  return targets;
}

/** Runs `work` over `items` with at most `limit` at once; results in input order. */
async function pool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

async function providerIndex(target: VerifyTarget, loader: IndexLoader): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  const indexes = await loadManifestIndexes(target.repo.manifest, loader);
  for (const ix of indexes) {
    if (ix.arch !== target.arch) continue;
    for (const entry of ix.indexes) for (const r of entry.index.records) if (!names.has(r.name)) names.set(r.name, r.version);
  }
  return names;
}

function addHint(target: VerifyTarget, pkg: string): string {
  return target.image !== undefined
    ? `deb-lock add ${pkg} --image ${target.image}${target.distro === undefined ? "" : ` --distro ${target.distro}`}`
    : `deb-lock add ${pkg} --manifest ${target.repo.manifestPath}`;
}

function fixFor(f: VerifyFinding, target: VerifyTarget, provider: ReportedFinding["provider"]): string {
  switch (f.code) {
    case "LINK_NEEDED": {
      const l = f.link;
      const made =
        l.kind === "alternative" ? `update-alternatives --install ${l.link} ${l.name} ${l.target} ${l.priority}` : `ln -s ${l.target} ${l.link}`;
      const layer =
        target.image === undefined || target.distro === undefined ? undefined : linkLayerName(target.image, target.bazelArch, target.distro);
      const where =
        layer === undefined
          ? "a pkg_tar(symlinks = {...}) layer in the image's tars"
          : `pkg_tar(name = "${layer}", symlinks = {...}) in the image's BUILD file, with ":${layer}" in its tars`;
      return `add the link ${l.link} -> ${l.target} (${l.pkg}'s ${l.script} makes it with \`${made}\`; image builds run no maintainer scripts) as ${where}`;
    }
    case "INTERPRETER_MISSING":
      return provider !== undefined && !provider.inImage
        ? `add ${provider.name}, which ships ${f.interpreter}: ${addHint(target, provider.name)}`
        : `add the package that ships ${f.interpreter} (libc6 for glibc's loader) to the image`;
    case "ELF_UNREADABLE":
      return `${f.pkg} ships a damaged ELF file: relock the package, or report it to its maintainers`;
    case "LIBRARY_MISSING": {
      if (provider !== undefined && !provider.inImage)
        return `add ${provider.name}${provider.version === undefined ? "" : ` (${provider.version} in the sources)`}, which by Debian's naming ships ${f.soname}: ${addHint(target, provider.name)}`;
      const e = f.elsewhere[0];
      if (e !== undefined) {
        return `${f.soname} is in the image at ${e.path} (${e.pkg}), outside the loader's search path: link it into ${defaultLibraryDirs(elfArchOfDebianArch(target.arch))[1]} (a pkg_tar(symlinks = ...) layer) or give ${f.file} a RUNPATH`;
      }
      const c = f.ldSoConf[0];
      if (c !== undefined)
        return `${c.dir} is listed in ${c.conf}, but the loader reads ld.so.conf only through /etc/ld.so.cache, which the image does not ship (no ldconfig runs): link ${f.soname} into a default library directory`;
      const m = f.mismatches[0];
      if (m !== undefined) return `${m.path} is ${describeArch(m)}, which the loader skips for ${f.file}: add the package of ${target.arch}`;
      return `no package of the image or of its sources by Debian's naming ships ${f.soname}: find the package that does (apt-file search ${f.soname}) and add it with deb-lock add`;
    }
  }
}

async function reportFindings(
  target: VerifyTarget,
  result: ImageVerification,
  loader: IndexLoader | undefined,
): Promise<{ findings: ReportedFinding[]; providerLookupError?: string }> {
  const inImage = new Map(target.packages.map((p) => [p.name, p.version]));
  let index: Map<string, string> | undefined;
  let providerLookupError: string | undefined;
  const out: ReportedFinding[] = [];
  for (const f of result.findings) {
    let provider: ReportedFinding["provider"];
    const wanted =
      f.code === "LIBRARY_MISSING" && f.elsewhere.length === 0 && f.mismatches.length === 0
        ? packageNamesForSoname(f.soname)
        : f.code === "INTERPRETER_MISSING"
          ? ["libc6"]
          : [];
    if (wanted.length > 0) {
      const here = wanted.find((n) => inImage.has(n));
      if (here !== undefined) provider = { name: here, version: inImage.get(here)!, inImage: true };
      // Modules' findings are warnings: they are not worth reading every index for.
      else if (loader !== undefined && providerLookupError === undefined && f.scope === "startup") {
        // Naming a provider is a courtesy: when the indexes cannot be read (offline, mirror down), the finding
        // stands without one and the report says why.
        try {
          index ??= await providerIndex(target, loader);
        } catch (error) {
          if (!(error instanceof DebLockError)) throw error;
          providerLookupError = error.message;
        }
        const found = index === undefined ? undefined : wanted.find((n) => index!.has(n));
        if (found !== undefined) provider = { name: found, version: index!.get(found)!, inImage: false };
      }
    }
    out.push({ ...f, ...(provider === undefined ? {} : { provider }), fix: fixFor(f, target, provider) });
  }
  return providerLookupError === undefined ? { findings: out } : { findings: out, providerLookupError };
}

/** The contents summary of every package of the targets, by SHA-256: fetched and read 8 at a time, or cached. */
export async function targetContents(
  targets: readonly VerifyTarget[],
  deps: Pick<VerifyDeps, "debs" | "concurrency" | "onEvent">,
): Promise<Map<string, DebContents>> {
  const all = new Map<string, VerifyPackage>();
  for (const t of targets) for (const p of t.packages) if (!all.has(p.sha256)) all.set(p.sha256, p);
  const list = [...all.values()];
  let done = 0;
  let downloadedBytes = 0;
  const contents = new Map<string, DebContents>();
  await pool(list, deps.concurrency ?? 8, async (p) => {
    const r = await debContents(p, deps.debs);
    contents.set(p.sha256, r.contents);
    downloadedBytes += r.downloadedBytes;
    done++;
    deps.onEvent?.({ type: "deb", done, total: list.length, downloadedBytes, name: p.name });
  });
  return contents;
}

/** A links layer as image contents: one symlink per entry, the layer named by its target. */
export function linkLayerContents(layer: VerifyTarget["linkLayers"][number]): { pkg: string; contents: DebContents } {
  return {
    pkg: `:${layer.name}`,
    contents: {
      files: Object.entries(layer.symlinks).map(([link, target]) => ({ path: link, kind: "symlink" as const, mode: 0o777, target })),
      links: [],
    },
  };
}

/** Checks (and with `run`, starts) each target. Writes nothing but the cache and a temporary directory for --run. */
export async function verify(request: VerifyRequest, deps: VerifyDeps): Promise<VerifyReport> {
  const targets = await verifyTargets(request, deps);
  const contents = await targetContents(targets, deps);
  const reports: VerifyTargetReport[] = [];
  for (const t of targets) {
    deps.onEvent?.({ type: "target", label: t.label, packages: t.packages.length });
    const result = verifyImage([
      ...t.packages.map((p) => ({ pkg: p.name, contents: contents.get(p.sha256)! })),
      ...t.linkLayers.map(linkLayerContents),
    ]);
    const { findings, providerLookupError } = await reportFindings(t, result, deps.loader);
    const report: VerifyTargetReport = {
      label: t.label,
      ...(t.image === undefined ? {} : { image: t.image }),
      ...(t.distro === undefined ? {} : { distro: t.distro }),
      arch: t.arch,
      packages: t.packages.length,
      files: result.files,
      objects: result.objects,
      findings,
      neededLinks: result.neededLinks,
      ...(providerLookupError === undefined ? {} : { providerLookupError }),
    };
    reports.push(request.run === undefined ? report : { ...report, run: await runIn(t, request.run, deps) });
  }
  const ok = reports.every((r) => r.findings.every((f) => f.scope !== "startup") && (r.run === undefined || r.run.result?.exitCode === 0));
  return { targets: reports, ok };
}

async function runIn(target: VerifyTarget, argv: readonly string[], deps: VerifyDeps): Promise<RunReport> {
  const runner = deps.runner;
  if (runner === undefined) return { argv, unavailable: { reason: "this build of deb-lock cannot run commands", install: "use the deb-lock CLI" } };
  deps.onEvent?.({ type: "run", label: target.label, argv });
  const dir = await runner.makeTempDir();
  try {
    const layers: { pkg: string; archives: DebArchives }[] = [];
    for (const p of target.packages) {
      const { bytes, url } = await fetchDeb(p, deps.debs);
      layers.push({ pkg: p.name, archives: await readDebArchives(bytes, url) });
    }
    runner.writeRootFs(
      dir,
      layers,
      target.linkLayers.flatMap((l) => Object.entries(l.symlinks).map(([link, to]) => ({ link, target: to }))),
    );
    const planned = runner.plan(dir, argv, target.arch);
    if (!planned.ok) return { argv, unavailable: { reason: planned.reason, install: planned.install } };
    const result = await runner.run(planned.plan);
    if (result.spawnError !== undefined)
      return {
        argv,
        unavailable: {
          reason: `${planned.plan.argv[0]} could not be started: ${result.spawnError}`,
          install: "check that it is installed and executable",
        },
      };
    if (planned.plan.method === "unshare" && result.exitCode !== 0 && /^unshare: /m.test(result.stderr)) {
      return {
        argv,
        unavailable: {
          reason: `unprivileged user namespaces are not allowed here (${result.stderr.trim().split("\n")[0]})`,
          install:
            "run deb-lock verify --run as root (it then uses chroot), or allow user namespaces (sysctl kernel.unprivileged_userns_clone=1, or the AppArmor userns restriction)",
        },
      };
    }
    return {
      argv,
      result: { ...result, method: planned.plan.method, ...(planned.plan.emulator === undefined ? {} : { emulator: planned.plan.emulator }) },
    };
  } finally {
    await runner.removeTempDir(dir);
  }
}
