import type { CliIo } from "./io.js";
import type { GlobalOptions, OptionSpec } from "./options.js";
import type { Reporter } from "./render/reporter.js";

export interface CommandContext {
  readonly io: CliIo;
  readonly options: GlobalOptions;
  readonly reporter: Reporter;
  /** The command's own option values (global ones are in `options`). */
  readonly values: Readonly<Record<string, string | boolean | string[] | boolean[] | undefined>>;
  readonly positionals: readonly string[];
}

/** One entry of the command table. Handlers return the exit code; failures throw DebLockError subclasses. */
export interface Command {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** `deb-lock NAME ...` synopsis line(s). */
  readonly usage: string;
  /** Help for the command's own options and behaviour (global options are appended). */
  readonly help: string;
  readonly options: OptionSpec;
  run(ctx: CommandContext): Promise<number>;
}

/** Writes one JSON document (the --json output of every command) to stdout. */
export function writeJson(io: CliIo, command: string, body: Record<string, unknown>): void {
  io.stdout.write(`${JSON.stringify({ schemaVersion: 1, command, ...body }, null, 2)}\n`);
}
