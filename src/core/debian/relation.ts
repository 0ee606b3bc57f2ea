import { DebLockError } from "../errors.js";
import { compareVersions, parseVersion, type Version } from "./version.js";

/** Relation operators as written in Debian control files. */
export type RelationOp = "<<" | "<=" | "=" | ">=" | ">>";

/** One package relation: `name[:archqual] [(op version)] [[arch ...]] [<profile ...>]`. */
export interface Relation {
  readonly name: string;
  /** Multi-Arch qualifier after the colon (`any`, `native`, or an architecture), if any. */
  readonly archQualifier?: string;
  readonly op?: RelationOp;
  /** The version text as written (validated with parseVersion). */
  readonly version?: string;
  /** Architecture restriction list as written, e.g. ["amd64", "!i386"] (source packages only). */
  readonly archRestrictions?: readonly string[];
  /** Build-profile restriction formulas as written, e.g. ["<!nocheck>"] (source packages only). */
  readonly profiles?: readonly string[];
}

/** An or-group: satisfied when any alternative is. */
export type Alternatives = readonly Relation[];

/** A relation field (Depends, Pre-Depends, ...): every or-group must be satisfied. */
export type RelationField = readonly Alternatives[];

export class RelationError extends DebLockError {
  constructor(input: string, reason: string) {
    super("BAD_RELATION", `invalid package relation ${JSON.stringify(input)}: ${reason}`, {
      hint: "relations look like 'libc6 (>= 2.36), libfoo | libbar:any'",
    });
  }
}

const NAME_RE = /^[a-z0-9][a-z0-9+.-]*$/;
const ATOM_RE = /^([^\s:([<]+)(?::([a-z0-9-]+))?\s*(?:\(\s*(<<|<=|>=|>>|=|<|>)\s*([^\s)]+)\s*\))?\s*(?:\[([^\]]*)\])?\s*((?:<[^>]*>\s*)*)$/;

function parseRelation(text: string, whole: string): Relation {
  const m = ATOM_RE.exec(text);
  if (!m) throw new RelationError(whole, `cannot parse ${JSON.stringify(text)}`);
  const [, name, archQualifier, rawOp, version, arches, profiles] = m;
  if (!NAME_RE.test(name!)) throw new RelationError(whole, `bad package name ${JSON.stringify(name)}`);
  const rel: { -readonly [K in keyof Relation]: Relation[K] } = { name: name! };
  if (archQualifier !== undefined) rel.archQualifier = archQualifier;
  if (rawOp !== undefined) {
    // dpkg still accepts the obsolete `<` and `>`, meaning `<=` and `>=`.
    rel.op = rawOp === "<" ? "<=" : rawOp === ">" ? ">=" : (rawOp as RelationOp);
    parseVersion(version!);
    rel.version = version!;
  }
  if (arches !== undefined) rel.archRestrictions = arches.trim().split(/\s+/).filter(Boolean);
  if (profiles !== undefined && profiles.trim() !== "")
    rel.profiles = profiles
      .trim()
      .split(/(?<=>)\s*/)
      .filter(Boolean);
  return rel;
}

/** Parses a relation field (Depends, Pre-Depends, Provides, Conflicts, ...). Empty text gives []. */
export function parseRelations(text: string): RelationField {
  const trimmed = text.trim();
  if (trimmed === "") return [];
  return trimmed.split(",").map((group) => {
    const g = group.trim();
    if (g === "") throw new RelationError(text, "empty element between commas");
    return g.split("|").map((alt) => {
      const a = alt.trim();
      if (a === "") throw new RelationError(text, "empty alternative");
      return parseRelation(a, text);
    });
  });
}

export function formatRelation(r: Relation): string {
  let s = r.name;
  if (r.archQualifier !== undefined) s += `:${r.archQualifier}`;
  if (r.op !== undefined) s += ` (${r.op} ${r.version})`;
  if (r.archRestrictions !== undefined) s += ` [${r.archRestrictions.join(" ")}]`;
  if (r.profiles !== undefined) s += ` ${r.profiles.join(" ")}`;
  return s;
}

/** Canonical text of a relation field: `a (>= 1), b | c`. */
export function formatRelations(field: RelationField): string {
  return field.map((alts) => alts.map(formatRelation).join(" | ")).join(", ");
}

/** Whether `candidate` satisfies `op required` (e.g. 2.36-9 satisfies >= 2.36). */
export function versionSatisfies(candidate: Version, op: RelationOp, required: Version): boolean {
  const c = compareVersions(candidate, required);
  switch (op) {
    case "<<":
      return c < 0;
    case "<=":
      return c <= 0;
    case "=":
      return c === 0;
    case ">=":
      return c >= 0;
    case ">>":
      return c > 0;
  }
}
