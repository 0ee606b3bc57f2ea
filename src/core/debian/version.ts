import { DebLockError } from "../errors.js";

/** A Debian version, `[epoch:]upstream[-revision]`, as dpkg parses it. */
export interface Version {
  readonly epoch: number;
  readonly upstream: string;
  /** "" when the version has no revision (dpkg treats that like "0"). */
  readonly revision: string;
}

export class VersionError extends DebLockError {
  readonly input: string;
  constructor(input: string, reason: string) {
    super("BAD_VERSION", `invalid Debian version ${JSON.stringify(input)}: ${reason}`, {
      hint: "Debian versions look like [epoch:]upstream[-revision], e.g. 1:2.36-9+deb12u4",
    });
    this.input = input;
  }
}

const CH_0 = 48;
const CH_9 = 57;
const CH_TILDE = 126;

function isDigit(c: number): boolean {
  return c >= CH_0 && c <= CH_9;
}

function isAlpha(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/**
 * Parses a version the way dpkg's parseversion() does, rejecting everything dpkg reports as an
 * error or as bad syntax (empty parts, non-numeric epoch, whitespace, characters outside the
 * allowed sets, an upstream part that does not start with a digit).
 */
export function parseVersion(input: string): Version {
  const s = input.trim();
  if (s === "") throw new VersionError(input, "version string is empty");
  if (/\s/.test(s)) throw new VersionError(input, "version string has embedded spaces");

  let epoch = 0;
  let rest = s;
  const colon = s.indexOf(":");
  if (colon >= 0) {
    const e = s.slice(0, colon);
    if (e === "") throw new VersionError(input, "epoch in version is empty");
    if (!/^[0-9]+$/.test(e)) throw new VersionError(input, "epoch in version is not number");
    epoch = Number(e);
    if (epoch > 2147483647) throw new VersionError(input, "epoch in version is too big");
    rest = s.slice(colon + 1);
    if (rest === "") throw new VersionError(input, "nothing after colon in version number");
  }

  let upstream = rest;
  let revision = "";
  const hyphen = rest.lastIndexOf("-");
  if (hyphen >= 0) {
    upstream = rest.slice(0, hyphen);
    revision = rest.slice(hyphen + 1);
    if (revision === "") throw new VersionError(input, "revision number is empty");
  }
  if (upstream === "") throw new VersionError(input, "version number is empty");
  if (!isDigit(upstream.charCodeAt(0))) throw new VersionError(input, "version number does not start with digit");
  for (let i = 0; i < upstream.length; i++) {
    const c = upstream.charCodeAt(i);
    if (!isDigit(c) && !isAlpha(c) && ".-+~:".indexOf(upstream[i]!) < 0) {
      throw new VersionError(input, "invalid character in version number");
    }
  }
  for (let i = 0; i < revision.length; i++) {
    const c = revision.charCodeAt(i);
    if (!isDigit(c) && !isAlpha(c) && ".+~".indexOf(revision[i]!) < 0) {
      throw new VersionError(input, "invalid character in revision number");
    }
  }
  return { epoch, upstream, revision };
}

/** dpkg's order(): `~` first, then end of string and digits, then letters, then other characters. */
function order(s: string, i: number): number {
  if (i >= s.length) return 0;
  const c = s.charCodeAt(i);
  if (isDigit(c)) return 0;
  if (isAlpha(c)) return c;
  if (c === CH_TILDE) return -1;
  return c + 256;
}

/** dpkg's verrevcmp(): compares one upstream or revision part. */
function compareFragment(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(a.charCodeAt(i))) || (j < b.length && !isDigit(b.charCodeAt(j)))) {
      const ac = order(a, i);
      const bc = order(b, j);
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (i < a.length && a.charCodeAt(i) === CH_0) i++;
    while (j < b.length && b.charCodeAt(j) === CH_0) j++;
    while (i < a.length && j < b.length && isDigit(a.charCodeAt(i)) && isDigit(b.charCodeAt(j))) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (i < a.length && isDigit(a.charCodeAt(i))) return 1;
    if (j < b.length && isDigit(b.charCodeAt(j))) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

/** Total order on versions, exactly as `dpkg --compare-versions`. Returns <0, 0 or >0. */
export function compareVersions(a: Version, b: Version): number {
  if (a.epoch !== b.epoch) return a.epoch - b.epoch;
  const u = compareFragment(a.upstream, b.upstream);
  if (u !== 0) return u;
  return compareFragment(a.revision, b.revision);
}

/** Convenience for two version strings; throws VersionError on invalid input. */
export function compareVersionStrings(a: string, b: string): number {
  return compareVersions(parseVersion(a), parseVersion(b));
}

/** Canonical text of a parsed version (epoch 0 is omitted, as dpkg prints it). */
export function formatVersion(v: Version): string {
  return `${v.epoch > 0 ? `${v.epoch}:` : ""}${v.upstream}${v.revision === "" ? "" : `-${v.revision}`}`;
}
