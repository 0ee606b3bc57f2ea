import { DebLockError, FetchError, InterruptedError, ParseError, ProblemError, UsageError, VerificationError } from "../core/errors.js";

/** Exit codes of deb-lock: the one place they are decided. Documented in the README. */
export const ExitCode = {
  /** Success, including "nothing changed". */
  OK: 0,
  /** Problems found: unresolvable or conflicting dependencies, invalid manifest, failed check. */
  PROBLEMS: 1,
  /** Usage error: bad flags or arguments. */
  USAGE: 2,
  /** Network or verification failure (signature, hash, size, HTTP). */
  NETWORK: 3,
  /** Internal error: a bug in deb-lock. */
  INTERNAL: 70,
  /** Stopped by SIGINT (128 + 2), after putting every file back. */
  INTERRUPTED: 130,
  /** Stopped by SIGTERM (128 + 15), after putting every file back. */
  TERMINATED: 143,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof InterruptedError) return error.signal === "SIGTERM" ? ExitCode.TERMINATED : ExitCode.INTERRUPTED;
  if (error instanceof UsageError) return ExitCode.USAGE;
  if (error instanceof FetchError || error instanceof VerificationError) return ExitCode.NETWORK;
  if (error instanceof ParseError || error instanceof ProblemError) return ExitCode.PROBLEMS;
  if (error instanceof DebLockError) return ExitCode.PROBLEMS;
  return ExitCode.INTERNAL;
}
