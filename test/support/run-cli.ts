import { run } from "../../src/cli/run.js";

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs deb-lock in-process, as main.ts would, capturing its output. */
export async function runCli(
  argv: readonly string[],
  options: { cwd: string; env?: Record<string, string | undefined>; homeDir?: string },
): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const code = await run({
    argv,
    env: { NO_COLOR: "1", ...options.env },
    cwd: options.cwd,
    homeDir: options.homeDir ?? options.cwd,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    isTTY: false,
  });
  return { code, stdout, stderr };
}
