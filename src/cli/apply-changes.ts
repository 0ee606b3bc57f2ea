import { applyChangeSet, type FileChange, type TransactionStep } from "../io/files.js";
import type { CommandContext } from "./command.js";

/**
 * Writes a command's change set into the workspace `root` in one crash-safe transaction, honouring the global
 * --allow-outside-workspace flag and the process's signals.
 *
 * DEB_LOCK_TEST_STEPS=trace prints every step of the transaction on stderr (`deb-lock test-step N ACTION PATH`);
 * DEB_LOCK_TEST_STEPS=pause:N also stops before step N until a signal arrives, so tests can kill the process at
 * each rename and fsync without guessing at timing.
 */
export async function applyWorkspaceChanges(ctx: CommandContext, root: string, changes: readonly FileChange[]): Promise<void> {
  await applyChangeSet(changes, {
    root,
    allowOutside: ctx.options.allowOutsideWorkspace,
    ...(ctx.io.interruption === undefined ? {} : { interruption: ctx.io.interruption }),
    ...testStepHook(ctx),
  });
}

function testStepHook(ctx: CommandContext): { onStep?: (step: TransactionStep) => Promise<void> } {
  const spec = ctx.io.env.DEB_LOCK_TEST_STEPS;
  if (spec === undefined || spec === "") return {};
  const pauseAt = /^pause:(\d+)$/.exec(spec)?.[1];
  const interruption = ctx.io.interruption;
  return {
    async onStep(step) {
      ctx.io.stderr.write(`deb-lock test-step ${step.index} ${step.action} ${step.path}\n`);
      if (pauseAt !== undefined && Number(pauseAt) === step.index && interruption !== undefined) {
        ctx.io.stderr.write(`deb-lock test-step paused\n`);
        await interruption.whenSignalled();
      }
    },
  };
}
