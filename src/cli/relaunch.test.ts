import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { relaunchExecArgv } from "./relaunch.js";

describe("relaunchExecArgv", () => {
  const defaults = ["--max-semi-space-size=4", "--heap-growing-percent=50"];

  it("starts the CLI again with a 4 MB nursery and a 50 % heap-growth step, before the options this process has", () => {
    expect(relaunchExecArgv([], {})).toEqual(defaults);
    expect(relaunchExecArgv(["--enable-source-maps"], {})).toEqual([...defaults, "--enable-source-maps"]);
  });

  it("leaves each of them to the user who sets it, on the command line or in NODE_OPTIONS, with - or _", () => {
    expect(relaunchExecArgv(["--max-semi-space-size=32"], {})).toEqual(["--heap-growing-percent=50", "--max-semi-space-size=32"]);
    expect(relaunchExecArgv([], { NODE_OPTIONS: "--max-semi-space-size=64" })).toEqual(["--heap-growing-percent=50"]);
    expect(relaunchExecArgv(["--heap_growing_percent=10"], {})).toEqual(["--max-semi-space-size=4", "--heap_growing_percent=10"]);
    expect(relaunchExecArgv([], { NODE_OPTIONS: "--max-semi-space-size=64 --heap-growing-percent=0" })).toEqual([]);
    expect(relaunchExecArgv([], { NODE_OPTIONS: "--semi-space-growth-factor=2" })).toEqual(defaults);
  });

  it("names only options this Node.js accepts", () => {
    const run = spawnSync(process.execPath, [...relaunchExecArgv([], {}), "-e", "0"], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
  });
});
