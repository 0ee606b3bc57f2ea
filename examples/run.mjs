// npm run example — runs deb-lock on a copy of examples/distroless. See examples/README.md.
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { formatUnifiedDiff } from "../dist/cli/render/diff.js";
import { readAptDebianMirrors } from "../dist/io/apt-sources.js";

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, "..", "dist", "cli", "bin.js");
const workspace = mkdtempSync(join(tmpdir(), "deb-lock-example-"));
cpSync(join(here, "distroless"), workspace, { recursive: true });

function files(root) {
  const out = new Map();
  const walk = (dir) => {
    for (const e of readdirSync(dir)) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(root, p), readFileSync(p, "utf8"));
    }
  };
  walk(root);
  return out;
}

// The manifests name snapshot.debian.org. Without access to it, fetch the same paths from the Debian mirror of
// this machine's apt sources: the locks keep the snapshot URLs, the packages are the mirror's current ones.
const mirrorArgs = [];
const apt = readAptDebianMirrors();
const snapshotRoots = new Set();
for (const [path, text] of files(join(workspace, "private/repos/deb"))) {
  if (!path.endsWith(".yaml")) continue;
  for (const m of text.matchAll(/https:\/\/snapshot\.debian\.org\/archive\/(debian|debian-security)\/\d{8}T\d{6}Z/g)) snapshotRoots.add(m[0]);
}
const reachable = await fetch("https://snapshot.debian.org/", { method: "HEAD", signal: AbortSignal.timeout(5000) }).then(
  () => true,
  () => false,
);
if (!reachable) {
  for (const root of snapshotRoots) {
    const target = root.includes("/debian-security/") ? apt.debianSecurity : apt.debian;
    if (target === undefined) {
      console.error("snapshot.debian.org is unreachable and the apt sources name no Debian mirror: nothing to fetch from");
      process.exit(3);
    }
    mirrorArgs.push("--mirror", `${root}=${target}`);
  }
  console.log(
    `snapshot.debian.org is not reachable: fetching from the Debian mirror of the apt sources instead\n  ${mirrorArgs.filter((_, i) => i % 2).join("\n  ")}\n`,
  );
}

const before = files(workspace);
// [arguments, expected exit code, what to show afterwards]
const steps = [
  [["check"], 0],
  [["lock"], 0],
  // ffmpeg on python3, built for amd64 and arm64 from one package list: the libraries only amd64 has
  // (libmfx1, libdrm-intel1, ...) go into an amd64-only companion repo, referenced from the image for amd64 only.
  [["add", "ffmpeg", "--image", "python3", "-q"], 0, "starlark-diff"],
  [["check", "-q"], 0],
  // remove undoes add byte for byte, the companion repo and its declaration included
  [["remove", "ffmpeg", "--image", "python3", "-q"], 0, "same-as-locked"],
  [["add", "postgresql-client", "--image", "python3", "-q"], 0],
  [["why", "libpq5", "--image", "python3", "--arch", "amd64", "-q"], 0],
  [["check", "--deep", "-q"], 0],
];
console.log(`workspace: ${workspace}\n`);
let locked;
let previous = before;
for (const [args, expected, show] of steps) {
  console.log(`$ deb-lock ${args.join(" ")}`);
  const r = spawnSync(process.execPath, [bin, ...args, "-C", workspace, ...mirrorArgs], { stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" });
  const out = r.stdout.trimEnd().split("\n");
  console.log(out.length > 40 ? [...out.slice(0, 40), `… (${out.length - 40} more lines)`].join("\n") : out.join("\n"));
  console.log(`(exit ${r.status}${expected === 0 ? "" : `, as expected`})\n`);
  if (r.status !== expected) {
    console.error(`deb-lock ${args.join(" ")} exited ${r.status}, expected ${expected}`);
    process.exit(r.status === 0 ? 1 : (r.status ?? 70));
  }
  const now = files(workspace);
  if (args[0] === "lock") locked = now;
  if (show === "starlark-diff") {
    // What a reviewer reads besides the manifests and locks: the image's list and the repo declarations.
    console.log("Starlark changes:");
    for (const [path, text] of now) {
      if (previous.get(path) === text || path.endsWith(".json") || path.endsWith(".yaml")) continue;
      const diff = formatUnifiedDiff(path, previous.get(path) ?? null, text)
        .trimEnd()
        .split("\n");
      console.log(diff.length > 30 ? [...diff.slice(0, 12), `… (${diff.length - 24} lines)`, ...diff.slice(-12)].join("\n") : diff.join("\n"));
    }
    console.log(`new files: ${[...now.keys()].filter((p) => !previous.has(p)).join(", ")}\n`);
  }
  if (show === "same-as-locked") {
    const differ = [...new Set([...now.keys(), ...locked.keys()])].filter((p) => now.get(p) !== locked.get(p));
    if (differ.length > 0) {
      console.error(`remove did not restore: ${differ.join(", ")}`);
      process.exit(1);
    }
    console.log("every file is byte for byte as before the add\n");
  }
  previous = now;
}

const after = files(workspace);
console.log("files changed:");
for (const [path, text] of after) {
  const old = before.get(path);
  if (old === text) continue;
  const delta = text.split("\n").length - (old ?? "").split("\n").length;
  console.log(`  ${path} (${delta >= 0 ? "+" : ""}${delta} lines)`);
}
console.log(`\nThe edited workspace is in ${workspace}`);
