import type { Command } from "../command.js";
import { addCommand } from "./add.js";
import { checkCommand } from "./check.js";
import { lockCommand } from "./lock.js";
import { outdatedCommand } from "./outdated.js";
import { removeCommand } from "./remove.js";
import { snapshotsCommand } from "./snapshots.js";
import { updateCommand } from "./update.js";
import { verifyCommand } from "./verify.js";
import { whyCommand } from "./why.js";

/** The command table, in the order `deb-lock --help` lists them. */
export const COMMANDS: readonly Command[] = [
  lockCommand,
  addCommand,
  removeCommand,
  whyCommand,
  updateCommand,
  outdatedCommand,
  checkCommand,
  verifyCommand,
  snapshotsCommand,
];
