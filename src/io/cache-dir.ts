import { isAbsolute, join } from "node:path";

/**
 * Where the cache lives: $DEB_LOCK_CACHE_DIR, else $XDG_CACHE_HOME/deb-lock (when absolute, as the XDG spec
 * requires), else ~/.cache/deb-lock.
 */
export function defaultCacheDir(env: Readonly<Record<string, string | undefined>>, homedir: string): string {
  const own = env.DEB_LOCK_CACHE_DIR;
  if (own !== undefined && own !== "") return own;
  const xdg = env.XDG_CACHE_HOME;
  if (xdg !== undefined && xdg !== "" && isAbsolute(xdg)) return join(xdg, "deb-lock");
  return join(homedir, ".cache", "deb-lock");
}
