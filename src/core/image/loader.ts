import type { ElfInfo } from "./elf.js";
import type { LdCacheEntry } from "./ld-so-conf.js";
import type { RootFs } from "./rootfs.js";

/**
 * The search of glibc's dynamic loader (ld.so(8)) for one DT_NEEDED name of one object, over a RootFs:
 * a name with a slash is a path; otherwise DT_RPATH (only when the object has no DT_RUNPATH), then
 * DT_RUNPATH, then /etc/ld.so.cache when the image ships one, then the default directories — unless the
 * object is linked with -z nodeflib. `$ORIGIN`, `$LIB` and `$PLATFORM` are expanded in RPATH/RUNPATH. A
 * candidate of another ELF class or machine is skipped, as the loader does. LD_LIBRARY_PATH is not set in
 * an image and is not consulted; an executable's RPATH that would also apply to the libraries it loads is not
 * either: each object is checked on its own.
 */

/** The Debian multiarch tuple of an ELF class and machine; undefined for machines Debian has no port for. */
export function multiarchTriplet(elf: Pick<ElfInfo, "bits" | "machine" | "bigEndian">): string | undefined {
  switch (elf.machine) {
    case 62:
      return elf.bits === 64 ? "x86_64-linux-gnu" : "x86_64-linux-gnux32";
    case 3:
      return "i386-linux-gnu";
    case 183:
      return "aarch64-linux-gnu";
    case 40:
      return "arm-linux-gnueabihf";
    case 21:
      return elf.bigEndian ? "powerpc64-linux-gnu" : "powerpc64le-linux-gnu";
    case 22:
      return "s390x-linux-gnu";
    case 243:
      return "riscv64-linux-gnu";
    case 258:
      return "loongarch64-linux-gnu";
    default:
      return undefined;
  }
}

/** The ELF class, machine and byte order of a Debian arch's binaries (x86-64 for an arch Debian does not name). */
export function elfArchOfDebianArch(arch: string): Pick<ElfInfo, "bits" | "machine" | "bigEndian"> {
  const table: Readonly<Record<string, Pick<ElfInfo, "bits" | "machine" | "bigEndian">>> = {
    amd64: { bits: 64, machine: 62, bigEndian: false },
    arm64: { bits: 64, machine: 183, bigEndian: false },
    armhf: { bits: 32, machine: 40, bigEndian: false },
    armel: { bits: 32, machine: 40, bigEndian: false },
    i386: { bits: 32, machine: 3, bigEndian: false },
    ppc64el: { bits: 64, machine: 21, bigEndian: false },
    s390x: { bits: 64, machine: 22, bigEndian: true },
    riscv64: { bits: 64, machine: 243, bigEndian: false },
    loong64: { bits: 64, machine: 258, bigEndian: false },
  };
  return table[arch] ?? { bits: 64, machine: 62, bigEndian: false };
}

const PLATFORM: Readonly<Record<number, string>> = { 62: "x86_64", 3: "i686", 183: "aarch64", 40: "v7l", 21: "power8", 22: "z900", 243: "riscv64" };

/** The directories ld.so searches last (Debian's glibc: the multiarch directories, then /lib and /usr/lib). */
export function defaultLibraryDirs(elf: Pick<ElfInfo, "bits" | "machine" | "bigEndian">): string[] {
  const t = multiarchTriplet(elf);
  return t === undefined ? ["/lib", "/usr/lib"] : [`/lib/${t}`, `/usr/lib/${t}`, "/lib", "/usr/lib"];
}

/** Expands `$ORIGIN`, `${ORIGIN}`, `$LIB`, `$PLATFORM` in one RPATH/RUNPATH entry; undefined for an unknown token. */
export function expandSearchPath(entry: string, origin: string, elf: Pick<ElfInfo, "bits" | "machine" | "bigEndian">): string | undefined {
  const triplet = multiarchTriplet(elf);
  let unknown = false;
  const out = entry.replace(
    /\$(\{)?(ORIGIN|LIB|PLATFORM|[A-Za-z_]+)(\})?/g,
    (_m, open: string | undefined, name: string, close: string | undefined) => {
      if ((open === undefined) !== (close === undefined)) unknown = true;
      if (name === "ORIGIN") return origin;
      if (name === "LIB") return triplet === undefined ? "lib" : `lib/${triplet}`;
      if (name === "PLATFORM") return PLATFORM[elf.machine] ?? "unknown";
      unknown = true;
      return "";
    },
  );
  return unknown ? undefined : out;
}

export type SearchStep = "rpath" | "runpath" | "ld.so.cache" | "default";

export interface Mismatch {
  readonly path: string;
  readonly bits: number;
  readonly machine: number;
}

export type LibraryResolution =
  | { readonly found: true; readonly path: string; readonly step: SearchStep | "path"; readonly via: readonly string[] }
  | { readonly found: false; readonly searched: readonly string[]; readonly mismatches: readonly Mismatch[] };

export interface LoaderContext {
  readonly fs: RootFs;
  /** Entries of the image's /etc/ld.so.cache, when it ships one. */
  readonly cache?: readonly LdCacheEntry[];
}

/** The object needing the library: its path in the tree (for $ORIGIN) and its ELF data. */
export interface LoadingObject {
  readonly path: string;
  readonly elf: ElfInfo;
}

function matches(ctx: LoaderContext, path: string, want: ElfInfo, mismatches: Mismatch[]): { path: string; via: readonly string[] } | undefined {
  const r = ctx.fs.resolve(path);
  if (r.node === undefined || r.node.kind !== "file") return undefined;
  const elf = r.node.elf;
  if (elf === undefined) return undefined;
  if (elf.bits !== want.bits || elf.machine !== want.machine || elf.bigEndian !== want.bigEndian) {
    mismatches.push({ path, bits: elf.bits, machine: elf.machine });
    return undefined;
  }
  return { path: r.path, via: r.via };
}

function dirsOf(list: string | undefined, obj: LoadingObject): string[] {
  if (list === undefined) return [];
  const origin = obj.path.slice(0, obj.path.lastIndexOf("/")) || "/";
  const out: string[] = [];
  for (const entry of list.split(":")) {
    // An empty entry means the current directory, which is / for a process started in an image by default.
    const expanded = entry === "" ? "/" : expandSearchPath(entry, origin, obj.elf);
    if (expanded !== undefined) out.push(expanded.startsWith("/") ? expanded : `/${expanded}`);
  }
  return out;
}

/** Finds `soname` for `obj` the way ld.so would. */
export function resolveLibrary(ctx: LoaderContext, obj: LoadingObject, soname: string): LibraryResolution {
  const mismatches: Mismatch[] = [];
  const searched: string[] = [];
  if (soname.includes("/")) {
    const hit = matches(ctx, soname.startsWith("/") ? soname : `/${soname}`, obj.elf, mismatches);
    return hit !== undefined ? { found: true, step: "path", ...hit } : { found: false, searched: [soname], mismatches };
  }
  const inDir = (dir: string): string => (dir === "/" ? `/${soname}` : `${dir.replace(/\/+$/, "")}/${soname}`);
  const tryPaths = (paths: readonly string[], step: SearchStep): LibraryResolution | undefined => {
    for (const candidate of paths) {
      searched.push(candidate);
      const hit = matches(ctx, candidate, obj.elf, mismatches);
      if (hit !== undefined) return { found: true, step, ...hit };
    }
    return undefined;
  };
  const steps: [readonly string[], SearchStep][] = [];
  if (obj.elf.runpath === undefined) steps.push([dirsOf(obj.elf.rpath, obj), "rpath"]);
  steps.push([dirsOf(obj.elf.runpath, obj), "runpath"]);
  for (const [dirs, step] of steps) {
    const hit = tryPaths(dirs.map(inDir), step);
    if (hit !== undefined) return hit;
  }
  if (obj.elf.nodeflib !== true) {
    if (ctx.cache !== undefined) {
      const hit = tryPaths(
        ctx.cache.filter((e) => e.soname === soname).map((e) => e.path),
        "ld.so.cache",
      );
      if (hit !== undefined) return hit;
    }
    const hit = tryPaths(defaultLibraryDirs(obj.elf).map(inDir), "default");
    if (hit !== undefined) return hit;
  }
  return { found: false, searched, mismatches };
}
