import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { dottedName, type Expr, findCalls, keywordArg, type ListExpr, type StarlarkFile, topLevelAssignments } from "./ast.js";
import { lexStarlark } from "./lexer.js";
import { type ElementKey, insertListElements, removeListElementsByKey, stringElementKey } from "./list-editor.js";
import { parseStarlark } from "./parser.js";

// Golden cases: test/golden/starlark/<case>/{case.json, input.<ext>, output.<ext>}. case.json says which
// list to edit and what to insert or remove; output.* is the expected text.
interface Case {
  readonly format: "build" | "bzl";
  readonly list: { readonly call?: string; readonly arg?: string; readonly assign?: string; readonly dictKey?: string };
  /** "deb.package": elements are keyed by the package argument of deb.package(arch, distro, "pkg"). */
  readonly key?: "deb.package";
  /** Insert right after the last keyed element (before trailing non-package tars). */
  readonly atEndOfKeyed?: boolean;
  readonly insert?: readonly string[];
  readonly remove?: readonly string[];
  /** false when removing the inserted elements cannot give the input back (one-line list exploded). */
  readonly roundtrip?: boolean;
}

const ROOT = join(import.meta.dirname, "../../../test/golden/starlark");
const BUILDIFIER = join(import.meta.dirname, "../../../node_modules/.bin/buildifier");

const debPackageKey: ElementKey = (e) => {
  if (e.kind !== "call" || dottedName(e.callee) !== "deb.package") return undefined;
  const pkg = e.args[2]?.value;
  return pkg?.kind === "string" ? pkg.value : undefined;
};

function firstList(expr: Expr | undefined): ListExpr | undefined {
  if (expr === undefined) return undefined;
  if (expr.kind === "list") return expr;
  if (expr.kind === "other") return expr.children.find((c): c is ListExpr => c.kind === "list");
  return undefined;
}

function locate(file: StarlarkFile, c: Case): ListExpr {
  let list: ListExpr | undefined;
  if (c.list.call !== undefined) list = firstList(keywordArg(findCalls(file, c.list.call)[0]!, c.list.arg!)?.value);
  else {
    const value = topLevelAssignments(file).get(c.list.assign!)?.value;
    if (c.list.dictKey !== undefined && value?.kind === "dict") {
      list = firstList(value.entries.find((e) => e.key.kind === "string" && e.key.value === c.list.dictKey)?.value);
    } else list = firstList(value);
  }
  if (list === undefined) throw new Error(`list not found: ${JSON.stringify(c.list)}`);
  return list;
}

function apply(text: string, c: Case): string {
  const keyOf = c.key === "deb.package" ? debPackageKey : stringElementKey;
  let out = text;
  if (c.insert !== undefined) {
    const list = locate(parseStarlark(out), c);
    const code = (p: string) => (c.key === "deb.package" ? `deb.package(arch, distro, "${p}")` : JSON.stringify(p));
    let at: number | undefined;
    if (c.atEndOfKeyed) at = list.elements.findLastIndex((e) => keyOf(e) !== undefined) + 1;
    out = insertListElements(
      out,
      list,
      c.insert.map((p) => ({ code: code(p), key: p })),
      { keyOf, format: c.format, ...(at === undefined ? {} : { at }) },
    );
  }
  if (c.remove !== undefined) out = removeListElementsByKey(out, locate(parseStarlark(out), c), c.remove, keyOf);
  return out;
}

function buildifier(mode: "check" | "fix", text: string, format: "build" | "bzl"): { status: number | null; stdout: string } {
  const r = spawnSync(BUILDIFIER, [`--mode=${mode}`, `--type=${format}`, "-"], { input: text, encoding: "utf8" });
  if (r.error !== undefined) throw r.error;
  return r;
}

const buildifierClean = (text: string, format: "build" | "bzl"): boolean => buildifier("check", text, format).status === 0;

function buildifierFormat(text: string, format: "build" | "bzl"): string {
  const r = buildifier("fix", text, format);
  if (r.status !== 0) throw new Error(`buildifier cannot format:\n${text}`);
  return r.stdout;
}

describe("Starlark list editor golden cases", () => {
  for (const name of readdirSync(ROOT).sort()) {
    const dir = join(ROOT, name);
    if (!existsSync(join(dir, "case.json"))) continue;
    const c = JSON.parse(readFileSync(join(dir, "case.json"), "utf8")) as Case;
    const ext = c.format === "build" ? "BUILD" : "bzl";
    const input = readFileSync(join(dir, `input.${ext}`), "utf8");

    it(`${name}: matches the golden output`, async () => {
      const output = apply(input, c);
      await expect(output).toMatchFileSnapshot(join(dir, `output.${ext}`));
      expect(output).not.toBe(input);
    });

    it(`${name}: applying twice equals applying once; an empty edit returns the input`, () => {
      const once = apply(input, c);
      expect(apply(once, c)).toBe(once);
      expect(apply(input, { ...c, insert: c.insert === undefined ? undefined : [], remove: c.remove === undefined ? undefined : [] })).toBe(input);
    });

    it(`${name}: output re-lexes losslessly, re-parses, and holds exactly the expected elements`, () => {
      const output = apply(input, c);
      expect(
        lexStarlark(output)
          .map((t) => t.text)
          .join(""),
      ).toBe(output);
      const keyOf = c.key === "deb.package" ? debPackageKey : stringElementKey;
      const before = locate(parseStarlark(input), c).elements.map(keyOf);
      const after = locate(parseStarlark(output), c).elements.map(keyOf);
      const expected = [
        ...before.filter((k) => k === undefined || !(c.remove ?? []).includes(k)),
        ...(c.insert ?? []).filter((k) => !before.includes(k)),
      ];
      expect([...after].sort()).toEqual([...expected].sort());
      // Lines outside the edited list are untouched.
      const list = locate(parseStarlark(input), c);
      const outList = locate(parseStarlark(output), c);
      expect(output.slice(0, outList.open)).toBe(input.slice(0, list.open));
      expect(output.slice(outList.close)).toBe(input.slice(list.close));
    });

    if (c.insert !== undefined && c.roundtrip !== false) {
      it(`${name}: removing what was inserted gives back the input bytes`, () => {
        const output = apply(input, c);
        expect(apply(output, { ...c, insert: undefined, remove: c.insert })).toBe(input);
      });
    }

    // Some inputs are deliberately not buildifier-clean (CRLF, no final newline, two-space indent). For every case,
    // the edit applied to buildifier's formatting of the input is clean, and formatting the edited input gives that
    // same text: the edit adds nothing buildifier objects to, whatever the input's own style.
    it(`${name}: the edit keeps buildifier --mode=check clean (on the input as it is, or as buildifier formats it)`, () => {
      const formatted = buildifierFormat(input, c.format);
      const editedFormatted = apply(formatted, c);
      expect(buildifierClean(editedFormatted, c.format)).toBe(true);
      expect(buildifierFormat(apply(input, c), c.format)).toBe(editedFormatted);
      if (buildifierClean(input, c.format)) expect(buildifierClean(apply(input, c), c.format)).toBe(true);
    });
  }
});
