import { DebLockError, FetchError, InternalError, InterruptedError, UsageError, VerificationError } from "../core/errors.js";

/**
 * Exit codes of deb-lock: the one place they are decided and described. `deb-lock --help` prints this table and
 * a test checks that the README's "Exit codes" table says the same (src/cli/exit-codes.test.ts).
 */
export const EXIT_CODES = [
  { name: "OK", code: 0, meaning: "success, also when nothing changed" },
  {
    name: "PROBLEMS",
    code: 1,
    meaning:
      "problems: unresolvable or conflicting dependencies, invalid manifest or lock, a failed `check`, a file deb-lock cannot read or write, a package to remove that is not there",
  },
  { name: "USAGE", code: 2, meaning: "usage error: unknown command or option, bad argument, unknown image, no workspace found" },
  { name: "NETWORK", code: 3, meaning: "network or verification failure: HTTP error after retries, bad or unknown signature, hash or size mismatch" },
  { name: "INTERNAL", code: 70, meaning: "internal error (a bug: please report it with the command you ran)" },
  { name: "INTERRUPTED", code: 130, meaning: "stopped by SIGINT (Ctrl-C), after putting every file of the workspace back" },
  { name: "TERMINATED", code: 143, meaning: "stopped by SIGTERM, after putting every file of the workspace back" },
] as const;

type ExitCodeName = (typeof EXIT_CODES)[number]["name"];

export const ExitCode = Object.fromEntries(EXIT_CODES.map((e) => [e.name, e.code])) as {
  readonly [N in ExitCodeName]: Extract<(typeof EXIT_CODES)[number], { name: N }>["code"];
};

export type ExitCode = (typeof EXIT_CODES)[number]["code"];

/** The class of an error decides its exit code; anything that is not a DebLockError is a bug. */
export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof InterruptedError) return error.signal === "SIGTERM" ? ExitCode.TERMINATED : ExitCode.INTERRUPTED;
  if (error instanceof UsageError) return ExitCode.USAGE;
  if (error instanceof FetchError || error instanceof VerificationError) return ExitCode.NETWORK;
  if (error instanceof InternalError) return ExitCode.INTERNAL;
  if (error instanceof DebLockError) return ExitCode.PROBLEMS;
  return ExitCode.INTERNAL;
}

/** The table as help text. */
export function formatExitCodesHelp(): string {
  return `Exit codes:\n${EXIT_CODES.map((e) => `  ${String(e.code).padEnd(3)} ${e.meaning.replace(/`/g, "'")}`).join("\n")}`;
}

/** The table as the README writes it (Markdown). */
export function formatExitCodesMarkdown(): string {
  return ["| code | meaning |", "| --- | --- |", ...EXIT_CODES.map((e) => `| ${e.code} | ${e.meaning} |`)].join("\n");
}
