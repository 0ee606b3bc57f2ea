import type { Command } from "../command.js";

/**
 * The command table, in the order `deb-lock --help` lists them. A command's module (and what it imports) is loaded
 * only when that command runs, so `--version` or an offline `check` do not load the network and OpenPGP code of
 * the others.
 */
const LOADERS: ReadonlyMap<string, () => Promise<Command>> = new Map([
  ["lock", async () => (await import("./lock.js")).lockCommand],
  ["add", async () => (await import("./add.js")).addCommand],
  ["remove", async () => (await import("./remove.js")).removeCommand],
  ["why", async () => (await import("./why.js")).whyCommand],
  ["update", async () => (await import("./update.js")).updateCommand],
  ["outdated", async () => (await import("./outdated.js")).outdatedCommand],
  ["check", async () => (await import("./check.js")).checkCommand],
  ["verify", async () => (await import("./verify.js")).verifyCommand],
  ["snapshots", async () => (await import("./snapshots.js")).snapshotsCommand],
]);

export const COMMAND_NAMES: readonly string[] = [...LOADERS.keys()];

/** The command of that name, or undefined. */
export function loadCommand(name: string): Promise<Command> | undefined {
  return LOADERS.get(name)?.();
}

/** Every command, in table order (for the general help). */
export function loadCommands(): Promise<Command[]> {
  return Promise.all(COMMAND_NAMES.map((name) => loadCommand(name)!));
}
