import { spawn } from "node:child_process";
import { accessSync, chmodSync, constants, copyFileSync, linkSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { arch as hostNodeArch, tmpdir, userInfo } from "node:os";
import { delimiter, dirname, join } from "node:path";
import type { DebFile } from "../core/image/deb-contents.js";
import { RootFs } from "../core/image/rootfs.js";
import type { DebArchives } from "./deb-archive.js";

/**
 * Writes an image's root filesystem to a directory and runs a command in it. Every path is placed by the
 * RootFs model (symlinks resolved inside the image, never through the host's), so a link in a package cannot
 * make a write land outside the directory.
 */
export function writeRootFs(
  dir: string,
  layers: readonly { readonly pkg: string; readonly archives: DebArchives }[],
  extraLinks: readonly { link: string; target: string }[] = [],
): void {
  const model = new RootFs();
  const onDisk = (p: string): string => join(dir, p);
  for (const { pkg, archives } of layers) {
    const data = new Map<DebFile, Uint8Array>();
    const files: DebFile[] = archives.data.map((e) => {
      const f: DebFile = { path: e.path, kind: e.kind, mode: e.mode, ...(e.linkTarget === undefined ? {} : { target: e.linkTarget }) };
      data.set(f, e.data);
      return f;
    });
    model.apply(pkg, { files, links: [] }, (f, path, replaces) => {
      const abs = onDisk(path);
      if (replaces !== undefined) rmSync(abs, { recursive: true, force: true });
      mkdirSync(dirname(abs), { recursive: true });
      switch (f.kind) {
        case "dir":
          mkdirSync(abs, { recursive: true });
          chmodSync(abs, f.mode | 0o700);
          break;
        case "file":
          writeFileSync(abs, data.get(f)!);
          chmodSync(abs, f.mode);
          break;
        case "symlink":
          symlinkSync(f.target!, abs);
          break;
        case "hardlink": {
          const linked = onDisk(model.resolve(f.target!, false).path);
          try {
            linkSync(linked, abs);
          } catch {
            copyFileSync(linked, abs);
          }
          break;
        }
        default:
          // Device nodes and FIFOs: a container runtime provides /dev; nothing in a .deb's data needs them.
          break;
      }
    });
  }
  for (const l of extraLinks) {
    const path = model.placeOf(l.link);
    if (model.get(path) !== undefined) continue;
    mkdirSync(dirname(onDisk(path)), { recursive: true });
    symlinkSync(l.target, onDisk(path));
  }
  for (const d of ["dev", "proc", "tmp"]) mkdirSync(onDisk(d), { recursive: true });
}

/** Debian arch of this machine, as Node names it. */
export function hostDebianArch(): string {
  const map: Record<string, string> = {
    x64: "amd64",
    arm64: "arm64",
    arm: "armhf",
    ia32: "i386",
    s390x: "s390x",
    ppc64: "ppc64el",
    riscv64: "riscv64",
    loong64: "loong64",
  };
  return map[hostNodeArch()] ?? hostNodeArch();
}

const QEMU_NAME: Readonly<Record<string, string>> = {
  amd64: "x86_64",
  arm64: "aarch64",
  armhf: "arm",
  armel: "arm",
  i386: "i386",
  ppc64el: "ppc64le",
  s390x: "s390x",
  riscv64: "riscv64",
  mips64el: "mips64el",
  loong64: "loongarch64",
};

function which(program: string, env: Readonly<Record<string, string | undefined>>): string | undefined {
  for (const dir of (env.PATH ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface RunPlan {
  /** The program to spawn on the host and its arguments. */
  readonly argv: readonly string[];
  /** How: `chroot` (as root) or `unshare` (an unprivileged user namespace). */
  readonly method: "chroot" | "unshare";
  /** The emulator copied into the root, for a foreign arch. */
  readonly emulator?: string;
}

export type RunPlanResult = { readonly ok: true; readonly plan: RunPlan } | { readonly ok: false; readonly reason: string; readonly install: string };

/**
 * How to run `argv` inside the root at `dir` for `debArch`: chroot as root, else `unshare --map-root-user
 * --root`; a foreign arch through qemu-user-static copied into the root (no binfmt_misc needed). When it cannot
 * run here, says why and what to install. Copies the emulator into `dir` when one is needed.
 */
export function planRun(dir: string, argv: readonly string[], debArch: string, env: Readonly<Record<string, string | undefined>>): RunPlanResult {
  const host = hostDebianArch();
  let prefix: string[] = [];
  let emulator: string | undefined;
  if (debArch !== host) {
    const q = QEMU_NAME[debArch];
    const found = q === undefined ? undefined : which(`qemu-${q}-static`, env);
    if (found === undefined) {
      return {
        ok: false,
        reason: `the image is ${debArch} and this machine is ${host}: running it needs ${q === undefined ? "an emulator for that arch" : `qemu-${q}-static`}, which is not on PATH`,
        install: "install Debian's qemu-user-static package (apt-get install qemu-user-static); binfmt_misc is not needed",
      };
    }
    emulator = `/.deb-lock-qemu-${q}-static`;
    copyFileSync(found, join(dir, emulator));
    chmodSync(join(dir, emulator), 0o755);
    prefix = [emulator];
  }
  const isRoot = userInfo().uid === 0;
  if (isRoot) {
    const chroot = which("chroot", env);
    if (chroot === undefined)
      return { ok: false, reason: "running as root, but chroot is not on PATH", install: "install Debian's coreutils package (chroot is in it)" };
    return { ok: true, plan: { argv: [chroot, dir, ...prefix, ...argv], method: "chroot", ...(emulator === undefined ? {} : { emulator }) } };
  }
  const unshare = which("unshare", env);
  if (unshare === undefined) {
    return {
      ok: false,
      reason: "not running as root, and unshare (for an unprivileged user namespace) is not on PATH",
      install: "install Debian's util-linux package, or run deb-lock verify --run as root",
    };
  }
  return {
    ok: true,
    plan: {
      argv: [unshare, "--user", "--map-root-user", `--root=${dir}`, ...prefix, ...argv],
      method: "unshare",
      ...(emulator === undefined ? {} : { emulator }),
    },
  };
}

export interface RunResult {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Set when the process could not be started at all. */
  readonly spawnError?: string;
}

/** Runs a planned command with a clean environment (as a container would start it), capturing its output. */
export function runPlanned(plan: RunPlan, options: { timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(plan.argv[0]!, plan.argv.slice(1), {
      env: { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C.UTF-8" },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: options.timeoutMs ?? 300_000,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    child.on("error", (e) => resolve({ exitCode: null, signal: null, stdout: "", stderr: "", spawnError: e.message }));
    child.on("close", (code, signal) =>
      resolve({ exitCode: code, signal, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") }),
    );
  });
}

/** The machine's runner for `verify --run`: a temporary directory under the system's, removed afterwards. */
export function nodeRootRunner(env: Readonly<Record<string, string | undefined>>): {
  makeTempDir(): Promise<string>;
  removeTempDir(dir: string): Promise<void>;
  writeRootFs: typeof writeRootFs;
  plan(dir: string, argv: readonly string[], debArch: string): RunPlanResult;
  run(plan: RunPlan): Promise<RunResult>;
} {
  return {
    makeTempDir: () => mkdtemp(join(env.TMPDIR ?? tmpdir(), "deb-lock-verify-")),
    removeTempDir: (dir) => rm(dir, { recursive: true, force: true }),
    writeRootFs,
    plan: (dir, argv, debArch) => planRun(dir, argv, debArch, env),
    run: (plan) => runPlanned(plan),
  };
}
