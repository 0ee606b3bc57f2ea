import { relative, resolve as resolvePath, sep } from "node:path";

/** A path (absolute, or relative to `root`) as a workspace-relative POSIX path, as findings and Bazel name files. */
export function workspaceRelative(root: string, path: string): string {
  return relative(root, resolvePath(root, path)).split(sep).join("/");
}
