import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ParseError } from "../core/errors.js";
import { type Manifest, parseManifest, parseManifestYaml } from "./manifest.js";
import { readPlainManifest } from "./manifest-plain.js";

// readPlainManifest is a shortcut past the YAML reader: wherever it answers, its answer must be the YAML
// reader's, to the key order; wherever the YAML reader fails, it must not answer (the YAML reader's error is
// the one people see). The YAML reader is the oracle here.

const REPO = join(import.meta.dirname, "../..");

type Outcome = { ok: true; manifest: Manifest } | { ok: false; code: string };

function yamlOutcome(text: string): Outcome {
  try {
    return { ok: true, manifest: parseManifestYaml(text, "m.yaml") };
  } catch (e) {
    if (e instanceof ParseError) return { ok: false, code: e.code };
    throw e;
  }
}

/** Asserts the plain reader agrees with the YAML reader on `text`; returns whether it answered. */
function agrees(text: string): boolean {
  const plain = readPlainManifest(text);
  if (plain === undefined) return false;
  const reference = yamlOutcome(text);
  expect(reference, `the plain reader read a manifest the YAML reader rejects:\n${text}`).toMatchObject({ ok: true });
  if (!reference.ok) return true;
  expect(plain, text).toStrictEqual(reference.manifest);
  expect(JSON.stringify(plain), text).toBe(JSON.stringify(reference.manifest));
  return true;
}

/** Every YAML file of the repository (manifests of fixtures, examples and the bench workspace, and others). */
function repoYamlFiles(dir = REPO, rel = ""): string[] {
  return readdirSync(join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const path = rel === "" ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) return ["node_modules", ".git", "dist", ".bench-cache"].includes(e.name) ? [] : repoYamlFiles(dir, path);
    return /\.ya?ml$/.test(e.name) ? [path] : [];
  });
}

const FILES = repoYamlFiles();
const TEXTS = FILES.map((f) => readFileSync(join(REPO, f), "utf8"));

describe("readPlainManifest", () => {
  it("agrees with the YAML reader on every YAML file of the repository, and reads the plain manifests among them", () => {
    expect(FILES.length).toBeGreaterThan(40);
    const read = FILES.filter((_, i) => agrees(TEXTS[i]!));
    // The manifests an offline check of the bench workspace reads, and rules_distroless's own examples.
    for (const f of FILES.filter((f) => f.startsWith("bench/workspace/") || f.includes("rules-distroless-minimal/"))) expect(read).toContain(f);
    expect(read.length).toBeGreaterThan(30);
    // Outside the form: CRLF line ends (the YAML reader reads them; the plain one leaves them to it).
    expect(read).not.toContain("test/fixtures/edit/manifest/add-crlf/input.yaml");
  });

  it("reads the plain form, comments, quotes, urls lists and compact lists", () => {
    const text = [
      "# head",
      "version: 1 # the only one",
      "sources:",
      "- channel: bookworm main # c",
      "  url: 'https://snapshot.debian.org/archive/debian/20240706T203757Z'",
      "  # between",
      "- urls:",
      "  - https://a.example/debian-security",
      '  - "https://b.example/debian-security"',
      "  channel: bookworm-security main contrib",
      "archs: [ amd64 , 'arm64' ] # flow",
      "packages:",
      "    -   libstdc++6 (>= 12)   # deb-lock: no-arch=arm64 reason",
      "# at column 0, inside the list",
      '    - "tzdata=2024a-0+deb12u1"',
      "    - 2ping",
    ].join("\n");
    expect(agrees(text)).toBe(true);
    expect(readPlainManifest(text)?.packages.map((p) => [p.spec, p.comment, p.line, p.col])).toEqual([
      ["libstdc++6 (>= 12)", "deb-lock: no-arch=arm64 reason", 13, 9],
      ["tzdata=2024a-0+deb12u1", undefined, 15, 7],
      ["2ping", undefined, 16, 7],
    ]);
  });

  it("leaves to the YAML reader what it cannot read exactly, invalid manifests included", () => {
    const base = "version: 1\nsources:\n  - channel: bookworm main\n    url: https://x.example/debian\narchs: [amd64]\npackages:\n  - libc6\n";
    expect(readPlainManifest(base)).toBeDefined();
    const outside = [
      base.replace("version: 1", "version: 1.0"), // the number 1 to YAML, another spelling here
      base.replace("version: 1", "version: '1'"), // a string: invalid
      base.replace("- libc6", "- null"), // YAML's null
      base.replace("- libc6", "- 0x1f"), // a number
      base.replace("- libc6", "- 0ad"), // a string, but spelled with number characters only
      base.replace("- libc6", "- libc6\n    libfoo"), // a scalar continued on the next line
      base.replace("- libc6", "- libc6\n  - libc6"), // listed twice: the YAML reader's error
      base.replace("- libc6", "- &a libc6"), // an anchor
      base.replace("- libc6", '- "lib\\u0063"'), // an escape
      base.replace("archs: [amd64]", "archs: [amd64,\n  arm64]"), // a flow list over two lines
      base.replace("archs: [amd64]", "archs: [amd64, amd64]"),
      base.replace("archs: [amd64]", "archs: []"),
      base.replace("url:", "urls:"),
      base.replace("bookworm main", "bookworm"),
      `${base}extra: 1\n`, // a key the manifest format does not have
      `${base}packages: []\n`, // a key twice
      `---\n${base}`,
      base.replaceAll("\n", "\r\n"),
      base.replace("  - libc6", "\t- libc6"),
      base.replace("libc6", "libc6é"),
    ];
    for (const text of outside) {
      expect(readPlainManifest(text), text).toBeUndefined();
      expect(() => parseManifest(text, "m.yaml")).not.toThrow(TypeError);
    }
  });

  it("never disagrees with the YAML reader on generated manifests, and reads many of them", () => {
    let read = 0;
    let runs = 0;
    fc.assert(
      fc.property(manifestText(), (text) => {
        runs++;
        if (agrees(text)) read++;
      }),
      { numRuns: 2000 },
    );
    // Both paths are exercised: the plain reader answers for many texts and leaves many others.
    expect(read).toBeGreaterThan(runs * 0.25);
    expect(read).toBeLessThan(runs * 0.95);
  });

  it("never disagrees with the YAML reader on mutated manifests of the repository", () => {
    const manifests = TEXTS.filter((t) => readPlainManifest(t) !== undefined);
    fc.assert(
      fc.property(fc.constantFrom(...manifests), fc.array(mutation(), { minLength: 1, maxLength: 3 }), (text, mutations) => {
        agrees(mutations.reduce((t, m) => m(t), text));
      }),
      { numRuns: 2000 },
    );
  });
});

// ---- generators ------------------------------------------------------------------------------------------

const mostly = <T>(usual: readonly T[], odd: readonly T[]): fc.Arbitrary<T> =>
  fc.oneof({ arbitrary: fc.constantFrom(...usual), weight: 30 }, { arbitrary: fc.constantFrom(...odd), weight: 1 });

const PACKAGES = ["libc6", "base-files", "ca-certificates", "libstdc++6 (>= 12)", "tzdata=2024a-0+deb12u1", "python3.11", "2ping", "7zip"];
const ODD_PACKAGES = [
  ...["null", "Null", "NULL", "~", "true", "False", "yes", "on", "1", "-1", "0ad", "1e5", "0x1f", "0o17", "1.5", ".inf", "-.inf", ".nan"],
  ...["a b", "Libc6", "libc6:", "libc6: x", "lib#c", "lib #c", " libc6", "it's", 'q"uote', "back\\slash", "", " ", "-x", "x (>= )"],
  ...["x (>=1.0)", "x =1.0", "pkg{1}", "a,b", "[a]", "&a", "*a", "!!str a", "? a", "%a", "@a", "`a`", "a|b", "a>b", "é", "a\tb"],
  ...["pkg (<< 1:2.3~rc1)", "pkg (= 1:2.3+dfsg-1)", "x(=1)", "x=1:2", "x=1 ", "libc6"],
];
const ARCHS = ["amd64", "arm64", "armhf", "s390x", "ppc64el"];
const ODD_ARCHS = ["AMD64", "amd64", "1", "-x", "x_y", "null", "i386 # c", "arm 64"];
const CHANNELS = ["bookworm main", "bookworm-security main contrib", "bullseye-backports main non-free-firmware"];
const ODD_CHANNELS = [
  "bookworm",
  "bookworm  main",
  "bookworm/updates main",
  "../x main",
  "sid main:x",
  "a:b main",
  " bookworm main ",
  "bookworm main ~x",
];
const URLS = ["https://snapshot.debian.org/archive/debian/20240706T203757Z", "http://127.0.0.1:8080/debian/", "file:///srv/debian"];
const ODD_URLS = ["https://a.example/debian?x=1", "https://a.example/debian#frag", "", "https://u@h/debian", "http://h/a b", "h: x", "1", "true"];

const quoted = (values: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc
    .tuple(values, mostly(["plain"], ["plain", "single", "double"]))
    .map(([v, q]) => (q === "single" ? `'${v.replaceAll("'", "''")}'` : q === "double" ? `"${v}"` : v));
const trailing = mostly(["", "", " # c", "  # deb-lock: no-arch=arm64 reason"], ["#c", " #", " # a # b", "   ", " - x"]);
const ownLine = mostly([""], ["", "# note", "  # indented note", "#- a: b", "    "]);

/** Up to 5 values, mostly different ones (a value listed twice is an error of the manifest). */
function items(values: fc.Arbitrary<string>, { minLength }: { minLength: number }): fc.Arbitrary<string[]> {
  const unique = fc.uniqueArray(quoted(values), { minLength, maxLength: 5 });
  return fc.oneof({ arbitrary: unique, weight: 8 }, { arbitrary: unique.map((vs) => [...vs, ...vs.slice(0, 1)]), weight: 1 });
}

/** A block list (`- a` lines) or a flow list (`[a, b]`) of values, or something else in its place. */
function list(values: fc.Arbitrary<string>, keyIndent: string, minLength = 1): fc.Arbitrary<string> {
  const block = fc
    .tuple(
      mostly(["  ", ""], [" ", "    ", "   "]),
      mostly(["- "], ["-  ", "-", "-\t"]),
      items(values, { minLength: 1 }).chain((vs) => fc.tuple(...vs.map((v) => fc.tuple(fc.constant(v), trailing, ownLine)))),
    )
    .map(([indent, dash, items]) => items.map(([v, t, c]) => `\n${keyIndent}${indent}${dash}${v}${t}${c === "" ? "" : `\n${c}`}`).join(""));
  const flow = fc
    .tuple(
      fc.oneof({ arbitrary: items(values, { minLength }), weight: 9 }, { arbitrary: fc.constant([]), weight: 1 }),
      mostly([", "], [",", " , ", ",\n  "]),
      mostly(["", " "], ["  ", ",", ", "]),
      trailing,
    )
    .map(([items, sep, pad, t]) => ` [${pad}${items.join(sep)}${pad.includes(",") && items.length === 0 ? "" : pad}]${t}`);
  return fc.oneof(
    { arbitrary: block, weight: 12 },
    { arbitrary: flow, weight: 8 },
    { arbitrary: fc.constantFrom("", " null", " x", " {}"), weight: 1 },
  );
}

function source(seqIndent: string): fc.Arbitrary<string> {
  return fc
    .tuple(
      mostly(["- "], ["-  ", `-\n${seqIndent}  `]),
      quoted(mostly(CHANNELS, ODD_CHANNELS)),
      fc.oneof(
        { arbitrary: quoted(mostly(URLS, ODD_URLS)).map((u) => ({ key: "url", value: ` ${u}` })), weight: 3 },
        { arbitrary: fc.constant(null), weight: 1 },
      ),
      trailing,
      fc.boolean(),
      mostly(["none"], ["none", "dup", "extra", "nochannel"]),
    )
    .chain(([dash, channel, url, t, urlFirst, odd]) => {
      const mapIndent = seqIndent + " ".repeat(dash.startsWith("-\n") ? 2 : dash.length);
      const urlField = url === null ? list(mostly(URLS, ODD_URLS), mapIndent).map((l) => `urls:${l}`) : fc.constant(`url:${url.value}${t}`);
      return urlField.map((u) => {
        const fields = [`channel: ${channel}${t}`, u];
        if (urlFirst) fields.reverse();
        if (odd === "dup") fields.push(fields[0]!);
        if (odd === "extra") fields.push("priority: 1");
        if (odd === "nochannel") fields.splice(fields.indexOf(`channel: ${channel}${t}`), 1);
        return `\n${seqIndent}${dash}${fields.join(`\n${mapIndent}`)}`;
      });
    });
}

function manifestText(): fc.Arbitrary<string> {
  const version = mostly([" 1", " 1 # only version"], [" 1.0", " '1'", ' "1"', " 2", " 01", "", " 1 1", " 0x1"]).map((v) => `version:${v}`);
  const sources = fc
    .tuple(mostly(["  ", ""], [" ", "    "]), fc.integer({ min: 1, max: 3 }))
    .chain(([indent, n]) => fc.array(source(indent), { minLength: n, maxLength: n }))
    .map((s) => `sources:${s.join("")}`);
  const archs = list(mostly(ARCHS, ODD_ARCHS), "").map((l) => `archs:${l}`);
  const packages = list(mostly(PACKAGES, ODD_PACKAGES), "", 0).map((l) => `packages:${l}`);
  const odd = fc.constantFrom("extra: 1", "archs: [amd64]", "  nested: 1", "---", "...", "%YAML 1.2", "? x", "- x", "[a]");
  return fc
    .tuple(
      version,
      sources,
      archs,
      packages,
      fc.oneof({ arbitrary: fc.constant([]), weight: 20 }, { arbitrary: odd.map((o) => [o]), weight: 1 }),
      fc.shuffledSubarray([0, 1, 2, 3, 4], { minLength: 5, maxLength: 5 }),
      fc.oneof({ arbitrary: fc.constant(-1), weight: 20 }, { arbitrary: fc.integer({ min: 0, max: 3 }), weight: 1 }),
      mostly(["\n", "\n\n", "\n# --\n"], ["\n  \n", "\n#\n"]),
      mostly(["\n", ""], ["\n\n", " ", "\n# end"]),
      mostly(["lf"], ["lf", "crlf", "tab", "bom"]),
    )
    .map(([v, s, a, p, extra, order, drop, sep, end, form]) => {
      const parts = [v, s, a, p, ...extra];
      const ordered = order.filter((i) => i < parts.length && i !== drop).map((i) => parts[i]!);
      let text = ordered.join(sep) + end;
      if (form === "crlf") text = text.replaceAll("\n", "\r\n");
      if (form === "tab") text = text.replace("  -", "\t-");
      if (form === "bom") text = `\uFEFF${text}`;
      return text;
    });
}

/** One small edit of a text: a character inserted, a few removed, a line repeated or re-indented. */
function mutation(): fc.Arbitrary<(text: string) => string> {
  const at = (text: string, f: number): number => Math.floor(f * text.length);
  const lineAt = (text: string, f: number): [number, number] => {
    const i = at(text, f);
    const start = text.lastIndexOf("\n", i - 1) + 1;
    const end = text.indexOf("\n", i);
    return [start, end < 0 ? text.length : end];
  };
  const f = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
  return fc.oneof(
    fc.tuple(f, fc.constantFrom(" ", "-", ":", "#", '"', "'", "[", "]", ",", "{", "\n", "\t", "x", "1", "&", "!", "|", ">", "\\", "%", "  ")).map(
      ([p, c]) =>
        (t: string) =>
          t.slice(0, at(t, p)) + c + t.slice(at(t, p)),
    ),
    fc.tuple(f, fc.integer({ min: 1, max: 3 })).map(
      ([p, n]) =>
        (t: string) =>
          t.slice(0, at(t, p)) + t.slice(at(t, p) + n),
    ),
    f.map((p) => (t: string) => {
      const [s, e] = lineAt(t, p);
      return `${t.slice(0, e)}\n${t.slice(s, e)}${t.slice(e)}`;
    }),
    fc.tuple(f, fc.constantFrom(-2, -1, 1, 2)).map(([p, d]) => (t: string) => {
      const [s] = lineAt(t, p);
      if (d > 0) return t.slice(0, s) + " ".repeat(d) + t.slice(s);
      return t.slice(s, s - d).trim() === "" ? t.slice(0, s) + t.slice(s - d) : t;
    }),
  );
}
