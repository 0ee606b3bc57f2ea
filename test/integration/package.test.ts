import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MINIMUM_NODE_VERSION } from "../../src/cli/node-version.js";

const ROOT = join(import.meta.dirname, "../..");

describe("the published package", () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
    bin: Record<string, string>;
    engines: { node: string };
    scripts: Record<string, string>;
  };
  // What `npm publish` would upload (prepare has built dist/).
  const packed = JSON.parse(execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: ROOT, encoding: "utf8" })) as {
    files: { path: string }[];
  }[];
  const files = packed[0]!.files.map((f) => f.path);

  it("holds the launcher, the CLI, the archive keys and the templates the CLI reads, and no tests or sources", () => {
    expect(pkg.bin).toEqual({ "deb-lock": "dist/cli/bin.js" });
    expect(files).toEqual(
      expect.arrayContaining([
        "dist/cli/bin.js",
        "dist/cli/node-version.js",
        "dist/cli/main.js",
        "templates/pr-body.md",
        "templates/renovate.json",
        "keys/debian-archive-trixie-stable.gpg",
        "README.md",
        "package.json",
      ]),
    );
    expect(files.filter((f) => /\.test\.|^src\/|^test\/|\.ts$|^\.npmrc$/.test(f))).toEqual([]);
    expect(readFileSync(join(ROOT, "dist/cli/bin.js"), "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
  });

  it("declares the Node.js it needs, and builds on install from git", () => {
    expect(pkg.engines.node).toBe(`>=${MINIMUM_NODE_VERSION}`);
    expect(pkg.scripts.prepare).toBe("npm run build");
  });
});
