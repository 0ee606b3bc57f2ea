import { describe, expect, it } from "vitest";
import { relaunchExecArgv } from "./relaunch.js";

describe("relaunchExecArgv", () => {
  it("starts the CLI again with a 4 MB nursery before the options this process has", () => {
    expect(relaunchExecArgv([], {})).toEqual(["--max-semi-space-size=4"]);
    expect(relaunchExecArgv(["--enable-source-maps"], {})).toEqual(["--max-semi-space-size=4", "--enable-source-maps"]);
  });

  it("leaves the nursery to the user who sets it, on the command line or in NODE_OPTIONS", () => {
    expect(relaunchExecArgv(["--max-semi-space-size=32"], {})).toEqual(["--max-semi-space-size=32"]);
    expect(relaunchExecArgv([], { NODE_OPTIONS: "--max-semi-space-size=64" })).toEqual([]);
    expect(relaunchExecArgv([], { NODE_OPTIONS: "--semi-space-growth-factor=2" })).toEqual(["--max-semi-space-size=4"]);
  });
});
