import { parseArgs } from "node:util";
import { UsageError } from "../core/errors.js";
import type { Command } from "./command.js";
import { writeJson } from "./command.js";
import { COMMAND_NAMES, loadCommand, loadCommands } from "./commands/index.js";
import { ExitCode, exitCodeFor } from "./exit-codes.js";
import type { CliIo } from "./io.js";
import { GLOBAL_HELP, GLOBAL_OPTIONS, resolveGlobalOptions } from "./options.js";
import { errorToJson, formatError } from "./render/error.js";
import { createReporter } from "./render/reporter.js";
import { packageVersion } from "./version.js";

const EXIT_HELP = `Exit codes:
  0   success (also when nothing changed)
  1   problems: unresolvable or conflicting dependencies, invalid manifest, failed check
  2   usage error
  3   network or verification failure (HTTP, signature, hash, size)
  70  internal error`;

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

/** Runs one deb-lock invocation and returns its exit code. Never calls process.exit. */
export async function run(io: CliIo): Promise<number> {
  const [name, ...rest] = io.argv;
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
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options: { ...GLOBAL_OPTIONS, ...cmd.options }, allowPositionals: true, strict: true });
    } catch (error) {
      throw new UsageError(`${cmd.name}: ${(error as Error).message}`, { hint: `see 'deb-lock ${cmd.name} --help'` });
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
  } catch (error) {
    io.stderr.write(formatError(error));
    if (wantsJson) writeJson(io, name, { ok: false, error: errorToJson(error) });
    return exitCodeFor(error);
  }
}
