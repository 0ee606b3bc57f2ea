/**
 * Iteration to a fixed point that proves it settled: `step` runs until it returns a state `equal` to the one
 * it was given, at most `limit` times. A loop that does not settle is a bug in deb-lock, not a problem of the
 * user's workspace: it throws FixedPointError (exit 70) with the last two states, and nothing is written.
 */

/** A fixed-point iteration that did not settle: an internal error (not a DebLockError, so exit 70). */
export class FixedPointError extends Error {
  constructor(
    readonly what: string,
    readonly rounds: number,
    readonly state: string,
  ) {
    super(
      `internal error: ${what} did not settle after ${rounds} rounds; nothing was written. Last states:\n${state}\nplease report this with the command you ran`,
    );
    this.name = "FixedPointError";
  }
}

export function fixedPoint<S>(
  what: string,
  start: S,
  step: (state: S, round: number) => S,
  equal: (a: S, b: S) => boolean,
  show: (state: S) => string,
  limit = 16,
): S {
  let state = start;
  for (let round = 0; round < limit; round++) {
    const next = step(state, round);
    if (equal(state, next)) return next;
    state = next;
  }
  const after = step(state, limit);
  throw new FixedPointError(what, limit, `  before the last round: ${show(state)}\n  after it: ${show(after)}`);
}

/** Equality of string-set maps (the states of deb-lock's loops). */
export function sameSetMap(a: ReadonlyMap<string, ReadonlySet<string>>, b: ReadonlyMap<string, ReadonlySet<string>>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (w === undefined || w.size !== v.size || [...v].some((x) => !w.has(x))) return false;
  }
  return true;
}

export function showSetMap(m: ReadonlyMap<string, ReadonlySet<string>>): string {
  return [...m].map(([k, v]) => `${k}: {${[...v].sort().join(", ")}}`).join("; ");
}
