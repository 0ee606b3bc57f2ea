import { ParseError } from "../errors.js";
import { type JsonNode, type JsonObject, parseJsonTree, parseJsonUnlocated, positionOf } from "./json-tree.js";
import type { Lock, LockDependency, LockDialect, LockLayout, LockPackage } from "./lock.js";
import { type KeyStyle, packageKey } from "./package-key.js";

export interface ParsedLock {
  readonly lock: Lock;
  /** The URL field the file uses; write it back the same way. */
  readonly dialect: LockDialect;
  /** How the file's keys treat `~`; build new entries the same way. */
  readonly keyStyle: KeyStyle;
  /** The file's indentation and final newline; write it back the same way. */
  readonly layout: LockLayout;
}

const CODE = "BAD_LOCK";
const HINT = "regenerate the lock file with `deb-lock lock`, or restore it from version control";
const SHA256_RE = /^[0-9a-f]{64}$/;
const PACKAGE_FIELDS = new Set(["arch", "dependencies", "key", "name", "sha256", "url", "urls", "version"]);
const DEPENDENCY_FIELDS = new Set(["key", "name", "version"]);

/**
 * Parses a rules_distroless lock file (version 1). Every field is checked, since deb-lock writes the file
 * back: a field it does not know would be lost, so it is an error rather than silently dropped.
 * The dialect is `url` when every entry uses the single `url` field, else `urls` (also for an empty lock).
 * The key style is `tilde-kept` when a key keeps a `~` of its version, else `tilde-replaced`; every key must
 * follow the one style.
 */
export function parseLock(text: string, file: string): ParsedLock {
  // Positions matter only to report a problem: read JSON.parse's tree first, the located one on a problem.
  const quick = parseJsonUnlocated(text);
  if (quick !== undefined) {
    try {
      return readLock(quick, text, file);
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
    }
  }
  return readLock(parseJsonTree(text, file, CODE), text, file);
}

function readLock(root: JsonNode, text: string, file: string): ParsedLock {
  const fail = (message: string, at: JsonNode | { start: number }): never => {
    throw new ParseError(CODE, message, { file, ...positionOf(text, at.start) }, { hint: HINT });
  };
  const object = (node: JsonNode, what: string): JsonObject => (node.kind === "object" ? node : fail(`${what} must be an object`, node));
  const string = (node: JsonNode, what: string): string => (node.kind === "string" ? (node.value as string) : fail(`${what} must be a string`, node));
  const fieldsOf = (node: JsonObject, allowed: Set<string>, what: string): Map<string, JsonNode> => {
    const fields = new Map<string, JsonNode>();
    for (const m of node.members) {
      if (!allowed.has(m.key)) fail(`unknown field ${JSON.stringify(m.key)} in ${what}`, m);
      if (fields.has(m.key)) fail(`duplicate field ${JSON.stringify(m.key)} in ${what}`, m);
      fields.set(m.key, m.value);
    }
    return fields;
  };
  const required = (fields: Map<string, JsonNode>, key: string, what: string, node: JsonNode): JsonNode =>
    fields.get(key) ?? fail(`${what} has no ${JSON.stringify(key)} field`, node);

  const top = fieldsOf(object(root, "the lock file"), new Set(["packages", "version"]), "the lock file");
  const versionNode = required(top, "version", "the lock file", root);
  if (versionNode.kind !== "number" || versionNode.value !== 1) {
    fail(`unsupported lock file version ${text.slice(versionNode.start, versionNode.end)} (deb-lock reads version 1)`, versionNode);
  }
  const packagesNode = required(top, "packages", "the lock file", root);
  if (packagesNode.kind !== "array") return fail('"packages" must be an array', packagesNode);

  const packages: LockPackage[] = [];
  const seen = new Set<string>();
  let urlEntries = 0;
  let keyStyle: KeyStyle | undefined;
  const checkKey = (key: string, name: string, version: string, arch: string, what: string, at: JsonNode): void => {
    const styles: KeyStyle[] = keyStyle === undefined ? ["tilde-replaced", "tilde-kept"] : [keyStyle];
    const match = styles.find((style) => packageKey(name, version, arch, style) === key);
    if (match === undefined) {
      const expected = packageKey(name, version, arch, keyStyle);
      fail(`${what}: key ${JSON.stringify(key)} does not match its name, version and arch (expected ${JSON.stringify(expected)})`, at);
    }
    // Only a version with `~` tells the styles apart.
    if (version.includes("~")) keyStyle = match;
  };
  packagesNode.items.forEach((item, i) => {
    const what = `packages[${i}]`;
    const fields = fieldsOf(object(item, what), PACKAGE_FIELDS, what);
    const get = (key: string): string => string(required(fields, key, what, item), `${what}.${key}`);
    const arch = get("arch");
    const key = get("key");
    const name = get("name");
    const sha256 = get("sha256");
    const version = get("version");
    if (!SHA256_RE.test(sha256)) fail(`${what} (${key}): sha256 must be 64 lowercase hex digits`, fields.get("sha256")!);
    checkKey(key, name, version, arch, what, fields.get("key")!);
    if (seen.has(key)) fail(`${what}: duplicate entry ${JSON.stringify(key)}`, item);
    seen.add(key);

    const depsNode = required(fields, "dependencies", what, item);
    if (depsNode.kind !== "array") throw fail(`${what}.dependencies must be an array`, depsNode);
    const dependencies: LockDependency[] = depsNode.items.map((dep, j) => {
      const dwhat = `${what}.dependencies[${j}]`;
      const dfields = fieldsOf(object(dep, dwhat), DEPENDENCY_FIELDS, dwhat);
      const dget = (k: string): string => string(required(dfields, k, dwhat, dep), `${dwhat}.${k}`);
      const dependency = { key: dget("key"), name: dget("name"), version: dget("version") };
      checkKey(dependency.key, dependency.name, dependency.version, arch, dwhat, dfields.get("key")!);
      return dependency;
    });

    const urlNode = fields.get("url");
    const urlsNode = fields.get("urls");
    if ((urlNode === undefined) === (urlsNode === undefined)) fail(`${what} (${key}) must have exactly one of "url" and "urls"`, item);
    if (urlNode !== undefined) {
      urlEntries++;
      packages.push({ arch, dependencies, key, name, sha256, url: string(urlNode, `${what}.url`), version });
    } else {
      if (urlsNode!.kind !== "array") throw fail(`${what}.urls must be an array`, urlsNode!);
      const urls = urlsNode!.items.map((u, j) => string(u, `${what}.urls[${j}]`));
      if (urls.length === 0) fail(`${what} (${key}): urls is empty`, urlsNode!);
      packages.push({ arch, dependencies, key, name, sha256, urls, version });
    }
  });

  const dialect: LockDialect = packages.length > 0 && urlEntries === packages.length ? "url" : "urls";
  return { lock: { version: 1, packages }, dialect, keyStyle: keyStyle ?? "tilde-replaced", layout: layoutOf(text) };
}

/** Indentation of the first indented line (a tab unless the file says otherwise) and the final newline. */
function layoutOf(text: string): LockLayout {
  const indent = /\n([ \t]+)"/.exec(text)?.[1] ?? "\t";
  return { indent, finalNewline: text.endsWith("\n") };
}
