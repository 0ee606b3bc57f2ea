import type { Interruption } from "../io/files.js";

/** Everything a command may touch of the outside world, gathered by main.ts so that tests can run `run()` in-process. */
export interface CliIo {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly homeDir: string;
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /** Whether stderr is a terminal (progress is then one redrawn line). */
  readonly isTTY: boolean;
  /** The signals (SIGINT, SIGTERM) the process receives; absent in-process, where nothing can signal a run. */
  readonly interruption?: Interruption;
  /** Whether stdout is a terminal (findings and diffs are then coloured). */
  readonly stdoutIsTTY?: boolean;
}
