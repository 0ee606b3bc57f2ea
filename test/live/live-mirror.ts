import { lookup } from "node:dns/promises";
import { readAptDebianMirrors, type AptDebianMirrors } from "../../src/io/apt-sources.js";

/**
 * The Debian mirror of this machine's apt sources, for live tests, and why a live test must skip: only when no
 * mirror is configured or its host name does not resolve. Any other failure is a real failure.
 */
export async function liveMirror(): Promise<{ mirrors: Required<AptDebianMirrors>; skipReason?: undefined } | { skipReason: string }> {
  const mirrors = readAptDebianMirrors();
  if (mirrors.debian === undefined || mirrors.debianSecurity === undefined) {
    return { skipReason: "no Debian mirror (…/debian and …/debian-security) in this machine's apt sources" };
  }
  try {
    await lookup(new URL(mirrors.debian).hostname);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EAI_NONAME") {
      return { skipReason: "the apt mirror's host name does not resolve (no DNS)" };
    }
    throw error;
  }
  return { mirrors: { debian: mirrors.debian, debianSecurity: mirrors.debianSecurity } };
}
