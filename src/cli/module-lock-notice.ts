import { readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { staleRecordedInputs } from "../app/module-lock.js";
import type { FileChange } from "../io/files.js";
import type { CommandContext } from "./command.js";

/**
 * Tells the user when MODULE.bazel.lock records hashes of lock files this run rewrote: Bazel would re-run the
 * extension, or fail under --lockfile_mode=error. Returns the stale keys (for --json).
 */
export async function warnStaleModuleLock(ctx: CommandContext, root: string, changes: readonly FileChange[]): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(join(root, "MODULE.bazel.lock"), "utf8");
  } catch {
    return [];
  }
  const changed = new Map<string, string>();
  for (const c of changes) if (c.after !== null) changed.set(relative(root, c.path).split("\\").join("/"), c.after);
  const stale = staleRecordedInputs(text, changed);
  if (stale.length > 0) {
    ctx.reporter.warn(
      `MODULE.bazel.lock records the old hash of ${[...new Set(stale.map((s) => s.path))].join(", ")}; ` +
        "refresh it with `bazel mod deps --lockfile_mode=update` before building with --lockfile_mode=error",
    );
  }
  return stale.map((s) => s.key);
}
