import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";

// Start-up time is mostly module loading. These are the modules a command loads before it does anything: the
// static imports (import ... from, export ... from) from the launcher through main, run and the command's own
// module; dynamic import() is where loading is deferred. Times are measured by `npm run bench`; this test keeps
// the heavy modules out of the light commands' graphs.

const SRC = join(import.meta.dirname, "..");

/** Modules a file loads when it is loaded: value imports and re-exports (type-only ones are erased). */
function staticImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(type\s+)?([^;]*?)\s*from\s*"([^"]+)";/gms)) {
    const [, typeOnly, clause, spec] = m;
    if (typeOnly !== undefined) continue;
    // `import { type A, type B } from` is erased too.
    const names = /^\{([^}]*)\}$/.exec(clause!.trim())?.[1];
    if (names !== undefined && names.split(",").every((n) => n.trim() === "" || /^type\s/.test(n.trim()))) continue;
    out.push(spec!);
  }
  for (const m of text.matchAll(/^import\s+"([^"]+)";/gm)) out.push(m[1]!);
  return out;
}

/** Every module loaded with `entries`: source files relative to src/, and packages and node: built-ins by name. */
function graph(entries: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    const key = relative(SRC, file);
    if (seen.has(key)) return;
    seen.add(key);
    for (const spec of staticImports(file)) {
      if (!spec.startsWith(".")) {
        seen.add(spec);
        continue;
      }
      const target = join(dirname(file), spec.replace(/\.js$/, ".ts"));
      expect(existsSync(target), `${key} imports ${spec}`).toBe(true);
      visit(target);
    }
  };
  for (const e of entries) visit(join(SRC, e));
  return seen;
}

// The launcher loads main, main loads run (dynamically, after --version), run loads the command's module.
const BASE = ["cli/bin.ts", "cli/main.ts", "cli/run.ts"];

describe("start-up imports", () => {
  it("`--version` loads only the launcher (with its list of index-reading commands), main and the version reader", () => {
    const loaded = graph(["cli/bin.ts", "cli/main.ts"]);
    expect([...loaded].filter((m) => m.endsWith(".ts")).sort()).toEqual([
      "cli/bin.ts",
      "cli/index-commands.ts",
      "cli/main.ts",
      "cli/node-version.ts",
      "cli/version.ts",
    ]);
  });

  it("an offline `check` loads neither the network, OpenPGP, xz, the resolver, image verification nor the YAML reader", () => {
    const loaded = graph([...BASE, "cli/commands/check.ts"]);
    // What it does load (so the test looks at the right graph).
    for (const m of [
      "app/check/check.ts",
      "app/check/check-repo.ts",
      "app/workspace/workspace.ts",
      "edit/manifest-plain.ts",
      "core/lock/parse-lock.ts",
    ])
      expect(loaded).toContain(m);
    const heavy = [...loaded].filter(
      (m) =>
        ["yaml", "undici", "openpgp", "lzma-native", "fzstd", "node:crypto", "node:zlib", "node:worker_threads", "node:http", "node:https"].includes(
          m,
        ) ||
        /^(io\/(http|archive|cache\.ts|decompress|release-fetch|deb-|files\.ts)|core\/(resolve|trust|image)\/|app\/(verify\/verify|workspace\/images|links\/alternative-links|lock\/lock|indexes\/resolve-repo)\.ts|edit\/manifest\.ts|cli\/archive-session)/.test(
          m,
        ),
    );
    expect(heavy).toEqual([]);
  });
});
