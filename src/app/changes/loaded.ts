import { InternalError } from "../../core/errors.js";
import type { RepoState } from "../workspace/repo-state.js";

/**
 * What the load step of a command read for its planner, kept as data: a value, or the error reading it met. The
 * planner takes a value where the command used to read it, so an error surfaces at the same point of the plan
 * as before (a missing lock of a repo the plan never reaches stays harmless).
 */
export type Loaded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

/** The loaded value, or the error loading it met, thrown. */
export function loadedValue<T>(loaded: Loaded<T>): T {
  if (!loaded.ok) throw loaded.error;
  return loaded.value;
}

/** A loaded value a planner looks up by key; a key the load step did not cover is a bug in deb-lock. */
export function loadedEntry<T>(map: ReadonlyMap<string, Loaded<T>>, key: string, what: string): T {
  const loaded = map.get(key);
  if (loaded === undefined) throw new InternalError("INTERNAL", `${what} ${key} was not loaded before planning`);
  return loadedValue(loaded);
}

/** The repo states a planner may use, loaded up front: undefined for a name the workspace does not declare. */
export class LoadedRepos {
  /** The states that loaded, by repo name (what present-package lookups read). */
  readonly states: ReadonlyMap<string, RepoState>;

  constructor(private readonly loaded: ReadonlyMap<string, Loaded<RepoState | undefined>>) {
    const states = new Map<string, RepoState>();
    for (const [name, l] of loaded) if (l.ok && l.value !== undefined) states.set(name, l.value);
    this.states = states;
  }

  /** The state of a repo; undefined when the workspace does not declare it; throws what reading it met. */
  get(name: string): RepoState | undefined {
    return loadedEntry(this.loaded, name, "repo");
  }
}
