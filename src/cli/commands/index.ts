import type { Command } from "../command.js";
import { lockCommand } from "./lock.js";

/** The command table, in the order `deb-lock --help` lists them. */
export const COMMANDS: readonly Command[] = [lockCommand];
