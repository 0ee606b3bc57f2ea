import { type ElfInfo, parseElf } from "./elf.js";
import { type LdCacheEntry, parseLdSoCache } from "./ld-so-conf.js";
import { type MaintainerLink, parseMaintainerLinks } from "./maintainer-links.js";
import type { TarEntry, TarEntryKind } from "./tar.js";

/**
 * What verify needs to know of one .deb, computed once from its archives and cached by the .deb's SHA-256:
 * every path of its data archive (kind, mode, link target), the loader-relevant parts of each ELF file, the
 * texts of ld.so.conf files, the entries of a shipped ld.so.cache, and the links its maintainer scripts make.
 */
export interface DebFile {
  readonly path: string;
  readonly kind: TarEntryKind;
  readonly mode: number;
  /** Symlink target as written, or the linked path of a hard link. */
  readonly target?: string;
  readonly elf?: ElfInfo;
  /** Set when the file starts like ELF but cannot be read. */
  readonly elfProblem?: string;
  /** Text of /etc/ld.so.conf and /etc/ld.so.conf.d/* files. */
  readonly text?: string;
  /** Entries of /etc/ld.so.cache. */
  readonly ldCache?: readonly LdCacheEntry[];
}

export interface DebContents {
  readonly files: readonly DebFile[];
  readonly links: readonly MaintainerLink[];
}

/** Version of the cached form: bump when DebContents or what fills it changes. */
export const DEB_CONTENTS_FORMAT = 1;

const SCRIPTS = ["preinst", "postinst", "config"];

/** Builds the contents summary from the entries of a .deb's data and control archives. */
export function summarizeDeb(data: readonly TarEntry[], control: readonly TarEntry[]): DebContents {
  const files: DebFile[] = [];
  for (const e of data) {
    const base = { path: e.path, kind: e.kind, mode: e.mode, ...(e.linkTarget === undefined ? {} : { target: e.linkTarget }) };
    if (e.kind !== "file") {
      files.push(base);
      continue;
    }
    const elf = parseElf(e.data);
    if (elf !== undefined) {
      files.push(elf.ok ? { ...base, elf: elf.elf } : { ...base, elfProblem: elf.problem });
      continue;
    }
    if (e.path === "/etc/ld.so.conf" || e.path.startsWith("/etc/ld.so.conf.d/")) {
      files.push({ ...base, text: new TextDecoder().decode(e.data) });
      continue;
    }
    if (e.path === "/etc/ld.so.cache") {
      const cache = parseLdSoCache(e.data);
      files.push(cache.ok ? { ...base, ldCache: cache.entries } : base);
      continue;
    }
    files.push(base);
  }
  const links: MaintainerLink[] = [];
  for (const name of SCRIPTS) {
    const script = control.find((c) => c.kind === "file" && c.path === `/${name}`);
    if (script !== undefined) links.push(...parseMaintainerLinks(name, new TextDecoder().decode(script.data)));
  }
  return { files, links };
}
