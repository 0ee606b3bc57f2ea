import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DebLockError } from "../core/errors.js";
import { applyChangeSet, realTransactionFs, writeFileAtomic, type TransactionFs } from "./files.js";

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

describe("writeFileAtomic", () => {
  it("creates and replaces a file, keeping its mode, leaving no temp files", async () => {
    const p = join(dir, "bookworm.lock.json");
    await writeFileAtomic(p, "one");
    expect(await readFile(p, "utf8")).toBe("one");
    await chmod(p, 0o640);
    await writeFileAtomic(p, new TextEncoder().encode("two"));
    expect(await readFile(p, "utf8")).toBe("two");
    expect((await stat(p)).mode & 0o777).toBe(0o640);
    expect(await readdir(dir)).toEqual(["bookworm.lock.json"]);
  });

  it("leaves the old file and no temp file when the rename fails", async () => {
    const p = join(dir, "target");
    await mkdir(p);
    await writeFile(join(p, "inside"), "x");
    await expect(writeFileAtomic(p, "new")).rejects.toThrow();
    expect(await snapshot(dir)).toEqual({ "target/": "<dir>", "target/inside": "x" });
  });
});

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
        racing,
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
        failing,
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
        full,
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
        broken,
      ),
    );
    expect(e.code).toBe("ROLLBACK_FAILED");
    expect(e.message).toContain(join(dir, "a"));
    expect(e.hint).toMatch(/deb-lock-bak/);
  });

  it("edits a symlinked file where it lives, keeping the link", async () => {
    await mkdir(join(dir, "shared"));
    await writeFile(join(dir, "shared/bookworm.yaml"), "v1\n");
    await symlink("shared/bookworm.yaml", join(dir, "link.yaml"));
    await applyChangeSet([{ path: join(dir, "link.yaml"), before: "v1\n", after: "v2\n" }]);
    expect((await lstat(join(dir, "link.yaml"))).isSymbolicLink()).toBe(true);
    expect(await readFile(join(dir, "shared/bookworm.yaml"), "utf8")).toBe("v2\n");
    await writeFileAtomic(join(dir, "link.yaml"), "v3\n");
    expect((await lstat(join(dir, "link.yaml"))).isSymbolicLink()).toBe(true);
    expect(await readFile(join(dir, "shared/bookworm.yaml"), "utf8")).toBe("v3\n");
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
