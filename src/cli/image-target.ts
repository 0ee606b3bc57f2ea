import { existsSync, readdirSync, statSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import type { RequestedPackage } from "../app/add/add.js";
import { UsageError } from "../core/errors.js";
import { parsePackageSpec } from "../edit/package-spec.js";
import type { CommandContext } from "./command.js";

const hasBuildFile = (dir: string): boolean => existsSync(join(dir, "BUILD")) || existsSync(join(dir, "BUILD.bazel"));

/**
 * An `--image` argument as the workspace-relative Bazel package it names, with its `:NAME` if any. `//java:java_base`
 * and absolute paths are unambiguous; a relative `DIR` is taken from the current directory when that is inside the
 * workspace and DIR exists there, else from the workspace root (so `-C ROOT --image python3` works from anywhere).
 * A directory without a BUILD file in the workspace is a usage error (exit 2) that lists the candidates.
 */
export function workspaceImageArg(cwd: string, root: string, arg: string): string {
  const colon = arg.lastIndexOf(":");
  const [dir, name] = colon > 0 && !/^[a-zA-Z]:[\\/]/.test(arg) ? [arg.slice(0, colon), arg.slice(colon)] : [arg, ""];
  const inWorkspace = (abs: string): string | undefined => {
    const rel = relative(root, abs).split("\\").join("/");
    return rel.startsWith("..") || isAbsolute(rel) ? undefined : rel;
  };
  let pkg: string | undefined;
  if (dir.startsWith("//")) pkg = dir.slice(2);
  else if (isAbsolute(dir)) pkg = inWorkspace(dir);
  else {
    const fromCwd = inWorkspace(resolve(cwd, dir));
    pkg = fromCwd !== undefined && existsSync(resolve(cwd, dir)) ? fromCwd : inWorkspace(resolve(root, dir));
  }
  if (pkg === undefined || !hasBuildFile(resolve(root, pkg))) {
    throw new UsageError(
      `no image ${arg} in the workspace ${root}: ${pkg === undefined ? "that path is outside it" : `${pkg || "."} has no BUILD or BUILD.bazel file`}`,
      {
        code: "IMAGE_NOT_FOUND",
        hint: `--image takes an image's Bazel package directory, relative to the workspace root or the current directory (${imageCandidates(root)})`,
      },
    );
  }
  return `${pkg === "" ? "." : pkg}${name}`;
}

/** Top-level directories of the workspace with a BUILD file, for error hints. */
function imageCandidates(root: string): string {
  let dirs: string[] = [];
  try {
    dirs = readdirSync(root)
      .filter((d) => !d.startsWith(".") && !d.startsWith("bazel-") && statSync(join(root, d)).isDirectory() && hasBuildFile(join(root, d)))
      .sort();
  } catch {
    dirs = [];
  }
  return dirs.length === 0
    ? "this workspace has no directory with a BUILD file"
    : `directories with a BUILD file: ${dirs.slice(0, 12).join(", ")}${dirs.length > 12 ? ", ..." : ""}`;
}

/** `--image` (see workspaceImageArg) or `--manifest` (relative to the current directory). */
export function targetOptions(ctx: CommandContext, root: string): { image?: string; manifest?: string; distro?: string } {
  const image = ctx.values.image as string | undefined;
  const manifest = ctx.values.manifest as string | undefined;
  const distro = ctx.values.distro as string | undefined;
  if ((image === undefined) === (manifest === undefined)) {
    throw new UsageError("give exactly one of --image DIR and --manifest FILE", {
      hint: "--image python3 for a distroless image, --manifest private/repos/deb/x.yaml for a plain rules_distroless repo",
    });
  }
  const relToRoot = (p: string): string => {
    const abs = p.startsWith("/") ? p : `${ctx.io.cwd}/${p}`;
    const rel = relative(root, abs).split("\\").join("/");
    return rel.startsWith("..") ? p : rel === "" ? "." : rel;
  };
  return {
    ...(image === undefined ? {} : { image: workspaceImageArg(ctx.io.cwd, root, image) }),
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
  const archs = value
    .split(",")
    .map((a) => a.trim())
    .filter((a) => a !== "");
  if (archs.length === 0) throw new UsageError("--arch needs at least one arch", { hint: "--arch amd64 or --arch amd64,arm64" });
  return archs;
}
