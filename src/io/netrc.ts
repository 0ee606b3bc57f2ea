import { readFile } from "node:fs/promises";

/** Login and password for one machine of a netrc file (`default` is stored with `machine: undefined`). */
export interface NetrcEntry {
  readonly machine: string | undefined;
  readonly login: string | undefined;
  readonly password: string | undefined;
}

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

/**
 * Parses netrc text: whitespace-separated tokens, `machine <host>`, `default`, `login`, `password`, `account`,
 * `macdef` (its body runs to the next blank line and is skipped), `#` comments to end of line, and
 * double-quoted tokens with backslash escapes. Both the one-line and the multi-line forms are the same token stream.
 */
export function parseNetrc(text: string): NetrcEntry[] {
  const tokens = tokenize(text);
  const entries: NetrcEntry[] = [];
  let current: { machine: string | undefined; login: string | undefined; password: string | undefined } | undefined;
  const flush = (): void => {
    if (current !== undefined) entries.push(current);
    current = undefined;
  };
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    switch (tok.value) {
      case "machine":
        flush();
        current = { machine: tokens[++i]?.value.toLowerCase(), login: undefined, password: undefined };
        break;
      case "default":
        flush();
        current = { machine: undefined, login: undefined, password: undefined };
        break;
      case "login":
        if (current !== undefined) current.login = tokens[i + 1]?.value;
        i++;
        break;
      case "password":
        if (current !== undefined) current.password = tokens[i + 1]?.value;
        i++;
        break;
      case "account":
        i++;
        break;
      case "macdef": {
        // The macro body starts on the line after the name and ends at the first empty line.
        flush();
        i++;
        const nameLineEnd = text.indexOf("\n", tokens[i]?.end ?? tok.end);
        const blank = nameLineEnd < 0 ? -1 : text.indexOf("\n\n", nameLineEnd);
        const stop = blank < 0 ? text.length : blank;
        while (i + 1 < tokens.length && tokens[i + 1]!.start < stop) i++;
        break;
      }
      default:
        // Unknown tokens are ignored, like curl does.
        break;
    }
  }
  flush();
  return entries;
}

interface Token {
  readonly value: string;
  readonly start: number;
  readonly end: number;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
      continue;
    }
    if (c === "#") {
      while (i < text.length && text[i] !== "\n") i++;
      continue;
    }
    const start = i;
    let value = "";
    if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === "\\" && i + 1 < text.length) i++;
        value += text[i];
        i++;
      }
      i++;
    } else {
      while (i < text.length && !/\s/.test(text[i]!)) value += text[i++];
    }
    tokens.push({ value, start, end: i });
  }
  return tokens;
}

/** The credentials for `hostname`: its `machine` entry, else the `default` entry; none without a login. */
export function findNetrcCredentials(entries: readonly NetrcEntry[], hostname: string): Credentials | undefined {
  const host = hostname.toLowerCase();
  const entry = entries.find((e) => e.machine === host) ?? entries.find((e) => e.machine === undefined);
  if (entry === undefined || entry.login === undefined) return undefined;
  return { username: entry.login, password: entry.password ?? "" };
}

/** Reads and parses a netrc file; a missing file means no credentials. */
export async function readNetrc(path: string): Promise<NetrcEntry[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  return parseNetrc(text);
}
