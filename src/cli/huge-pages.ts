import { mayReadIndexes } from "./index-commands.js";

/**
 * Transparent huge pages for the commands that read archive indexes. A warm `lock` or `add` holds a few hundred MB
 * of index data that was just read from the cache; with 4 KiB pages, faulting that memory in is a large part of its
 * time on some machines (on a 2-core VM: 16 µs a page, a third of a warm `add`). glibc's malloc asks for huge pages
 * for its large blocks when started with GLIBC_TUNABLES=glibc.malloc.hugetlb=1 (glibc 2.35 or later, and the
 * kernel's transparent_hugepage set to `madvise` or `always`). The tunable is read only when a process starts, so
 * the launcher starts the CLI once more with it; commands that read no index (`check`, `--version`, help) are
 * answered by the first process, and DEB_LOCK_HUGE_PAGES=0 turns it off.
 *
 * The second process also gets one malloc arena (glibc.malloc.arena_max=1), unless the user chose a number: the
 * xz decoders' threads otherwise each allocate in an arena of their own, and the memory one thread frees is not
 * reused by the others. On the cold `lock` of the six-repo benchmark workspace this takes ~25 MB off the peak and
 * no time (README, "Performance").
 */

const TUNABLE = "glibc.malloc.hugetlb=1";
const ONE_ARENA = "glibc.malloc.arena_max=1";

export interface HugePageFacts {
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly platform: string;
  /** The glibc the process runs on ("2.36"), undefined without glibc. */
  readonly glibc: string | undefined;
  /** /sys/kernel/mm/transparent_hugepage/enabled, undefined when unreadable. */
  readonly thp: string | undefined;
}

/** The GLIBC_TUNABLES to start the CLI again with, or undefined to run it in this process. */
export function hugePageTunables(facts: HugePageFacts): string | undefined {
  if (facts.platform !== "linux" || facts.env.DEB_LOCK_HUGE_PAGES === "0") return undefined;
  const current = facts.env.GLIBC_TUNABLES ?? "";
  if (current.includes("glibc.malloc.hugetlb")) return undefined;
  if (!mayReadIndexes(facts.args)) return undefined;
  const [major = 0, minor = 0] = (facts.glibc ?? "").split(".").map(Number);
  if (major < 2 || (major === 2 && minor < 35)) return undefined;
  // `always [madvise] never`: the bracketed word is the mode
  const mode = /\[(\w+)\]/.exec(facts.thp ?? "")?.[1];
  if (mode !== "madvise" && mode !== "always") return undefined;
  const added = current.includes("glibc.malloc.arena_max") ? TUNABLE : `${TUNABLE}:${ONE_ARENA}`;
  return current === "" ? added : `${current}:${added}`;
}
