import { isAbsolute, resolve } from "node:path";
import type { ParseArgsConfig } from "node:util";
import { UsageError } from "../core/errors.js";
import { defaultCacheDir } from "../io/cache-dir.js";
import { type MirrorRule, parseMirrorRules } from "../io/mirrors.js";
import type { CliIo } from "./io.js";

export type OptionSpec = NonNullable<ParseArgsConfig["options"]>;

/** Options every command accepts. Help text lives next to them so it cannot drift. */
export const GLOBAL_OPTIONS = {
  workspace: { type: "string", short: "C" },
  mirror: { type: "string", multiple: true },
  "cache-dir": { type: "string" },
  offline: { type: "boolean" },
  keyring: { type: "string", multiple: true },
  json: { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  verbose: { type: "boolean", short: "v" },
  "no-color": { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
  "allow-outside-workspace": { type: "boolean" },
} as const satisfies OptionSpec;

export const GLOBAL_HELP = `Global options:
  -C, --workspace DIR    workspace root (default: nearest ancestor of the current
                         directory holding MODULE.bazel, WORKSPACE or WORKSPACE.bazel)
  --mirror FROM=TO       fetch every URL starting with FROM from TO + the rest of the URL
                         (repeatable; env DEB_LOCK_MIRRORS="FROM=TO,FROM=TO"). Lock files
                         keep the canonical URLs of the manifest.
  --cache-dir DIR        cache directory (env DEB_LOCK_CACHE_DIR; default
                         $XDG_CACHE_HOME/deb-lock or ~/.cache/deb-lock)
  --offline              use only the cache; a missing entry is an error
  --keyring FILE         extra trusted OpenPGP public keys, armored or binary (repeatable)
  --json                 print one JSON document on stdout (schemaVersion 1)
  -q, --quiet            no progress output
  -v, --verbose          more detail on stderr
  --no-color             no colour, also on a terminal (env NO_COLOR does the same)
  -h, --help             show help
  --version              show the version
  --allow-outside-workspace
                         write lock files and manifests that lie outside the workspace
                         (labels with '..', symlinks leading out); refused otherwise`;

export interface GlobalOptions {
  /** Explicit -C directory (absolute), or undefined to search upwards from cwd. */
  readonly workspace: string | undefined;
  readonly mirrors: readonly MirrorRule[];
  readonly cacheDir: string;
  readonly offline: boolean;
  readonly keyrings: readonly string[];
  readonly json: boolean;
  readonly quiet: boolean;
  readonly verbose: boolean;
  readonly allowOutsideWorkspace: boolean;
  /** --no-color: no colour even on a terminal (NO_COLOR is read where colour is decided) */
  readonly noColor: boolean;
}

type GlobalValues = {
  workspace?: string;
  mirror?: string[];
  "cache-dir"?: string;
  offline?: boolean;
  keyring?: string[];
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  "allow-outside-workspace"?: boolean;
  "no-color"?: boolean;
};

export function resolveGlobalOptions(values: GlobalValues, io: CliIo): GlobalOptions {
  if (values.quiet && values.verbose) throw new UsageError("--quiet and --verbose cannot be used together");
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(io.cwd, p));
  return {
    workspace: values.workspace === undefined ? undefined : abs(values.workspace),
    mirrors: parseMirrorRules(values.mirror ?? [], io.env.DEB_LOCK_MIRRORS),
    cacheDir: values["cache-dir"] === undefined ? defaultCacheDir(io.env, io.homeDir) : abs(values["cache-dir"]),
    offline: values.offline ?? false,
    keyrings: (values.keyring ?? []).map(abs),
    json: values.json ?? false,
    quiet: values.quiet ?? false,
    verbose: values.verbose ?? false,
    allowOutsideWorkspace: values["allow-outside-workspace"] ?? false,
    noColor: values["no-color"] ?? false,
  };
}
