/** Why a closure could not be resolved cleanly. Problems are data: the CLI decides how to show them. */
export type ProblemCode =
  /** No package and no provider of the name exists for the architecture. */
  | "NOT_FOUND"
  /** Packages of the name exist, but no candidate satisfies the required version. */
  | "NO_SATISFYING_VERSION"
  /** A chosen package declares Conflicts with another chosen (or installed) package. */
  | "CONFLICTS"
  /** A chosen package declares Breaks with another chosen (or installed) package. */
  | "BREAKS"
  /** Two requirements need different versions of one package (one version per package and arch). */
  | "VERSION_CLASH";

export interface Problem {
  readonly code: ProblemCode;
  /** The package the problem is about (the missing name, or the package declaring the conflict). */
  readonly package: string;
  readonly arch: string;
  /** For people: what failed, naming packages and versions. */
  readonly message: string;
  /** Dependency chain from a root to `package` (root first; just the root for a root problem). */
  readonly chain: readonly string[];
}

/** One problem as lines for people: `CODE package (arch): message` then the chain that led there. */
export function formatProblem(problem: Problem): string {
  const head = `${problem.code} ${problem.package} (${problem.arch}): ${problem.message}`;
  if (problem.chain.length <= 1) return head;
  return `${head}\n  required by: ${problem.chain.join(" → ")}`;
}

/** All problems, one block each, in the order given. */
export function formatProblems(problems: readonly Problem[]): string {
  return problems.map(formatProblem).join("\n");
}
