import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

// src/core and src/edit are pure: no file system, network, process, clock or undici. This keeps them
// testable without I/O and reusable by every command.
const PURE_DIRS = ["core", "edit"];
const FORBIDDEN = [
  /^node:(fs|http|https|net|child_process|process|os|worker_threads|dns|tls)(\/|$)/,
  /^(fs|http|https|net|child_process|os)$/,
  /^undici$/,
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith(".ts") && !path.endsWith(".test.ts") ? [path] : [];
  });
}

describe("module purity", () => {
  for (const dir of PURE_DIRS) {
    const root = join(import.meta.dirname, dir);
    it(`src/${dir} imports no I/O modules and touches no process globals`, () => {
      const offenders: string[] = [];
      for (const file of sourceFiles(root)) {
        const text = readFileSync(file, "utf8");
        for (const m of text.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)) {
          if (FORBIDDEN.some((re) => re.test(m[1]!))) offenders.push(`${file}: imports ${m[1]}`);
          if (m[1]!.includes("/io/") || m[1]!.includes("/app/") || m[1]!.includes("/cli/")) offenders.push(`${file}: imports ${m[1]}`);
        }
        if (/\bprocess\.(env|argv|cwd|exit|stdout|stderr)\b/.test(text)) offenders.push(`${file}: uses process`);
        if (/\bDate\.now\(\)|new Date\(\)/.test(text)) offenders.push(`${file}: reads the clock`);
      }
      expect(offenders).toEqual([]);
    });
  }
});
