import type { CheckFinding } from "../../app/check/check-finding.js";
import type { Paint } from "./color.js";

/** A check finding as formatFinding writes it, with the place in bold, the problem in red and the fix dimmed on a terminal. */
export function paintFinding(f: CheckFinding, paint: Paint): string {
  const where = `${f.file}${f.line === undefined ? "" : `:${f.line}`}:`;
  return `${paint("bold", where)} ${paint("red", f.message)} ${paint("dim", "—")} ${f.hint}`;
}
