import { relative } from "node:path";
import type { RequestedPackage } from "../app/add.js";
import { UsageError } from "../core/errors.js";
import { parsePackageSpec } from "../edit/manifest.js";
import type { CommandContext } from "./command.js";

/** `--image` (relative to the current directory when it names an existing directory there) or `--manifest`. */
export function targetOptions(ctx: CommandContext, root: string): { image?: string; manifest?: string; distro?: string } {
  const image = ctx.values.image as string | undefined;
  const manifest = ctx.values.manifest as string | undefined;
  const distro = ctx.values.distro as string | undefined;
  if ((image === undefined) === (manifest === undefined)) {
    throw new UsageError("give exactly one of --image DIR and --manifest FILE", { hint: "--image python3 for a distroless image, --manifest private/repos/deb/x.yaml for a plain rules_distroless repo" });
  }
  const relToRoot = (p: string): string => {
    const abs = p.startsWith("/") ? p : `${ctx.io.cwd}/${p}`;
    const rel = relative(root, abs).split("\\").join("/");
    return rel.startsWith("..") ? p : rel === "" ? "." : rel;
  };
  return {
    ...(image === undefined ? {} : { image: relToRoot(image) }),
    ...(manifest === undefined ? {} : { manifest: relToRoot(manifest) }),
    ...(distro === undefined ? {} : { distro }),
  };
}

export function requestedPackages(positionals: readonly string[], verb: string): RequestedPackage[] {
  if (positionals.length === 0) throw new UsageError(`${verb} needs at least one package`, { hint: `deb-lock ${verb} PKG... --image DIR` });
  return positionals.map((spec) => {
    const parsed = parsePackageSpec(spec);
    if ("error" in parsed) throw new UsageError(parsed.error, { hint: "write PKG or PKG=VERSION" });
    return parsed.constraint === undefined ? { name: parsed.name } : { name: parsed.name, constraint: parsed.constraint };
  });
}

/** `--arch A[,B]`: the arch names, or undefined when not given. */
export function archOption(value: unknown): string[] | undefined {
  if (typeof value !== "string") return undefined;
  const archs = value.split(",").map((a) => a.trim()).filter((a) => a !== "");
  if (archs.length === 0) throw new UsageError("--arch needs at least one arch", { hint: "--arch amd64 or --arch amd64,arm64" });
  return archs;
}
