import { readPlainManifest } from "../../edit/manifest-plain.js";
import type { PackageConstraint } from "../../edit/package-spec.js";

/** The manifest as far as check needs it: package names, archs and source roots, with their lines. */

export interface ManifestPackageView {
  readonly name: string;
  /** The spec as written (`pkg`, `pkg (>= 1.2)`, `pkg=1.2-3`) */
  readonly spec: string;
  readonly line: number;
  /** Archs the manifest declares the package absent on: a trailing `# deb-lock: no-arch=arm64,armhf <reason>` */
  readonly noArchs: readonly string[];
  /**
   * Dependencies of the package the workspace leaves out on purpose (e.g. debconf, awk: only maintainer
   * scripts need them, and images never run those): `# deb-lock: without=debconf,awk <reason>`.
   */
  readonly without: readonly string[];
  readonly constraint?: PackageConstraint;
}

export interface ManifestView {
  readonly file: string;
  readonly archs: readonly string[];
  /** Source roots without trailing slashes, per source, in order */
  readonly sources: readonly { readonly channel: string; readonly urls: readonly string[]; readonly line: number }[];
  readonly packages: readonly ManifestPackageView[];
}

/** Values of `key=a,b` in a `deb-lock:` directive of a package comment. */
function directive(comment: string | undefined, key: string): string[] {
  const at = comment?.indexOf("deb-lock:") ?? -1;
  if (at < 0) return [];
  const m = new RegExp(`(?:^|\\s)${key}=([a-z0-9+.,:-]+)`).exec(comment!.slice(at + "deb-lock:".length));
  return m?.[1]?.split(",").filter(Boolean) ?? [];
}

/**
 * The manifest as check needs it (parseManifest plus declared arch gaps). Throws ParseError (BAD_MANIFEST).
 * The YAML reader (and the `yaml` package) is loaded only for a manifest outside the plain form most are
 * written in (see manifest-plain.ts), so an offline check of plain manifests does not load it at all.
 */
export async function readManifestView(text: string, file: string): Promise<ManifestView> {
  const manifest = readPlainManifest(text) ?? (await import("../../edit/manifest.js")).parseManifest(text, file);
  return {
    file,
    archs: manifest.archs,
    sources: manifest.sources.map((s) => ({ channel: s.channel, urls: s.urls.map((u) => u.replace(/\/+$/, "")), line: s.line })),
    packages: manifest.packages.map((p) => ({
      name: p.name,
      spec: p.spec,
      line: p.line,
      noArchs: directive(p.comment, "no-arch"),
      without: directive(p.comment, "without"),
      ...(p.constraint === undefined ? {} : { constraint: p.constraint }),
    })),
  };
}
