/**
 * The Debian package names a shared library's soname implies (Debian Policy 8.1: the library package is named
 * after the soname — `libfoo.so.3` → `libfoo3`, `libfoo2.so.1` → `libfoo2-1`, lower case), with the `t64`
 * suffix of trixie's 64-bit time_t transition. Only a guess until an index confirms that such a package exists.
 */
export function packageNamesForSoname(soname: string): string[] {
  const m = /^(.+?)\.so(?:\.(.+))?$/.exec(soname);
  if (m === null) return [];
  const stem = m[1]!.toLowerCase().replace(/_/g, "-");
  const version = m[2];
  if (version === undefined) return [];
  const major = version.split(".")[0]!;
  const base = /\d$/.test(stem) ? `${stem}-${major}` : `${stem}${major}`;
  return [base, `${base}t64`];
}
