import { UsageError } from "../core/errors.js";

/**
 * A mirror rule: any URL that starts with `from` is fetched from `to` + the rest of the URL. `to` may be a
 * `file:///` URL of a local copy laid out like the archive.
 * Both ends are stored without trailing slashes so `a/=b` and `a=b/` mean the same thing.
 */
export interface MirrorRule {
  readonly from: string;
  readonly to: string;
}

const ENV_NAME = "DEB_LOCK_MIRRORS";

/**
 * Parses `--mirror FROM=TO` flags (repeatable) and the `DEB_LOCK_MIRRORS="FROM=TO,FROM=TO"` variable.
 * Flags come first, then the environment; on equal `from`, the first rule given wins.
 */
export function parseMirrorRules(flags: readonly string[], env: string | undefined): MirrorRule[] {
  const rules: MirrorRule[] = [];
  const seen = new Set<string>();
  const add = (text: string, origin: string): void => {
    const rule = parseMirrorRule(text, origin);
    if (seen.has(rule.from)) return;
    seen.add(rule.from);
    rules.push(rule);
  };
  for (const flag of flags) add(flag, "--mirror");
  if (env !== undefined) {
    for (const part of env.split(",")) {
      if (part.trim() === "") continue;
      add(part.trim(), ENV_NAME);
    }
  }
  return rules;
}

function parseMirrorRule(text: string, origin: string): MirrorRule {
  const eq = text.indexOf("=");
  const hint = `write the rule as FROM=TO, e.g. ${origin === ENV_NAME ? `${ENV_NAME}="https://snapshot.debian.org/archive/debian=https://mirror.example/debian"` : "--mirror https://snapshot.debian.org/archive/debian=https://mirror.example/debian"}`;
  if (eq < 0) throw new UsageError(`${origin}: mirror rule "${text}" has no "=" between FROM and TO`, { code: "BAD_MIRROR_RULE", hint });
  const from = stripTrailingSlashes(text.slice(0, eq).trim());
  const to = stripTrailingSlashes(text.slice(eq + 1).trim());
  for (const [side, value] of [
    ["FROM", from],
    ["TO", to],
  ] as const) {
    if (value === "") throw new UsageError(`${origin}: mirror rule "${text}" has an empty ${side}`, { code: "BAD_MIRROR_RULE", hint });
    if (!/^[a-z][a-z0-9+.-]*:\/\/[^/]/i.test(value) && !/^file:\/\/\/./i.test(value)) {
      throw new UsageError(`${origin}: mirror rule "${text}": ${side} "${value}" is not an absolute URL (scheme://host/... or file:///path)`, {
        code: "BAD_MIRROR_RULE",
        hint,
      });
    }
  }
  return { from, to };
}

function stripTrailingSlashes(s: string): string {
  let end = s.length;
  while (end > 0 && s[end - 1] === "/") end--;
  return s.slice(0, end);
}

/**
 * Rewrites `url` by the rule with the longest matching `from`. A rule matches only at a path boundary:
 * `https://a/debian` matches `https://a/debian/dists/x` and `https://a/debian`, not `https://a/debian-security/...`.
 */
export function applyMirrors(url: string, rules: readonly MirrorRule[]): string {
  let best: MirrorRule | undefined;
  for (const rule of rules) {
    if (!matchesPrefix(url, rule.from)) continue;
    if (best === undefined || rule.from.length > best.from.length) best = rule;
  }
  return best === undefined ? url : best.to + url.slice(best.from.length);
}

function matchesPrefix(url: string, from: string): boolean {
  if (!url.startsWith(from)) return false;
  if (url.length === from.length) return true;
  const next = url[from.length];
  return next === "/" || next === "?" || next === "#";
}
