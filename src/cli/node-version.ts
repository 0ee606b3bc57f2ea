// bin.ts reads this module before anything else, on whatever Node.js the user has: keep it to syntax that old
// releases parse (no imports, no `??`, `?.`, class fields or top-level await).

/** The oldest Node.js deb-lock runs on (package.json `engines` says the same; a test keeps them equal). */
export const MINIMUM_NODE_VERSION = "20.18.1";

function parts(version: string): number[] {
  return version
    .replace(/^v/, "")
    .split(/[.+-]/)
    .slice(0, 3)
    .map((p) => Number.parseInt(p, 10) || 0);
}

/** The message for a Node.js older than MINIMUM_NODE_VERSION (`version` as in `process.versions.node`), else undefined. */
export function unsupportedNodeMessage(version: string): string | undefined {
  const have = parts(version);
  const need = parts(MINIMUM_NODE_VERSION);
  for (let i = 0; i < 3; i++) {
    if (have[i]! > need[i]!) return undefined;
    if (have[i]! < need[i]!) return `deb-lock needs Node.js >= ${MINIMUM_NODE_VERSION} (this is v${version.replace(/^v/, "")})`;
  }
  return undefined;
}
