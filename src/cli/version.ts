import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The package version, read from package.json two levels above this file (src/cli or dist/cli). */
export function packageVersion(): string {
  const path = fileURLToPath(new URL("../../package.json", import.meta.url));
  return (JSON.parse(readFileSync(path, "utf8")) as { version: string }).version;
}
