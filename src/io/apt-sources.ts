import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The Debian archive roots this machine's apt is configured with (`.../debian`, `.../debian-security`). */
export interface AptDebianMirrors {
  readonly debian?: string;
  readonly debianSecurity?: string;
}

/**
 * Reads the URIs of deb822 `.sources` files and one-line `sources.list` entries and returns the first
 * http(s) root ending in `/debian` and in `/debian-security`. Used to point tests, the benchmark and the
 * example at the machine's own mirror instead of naming a host.
 */
export function parseAptSources(texts: readonly string[]): AptDebianMirrors {
  const uris: string[] = [];
  for (const text of texts) {
    for (const line of text.split("\n")) {
      const deb822 = /^URIs:\s*(.+)$/i.exec(line.trim());
      if (deb822) uris.push(...deb822[1]!.trim().split(/\s+/));
      const oneLine = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)/.exec(line.trim());
      if (oneLine) uris.push(oneLine[1]!);
    }
  }
  const roots = uris.filter((u) => /^https?:\/\//.test(u)).map((u) => u.replace(/\/+$/, ""));
  const debian = roots.find((u) => u.endsWith("/debian"));
  const debianSecurity = roots.find((u) => u.endsWith("/debian-security"));
  return { ...(debian ? { debian } : {}), ...(debianSecurity ? { debianSecurity } : {}) };
}

/** parseAptSources over /etc/apt/sources.list and /etc/apt/sources.list.d/*.{list,sources}. */
export function readAptDebianMirrors(etcApt = "/etc/apt"): AptDebianMirrors {
  const texts: string[] = [];
  const tryRead = (path: string): void => {
    try {
      texts.push(readFileSync(path, "utf8"));
    } catch {
      // absent files are normal: a machine may use either format
    }
  };
  tryRead(join(etcApt, "sources.list"));
  let parts: string[] = [];
  try {
    parts = readdirSync(join(etcApt, "sources.list.d")).sort();
  } catch {
    parts = [];
  }
  for (const f of parts) if (f.endsWith(".list") || f.endsWith(".sources")) tryRead(join(etcApt, "sources.list.d", f));
  return parseAptSources(texts);
}
