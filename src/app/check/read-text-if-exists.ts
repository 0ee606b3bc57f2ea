import type { WorkspaceFiles } from "../../io/workspace-files.js";

/** The text of a workspace file, or undefined when it does not exist. */
export async function readTextIfExists(files: WorkspaceFiles, path: string): Promise<string | undefined> {
  return (await files.exists(path)) ? files.readText(path) : undefined;
}
