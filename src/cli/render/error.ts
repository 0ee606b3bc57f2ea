import { DebLockError } from "../../core/errors.js";

/** The text a person reads when a command fails: what failed, where, and the next step. */
export function formatError(error: unknown): string {
  if (error instanceof DebLockError) {
    const lines = [`deb-lock: error [${error.code}]: ${error.message}`];
    if (error.hint) lines.push(`  hint: ${error.hint}`);
    return `${lines.join("\n")}\n`;
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return `deb-lock: internal error (please report it with the command you ran):\n${detail}\n`;
}

/** The JSON form of an error, for --json output. */
export function errorToJson(error: unknown): { code: string; message: string; hint?: string } {
  if (error instanceof DebLockError) {
    return { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) };
  }
  return { code: "INTERNAL", message: error instanceof Error ? error.message : String(error) };
}
