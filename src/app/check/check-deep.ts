import type { PackageRecord } from "../../core/debian/package.js";
import { parseManifest } from "../../edit/manifest.js";
import type { IndexLoader } from "../indexes/index-loader.js";
import type { ArchIndexes } from "../indexes/resolve-repo.js";
import { loadManifestIndexes } from "../lock/lock.js";
import type { RepoDecl } from "../workspace/workspace.js";
import { type CheckFinding, relockHint } from "./check-finding.js";
import type { ImageCheckInput } from "./check-images.js";
import type { CheckedRepo } from "./check-repo.js";
import { findUnsatisfiedDependencies, type UnsatisfiedDependency } from "./unsatisfied-dependencies.js";
import { workspaceRelative } from "./workspace-relative.js";

/** The deep checks: the locked sets against the verified archive's records. */

function recordsByVersion(indexes: readonly ArchIndexes[]): Map<string, PackageRecord> {
  const map = new Map<string, PackageRecord>();
  for (const arch of indexes) {
    for (const entry of arch.indexes) {
      for (const r of entry.index.records) {
        if (r.architecture !== arch.arch && r.architecture !== "all") continue;
        const key = `${arch.arch}\u0000${r.name}\u0000${r.version}`;
        if (!map.has(key)) map.set(key, r);
      }
    }
  }
  return map;
}

/** Deep checks: sha256 of every entry against the verified index, and the closure of every package set. */
export async function checkDeep(
  root: string,
  checked: readonly { decl: RepoDecl; repo: CheckedRepo; manifestText: string }[],
  images: readonly ImageCheckInput[],
  loader: IndexLoader,
): Promise<CheckFinding[]> {
  const findings: CheckFinding[] = [];
  const usable = checked.filter((c) => c.repo.lock !== undefined && c.repo.manifest !== undefined);
  const records = new Map<string, Map<string, PackageRecord>>();
  await Promise.all(
    usable.map(async (c) => {
      const manifest = parseManifest(c.manifestText, c.repo.manifest!.file);
      records.set(c.decl.name, recordsByVersion(await loadManifestIndexes(manifest, loader)));
    }),
  );
  const recordOf = new Map<string, PackageRecord>(); // `${repo}\0${name}:${arch}`
  for (const c of usable) {
    const byVersion = records.get(c.decl.name)!;
    const lockFile = workspaceRelative(root, c.decl.lockPath);
    for (const entry of c.repo.entries.values()) {
      const pkg = entry.pkg;
      const record = byVersion.get(`${pkg.arch}\u0000${pkg.name}\u0000${pkg.version}`);
      if (record === undefined) {
        findings.push({
          code: "LOCKED_VERSION_NOT_IN_INDEX",
          file: lockFile,
          line: entry.line,
          message: `${pkg.name} ${pkg.version} (${pkg.arch}) is not in the indexes of ${c.repo.manifest!.file}'s sources`,
          hint: relockHint(c.repo.manifest!.file),
        });
        continue;
      }
      if (record.sha256 !== pkg.sha256) {
        findings.push({
          code: "SHA256_MISMATCH",
          file: lockFile,
          line: entry.line,
          message: `${pkg.key} has sha256 ${pkg.sha256.slice(0, 12)}…, but the verified index says ${record.sha256.slice(0, 12)}…`,
          hint: relockHint(c.repo.manifest!.file),
        });
      }
      recordOf.set(`${c.decl.name}\u0000${pkg.name}:${pkg.arch}`, record);
    }
  }

  // The sets that must be closed: each image (with its ancestors' packages), or, without image
  // information, the locks of each group of repos that share a distro (explicit-closure repos are
  // combined by images; a transitive repo's lock is its own closure).
  interface PackageSet {
    readonly label: string;
    readonly arch: string;
    /** `image` is set on the packages the image lists itself (not inherited): where an addition would go. */
    readonly members: { repo: string; name: string; image?: string }[];
  }
  const sets: PackageSet[] = [];
  if (images.length > 0) {
    for (const image of images) {
      for (const arch of image.archs) {
        const own = [
          ...image.packages.map((p) => ({ repo: image.repoByArch?.[arch] ?? image.repo, name: p.name, image: image.image })),
          ...(image.archPackages?.[arch] ?? []).flatMap((l) => l.packages.map((p) => ({ repo: l.repo, name: p.name, image: image.image }))),
        ];
        const inherited = (image.ancestors?.[arch] ?? []).flatMap((a) => a.names.map((name) => ({ repo: a.repo, name })));
        sets.push({ label: `image ${image.image} (${image.distro})`, arch, members: [...own, ...inherited] });
      }
    }
  } else {
    const groups = new Map<string, typeof usable>();
    for (const c of usable) {
      const key = c.decl.resolveTransitive ? `t\u0000${c.decl.name}` : `e\u0000${c.repo.manifest!.sources[0]?.channel.split(/\s+/)[0] ?? ""}`;
      groups.set(key, [...(groups.get(key) ?? []), c]);
    }
    for (const group of groups.values()) {
      const archs = [...new Set(group.flatMap((c) => c.repo.manifest!.archs))];
      for (const arch of archs) {
        sets.push({
          label: group.length === 1 ? `the ${group[0]!.decl.name} lock` : `the ${group.map((c) => c.decl.name).join(" + ")} locks`,
          arch,
          members: group.flatMap((c) =>
            [...c.repo.entries.values()].filter((e) => e.pkg.arch === arch).map((e) => ({ repo: c.decl.name, name: e.pkg.name })),
          ),
        });
      }
    }
  }
  // One finding per (package, unmet relations), naming every arch and set it is unmet in.
  const reported = new Map<
    string,
    {
      c: (typeof usable)[number];
      name: string;
      version: string;
      relations: UnsatisfiedDependency[];
      archs: Set<string>;
      labels: Set<string>;
      owners: Set<string>;
      line?: number;
    }
  >();
  for (const set of sets) {
    const present = set.members
      .map((m) => ({ m, record: recordOf.get(`${m.repo}\u0000${m.name}:${set.arch}`) }))
      .filter((x) => x.record !== undefined);
    for (const miss of groupUnsatisfied(
      findUnsatisfiedDependencies(
        present.map((x) => x.record!),
        set.arch,
      ),
    )) {
      const member = present.find((x) => x.record!.name === miss.name)!.m;
      const c = usable.find((u) => u.decl.name === member.repo)!;
      const without = new Set(c.repo.manifest!.packages.find((p) => p.name === miss.name)?.without ?? []);
      const relations = miss.relations.filter((r) => !r.missing.some((name) => without.has(name)));
      if (relations.length === 0) continue;
      const key = `${member.repo}\u0000${miss.name}\u0000${relations.map((r) => r.relation).join()}`;
      const entry = c.repo.entries.get(`${miss.name}:${set.arch}`);
      const g = reported.get(key) ?? {
        c,
        name: miss.name,
        version: miss.version,
        relations,
        archs: new Set<string>(),
        labels: new Set<string>(),
        owners: new Set<string>(),
        ...(entry === undefined ? {} : { line: entry.line }),
      };
      g.archs.add(set.arch);
      g.labels.add(set.label);
      if (member.image !== undefined) g.owners.add(member.image);
      reported.set(key, g);
    }
  }
  const realNames = new Map<string, Set<string>>(); // repo → names of real packages in its indexes
  for (const [repo, byVersion] of records) realNames.set(repo, new Set([...byVersion.keys()].map((k) => k.split("\u0000")[1]!)));
  for (const g of reported.values()) {
    const manifest = g.c.repo.manifest!.file;
    const names = [...new Set(g.relations.flatMap((r) => r.missing))];
    const labels = [...g.labels];
    const plural = labels.length > 1 || labels[0]!.endsWith(" locks");
    findings.push({
      code: "UNSATISFIED_DEPENDENCY",
      file: workspaceRelative(root, g.c.decl.lockPath),
      ...(g.line === undefined ? {} : { line: g.line }),
      key: `${g.name} needs ${g.relations.map((r) => r.missing.join("|")).join(", ")}`,
      message: `${g.name} ${g.version} (${[...g.archs].join(", ")}) needs ${g.relations.map((r) => `${r.relation} [${r.field}]`).join(", ")}, which ${labels.join(", ")} ${plural ? "do" : "does"} not contain`,
      hint: g.c.decl.resolveTransitive
        ? relockHint(manifest)
        : explicitClosureHint(g, manifest, names, images.length > 0, realNames.get(g.c.decl.name) ?? new Set()),
    });
  }
  return findings;
}

/**
 * What to do about a dependency an explicit-closure repo (resolve_transitive = False) leaves out: add it where the
 * package that needs it is listed — `deb-lock add` puts it in the image list (or manifest), the manifest and the
 * lock — or declare the gap. A command is suggested only when it would do that: for the first alternative of each
 * or-group, when that is a real package of the repo's indexes (a virtual name needs a choice of provider).
 */
function explicitClosureHint(
  g: { name: string; relations: readonly UnsatisfiedDependency[]; owners: ReadonlySet<string> },
  manifest: string,
  names: readonly string[],
  withImages: boolean,
  realNames: ReadonlySet<string>,
): string {
  const firstAlternatives = [...new Set(g.relations.map((r) => r.missing[0]!.split(":")[0]!))];
  const virtual = firstAlternatives.filter((n) => !realNames.has(n));
  const owners = [...g.owners];
  const oneOf = g.relations.some((r) => r.missing.length > 1) ? "the first alternative of each or-group; " : "";
  const inImages = owners.length === 0 ? `the image that lists ${g.name}` : `${owners.length === 1 ? "image" : "images"} ${owners.join(", ")}`;
  let add: string;
  if (virtual.length > 0) {
    const rest = firstAlternatives.filter((n) => !virtual.includes(n));
    add = `add a package that provides ${virtual.join(", ")}${rest.length > 0 ? `, and ${rest.join(", ")},` : ""} to ${withImages ? inImages : manifest}`;
  } else if (!withImages) {
    add = `run \`deb-lock add ${firstAlternatives.join(" ")} --manifest ${manifest}\` (${oneOf}it edits the manifest and the lock)`;
  } else if (owners.length > 0) {
    const commands = owners.map((o) => `\`deb-lock add ${firstAlternatives.join(" ")} --image ${o}\``).join(" and ");
    add = `run ${commands} (${oneOf}it edits the image's list, ${manifest} and its lock)`;
  } else {
    add = `add ${firstAlternatives.join(", ")} to ${inImages}`;
  }
  return `${add}; or, if the image does without on purpose, mark ${g.name}'s line in ${manifest} with \`# deb-lock: without=${names.join(",")}\``;
}

function groupUnsatisfied(list: readonly UnsatisfiedDependency[]): { name: string; version: string; relations: UnsatisfiedDependency[] }[] {
  const out = new Map<string, { name: string; version: string; relations: UnsatisfiedDependency[] }>();
  for (const u of list) {
    const g = out.get(u.name) ?? { name: u.name, version: u.version, relations: [] };
    g.relations.push(u);
    out.set(u.name, g);
  }
  return [...out.values()];
}
