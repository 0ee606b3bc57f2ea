import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  DebLockError,
  FetchError,
  InternalError,
  InterruptedError,
  ParseError,
  ProblemError,
  UsageError,
  VerificationError,
} from "../core/errors.js";
import { EXIT_CODES, ExitCode, exitCodeFor, formatExitCodesHelp, formatExitCodesMarkdown } from "./exit-codes.js";
import { generalHelp } from "./run.js";

describe("exit codes", () => {
  it("the README's table is the table of src/cli/exit-codes.ts", () => {
    const readme = readFileSync(join(import.meta.dirname, "../../README.md"), "utf8");
    const section = readme.slice(readme.indexOf("### Exit codes"));
    const table = section.slice(section.indexOf("| code |")).split("\n\n")[0];
    expect(table).toBe(formatExitCodesMarkdown());
  });

  it("help prints the same table", async () => {
    expect(await generalHelp()).toContain(formatExitCodesHelp());
    for (const e of EXIT_CODES) expect(formatExitCodesHelp()).toMatch(new RegExp(`^  ${e.code} +\\S`, "m"));
  });

  it("the error class decides the code", () => {
    expect(exitCodeFor(new UsageError("x"))).toBe(2);
    expect(exitCodeFor(new FetchError("HTTP_STATUS", "x", { url: "http://127.0.0.1/" }))).toBe(3);
    expect(exitCodeFor(new VerificationError("BAD_SIGNATURE", "x"))).toBe(3);
    expect(exitCodeFor(new ParseError("BAD_MANIFEST", "x", { file: "m.yaml" }))).toBe(1);
    expect(exitCodeFor(new ProblemError("LOCK_MISSING", "x"))).toBe(1);
    expect(exitCodeFor(new DebLockError("LOCK_MISSING", "x"))).toBe(1);
    expect(exitCodeFor(new InternalError("EDIT_OVERLAP", "x"))).toBe(70);
    expect(exitCodeFor(new TypeError("x"))).toBe(70);
    expect(exitCodeFor(new InterruptedError("SIGINT", "x"))).toBe(130);
    expect(exitCodeFor(new InterruptedError("SIGTERM", "x"))).toBe(143);
    expect(ExitCode).toEqual({ OK: 0, PROBLEMS: 1, USAGE: 2, NETWORK: 3, INTERNAL: 70, INTERRUPTED: 130, TERMINATED: 143 });
  });
});
