import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, type Scalar, type YAMLMap, type YAMLSeq } from "yaml";
import { parseVersion } from "../core/debian/version.js";
import { DebLockError, InternalError, ParseError } from "../core/errors.js";
import { isPlainString, readPlainManifest } from "./manifest-plain.js";
import { isPackageName, type PackageConstraint, parsePackageSpec } from "./package-spec.js";
import { applyEdits, type TextEdit } from "./text-edit.js";

export { type PackageConstraint, parsePackageSpec } from "./package-spec.js";

/**
 * The YAML manifest of a rules_distroless repository (`apt.install(manifest = ...)`), read with the `yaml`
 * package's Document API and edited as spans of the original text, so comments, order, quoting,
 * indentation and every untouched byte survive.
 */
export interface Manifest {
  readonly version: 1;
  readonly sources: readonly ManifestSource[];
  readonly archs: readonly string[];
  readonly packages: readonly ManifestPackage[];
}

export interface ManifestSource {
  /** As written, e.g. `bookworm-security main contrib`. */
  readonly channel: string;
  readonly suite: string;
  readonly components: readonly string[];
  /** `url`, or every entry of `urls`, as written (canonical URLs: the lock records these). */
  readonly urls: readonly string[];
  /** Which field the source uses. */
  readonly urlField: "url" | "urls";
  /** 1-based line of the source entry. */
  readonly line: number;
}

export interface ManifestPackage {
  readonly name: string;
  readonly constraint?: PackageConstraint;
  /** The entry as written: `pkg`, `pkg (>= 1.2)`, `pkg=1.2-3`. */
  readonly spec: string;
  /** Text of a comment on the entry's own line, without `#` and surrounding blanks. */
  readonly comment?: string;
  /** 1-based line and column of the entry. */
  readonly line: number;
  readonly col: number;
}

/** What deb-lock records beside a package it added only to satisfy others (like apt's "automatically installed"). */
export interface PackageMarker {
  /** The packages that needed it, in the order written. */
  readonly dependencyOf: readonly string[];
}

export interface PackageToAdd {
  readonly name: string;
  /** Written into the entry as `name (op version)`, e.g. for `deb-lock add pkg=1.2-3`. */
  readonly constraint?: PackageConstraint;
  /** Written as a trailing `# comment`; use formatMarker for dependency markers. */
  readonly comment?: string;
}

/** The manifest entry text of a package to add: `name`, or `name (op version)`. */
function entrySpec(p: PackageToAdd): string {
  return p.constraint === undefined ? p.name : `${p.name} (${p.constraint.op} ${p.constraint.version})`;
}

const CODE = "BAD_MANIFEST";

/**
 * Parses and validates a manifest. Throws ParseError(BAD_MANIFEST) with line and column. The plain form most
 * manifests are written in is read without the YAML parser (see manifest-plain.ts); anything else, and every
 * invalid manifest, by the YAML parser.
 */
export function parseManifest(text: string, file: string): Manifest {
  return readPlainManifest(text) ?? readManifest(text, file).manifest;
}

/** The manifest as the YAML reader alone reads it: the reference readPlainManifest is tested against. */
export function parseManifestYaml(text: string, file: string): Manifest {
  return readManifest(text, file).manifest;
}

/** Reads a dependency marker (`dependency of ffmpeg, libavcodec59`) from a package's comment. */
export function markerOf(pkg: ManifestPackage | string | undefined): PackageMarker | undefined {
  const comment = typeof pkg === "string" || pkg === undefined ? pkg : pkg.comment;
  const m = comment === undefined ? null : /^dependency of\s+(.+)$/.exec(comment.trim());
  if (m === null) return undefined;
  const parents = m[1]!.split(/\s*,\s*/).filter((p) => p !== "");
  return parents.length === 0 ? undefined : { dependencyOf: parents };
}

/** The comment text of a marker, e.g. `dependency of ffmpeg`. */
export function formatMarker(marker: PackageMarker): string {
  return `dependency of ${marker.dependencyOf.join(", ")}`;
}

/**
 * Appends packages to the manifest's `packages` list in the list's own style (indentation, dash spacing,
 * quoting of the last entry). Names already listed are skipped, so adding twice equals adding once.
 * A flow list (`[a, b]`) stays a flow list unless a comment must be written, which needs the block form.
 */
export function addManifestPackages(text: string, packages: readonly PackageToAdd[], file = "manifest"): string {
  const read = readManifest(text, file);
  const present = new Set(read.manifest.packages.map((p) => p.name));
  const toAdd: PackageToAdd[] = [];
  for (const p of packages) {
    if (!isPackageName(p.name))
      throw new DebLockError("BAD_PACKAGE_NAME", `${JSON.stringify(p.name)} is not a Debian package name`, {
        hint: "package names are lowercase letters, digits and + . -",
      });
    if (p.comment !== undefined && /[\n\r]/.test(p.comment))
      throw new DebLockError("BAD_COMMENT", `a manifest comment must be one line: ${JSON.stringify(p.comment)}`, {
        hint: "pass a single-line comment",
      });
    if (p.constraint !== undefined) parseVersion(p.constraint.version);
    if (present.has(p.name)) continue;
    present.add(p.name);
    toAdd.push(p);
  }
  if (toAdd.length === 0) return text;

  const seq = read.packagesNode;
  const items = seq.items as Scalar[];
  const edits: TextEdit[] = [];
  const needsComment = toAdd.some((p) => p.comment !== undefined && p.comment.trim() !== "");
  const last = items[items.length - 1];
  const style = commonStyle(items);
  if (!seq.flow && last !== undefined) {
    const [start, valueEnd] = rangeOf(last);
    const prefix = text.slice(lineStart(text, start), start);
    if (!/^[ \t]*-[ \t]+$/.test(prefix)) unsupported(file, "the last package entry does not start its own line");
    const lines = toAdd.map((p) => `${newlineOf(text)}${prefix}${formatScalar(entrySpec(p), style, "block")}${commentSuffix(p.comment)}`);
    edits.push({ start: lineEnd(text, valueEnd), end: lineEnd(text, valueEnd), text: lines.join("") });
  } else if (seq.flow && !needsComment) {
    const added = toAdd.map((p) => formatScalar(entrySpec(p), style, "flow"));
    if (last !== undefined) {
      const [, valueEnd] = rangeOf(last);
      edits.push({ start: valueEnd, end: valueEnd, text: added.map((a) => `, ${a}`).join("") });
    } else {
      const [start, valueEnd] = rangeOf(seq);
      edits.push({ start, end: valueEnd, text: `[${added.join(", ")}]` });
    }
  } else {
    // Flow list (maybe empty) that must carry comments: rewrite it in block form, keeping each entry's text.
    const [start, valueEnd] = rangeOf(seq);
    if (text.slice(start, valueEnd).includes("#")) unsupported(file, "the packages flow list contains comments");
    const prefix = `${read.blockItemIndent}- `;
    const nl = newlineOf(text);
    const kept = items.map((item) => `${nl}${prefix}${text.slice(rangeOf(item)[0], rangeOf(item)[1])}`);
    const added = toAdd.map((p) => `${nl}${prefix}${formatScalar(entrySpec(p), style, "block")}${commentSuffix(p.comment)}`);
    const colon = read.packagesColon;
    const between = text.slice(colon + 1, start);
    if (between.trim() !== "") unsupported(file, "the packages list is preceded by a comment or tag on its key's line");
    edits.push({ start: colon + 1, end: valueEnd, text: [...kept, ...added].join("") });
  }
  const out = applyEdits(text, edits);
  confirm(out, file, (m) =>
    toAdd.every((p) =>
      m.packages.some(
        (q) =>
          q.name === p.name &&
          q.constraint?.op === p.constraint?.op &&
          q.constraint?.version === p.constraint?.version &&
          (p.comment === undefined || p.comment.trim() === "" || q.comment === p.comment.trim()),
      ),
    ),
  );
  return out;
}

/**
 * Removes the entries of the given package names (whole lines, with their trailing comments; comment lines
 * of their own are kept). Names not listed are ignored. Removing every entry leaves `packages: []`.
 */
export function removeManifestPackages(text: string, names: readonly string[], file = "manifest"): string {
  const read = readManifest(text, file);
  const wanted = new Set(names);
  const seq = read.packagesNode;
  const items = seq.items as Scalar[];
  const doomed = items.filter((_, i) => wanted.has(read.manifest.packages[i]!.name));
  if (doomed.length === 0) return text;
  const edits: TextEdit[] = [];
  if (seq.flow) {
    const [seqStart, seqEnd] = rangeOf(seq);
    if (text.slice(seqStart, seqEnd).includes("#")) unsupported(file, "the packages flow list contains comments");
    const keptItems = items.filter((item) => !doomed.includes(item)).map((item) => text.slice(rangeOf(item)[0], rangeOf(item)[1]));
    // Rebuild the inside of the brackets from the kept entries' own text, keeping the spacing after `[`.
    const inner = text.slice(seqStart + 1, seqEnd - 1);
    const lead = /^\s*/.exec(inner)![0];
    const trail = (inner.trimEnd().endsWith(",") ? "," : "") + /\s*$/.exec(inner)![0];
    const separator = items.length > 1 ? (/,\s*/.exec(text.slice(rangeOf(items[0]!)[1], rangeOf(items[1]!)[0]))?.[0] ?? ", ") : ", ";
    edits.push({ start: seqStart + 1, end: seqEnd - 1, text: keptItems.length === 0 ? "" : `${lead}${keptItems.join(separator)}${trail}` });
  } else {
    for (const item of doomed) {
      const [start, valueEnd] = rangeOf(item);
      const from = lineStart(text, start);
      if (!/^[ \t]*-[ \t]+$/.test(text.slice(from, start))) unsupported(file, `the entry ${JSON.stringify(item.value)} does not start its own line`);
      edits.push({ start: from, end: nextLineStart(text, valueEnd), text: "" });
    }
    if (doomed.length === items.length) edits.push({ start: read.packagesColon + 1, end: read.packagesColon + 1, text: " []" });
  }
  const merged = mergeTouching(edits).map((e) => {
    // Lines removed up to the end of a text without a final newline: take the terminator before them instead.
    if (e.end !== text.length || e.start === 0 || e.text !== "" || text.endsWith("\n")) return e;
    return { ...e, start: text[e.start - 2] === "\r" ? e.start - 2 : e.start - 1 };
  });
  const out = applyEdits(text, merged);
  confirm(out, file, (m) => m.packages.every((p) => !wanted.has(p.name)));
  return out;
}

/**
 * Sets or clears the trailing comment of listed packages (e.g. to update a dependency marker when the set
 * of packages needing it changes). `comments` maps a package name to the new comment text, or to undefined
 * to remove its comment. Names not listed in the manifest are ignored; an unchanged comment edits nothing.
 */
export function setManifestPackageComments(text: string, comments: ReadonlyMap<string, string | undefined>, file = "manifest"): string {
  const read = readManifest(text, file);
  const items = read.packagesNode.items as Scalar[];
  const edits: TextEdit[] = [];
  read.manifest.packages.forEach((pkg, i) => {
    if (!comments.has(pkg.name)) return;
    const wanted = comments.get(pkg.name)?.trim() || undefined;
    if (wanted !== undefined && /[\n\r]/.test(wanted))
      throw new DebLockError("BAD_COMMENT", `a manifest comment must be one line: ${JSON.stringify(wanted)}`, { hint: "pass a single-line comment" });
    if (wanted === pkg.comment) return;
    if (read.packagesNode.flow) unsupported(file, "comments cannot be attached to entries of a flow list");
    const [, valueEnd] = rangeOf(items[i]!);
    const end = lineEnd(text, valueEnd);
    if (pkg.comment === undefined) {
      edits.push({ start: valueEnd, end: valueEnd, text: commentSuffix(wanted) });
    } else {
      // Keep the spacing before `#` and after it, replace the text.
      const m = /^([ \t]+#[ \t]*)(.*?)([ \t]*)$/.exec(text.slice(valueEnd, end))!;
      if (wanted === undefined) edits.push({ start: valueEnd, end, text: "" });
      else edits.push({ start: valueEnd + m[1]!.length, end: valueEnd + m[1]!.length + m[2]!.length, text: wanted });
    }
  });
  const out = applyEdits(text, edits);
  confirm(out, file, (m) => m.packages.every((p) => !comments.has(p.name) || p.comment === (comments.get(p.name)?.trim() || undefined)));
  return out;
}

/**
 * Rewrites source URLs (`url` and every `urls` entry), e.g. to move a snapshot timestamp. `rewrite` returns
 * the new URL, or undefined to keep one. Quoting style of each value is kept.
 */
export function rewriteSourceUrls(text: string, rewrite: (url: string) => string | undefined, file = "manifest"): string {
  const read = readManifest(text, file);
  const edits: TextEdit[] = [];
  for (const { node, flow } of read.urlNodes) {
    const next = rewrite(String(node.value));
    if (next === undefined || next === node.value) continue;
    const [start, valueEnd] = rangeOf(node);
    edits.push({ start, end: valueEnd, text: formatScalar(next, node.type, flow ? "flow" : "map") });
  }
  return applyEdits(text, edits);
}

// ---------------------------------------------------------------------------------------------------------

interface ReadManifest {
  readonly manifest: Manifest;
  readonly packagesNode: YAMLSeq;
  /** Offset of the `:` after the `packages` key. */
  readonly packagesColon: number;
  readonly urlNodes: ReadonlyArray<{ node: Scalar; flow: boolean }>;
  /** Indentation of block list entries elsewhere in the file, for lists written anew. */
  readonly blockItemIndent: string;
}

function readManifest(text: string, file: string): ReadManifest {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const at = (offset: number): { line: number; col: number } => {
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, col: pos.col };
  };
  const fail = (message: string, node?: Node | null, offset = 0): never => {
    const where = node?.range ? at(node.range[0]) : at(offset);
    throw new ParseError(
      CODE,
      message,
      { file, ...where },
      { hint: "fix the manifest; see rules_distroless's manifest format (version, sources, archs, packages)" },
    );
  };
  const firstError = doc.errors[0];
  if (firstError !== undefined) fail(`invalid YAML: ${firstError.message.split("\n")[0]}`, null, firstError.pos[0]);

  const root = doc.contents;
  if (!isMap(root)) return fail("the manifest must be a mapping with version, sources, archs and packages", root);
  const field = (map: YAMLMap, key: string): { value: unknown; keyNode: Scalar } | undefined => {
    const pair = map.items.find((p) => isScalar(p.key) && p.key.value === key);
    return pair === undefined ? undefined : { value: pair.value, keyNode: pair.key as Scalar };
  };
  const required = (map: YAMLMap, key: string, what: string): { value: unknown; keyNode: Scalar } =>
    field(map, key) ?? fail(`${what} has no ${JSON.stringify(key)}`, map);
  const stringOf = (node: unknown, what: string, parent: Node): string => {
    if (isScalar(node) && typeof node.value === "string" && node.value.trim() !== "") return node.value;
    return fail(`${what} must be a non-empty string`, isScalar(node) ? node : parent);
  };

  const version = required(root, "version", "the manifest");
  if (!isScalar(version.value) || version.value.value !== 1)
    fail(
      `unsupported manifest version ${isScalar(version.value) ? JSON.stringify(version.value.value) : "(not a number)"}; rules_distroless manifests are version 1`,
      (version.value as Node) ?? version.keyNode,
    );

  const sourcesField = required(root, "sources", "the manifest");
  if (!isSeq(sourcesField.value) || sourcesField.value.items.length === 0)
    return fail("sources must be a non-empty list", (sourcesField.value as Node) ?? sourcesField.keyNode);
  const urlNodes: Array<{ node: Scalar; flow: boolean }> = [];
  const sources: ManifestSource[] = sourcesField.value.items.map((item, i) => {
    const what = `sources[${i}]`;
    if (!isMap(item)) return fail(`${what} must be a mapping with channel and url or urls`, item as Node);
    const channel = stringOf(required(item, "channel", what).value, `${what}.channel`, item);
    const [suite, ...components] = channel.trim().split(/\s+/);
    if (components.length === 0)
      fail(
        `${what}.channel ${JSON.stringify(channel)} must name a suite and at least one component, e.g. "bookworm main"`,
        required(item, "channel", what).value as Node,
      );
    // The suite and components become URL path segments (dists/<suite>/<component>/...): no climbing out.
    for (const word of [suite!, ...components]) {
      if (!/^[A-Za-z0-9][A-Za-z0-9._+~-]*(\/[A-Za-z0-9][A-Za-z0-9._+~-]*)*$/.test(word) || word.split("/").includes("..")) {
        fail(
          `${what}.channel ${JSON.stringify(channel)}: ${JSON.stringify(word)} is not a suite or component name`,
          required(item, "channel", what).value as Node,
        );
      }
    }
    const url = field(item, "url");
    const urls = field(item, "urls");
    if (url !== undefined && urls !== undefined) fail(`${what} has both url and urls; keep one`, item);
    if (url !== undefined) {
      const value = stringOf(url.value, `${what}.url`, item);
      urlNodes.push({ node: url.value as Scalar, flow: Boolean(item.flow) });
      return { channel, suite: suite!, components, urls: [value], urlField: "url" as const, line: at(item.range![0]).line };
    }
    if (urls === undefined) return fail(`${what} has neither url nor urls`, item);
    if (!isSeq(urls.value) || urls.value.items.length === 0)
      return fail(`${what}.urls must be a non-empty list`, (urls.value as Node) ?? urls.keyNode);
    const seq = urls.value;
    const values = seq.items.map((u, j) => {
      const value = stringOf(u, `${what}.urls[${j}]`, seq);
      urlNodes.push({ node: u as Scalar, flow: Boolean(seq.flow) });
      return value;
    });
    return { channel, suite: suite!, components, urls: values, urlField: "urls" as const, line: at(item.range![0]).line };
  });

  const archsField = required(root, "archs", "the manifest");
  if (!isSeq(archsField.value) || archsField.value.items.length === 0)
    return fail("archs must be a non-empty list", (archsField.value as Node) ?? archsField.keyNode);
  const archsSeq = archsField.value;
  const archs = archsSeq.items.map((a, i) => {
    const arch = stringOf(a, `archs[${i}]`, archsSeq);
    if (!/^[a-z0-9][a-z0-9-]*$/.test(arch)) fail(`${JSON.stringify(arch)} is not a Debian architecture`, a as Node);
    return arch;
  });
  const seenArch = new Set<string>();
  archs.forEach((arch, i) => {
    if (seenArch.has(arch)) fail(`architecture ${arch} is listed twice`, archsSeq.items[i] as Node);
    seenArch.add(arch);
  });

  const packagesField = required(root, "packages", "the manifest");
  if (!isSeq(packagesField.value)) return fail("packages must be a list", (packagesField.value as Node) ?? packagesField.keyNode);
  const packagesSeq = packagesField.value;
  const seen = new Map<string, number>();
  const packages: ManifestPackage[] = packagesSeq.items.map((item, i) => {
    const spec = stringOf(item, `packages[${i}]`, packagesSeq);
    const node = item as Scalar;
    const parsed = parsePackageSpec(spec);
    if ("error" in parsed) return fail(parsed.error, node);
    const pos = at(node.range![0]);
    const earlier = seen.get(parsed.name);
    if (earlier !== undefined) fail(`package ${parsed.name} is listed twice (first on line ${earlier}); remove one`, node);
    seen.set(parsed.name, pos.line);
    const comment = packagesSeq.flow ? undefined : sameLineComment(text, node.range![1]);
    return { ...parsed, spec, ...(comment === undefined ? {} : { comment }), line: pos.line, col: pos.col };
  });

  const keyEnd = packagesField.keyNode.range![1];
  const packagesColon = text.indexOf(":", keyEnd);
  const blockSeq = [sourcesField.value, archsSeq].find((s) => !s.flow && s.items.length > 0);
  let blockItemIndent = "  ";
  if (blockSeq !== undefined) {
    const first = rangeOf(blockSeq.items[0] as Node)[0];
    const dash = text.lastIndexOf("-", first);
    blockItemIndent = text.slice(lineStart(text, dash), dash);
  }
  return { manifest: { version: 1, sources, archs, packages }, packagesNode: packagesSeq, packagesColon, urlNodes, blockItemIndent };
}

function rangeOf(node: Node): [number, number] {
  const range = node.range;
  if (!range) throw new InternalError("INTERNAL", "YAML node without a source range", { report: "the manifest" });
  return [range[0], range[1]];
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf("\n", offset - 1) + 1;
}

/** Offset where the line holding `offset` ends, before its `\n` or `\r\n`. */
function lineEnd(text: string, offset: number): number {
  const nl = text.indexOf("\n", offset);
  if (nl < 0) return text.length;
  return nl > offset && text[nl - 1] === "\r" ? nl - 1 : nl;
}

/** Offset just after the line terminator of the line holding `offset`, or the text's length. */
function nextLineStart(text: string, offset: number): number {
  const nl = text.indexOf("\n", offset);
  return nl < 0 ? text.length : nl + 1;
}

function newlineOf(text: string): string {
  return text.includes("\r\n") ? "\r\n" : "\n";
}

function sameLineComment(text: string, valueEnd: number): string | undefined {
  const rest = text.slice(valueEnd, lineEnd(text, valueEnd));
  const m = /^[ \t]+#(.*)$/.exec(rest);
  return m === null ? undefined : m[1]!.trim();
}

/** The quoting all entries share, so new entries look like their neighbours; plain when they differ. */
function commonStyle(items: readonly Scalar[]): Scalar["type"] {
  const styles = new Set(items.map((i) => i.type));
  return styles.size === 1 ? [...styles][0] : "PLAIN";
}

function commentSuffix(comment: string | undefined): string {
  return comment === undefined || comment.trim() === "" ? "" : ` # ${comment.trim()}`;
}

/** Writes a string as a YAML scalar in the given style when that reads back the same, else double-quoted. */
function formatScalar(value: string, style: Scalar["type"] | undefined, context: "block" | "flow" | "map"): string {
  if (style === "QUOTE_SINGLE") return `'${value.replaceAll("'", "''")}'`;
  if (style !== "QUOTE_DOUBLE" && isPlainWord(value)) return value;
  if (style !== "QUOTE_DOUBLE") {
    const probe = context === "block" ? `- ${value}\n` : context === "flow" ? `[${value}]\n` : `k: ${value}\n`;
    const doc = parseDocument(probe);
    const node = doc.contents;
    const scalar = isSeq(node) ? node.items[0] : isMap(node) ? node.items[0]?.value : undefined;
    if (doc.errors.length === 0 && isScalar(scalar) && scalar.type === "PLAIN" && scalar.value === value && (!isSeq(node) || node.items.length === 1))
      return value;
  }
  return JSON.stringify(value);
}

/**
 * A value YAML reads back as this very string when written plain, in any context, known without asking the parser
 * (what most package names are): a lowercase letter, then letters, digits and `+ . -` (no indicator, no `: ` or
 * ` #`), that the core schema reads as a string (isPlainString, which the plain manifest reader uses too).
 */
export function isPlainWord(value: string): boolean {
  return /^[a-z][a-z0-9+.-]*$/.test(value) && isPlainString(value);
}

/** Joins edits whose spans touch (adjacent removed lines) so applyEdits sees no overlap. */
function mergeTouching(edits: TextEdit[]): TextEdit[] {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  const out: TextEdit[] = [];
  for (const e of sorted) {
    const prev = out[out.length - 1];
    if (prev !== undefined && e.start <= prev.end) {
      out[out.length - 1] = { start: prev.start, end: Math.max(prev.end, e.end), text: prev.text + e.text };
    } else {
      out.push(e);
    }
  }
  return out;
}

function unsupported(file: string, why: string): never {
  throw new DebLockError("MANIFEST_EDIT_UNSUPPORTED", `${file}: cannot edit the packages list: ${why}`, {
    hint: "write the packages list in block style (one `- name` per line) and try again",
  });
}

function confirm(text: string, file: string, check: (m: Manifest) => boolean): void {
  const manifest = parseManifest(text, file);
  if (!check(manifest)) {
    throw new InternalError("EDIT_NOT_APPLIED", `${file}: the edited manifest does not read back as intended`, { report: "the manifest" });
  }
}
