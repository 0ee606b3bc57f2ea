import { formatModuleLockNotice, type ModuleLockNotice, type ModuleLockUpdate } from "../app/changes/module-lock-sync.js";
import type { CommandContext } from "./command.js";

/**
 * Tells the user which MODULE.bazel.lock entries were left behind (each a warning naming the extension, the
 * files and the Bazel command that refreshes it), and returns the line summarising what was brought in step
 * (undefined when MODULE.bazel.lock does not change).
 */
export function reportModuleLock(
  ctx: CommandContext,
  moduleLock: { readonly updated: readonly ModuleLockUpdate[]; readonly notices: readonly ModuleLockNotice[] },
  dryRun: boolean,
): string | undefined {
  for (const n of moduleLock.notices) ctx.reporter.warn(formatModuleLockNotice(n));
  if (moduleLock.updated.length === 0) return undefined;
  const entries = moduleLock.updated.map((u) => `${u.extension} ${u.action === "recomputed" ? "recomputed" : "rehashed"}`);
  return `MODULE.bazel.lock: ${dryRun ? "would change" : "updated"} (${entries.join(", ")})`;
}
