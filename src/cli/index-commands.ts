// Loaded by the launcher before the Node.js version check: keep to syntax an old Node.js parses.

/** The commands that read archive indexes (a name anywhere among the arguments counts: a false match costs one start). */
export const INDEX_COMMANDS = ["lock", "update", "add", "remove", "why", "verify"];

/** Whether a command line may read archive indexes: one of INDEX_COMMANDS, or `check --deep`. */
export function mayReadIndexes(args: readonly string[]): boolean {
  for (let i = 0; i < args.length; i++) if (INDEX_COMMANDS.indexOf(args[i] as string) >= 0) return true;
  return args.indexOf("check") >= 0 && args.indexOf("--deep") >= 0;
}
