import { connect } from "node:net";
import { type AptDebianMirrors, readAptDebianMirrors } from "../../src/io/apt-sources.js";
import { type SkipReason, skipWhen } from "../support/skip-reason.js";

export type LiveMirror =
  | { readonly mirrors: Required<AptDebianMirrors>; readonly skipReason?: undefined }
  | { readonly skipReason: SkipReason; readonly detail: string };

/** Errors that mean this machine cannot reach the host at all, as opposed to a host that answers wrongly. */
const UNREACHABLE = new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_NONAME", "ENETUNREACH", "EHOSTUNREACH", "ETIMEDOUT"]);

/**
 * The Debian mirror for live tests: `DEB_LOCK_LIVE_DEBIAN` and `DEB_LOCK_LIVE_DEBIAN_SECURITY` when set, else the
 * `…/debian` and `…/debian-security` roots of this machine's apt sources. A live test skips only when that mirror
 * cannot be reached (no DNS answer, no route, connect timeout). No mirror configured is an error, not a skip: the
 * live suite would otherwise pass without testing anything.
 */
export async function liveMirror(): Promise<LiveMirror> {
  const apt = readAptDebianMirrors();
  const debian = process.env.DEB_LOCK_LIVE_DEBIAN ?? apt.debian;
  const debianSecurity = process.env.DEB_LOCK_LIVE_DEBIAN_SECURITY ?? apt.debianSecurity;
  if (debian === undefined || debianSecurity === undefined) {
    throw new Error(
      "live tests: no Debian mirror. Name one in the apt sources (a …/debian and a …/debian-security URI) or set " +
        "DEB_LOCK_LIVE_DEBIAN and DEB_LOCK_LIVE_DEBIAN_SECURITY to the two archive roots.",
    );
  }
  for (const root of new Set([debian, debianSecurity])) {
    const code = await connectError(new URL(root));
    if (code === undefined) continue;
    if (UNREACHABLE.has(code)) return { skipReason: "NETWORK_UNREACHABLE", detail: `${new URL(root).host} cannot be reached (${code})` };
    throw new Error(`live tests: connecting to the Debian mirror ${new URL(root).host} failed with ${code}`);
  }
  return { mirrors: { debian, debianSecurity } };
}

/** The error code of a TCP connection to the URL's host and port, or undefined when it connects. */
function connectError(url: URL, timeoutMs = 15_000): Promise<string | undefined> {
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname, port });
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      resolve("ETIMEDOUT");
    });
    socket.once("connect", () => {
      socket.end();
      resolve(undefined);
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? String(error)));
  });
}

/** Options for the describe of a live suite: skipped, saying why, only when the mirror is unreachable. */
export function liveSuiteOptions(live: LiveMirror): ReturnType<typeof skipWhen> {
  if (live.skipReason !== undefined) console.warn(`SKIPPED live tests: ${live.detail}`);
  return skipWhen(live.skipReason);
}
