import type { DebContents } from "./deb-contents.js";
import { type ElfInfo, machineName } from "./elf.js";
import { matchesGlob, parseLdSoConf } from "./ld-so-conf.js";
import { defaultLibraryDirs, type LibraryResolution, type LoaderContext, type Mismatch, resolveLibrary } from "./loader.js";
import type { MaintainerLink } from "./maintainer-links.js";
import { RootFs, type RootNode } from "./rootfs.js";

/**
 * Checks that an image can start: its root filesystem assembled from .debs in image order (no maintainer
 * scripts run), every dynamically linked ELF executable and shared library is checked for its program
 * interpreter and each DT_NEEDED library, by the loader's own search. Links that maintainer scripts would have
 * made (update-alternatives, ln -s) are tried second: a library reachable only through one is a LINK_NEEDED
 * finding naming the link, not a missing library.
 */

/** One package of the image, in image order (base images first). */
export interface ImageLayer {
  readonly pkg: string;
  readonly contents: DebContents;
}

/** A link a maintainer script makes, with its package. */
export interface NeededLink extends MaintainerLink {
  readonly pkg: string;
}

export interface PresentElsewhere {
  readonly path: string;
  readonly pkg: string;
}

/**
 * `startup`: the file is an executable, or a library the loader finds by default or through the libraries
 * those need — a failure here stops programs from starting. `module`: a shared object off the loader's
 * path that nothing links to (a plugin or extension loaded with dlopen): it fails only when loaded.
 */
export type FindingScope = "startup" | "module";

export type VerifyFinding = VerifyFindingBody & { readonly scope: FindingScope };

export type VerifyFindingBody =
  | {
      readonly code: "INTERPRETER_MISSING";
      readonly file: string;
      readonly pkg: string;
      readonly interpreter: string;
      readonly mismatches: readonly Mismatch[];
    }
  | {
      readonly code: "LIBRARY_MISSING";
      readonly file: string;
      readonly pkg: string;
      readonly soname: string;
      readonly searched: readonly string[];
      readonly mismatches: readonly Mismatch[];
      /** Files of that name elsewhere in the image, off the loader's path. */
      readonly elsewhere: readonly PresentElsewhere[];
      /** Directories of /etc/ld.so.conf(.d) that hold it: read only through an ld.so.cache the image lacks. */
      readonly ldSoConf: readonly { readonly dir: string; readonly conf: string }[];
    }
  | {
      readonly code: "LINK_NEEDED";
      readonly file: string;
      readonly pkg: string;
      /** The soname or interpreter that resolves only through the link. */
      readonly needs: string;
      readonly link: NeededLink;
    }
  | { readonly code: "ELF_UNREADABLE"; readonly file: string; readonly pkg: string; readonly problem: string };

export interface ImageVerification {
  readonly findings: readonly VerifyFinding[];
  /** The maintainer-script links some file needs (one per link path), sorted by path. */
  readonly neededLinks: readonly NeededLink[];
  /** How many files, and dynamically linked ELF objects, were checked. */
  readonly files: number;
  readonly objects: number;
}

const SKIPPED_DIRS = ["/usr/lib/debug/"];

function sameArch(a: ElfInfo, b: ElfInfo): boolean {
  return a.bits === b.bits && a.machine === b.machine && a.bigEndian === b.bigEndian;
}

/** Assembles the layers (later ones on top) into a RootFs. */
export function assembleRootFs(layers: readonly ImageLayer[]): RootFs {
  const fs = new RootFs();
  for (const l of layers) fs.apply(l.pkg, l.contents);
  return fs;
}

/**
 * The maintainer-script links of the image's packages as update-alternatives' auto mode would set them up:
 * per link path, the alternative of highest priority whose target exists (ties: the later package); plain
 * `ln -s` links as written.
 */
export function scriptLinks(layers: readonly ImageLayer[], fs: RootFs): NeededLink[] {
  const best = new Map<string, NeededLink>();
  for (const l of layers) {
    for (const link of l.contents.links) {
      if (link.kind === "alternative" && fs.resolve(link.target).node === undefined) continue;
      const prev = best.get(link.link);
      if (prev === undefined || (link.priority ?? 0) >= (prev.priority ?? 0)) best.set(link.link, { ...link, pkg: l.pkg });
    }
  }
  return [...best.values()].sort((a, b) => (a.link < b.link ? -1 : a.link > b.link ? 1 : 0));
}

function ldSoConfDirs(fs: RootFs): { dir: string; conf: string }[] {
  const out: { dir: string; conf: string }[] = [];
  const files = [...fs.nodes()].filter((n) => n.text !== undefined).map((n) => n.path);
  const seen = new Set<string>();
  const read = (path: string, depth: number): void => {
    if (seen.has(path) || depth > 8) return;
    seen.add(path);
    const node = fs.resolve(path).node;
    if (node?.text === undefined) return;
    const conf = parseLdSoConf(node.text);
    for (const dir of conf.dirs) out.push({ dir, conf: path });
    for (const pattern of conf.includes) {
      const abs = pattern.startsWith("/") ? pattern : `/etc/${pattern}`;
      for (const f of files.filter((p) => matchesGlob(abs, p)).sort()) read(f, depth + 1);
    }
  };
  read("/etc/ld.so.conf", 0);
  return out;
}

/** Checks an image's packages. Pure: the contents come from the caller. */
export function verifyImage(layers: readonly ImageLayer[]): ImageVerification {
  const fs = assembleRootFs(layers);
  const cacheNode = fs.resolve("/etc/ld.so.cache").node;
  const ctx: LoaderContext = cacheNode?.ldCache === undefined ? { fs } : { fs, cache: cacheNode.ldCache };
  const links = scriptLinks(layers, fs);
  const linked = fs.clone();
  const byLink = new Map<string, NeededLink>();
  for (const l of links) if (linked.addSymlink(l.link, l.target, l.pkg)) byLink.set(l.link, l);
  const linkedCtx: LoaderContext = { ...ctx, fs: linked };
  let confDirs: { dir: string; conf: string }[] | undefined;
  let byBasename: Map<string, RootNode[]> | undefined;

  const findings: (VerifyFindingBody & { readonly object: string })[] = [];
  // object → the real paths of the libraries it loads (assuming the script links), for the startup closure
  const edges = new Map<string, string[]>();
  const start: string[] = [];
  const defaultDirsOf = new Map<string, Set<string>>();
  const used = new Map<string, NeededLink>();
  const memo = new Map<string, LibraryResolution>();
  let files = 0;
  let objects = 0;

  const linkOf = (via: readonly string[], path: string): NeededLink | undefined => {
    for (const v of [...via, path]) {
      const l = byLink.get(v);
      if (l !== undefined) return l;
    }
    return undefined;
  };

  for (const node of fs.nodes()) {
    files++;
    if (node.kind !== "file") continue;
    if (node.elfProblem !== undefined) {
      findings.push({ code: "ELF_UNREADABLE", file: node.path, pkg: node.pkg, problem: node.elfProblem, object: node.path });
      continue;
    }
    const elf = node.elf;
    if (elf === undefined || (elf.type !== 2 && elf.type !== 3)) continue;
    if (elf.interpreter === undefined && elf.needed.length === 0) continue;
    if (SKIPPED_DIRS.some((d) => node.path.startsWith(d))) continue;
    objects++;
    const obj = { path: node.path, elf };
    const loads: string[] = [];
    edges.set(node.path, loads);
    const archKey = `${elf.bits}/${elf.machine}/${elf.bigEndian}`;
    let defaults = defaultDirsOf.get(archKey);
    if (defaults === undefined) {
      defaults = new Set(defaultLibraryDirs(elf).map((d) => fs.resolve(d).path));
      defaultDirsOf.set(archKey, defaults);
    }
    if (elf.interpreter !== undefined || defaults.has(node.path.slice(0, node.path.lastIndexOf("/")) || "/")) start.push(node.path);
    if (elf.interpreter !== undefined) {
      const mismatches: Mismatch[] = [];
      const check = (f: RootFs): { ok: boolean; via: readonly string[]; path: string } => {
        const r = f.resolve(elf.interpreter!);
        if (r.node?.elf !== undefined && !sameArch(r.node.elf, elf))
          mismatches.push({ path: r.path, bits: r.node.elf.bits, machine: r.node.elf.machine });
        return { ok: r.node?.kind === "file" && r.node.elf !== undefined && sameArch(r.node.elf, elf), via: r.via, path: r.path };
      };
      if (!check(fs).ok) {
        const again = check(linked);
        const link = again.ok ? linkOf(again.via, again.path) : undefined;
        if (link !== undefined) {
          used.set(link.link, link);
          findings.push({ code: "LINK_NEEDED", file: node.path, pkg: node.pkg, needs: elf.interpreter, link, object: node.path });
        } else
          findings.push({ code: "INTERPRETER_MISSING", file: node.path, pkg: node.pkg, interpreter: elf.interpreter, mismatches, object: node.path });
      }
    }
    const plain = elf.rpath === undefined && elf.runpath === undefined && elf.nodeflib !== true;
    for (const soname of elf.needed) {
      const key = `${elf.bits}/${elf.machine}/${elf.bigEndian}/${soname}`;
      let res = plain ? memo.get(key) : undefined;
      if (res === undefined) {
        res = resolveLibrary(ctx, obj, soname);
        if (plain) memo.set(key, res);
      }
      if (res.found) {
        loads.push(res.path);
        continue;
      }
      const again = resolveLibrary(linkedCtx, obj, soname);
      if (again.found) loads.push(again.path);
      const link = again.found ? linkOf(again.via, again.path) : undefined;
      if (link !== undefined) {
        used.set(link.link, link);
        findings.push({ code: "LINK_NEEDED", file: node.path, pkg: node.pkg, needs: soname, link, object: node.path });
        continue;
      }
      confDirs ??= ldSoConfDirs(fs);
      if (byBasename === undefined) {
        byBasename = new Map();
        for (const n of fs.nodes()) {
          if (n.kind !== "file" && n.kind !== "symlink") continue;
          const base = n.path.slice(n.path.lastIndexOf("/") + 1);
          const list = byBasename.get(base) ?? [];
          list.push(n);
          byBasename.set(base, list);
        }
      }
      const ldSoConf = confDirs.filter((c) => {
        const r = fs.resolve(`${c.dir}/${soname}`).node;
        return r?.elf !== undefined && sameArch(r.elf, elf);
      });
      const searched = new Set(res.searched);
      const elsewhere = (byBasename.get(soname) ?? [])
        .filter((n) => !searched.has(n.path))
        .filter((n) => {
          const target = fs.resolve(n.path).node;
          return target?.elf !== undefined && sameArch(target.elf, elf);
        })
        .map((n) => ({ path: n.path, pkg: n.pkg }));
      findings.push({
        code: "LIBRARY_MISSING",
        file: node.path,
        pkg: node.pkg,
        soname,
        searched: res.searched,
        mismatches: res.mismatches,
        elsewhere,
        ldSoConf,
        object: node.path,
      });
    }
  }
  const startup = new Set<string>();
  const queue = [...start];
  while (queue.length > 0) {
    const p = queue.pop()!;
    if (startup.has(p)) continue;
    startup.add(p);
    for (const next of edges.get(p) ?? []) if (!startup.has(next)) queue.push(next);
  }
  const scoped: VerifyFinding[] = findings.map(({ object, ...f }) => ({
    ...f,
    scope: f.code === "ELF_UNREADABLE" || startup.has(object) ? "startup" : "module",
  }));
  // Links only modules need are still worth making, but are not what an image needs to start.
  for (const f of scoped)
    if (
      f.code === "LINK_NEEDED" &&
      f.scope === "module" &&
      !scoped.some((g) => g.code === "LINK_NEEDED" && g.scope === "startup" && g.link.link === f.link.link)
    )
      used.delete(f.link.link);
  const neededLinks = [...used.values()].sort((a, b) => (a.link < b.link ? -1 : a.link > b.link ? 1 : 0));
  return { findings: scoped, neededLinks, files, objects };
}

/** `ELFCLASS64 x86-64` for messages. */
export function describeArch(m: { bits: number; machine: number }): string {
  return `ELFCLASS${m.bits} ${machineName(m.machine)}`;
}
