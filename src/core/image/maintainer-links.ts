/**
 * Links that only a package's maintainer scripts make: `update-alternatives --install LINK NAME PATH PRIORITY`
 * (with its `--slave LINK NAME PATH` groups) and plain `ln -s TARGET LINK`. rules_distroless never runs
 * maintainer scripts, so an image built from .debs lacks these links; verify reports those a file needs.
 *
 * This reads the shell text, not runs it: continuation lines are joined, simple quotes removed, and variables
 * assigned with a literal value in the same script (`triplet=x86_64-linux-gnu`) substituted. Words still holding
 * `$` or a backquote after that are not guessed at: such a link is left out.
 */

export interface MaintainerLink {
  /** `alternative` (update-alternatives, master or slave) or `symlink` (ln -s). */
  readonly kind: "alternative" | "symlink";
  /** Absolute path of the link the script makes. */
  readonly link: string;
  /** What it points to (absolute for alternatives; as written for ln -s). */
  readonly target: string;
  /** The alternative's name (update-alternatives only). */
  readonly name?: string;
  /** The master's priority (slaves carry their master's); update-alternatives' auto mode picks the highest. */
  readonly priority?: number;
  /** The script it comes from, e.g. `postinst`. */
  readonly script: string;
}

/** Shell words of one logical line: quotes removed, no expansion. Returns undefined at constructs we do not read. */
function words(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
      else cur += c;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
      continue;
    }
    if (c === "#" && !inWord) break;
    if (c === ";" || c === "&" || c === "|" || c === "(" || c === ")") {
      if (inWord) out.push(cur);
      out.push(c);
      cur = "";
      inWord = false;
      continue;
    }
    if (c === " " || c === "\t") {
      if (inWord) out.push(cur);
      cur = "";
      inWord = false;
      continue;
    }
    cur += c;
    inWord = true;
  }
  if (inWord) out.push(cur);
  return out;
}

/** Splits a word list into simple commands at `;`, `&&`, `||`, `|`, `(`, `)` and shell keywords. */
function commands(ws: readonly string[]): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  for (const w of ws) {
    if (w === ";" || w === "&" || w === "|" || w === "(" || w === ")") {
      if (cur.length > 0) out.push(cur);
      cur = [];
      continue;
    }
    if (cur.length === 0 && ["then", "else", "do", "if", "elif", "while", "until", "!", "{", "}"].includes(w)) continue;
    cur.push(w);
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

function substitute(word: string, vars: ReadonlyMap<string, string>): string | undefined {
  const replaced = word.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (m, a: string | undefined, b: string | undefined) => vars.get(a ?? b ?? "") ?? m,
  );
  return /[$`]/.test(replaced) ? undefined : replaced;
}

/** The links a maintainer script (`postinst`, `preinst`, ...) makes. */
export function parseMaintainerLinks(script: string, text: string): MaintainerLink[] {
  const lines = text.replace(/\\\r?\n/g, " ").split(/\r?\n/);
  const vars = new Map<string, string>();
  const out: MaintainerLink[] = [];
  for (const line of lines) {
    for (let cmd of commands(words(line))) {
      // VAR=value assignments (alone, or before a command)
      while (cmd.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(cmd[0]!)) {
        const eq = cmd[0]!.indexOf("=");
        const value = substitute(cmd[0]!.slice(eq + 1), vars);
        if (value !== undefined) vars.set(cmd[0]!.slice(0, eq), value);
        else vars.delete(cmd[0]!.slice(0, eq));
        cmd = cmd.slice(1);
      }
      if (cmd.length === 0) continue;
      const program = cmd[0]!.split("/").pop();
      if (program === "update-alternatives") out.push(...alternativesOf(cmd.slice(1), vars, script));
      else if (program === "ln") {
        const link = symlinkOf(cmd.slice(1), vars, script);
        if (link !== undefined) out.push(link);
      }
    }
  }
  return out;
}

function alternativesOf(args: readonly string[], vars: ReadonlyMap<string, string>, script: string): MaintainerLink[] {
  const at = args.indexOf("--install");
  if (at < 0) return [];
  const resolved = args.slice(at + 1).map((w) => substitute(w, vars));
  const [link, name, path, prio] = resolved;
  if (link === undefined || name === undefined || path === undefined || prio === undefined) return [];
  const priority = Number(prio);
  if (!link.startsWith("/") || !path.startsWith("/") || !Number.isInteger(priority)) return [];
  const out: MaintainerLink[] = [{ kind: "alternative", link, target: path, name, priority, script }];
  for (let i = 4; i + 3 < resolved.length + 1; i++) {
    if (resolved[i] !== "--slave") continue;
    const [sLink, sName, sPath] = [resolved[i + 1], resolved[i + 2], resolved[i + 3]];
    if (sLink?.startsWith("/") && sName !== undefined && sPath?.startsWith("/"))
      out.push({ kind: "alternative", link: sLink, target: sPath, name: sName, priority, script });
    i += 3;
  }
  return out;
}

function symlinkOf(args: readonly string[], vars: ReadonlyMap<string, string>, script: string): MaintainerLink | undefined {
  const flags = args.filter((a) => a.startsWith("-"));
  if (!flags.some((f) => /^-[a-zA-Z]*s/.test(f) || f === "--symbolic")) return undefined;
  const operands = args.filter((a) => !a.startsWith("-")).map((w) => substitute(w, vars));
  if (operands.length !== 2 || operands.some((o) => o === undefined)) return undefined;
  const [target, link] = operands as [string, string];
  if (!link.startsWith("/") || link.endsWith("/")) return undefined;
  return { kind: "symlink", link, target, script };
}
