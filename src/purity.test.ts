import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
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

// The planners of add and remove are pure and synchronous: their command loads everything first (app/add/add.ts,
// app/remove/remove.ts), then calls them. So is the reading of what an image declares (app/workspace/image-instances.ts):
// app/workspace/images.ts reads the BUILD and .bzl files first. Neither they nor anything they import as a value reach
// src/io, src/cli or an I/O module, and they hold no Promise.
const PLANNERS = ["app/add/add-plan.ts", "app/remove/remove-plan.ts", "app/workspace/image-instances.ts"];
const IO_MODULE = /^(node:(?!path$)|fs$|http|https$|net$|child_process$|os$|undici$|openpgp$|lzma-native$|fzstd$)/;

/** The modules a file imports as values (type-only imports erased), as paths for relative ones. */
function valueImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(type\s+)?([^;]*?)\s+from\s+"([^"]+)";/gms)) {
    if (m[1] !== undefined) continue;
    const braces = /^\{([^}]*)\}$/s.exec(m[2]!.trim());
    if (
      braces &&
      braces[1]!
        .split(",")
        .map((n) => n.trim())
        .filter((n) => n !== "")
        .every((n) => n.startsWith("type "))
    )
      continue;
    const spec = m[3]!;
    out.push(spec.startsWith(".") ? normalize(join(dirname(file), spec.replace(/\.js$/, ".ts"))) : spec);
  }
  return out;
}

describe("planner purity", () => {
  const src = import.meta.dirname;
  for (const planner of PLANNERS) {
    it(`src/${planner} is synchronous and reaches no I/O through its imports`, () => {
      const text = readFileSync(join(src, planner), "utf8");
      const offenders: string[] = [];
      if (/\b(async|await|Promise)\b|\bimport\(/.test(text)) offenders.push(`${planner}: async code`);
      if (/\bprocess\.|\bDate\.now\(\)|new Date\(/.test(text)) offenders.push(`${planner}: uses process or the clock`);
      const seen = new Set<string>();
      const queue: [string, string][] = [[join(src, planner), planner]];
      while (queue.length > 0) {
        const [file, chain] = queue.shift()!;
        if (seen.has(file)) continue;
        seen.add(file);
        for (const dep of valueImports(file)) {
          const via = `${chain} → ${dep.startsWith(src) ? dep.slice(src.length + 1) : dep}`;
          if (dep.includes("/io/") || dep.includes("/cli/") || IO_MODULE.test(dep)) offenders.push(via);
          else if (dep.startsWith(src)) queue.push([dep, via]);
        }
      }
      expect(offenders).toEqual([]);
      // The walk saw the planner's real imports (the pattern matched something).
      expect(seen.size).toBeGreaterThan(5);
    });
  }
});
