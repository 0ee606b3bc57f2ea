import { createHash } from "node:crypto";
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DebLockError } from "../core/errors.js";
import { applyChangeSet, type Interruption, JOURNAL_NAME, realTransactionFs, recoverWorkspace, type TransactionFs } from "./files.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "files-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Every file under `root` with its content, for before/after comparisons (includes stray temp files). */
async function snapshot(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string, prefix: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const rel = prefix + e.name;
      if (e.isDirectory()) {
        out[`${rel}/`] = "<dir>";
        await walk(join(d, e.name), `${rel}/`);
      } else {
        out[rel] = await readFile(join(d, e.name), "utf8");
      }
    }
  };
  await walk(root, "");
  return out;
}

async function thrown(p: Promise<unknown>): Promise<DebLockError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(DebLockError);
    return e as DebLockError;
  }
  throw new Error("expected a DebLockError");
}

describe("applyChangeSet", () => {
  it("creates, replaces and deletes files together, keeping modes", async () => {
    await writeFile(join(dir, "a.yaml"), "old a\n");
    await chmod(join(dir, "a.yaml"), 0o600);
    await writeFile(join(dir, "gone.lock.json"), "old");
    await applyChangeSet([
      { path: join(dir, "a.yaml"), before: "old a\n", after: "new a\n" },
      { path: join(dir, "gone.lock.json"), before: "old", after: null },
      { path: join(dir, "private/repos/deb/new.lock.json"), before: null, after: "{}" },
      { path: join(dir, "same.txt"), before: null, after: null },
    ]);
    expect(await snapshot(dir)).toEqual({
      "a.yaml": "new a\n",
      "private/": "<dir>",
      "private/repos/": "<dir>",
      "private/repos/deb/": "<dir>",
      "private/repos/deb/new.lock.json": "{}",
    });
    expect((await stat(join(dir, "a.yaml"))).mode & 0o777).toBe(0o600);
  });

  it("does nothing for an empty change set or unchanged contents", async () => {
    await writeFile(join(dir, "a"), "same");
    await applyChangeSet([]);
    await applyChangeSet([{ path: join(dir, "a"), before: "same", after: "same" }]);
    expect(await snapshot(dir)).toEqual({ a: "same" });
  });

  it.each([
    ["modified", "a", "edited by someone", "was modified"],
    ["created", "b", "appeared", "was created"],
    ["deleted", "c", undefined, "was deleted"],
  ])("refuses with FILE_CHANGED when a target was %s, touching nothing", async (_what, name, content, message) => {
    await writeFile(join(dir, "a"), "a0");
    await writeFile(join(dir, "c"), "c0");
    const changes = [
      { path: join(dir, "a"), before: "a0", after: "a1" },
      { path: join(dir, "b"), before: null, after: "b1" },
      { path: join(dir, "c"), before: "c0", after: null },
    ];
    if (content === undefined) await rm(join(dir, name));
    else await writeFile(join(dir, name), content);
    const before = await snapshot(dir);
    const e = await thrown(applyChangeSet(changes));
    expect(e.code).toBe("FILE_CHANGED");
    expect(e.message).toContain(join(dir, name));
    expect(e.message).toContain(message);
    expect(e.hint).toMatch(/run the command again/);
    expect(await snapshot(dir)).toEqual(before);
  });

  it("rolls everything back when a rename fails because a directory got in the way", async () => {
    await writeFile(join(dir, "a"), "a0");
    await chmod(join(dir, "a"), 0o751);
    await writeFile(join(dir, "d"), "d0");
    await writeFile(join(dir, "z"), "z0");
    const before = await snapshot(dir);
    // Between the check and the swap, something puts a non-empty directory where "z" is to be written.
    const racing: TransactionFs = {
      ...realTransactionFs,
      rename: async (from, to) => {
        if (to === join(dir, "z")) {
          await rm(to);
          await mkdir(to);
          await writeFile(join(to, "child"), "c");
        }
        return realTransactionFs.rename(from, to);
      },
    };
    const e = await thrown(
      applyChangeSet(
        [
          { path: join(dir, "a"), before: "a0", after: "a1" },
          { path: join(dir, "d"), before: "d0", after: null },
          { path: join(dir, "new/sub/n"), before: null, after: "n1" },
          { path: join(dir, "z"), before: "z0", after: "z1" },
        ],
        { fs: racing },
      ),
    );
    expect(e.code).toBe("WRITE_FAILED");
    expect(e.message).toMatch(/every file was restored/);
    // Everything is as before except the intruding directory, which the transaction leaves alone.
    const expected: Record<string, string> = { ...before, "z/": "<dir>", "z/child": "c" };
    delete expected.z;
    expect(await snapshot(dir)).toEqual(expected);
    expect((await stat(join(dir, "a"))).mode & 0o777).toBe(0o751);
  });

  it("restores replaced and deleted files when a later rename fails", async () => {
    await writeFile(join(dir, "a"), "a0");
    await writeFile(join(dir, "b"), "b0");
    await writeFile(join(dir, "c"), "c0");
    const before = await snapshot(dir);
    const failing: TransactionFs = {
      ...realTransactionFs,
      rename: async (from, to) => {
        if (to === join(dir, "c")) throw Object.assign(new Error(`EACCES: permission denied, rename '${from}' -> '${to}'`), { code: "EACCES" });
        return realTransactionFs.rename(from, to);
      },
    };
    const e = await thrown(
      applyChangeSet(
        [
          { path: join(dir, "a"), before: "a0", after: "a1" },
          { path: join(dir, "b"), before: "b0", after: null },
          { path: join(dir, "created"), before: null, after: "x" },
          { path: join(dir, "c"), before: "c0", after: "c1" },
        ],
        { fs: failing },
      ),
    );
    expect(e.code).toBe("WRITE_FAILED");
    expect(e.message).toMatch(/EACCES/);
    expect(await snapshot(dir)).toEqual(before);
  });

  it("removes temp files and created directories when writing a temp file fails", async () => {
    await writeFile(join(dir, "a"), "a0");
    const before = await snapshot(dir);
    let writes = 0;
    const full: TransactionFs = {
      ...realTransactionFs,
      writeFile: async (p, d, o) => {
        if (++writes === 2) throw Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
        return realTransactionFs.writeFile(p, d, o);
      },
    };
    const e = await thrown(
      applyChangeSet(
        [
          { path: join(dir, "a"), before: "a0", after: "a1" },
          { path: join(dir, "x/y/new"), before: null, after: "n" },
        ],
        { fs: full },
      ),
    );
    expect(e.code).toBe("WRITE_FAILED");
    expect(e.message).toMatch(/nothing was changed/);
    expect(await snapshot(dir)).toEqual(before);
  });

  it("names the files it could not restore", async () => {
    await writeFile(join(dir, "a"), "a0");
    await writeFile(join(dir, "b"), "b0");
    let failRestore = false;
    const broken: TransactionFs = {
      ...realTransactionFs,
      rename: async (from, to) => {
        if (to === join(dir, "b")) {
          failRestore = true;
          throw new Error("EIO: i/o error");
        }
        if (failRestore && to === join(dir, "a")) throw new Error("EIO: i/o error");
        return realTransactionFs.rename(from, to);
      },
    };
    const e = await thrown(
      applyChangeSet(
        [
          { path: join(dir, "a"), before: "a0", after: "a1" },
          { path: join(dir, "b"), before: "b0", after: "b1" },
        ],
        { fs: broken },
      ),
    );
    expect(e.code).toBe("ROLLBACK_FAILED");
    expect(e.message).toContain(join(dir, "a"));
    expect(e.hint).toMatch(/deb-lock-bak/);
    // The journal stays, and the next run (with a working disk) finishes the rollback.
    expect((await readdir(dir)).sort()).toContain(JOURNAL_NAME);
    expect(await recoverWorkspace(dir)).toEqual({ outcome: "rolled-back", files: ["a", "b"] });
    expect(await snapshot(dir)).toEqual({ a: "a0", b: "b0" });
  });

  it("edits a symlinked file where it lives, keeping the link", async () => {
    await mkdir(join(dir, "shared"));
    await writeFile(join(dir, "shared/bookworm.yaml"), "v1\n");
    await symlink("shared/bookworm.yaml", join(dir, "link.yaml"));
    await applyChangeSet([{ path: join(dir, "link.yaml"), before: "v1\n", after: "v2\n" }]);
    expect((await lstat(join(dir, "link.yaml"))).isSymbolicLink()).toBe(true);
    expect(await readFile(join(dir, "shared/bookworm.yaml"), "utf8")).toBe("v2\n");
  });

  it("rejects a path changed twice", async () => {
    const e = await thrown(
      applyChangeSet([
        { path: join(dir, "a"), before: null, after: "1" },
        { path: join(dir, ".", "a"), before: null, after: "2" },
      ]),
    );
    expect(e.code).toBe("DUPLICATE_CHANGE");
  });
});

describe("the journal", () => {
  /** A signal source whose signal arrives just before step `at`. */
  function signalAt(at: number, signal: NodeJS.Signals): { interruption: Interruption; onStep: (s: { index: number }) => void } {
    let pending: NodeJS.Signals | undefined;
    return {
      interruption: { pending: () => pending, hold: () => () => {}, whenSignalled: () => Promise.resolve() },
      onStep: (s) => {
        if (s.index === at) pending = signal;
      },
    };
  }

  it("rolls back when a signal arrives at any step before the commit, and keeps the change after it", async () => {
    const changes = (root: string) => [
      { path: join(root, "a"), before: "a0", after: "a1" },
      { path: join(root, "gone"), before: "g0", after: null },
      { path: join(root, "new/dir/n"), before: null, after: "n1" },
    ];
    const actions: string[] = [];
    const traced = join(dir, "traced");
    await mkdir(traced);
    await writeFile(join(traced, "a"), "a0");
    await writeFile(join(traced, "gone"), "g0");
    await applyChangeSet(changes(traced), { root: traced, onStep: (s) => void actions.push(s.action) });
    const commit = actions.lastIndexOf("rename");
    expect(actions[commit - 1]).toBe("commit");
    for (let at = 0; at < actions.length; at++) {
      const root = join(dir, `ws${at}`);
      await mkdir(root);
      await writeFile(join(root, "a"), "a0");
      await writeFile(join(root, "gone"), "g0");
      const e = await thrown(applyChangeSet(changes(root), { root, ...signalAt(at, "SIGTERM") }));
      expect(e.code).toBe("INTERRUPTED");
      expect(e.message).toMatch(/SIGTERM/);
      expect(await snapshot(root)).toEqual(
        at <= commit ? { a: "a0", gone: "g0" } : { a: "a1", "new/": "<dir>", "new/dir/": "<dir>", "new/dir/n": "n1" },
      );
    }
  });

  it("recovery rolls back a pending journal: old files back, created files and temp files gone", async () => {
    await writeFile(join(dir, "a"), "a1"); // already renamed in
    await writeFile(join(dir, ".a.x.deb-lock-bak"), "a0");
    await writeFile(join(dir, ".b.x.deb-lock-tmp"), "b1"); // not yet renamed
    await writeFile(join(dir, "b"), "b0");
    await writeFile(join(dir, ".b.x.deb-lock-bak"), "b0");
    await mkdir(join(dir, "sub"));
    await writeFile(join(dir, "sub/c"), "c1"); // created by the change
    const sha = (t: string) => createHash("sha256").update(t).digest("hex");
    await writeFile(
      join(dir, JOURNAL_NAME),
      JSON.stringify({
        version: 1,
        pid: 2 ** 22 + 1,
        state: "pending",
        dirs: ["sub"],
        entries: [
          { path: "a", tmp: ".a.y.deb-lock-tmp", backup: ".a.x.deb-lock-bak", after: sha("a1") },
          { path: "b", tmp: ".b.x.deb-lock-tmp", backup: ".b.x.deb-lock-bak", after: sha("b1") },
          { path: "sub/c", tmp: "sub/.c.x.deb-lock-tmp", backup: null, after: sha("c1") },
        ],
      }),
    );
    expect(await recoverWorkspace(dir, { isRunning: () => false })).toEqual({ outcome: "rolled-back", files: ["a", "b", "sub/c"] });
    expect(await snapshot(dir)).toEqual({ a: "a0", b: "b0" });
    expect(await recoverWorkspace(dir)).toEqual({ outcome: "none", files: [] });
  });

  it("recovery finishes a committed journal and refuses while its writer still runs", async () => {
    await writeFile(join(dir, "a"), "a1");
    await writeFile(join(dir, ".a.x.deb-lock-bak"), "a0");
    const journal = {
      version: 1,
      pid: 2 ** 22 + 1,
      state: "committed",
      dirs: [],
      entries: [{ path: "a", tmp: ".a.x.deb-lock-tmp", backup: ".a.x.deb-lock-bak", after: "00" }],
    };
    await writeFile(join(dir, JOURNAL_NAME), JSON.stringify(journal));
    const busy = await thrown(recoverWorkspace(dir, { isRunning: () => true }));
    expect(busy.code).toBe("WORKSPACE_BUSY");
    expect(busy.message).toContain(String(journal.pid));
    expect(await recoverWorkspace(dir, { isRunning: () => false })).toEqual({ outcome: "completed", files: ["a"] });
    expect(await snapshot(dir)).toEqual({ a: "a1" });
  });

  it("a torn journal (crash while writing it) means nothing was touched; a foreign one is refused", async () => {
    await writeFile(join(dir, "a"), "a0");
    await writeFile(join(dir, JOURNAL_NAME), '{"version":1,"pid":5,"state":"pen');
    expect((await recoverWorkspace(dir)).outcome).toBe("rolled-back");
    expect(await snapshot(dir)).toEqual({ a: "a0" });
    await writeFile(join(dir, JOURNAL_NAME), '{"version":1,"pid":5,"state":"pending","entries":[{"path":"/etc/passwd"}],"dirs":[]}');
    expect((await thrown(recoverWorkspace(dir))).code).toBe("JOURNAL_UNREADABLE");
  });
});

describe("confinement to the workspace", () => {
  it("refuses a path outside the root and a symlink leading out, naming them; writes nothing", async () => {
    const root = join(dir, "ws");
    const outside = join(dir, "outside");
    await mkdir(join(root, "deb"), { recursive: true });
    await mkdir(outside);
    await writeFile(join(outside, "x.lock.json"), "theirs");
    await symlink(join(outside, "x.lock.json"), join(root, "deb/link.lock.json"));
    await symlink(outside, join(root, "deb/dirlink"));
    const state = async () => ({
      outside: await snapshot(outside),
      deb: (await readdir(join(root, "deb"))).sort(),
      top: (await readdir(dir)).sort(),
    });
    const before = await state();
    for (const path of [join(root, "../outside/new.lock.json"), join(root, "deb/link.lock.json"), join(root, "deb/dirlink/y.lock.json")]) {
      const e = await thrown(
        applyChangeSet(
          [
            { path: join(root, "deb/ok.lock.json"), before: null, after: "1" },
            { path, before: path.endsWith("link.lock.json") ? "theirs" : null, after: "2" },
          ],
          { root },
        ),
      );
      expect(e.code).toBe("OUTSIDE_WORKSPACE");
      expect(e.message).toContain(path);
      expect(e.hint).toMatch(/--allow-outside-workspace/);
      expect(await state()).toEqual(before);
    }
    await applyChangeSet([{ path: join(root, "deb/link.lock.json"), before: "theirs", after: "ours" }], { root, allowOutside: true });
    expect(await readFile(join(outside, "x.lock.json"), "utf8")).toBe("ours");
  });
});

describe("byte fidelity", () => {
  it("refuses to rewrite a file holding bytes that are not UTF-8, instead of replacing them", async () => {
    const bytes = Buffer.concat([Buffer.from("packages:\n  - libc6 # caf"), Buffer.from([0xe9]), Buffer.from("\n")]);
    await writeFile(join(dir, "m.yaml"), bytes);
    const before = bytes.toString("utf8");
    const e = await thrown(applyChangeSet([{ path: join(dir, "m.yaml"), before, after: `${before}  - tzdata\n` }], { root: dir }));
    expect(e.code).toBe("NOT_UTF8");
    expect(e.message).toContain("m.yaml");
    expect((await readFile(join(dir, "m.yaml"))).equals(bytes)).toBe(true);
    expect(await readdir(dir)).toEqual(["m.yaml"]);
  });
});
