/** A main-repository label as Bazel package and target name. */
export interface LocalLabel {
  readonly pkg: string;
  readonly name: string;
}

/**
 * A main-repository label seen from a file in package `fromPackage`: `//a/b:c`, `@//a/b:c`, `@@//a/b:c` →
 * package `a/b`, target `c`; `:c` and `c` → `fromPackage`, `c`; `//a/b` → `a/b`, `b`. Labels of other
 * repositories (`@foo//...`) and malformed ones (empty target, a second colon) give undefined.
 */
export function parseLabel(label: string, fromPackage: string): LocalLabel | undefined {
  let rest = label.trim();
  if (rest.startsWith("@@//")) rest = rest.slice(2);
  else if (rest.startsWith("@//")) rest = rest.slice(1);
  else if (rest.startsWith("@")) return undefined;
  let pkg: string;
  let name: string;
  if (rest.startsWith("//")) {
    const colon = rest.indexOf(":");
    pkg = colon < 0 ? rest.slice(2) : rest.slice(2, colon);
    name = colon < 0 ? (pkg.split("/").pop() ?? "") : rest.slice(colon + 1);
  } else {
    pkg = fromPackage;
    name = rest.startsWith(":") ? rest.slice(1) : rest;
  }
  if (name === "" || name.includes(":") || name.startsWith("/")) return undefined;
  return { pkg, name };
}

/** The workspace-relative path of the file a label names: `//a/b:c.yaml` → `a/b/c.yaml`. */
export function labelPath(label: string, fromPackage: string): string | undefined {
  const parsed = parseLabel(label, fromPackage);
  if (parsed === undefined) return undefined;
  return parsed.pkg === "" ? parsed.name : `${parsed.pkg}/${parsed.name}`;
}
