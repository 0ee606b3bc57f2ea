import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ExitCode } from "./exit-codes.js";
import { MINIMUM_NODE_VERSION, unsupportedNodeMessage } from "./node-version.js";

const ROOT = join(import.meta.dirname, "..", "..");

describe("the Node.js version guard", () => {
  it.each(["16.18.0", "18.20.4", "20.9.0", "20.18.0", "v20.17.9", "19.99.99", "0.10.48"])("refuses %s", (version) => {
    expect(unsupportedNodeMessage(version)).toBe(`deb-lock needs Node.js >= 20.18.1 (this is v${version.replace(/^v/, "")})`);
  });

  it.each(["20.18.1", "20.18.2", "20.19.0", "21.0.0", "22.12.0", "24.0.0-pre", "100.0.0"])("accepts %s", (version) => {
    expect(unsupportedNodeMessage(version)).toBeUndefined();
  });

  it("agrees with package.json engines", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { engines: { node: string } };
    expect(pkg.engines.node).toBe(`>=${MINIMUM_NODE_VERSION}`);
  });

  it("lets the built launcher start the CLI on this Node.js", () => {
    const r = spawnSync(process.execPath, [join(ROOT, "dist/cli/bin.js"), "--version"], { encoding: "utf8" });
    expect(r.status).toBe(ExitCode.OK);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
