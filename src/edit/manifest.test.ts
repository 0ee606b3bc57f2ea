import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isMap, isScalar, isSeq, parseDocument } from "yaml";
import { ParseError } from "../core/errors.js";
import {
  addManifestPackages,
  formatMarker,
  isPlainWord,
  type Manifest,
  markerOf,
  parseManifest,
  parsePackageSpec,
  removeManifestPackages,
  rewriteSourceUrls,
  setManifestPackageComments,
} from "./manifest.js";

const GOLDEN = join(import.meta.dirname, "../../test/fixtures/edit/manifest");
const LOCK_FIXTURES = join(import.meta.dirname, "../../test/fixtures/lock");

interface EditCase {
  op: "add" | "remove" | "rewrite-urls" | "set-comments";
  comments?: Record<string, string | null>;
  packages?: Array<{ name: string; comment?: string }>;
  names?: string[];
  from?: string;
  to?: string;
  expect: { packages?: string[]; urls?: string[][]; comments?: Array<string | null> };
}

function apply(text: string, edit: EditCase): string {
  switch (edit.op) {
    case "add":
      return addManifestPackages(text, edit.packages!, "input.yaml");
    case "remove":
      return removeManifestPackages(text, edit.names!, "input.yaml");
    case "rewrite-urls":
      return rewriteSourceUrls(text, (url) => (url.includes(edit.from!) ? url.replace(edit.from!, edit.to!) : undefined), "input.yaml");
    case "set-comments":
      return setManifestPackageComments(text, new Map(Object.entries(edit.comments!).map(([k, v]) => [k, v ?? undefined])), "input.yaml");
  }
}

/** The edit that leaves a manifest as it is: add what is there, remove what is not, rewrite nothing. */
function noOp(text: string, edit: EditCase): string {
  const names = parseManifest(text, "x").packages.map((p) => p.name);
  switch (edit.op) {
    case "add":
      return addManifestPackages(
        text,
        names.map((name) => ({ name })),
      );
    case "remove":
      return removeManifestPackages(text, ["not-in-any-manifest"]);
    case "rewrite-urls":
      return rewriteSourceUrls(text, (url) => url);
    case "set-comments":
      return setManifestPackageComments(text, new Map(parseManifest(text, "x").packages.map((p) => [p.name, p.comment])));
  }
}

describe("manifest golden edits", () => {
  const cases = readdirSync(GOLDEN).filter((d) => existsSync(join(GOLDEN, d, "edit.json")));
  it("has cases", () => expect(cases.length).toBeGreaterThanOrEqual(10));
  for (const name of cases) {
    it(name, async () => {
      const dir = join(GOLDEN, name);
      const input = readFileSync(join(dir, "input.yaml"), "utf8");
      const edit = JSON.parse(readFileSync(join(dir, "edit.json"), "utf8")) as EditCase;
      const output = apply(input, edit);
      await expect(output).toMatchFileSnapshot(join(dir, "output.yaml"));
      expect(output).not.toBe(input);
      // Applying twice equals applying once; the no-op edit returns the input itself.
      expect(apply(output, edit)).toBe(output);
      expect(noOp(input, edit)).toBe(input);
      // The output reads back with the intended value.
      const parsed = parseManifest(output, "output.yaml");
      if (edit.expect.packages) expect(parsed.packages.map((p) => p.name)).toEqual(edit.expect.packages);
      if (edit.expect.urls) expect(parsed.sources.map((s) => s.urls)).toEqual(edit.expect.urls);
      if (edit.expect.comments) expect(parsed.packages.map((p) => p.comment ?? null)).toEqual(edit.expect.comments);
      const before = parseManifest(input, "input.yaml");
      expect(parsed.archs).toEqual(before.archs);
      if (edit.op !== "rewrite-urls") expect(parsed.sources).toEqual(before.sources);
      // Untouched lines stay, in order.
      const touched = (line: string): boolean =>
        [...(edit.names ?? []), ...Object.keys(edit.comments ?? {})].some((n) => line.includes(n)) ||
        (edit.from !== undefined && line.includes(edit.from)) ||
        /^\s*packages:/.test(line);
      const outLines = output.split("\n");
      let at = 0;
      for (const line of input.split("\n").filter((l) => !touched(l))) {
        const found = outLines.indexOf(line, at);
        expect(found, `line ${JSON.stringify(line)} kept`).toBeGreaterThanOrEqual(0);
        at = found + 1;
      }
      // No line ending style is mixed in.
      if (input.includes("\r\n")) expect(output.replaceAll("\r\n", "")).not.toContain("\n");
    });
  }
});

describe("parseManifest", () => {
  it("reads the real rules_distroless example manifest (urls, quoted entries, several sources)", () => {
    const m: Manifest = parseManifest(readFileSync(join(LOCK_FIXTURES, "rules-distroless-bullseye.yaml"), "utf8"), "bullseye.yaml");
    expect(m.version).toBe(1);
    expect(m.archs).toEqual(["amd64", "arm64"]);
    expect(m.sources.map((s) => [s.suite, s.components, s.urlField, s.urls.length])).toEqual([
      ["bullseye", ["main", "contrib"], "urls", 2],
      ["bullseye-security", ["main"], "url", 1],
      ["bullseye-updates", ["main"], "url", 1],
      ["cloud-sdk", ["main"], "url", 1],
    ]);
    expect(m.sources[2]!.urls[0]).toBe("https://snapshot-cloudflare.debian.org/archive/debian/20240210T223313Z/");
    expect(m.packages.map((p) => p.name)).toEqual([
      "ncurses-base",
      "libncurses6",
      "tzdata",
      "coreutils",
      "dpkg",
      "apt",
      "perl",
      "ca-certificates",
      "nvidia-kernel-common",
      "bash",
      "nginx-full",
      "nginx-core",
      "google-cloud-cli",
    ]);
    expect(m.packages[0]).toMatchObject({ spec: "ncurses-base", line: 29, col: 5 });
  });

  it("reads specs, constraints, comments and markers", () => {
    const m = parseManifest(readFileSync(join(GOLDEN, "add-block-comments/input.yaml"), "utf8"), "x.yaml");
    expect(m.packages.map((p) => [p.name, p.constraint, p.comment])).toEqual([
      ["base-files", undefined, undefined],
      ["ca-certificates", undefined, "trust store"],
      ["libgcc-s1", undefined, undefined],
      ["libstdc++6", { op: ">=", version: "12" }, undefined],
      ["tzdata", { op: "=", version: "2024a-0+deb12u1" }, undefined],
    ]);
    const withMarkers = parseManifest(readFileSync(join(GOLDEN, "add-block-comments/output.yaml"), "utf8"), "x.yaml");
    expect(withMarkers.packages.map((p) => markerOf(p)?.dependencyOf ?? null)).toEqual([null, null, null, null, null, ["ffmpeg"], null]);
  });

  it("parses the package spec forms", () => {
    expect(parsePackageSpec("libc6")).toEqual({ name: "libc6" });
    expect(parsePackageSpec("pkg (>= 1.2)")).toEqual({ name: "pkg", constraint: { op: ">=", version: "1.2" } });
    expect(parsePackageSpec("pkg (=1.2)")).toEqual({ name: "pkg", constraint: { op: "=", version: "1.2" } });
    expect(parsePackageSpec("pkg=1:1.2-3")).toEqual({ name: "pkg", constraint: { op: "=", version: "1:1.2-3" } });
    expect(parsePackageSpec("pkg(<<2~rc1)")).toEqual({ name: "pkg", constraint: { op: "<<", version: "2~rc1" } });
    for (const bad of ["pkg (> 1)", "pkg (>= )", "Pkg", "pkg 1.2", "pkg=", "pkg (>= a b)", "pkg=1.2=3", "pkg (= 1:)"]) {
      expect(parsePackageSpec(bad), bad).toHaveProperty("error");
    }
  });

  it("formats and reads markers", () => {
    expect(formatMarker({ dependencyOf: ["ffmpeg", "libavcodec59"] })).toBe("dependency of ffmpeg, libavcodec59");
    expect(markerOf("dependency of ffmpeg, libavcodec59")).toEqual({ dependencyOf: ["ffmpeg", "libavcodec59"] });
    expect(markerOf("trust store")).toBeUndefined();
    expect(markerOf(undefined)).toBeUndefined();
  });

  const base = "version: 1\nsources:\n  - channel: bookworm main\n    url: https://x\narchs: [amd64]\npackages:\n  - libc6\n";
  const bad: Array<[string, string, number, RegExp]> = [
    ["version 2", base.replace("version: 1", "version: 2"), 1, /version 2/],
    ["no sources", base.replace(/sources:\n.*\n.*\n/, ""), 1, /sources/],
    ["channel without component", base.replace("bookworm main", "bookworm"), 3, /component/],
    ["source without url", base.replace("    url: https://x\n", ""), 3, /neither url nor urls/],
    ["bad spec", base.replace("- libc6", "- libc6 (~> 2)"), 7, /libc6/],
    ["duplicate package", `${base}  - libc6 (>= 2.36)\n`, 8, /listed twice/],
    ["packages not a list", base.replace("packages:\n  - libc6\n", "packages: libc6\n"), 6, /packages must be a list/],
    ["invalid YAML", base.replace("archs: [amd64]", "archs: [amd64"), 6, /invalid YAML/],
    ["duplicate key", `${base}archs: [arm64]\n`, 8, /invalid YAML/],
  ];
  for (const [what, text, line, message] of bad) {
    it(`rejects ${what} with BAD_MANIFEST and a position`, () => {
      let error: unknown;
      try {
        parseManifest(text, "private/repos/deb/x.yaml");
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ParseError);
      expect(error).toMatchObject({ code: "BAD_MANIFEST", file: "private/repos/deb/x.yaml", line });
      expect((error as ParseError).message).toMatch(message);
      expect((error as ParseError).col).toBeGreaterThan(0);
    });
  }

  it("keeps a multi-line flow list's trailing comma when removing", () => {
    const text = "version: 1\nsources: [{channel: a b, url: u}]\narchs: [amd64]\npackages: [\n  libc6,\n  tzdata,\n  netbase,\n]\n";
    expect(removeManifestPackages(text, ["tzdata"])).toBe(
      "version: 1\nsources: [{channel: a b, url: u}]\narchs: [amd64]\npackages: [\n  libc6,\n  netbase,\n]\n",
    );
  });

  it("writes a version constraint into the entry, and refuses a bad version", () => {
    const text = "version: 1\nsources: [{channel: a b, url: u}]\narchs: [amd64]\npackages:\n  - libc6\n";
    const out = addManifestPackages(text, [{ name: "libpq5", constraint: { op: "=", version: "15.18-0+deb12u1" } }]);
    expect(out).toBe(`${text}  - libpq5 (= 15.18-0+deb12u1)\n`);
    expect(parseManifest(out, "m.yaml").packages[1]).toMatchObject({ name: "libpq5", constraint: { op: "=", version: "15.18-0+deb12u1" } });
    expect(() => addManifestPackages(text, [{ name: "libpq5", constraint: { op: "=", version: "not a version" } }])).toThrow(
      expect.objectContaining({ code: "BAD_VERSION" }),
    );
  });

  it("refuses edits it cannot make losslessly, and bad input", () => {
    const flowWithComment = "version: 1\nsources: [{channel: a b, url: u}]\narchs: [amd64]\npackages: [\n  libc6, # c\n]\n";
    expect(() => addManifestPackages(flowWithComment, [{ name: "x", comment: "dependency of y" }])).toThrow(
      expect.objectContaining({ code: "MANIFEST_EDIT_UNSUPPORTED" }),
    );
    expect(() => addManifestPackages(base, [{ name: "Bad Name" }])).toThrow(expect.objectContaining({ code: "BAD_PACKAGE_NAME" }));
    expect(() => addManifestPackages(base, [{ name: "x", comment: "two\nlines" }])).toThrow(expect.objectContaining({ code: "BAD_COMMENT" }));
  });
});

describe("manifest edit properties", () => {
  const names = fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9+.-]{0,10}$/), { minLength: 1, maxLength: 6 });
  const layout = fc.record({
    indent: fc.constantFrom("", "  ", "    "),
    dash: fc.constantFrom("- ", "-   "),
    quote: fc.constantFrom("", '"', "'"),
    newline: fc.constantFrom("\n", "\r\n"),
    finalNewline: fc.boolean(),
    flow: fc.boolean(),
    comments: fc.array(fc.option(fc.stringMatching(/^[a-z][a-z ,]{0,12}[a-z]$/), { nil: undefined }), { minLength: 6, maxLength: 6 }),
  });
  type Layout = typeof layout extends fc.Arbitrary<infer T> ? T : never;
  const render = (pkgs: readonly string[], l: Layout): string => {
    const nl = l.newline;
    const head = [
      "# manifest",
      "version: 1",
      "sources:",
      `${l.indent}${l.dash}channel: trixie main`,
      `${l.indent}${" ".repeat(l.dash.length)}url: https://snapshot.debian.org/archive/debian/20260719T202153Z`,
      "archs: [amd64]",
    ];
    const q = (n: string): string => `${l.quote}${n}${l.quote}`;
    const body = l.flow
      ? [`packages: [${pkgs.map(q).join(", ")}] # list`]
      : ["packages:", ...pkgs.map((p, i) => `${l.indent}${l.dash}${q(p)}${l.comments[i] ? ` # ${l.comments[i]}` : ""}`)];
    return [...head, ...body].join(nl) + (l.finalNewline ? nl : "");
  };

  it("add then remove gives the original bytes; add is idempotent; remove leaves the rest", () => {
    fc.assert(
      fc.property(names, names, layout, (existing, extra, l) => {
        const text = render(existing, l);
        const fresh = extra.filter((n) => !existing.includes(n));
        expect(parseManifest(text, "p.yaml").packages.map((p) => p.name)).toEqual(existing);
        const added = addManifestPackages(
          text,
          fresh.map((name) => ({ name })),
        );
        expect(parseManifest(added, "p.yaml").packages.map((p) => p.name)).toEqual([...existing, ...fresh]);
        expect(
          addManifestPackages(
            added,
            fresh.map((name) => ({ name })),
          ),
        ).toBe(added);
        expect(removeManifestPackages(added, fresh)).toBe(text);
        const gone = existing.filter((_, i) => i % 2 === 0);
        const removed = removeManifestPackages(text, gone);
        expect(parseManifest(removed, "p.yaml").packages.map((p) => p.name)).toEqual(existing.filter((n) => !gone.includes(n)));
        if (l.newline === "\r\n") expect(removed.replaceAll("\r\n", "")).not.toContain("\n");
      }),
      { numRuns: 300 },
    );
  });
});

describe("isPlainWord", () => {
  // The oracle: the YAML parser reads the word, written plain, back as that very string in each context it is written in.
  const readsBack = (word: string): boolean =>
    [`- ${word}\n`, `[${word}]\n`, `k: ${word}\n`].every((probe) => {
      const doc = parseDocument(probe);
      const node = doc.contents;
      const scalar = isSeq(node) ? node.items[0] : isMap(node) ? node.items[0]?.value : undefined;
      return doc.errors.length === 0 && isScalar(scalar) && scalar.type === "PLAIN" && scalar.value === word;
    });

  it("is true only for words YAML reads back unchanged", () => {
    const words = fc.stringMatching(/^[a-z0-9+.\-nulltrfs]{1,10}$/);
    fc.assert(
      fc.property(words, (w) => !isPlainWord(w) || readsBack(w)),
      { numRuns: 3000 },
    );
    for (const w of ["null", "true", "false", "1.2", ".inf", "0x1f", "-a", "+a", "1e3"]) expect(isPlainWord(w)).toBe(false);
    for (const w of ["libc6", "libstdc++6", "python3.11-minimal", "ffmpeg", "nulls", "truex"]) {
      expect(isPlainWord(w)).toBe(true);
      expect(readsBack(w)).toBe(true);
    }
  });
});
