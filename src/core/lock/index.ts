// The lock file model of rules_distroless repositories: parse, format (byte-exact) and build.

export { type BuildLockOptions, buildLock, type LockArchResolution, type LockCandidate, type LockRoot } from "./build-lock.js";
export { formatLock } from "./format-lock.js";
export { type JsonNode, parseJsonTree, positionOf } from "./json-tree.js";
export type { Lock, LockDependency, LockDialect, LockLayout, LockPackage } from "./lock.js";
export { DEFAULT_LOCK_LAYOUT, lockPackageUrls } from "./lock.js";
export { type KeyStyle, packageKey, sanitizeKeyPart } from "./package-key.js";
export { type ParsedLock, parseLock } from "./parse-lock.js";
