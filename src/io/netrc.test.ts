import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findNetrcCredentials, parseNetrc, readNetrc } from "./netrc.js";

describe("parseNetrc", () => {
  it("reads the multi-line form with comments", () => {
    const entries = parseNetrc(
      [
        "# private mirror",
        "machine Mirror.Example.com",
        "  login alice",
        "  password s3cret # trailing",
        "",
        "default",
        "  login anon",
        "  password guest",
        "",
      ].join("\n"),
    );
    expect(entries).toEqual([
      { machine: "mirror.example.com", login: "alice", password: "s3cret" },
      { machine: undefined, login: "anon", password: "guest" },
    ]);
  });

  it("reads the single-line form, account tokens and quoted passwords", () => {
    const entries = parseNetrc('machine a.example login u1 account acc password p1 machine b.example login u2 password "with space\\"q"\n');
    expect(entries).toEqual([
      { machine: "a.example", login: "u1", password: "p1" },
      { machine: "b.example", login: "u2", password: 'with space"q' },
    ]);
  });

  it("skips macdef bodies up to the blank line", () => {
    const entries = parseNetrc(["macdef init", "machine evil.example login x password y", "", "machine good.example login g password h"].join("\n"));
    expect(entries).toEqual([{ machine: "good.example", login: "g", password: "h" }]);
  });
});

describe("findNetrcCredentials", () => {
  const entries = parseNetrc("machine a.example login ua password pa\ndefault login ud password pd\n");
  it("prefers the machine entry, falls back to default", () => {
    expect(findNetrcCredentials(entries, "A.example")).toEqual({ username: "ua", password: "pa" });
    expect(findNetrcCredentials(entries, "b.example")).toEqual({ username: "ud", password: "pd" });
  });
  it("finds nothing without a matching machine or default", () => {
    expect(findNetrcCredentials(parseNetrc("machine a.example login ua password pa"), "b.example")).toBeUndefined();
  });
});

describe("readNetrc", () => {
  it("reads a file and treats a missing one as empty", async () => {
    const dir = await mkdtemp(join(tmpdir(), "netrc-"));
    try {
      await writeFile(join(dir, "netrc"), "machine h login l password p\n");
      expect(await readNetrc(join(dir, "netrc"))).toEqual([{ machine: "h", login: "l", password: "p" }]);
      expect(await readNetrc(join(dir, "absent"))).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
