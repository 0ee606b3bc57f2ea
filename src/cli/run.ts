import { parseArgs } from "node:util";
import { redactUrls, UsageError } from "../core/errors.js";
import { fileAccessError } from "../io/file-access-error.js";
import type { Command } from "./command.js";
import { writeJson } from "./command.js";
import { COMMAND_NAMES, loadCommand, loadCommands } from "./commands/index.js";
import { ExitCode, exitCodeFor, formatExitCodesHelp } from "./exit-codes.js";
import type { CliIo } from "./io.js";
import { GLOBAL_HELP, GLOBAL_OPTIONS, resolveGlobalOptions } from "./options.js";
import { errorToJson, formatError } from "./render/error.js";
import { createReporter } from "./render/reporter.js";
import { packageVersion } from "./version.js";

const EXIT_HELP = formatExitCodesHelp();

export async function generalHelp(): Promise<string> {
  const commands = await loadCommands();
  const width = Math.max(...commands.map((c) => c.name.length));
  const list = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n");
  return `deb-lock — resolve, lock and edit Debian packages of rules_distroless / distroless workspaces

Usage: deb-lock <command> [options]

Commands:
${list}

${GLOBAL_HELP}

Run 'deb-lock <command> --help' for a command's own options.

${EXIT_HELP}
`;
}

export function commandHelp(cmd: Command): string {
  return `Usage: ${cmd.usage}

${cmd.summary}

${cmd.help.trimEnd()}

${GLOBAL_HELP}

${EXIT_HELP}
`;
}

/**
 * Global options may come before the command (`deb-lock -C DIR check`): they are moved behind it, so that
 * `[-C DIR] COMMAND ...` and `COMMAND [-C DIR] ...` mean the same.
 */
function commandFirst(argv: readonly string[]): string[] {
  const leading: string[] = [];
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith("-") && argv[i] !== "--") {
    const arg = argv[i]!;
    const spec = arg.startsWith("--")
      ? (GLOBAL_OPTIONS as Record<string, { type: string } | undefined>)[arg.slice(2).split("=")[0]!]
      : Object.values(GLOBAL_OPTIONS).find((o) => "short" in o && `-${o.short}` === arg);
    if (spec === undefined || ["--help", "-h", "--version"].includes(arg)) break;
    const takesValue = spec.type === "string" && !arg.includes("=");
    leading.push(...argv.slice(i, i + (takesValue ? 2 : 1)));
    i += takesValue ? 2 : 1;
  }
  if (leading.length === 0) return [...argv];
  if (i >= argv.length) return []; // global options and no command: the general help, exit 2
  return [argv[i]!, ...leading, ...argv.slice(i + 1)];
}

/** Node's parseArgs messages, said the way deb-lock says things. */
function usageErrorOf(cmd: Command, error: unknown): UsageError {
  const hint = `see 'deb-lock ${cmd.name} --help'`;
  const code = (error as NodeJS.ErrnoException).code;
  const message = (error as Error).message;
  const option = /'(-[^'\s]*)/.exec(message)?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && option !== undefined) {
    return new UsageError(`${cmd.name}: unknown option ${option}`, {
      hint: `${hint} for its options; a package name starting with '-' goes after '--'`,
    });
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    // "Option '-C, --workspace <value>' argument missing", "Option '--deep' does not take an argument"
    const long = /'(?:-\w, )?(--[\w-]+)/.exec(message)?.[1] ?? option ?? "an option";
    if (/argument missing/.test(message)) return new UsageError(`${cmd.name}: option ${long} needs a value`, { hint });
    if (/does not take an argument/.test(message)) return new UsageError(`${cmd.name}: option ${long} takes no value`, { hint });
  }
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") return new UsageError(`${cmd.name}: takes no arguments`, { hint });
  return new UsageError(`${cmd.name}: ${message}`, { hint });
}

/** Runs one deb-lock invocation and returns its exit code. Never calls process.exit. */
export async function run(rawIo: CliIo): Promise<number> {
  // Every byte printed passes through here: credentials in URLs (manifest, --mirror, netrc-less user:password@)
  // are redacted once, for progress, warnings, errors, findings and --json alike.
  const io: CliIo = {
    ...rawIo,
    stdout: { write: (text: string) => rawIo.stdout.write(redactUrls(text)) },
    stderr: { write: (text: string) => rawIo.stderr.write(redactUrls(text)) },
  };
  const [name, ...rest] = commandFirst(io.argv);
  if (name === undefined) {
    io.stderr.write(await generalHelp());
    return ExitCode.USAGE;
  }
  if (name === "--help" || name === "-h" || name === "help") {
    io.stdout.write(await generalHelp());
    return ExitCode.OK;
  }
  if (name === "--version") {
    io.stdout.write(`${packageVersion()}\n`);
    return ExitCode.OK;
  }
  const wantsJson = rest.includes("--json");
  try {
    const cmd = await loadCommand(name);
    if (cmd === undefined) {
      throw new UsageError(`unknown command ${JSON.stringify(name)}`, {
        hint: `commands: ${COMMAND_NAMES.join(", ")}; see 'deb-lock --help'`,
      });
    }
    let parsed: { values: object; positionals: string[] };
    try {
      parsed = parseArgs({ args: rest, options: { ...GLOBAL_OPTIONS, ...cmd.options }, allowPositionals: true, strict: true });
    } catch (error) {
      throw usageErrorOf(cmd, error);
    }
    const values = parsed.values as Record<string, string | boolean | string[] | boolean[] | undefined>;
    if (values.help) {
      io.stdout.write(commandHelp(cmd));
      return ExitCode.OK;
    }
    if (values.version) {
      io.stdout.write(`${packageVersion()}\n`);
      return ExitCode.OK;
    }
    const options = resolveGlobalOptions(values, io);
    const reporter = createReporter(io, options);
    try {
      return await cmd.run({ io, options, reporter, values, positionals: parsed.positionals });
    } finally {
      reporter.done();
    }
  } catch (thrown) {
    // An ordinary file-system refusal that reached here unconverted is still the user's to fix, not a bug.
    const error = fileAccessError(thrown) ?? thrown;
    io.stderr.write(formatError(error));
    if (wantsJson) writeJson(io, name, { ok: false, error: errorToJson(error) });
    return exitCodeFor(error);
  }
}
