import { readFileSync } from "node:fs";
import { join } from "node:path";
import xz from "xz-decompress";
import { describe, expect, it } from "vitest";
import { fileHash, listRecordedFileInputs, recordedInputPath, staleRecordedInputs, updateRecordedInputs } from "./module-lock.js";

const DIR = join(import.meta.dirname, "../../test/fixtures/lock/module-bazel-lock");
const read = (name: string): string => readFileSync(join(DIR, name), "utf8");
const BOOKWORM = "private/repos/deb/bookworm.lock.json";
const VERSION_EXT = "//private/extensions:version.bzl%version";

async function bookwormLock(): Promise<string> {
  const stream = new xz.XzReadableStream(new Blob([readFileSync(join(DIR, "distroless-31292d2b/private/repos/deb/bookworm.lock.json.xz"))]).stream());
  return await new Response(stream).text();
}

describe("MODULE.bazel.lock recorded inputs", () => {
  it("maps recorded keys to workspace paths", () => {
    expect(recordedInputPath("@@//private/repos/deb/bookworm.lock.json")).toBe(BOOKWORM);
    expect(recordedInputPath("@@//private/repos/deb:bookworm.lock.json")).toBe(BOOKWORM);
    expect(recordedInputPath("@@//:MODULE.bazel")).toBe("MODULE.bazel");
    expect(recordedInputPath("@@pybind11_bazel~//MODULE.bazel")).toBeUndefined();
  });

  it("lists the real file's recorded inputs; Bazel recorded the lock file's plain SHA-256", async () => {
    const inputs = listRecordedFileInputs(read("distroless-2026.MODULE.bazel.lock"));
    expect(inputs.map((i) => [i.extension, i.path])).toEqual([
      [VERSION_EXT, "private/repos/deb/trixie_python.lock.json"],
      [VERSION_EXT, "private/repos/deb/trixie.lock.json"],
      [VERSION_EXT, "private/repos/deb/trixie_adoptium.lock.json"],
      [VERSION_EXT, "private/repos/deb/bookworm_s390x.lock.json"],
      [VERSION_EXT, BOOKWORM],
      [VERSION_EXT, "private/repos/deb/trixie_java.lock.json"],
      ["@@pybind11_bazel~//:python_configure.bzl%extension", undefined],
    ]);
    const bookworm = inputs.find((i) => i.path === BOOKWORM)!;
    expect(bookworm.hash).toBe(fileHash(await bookwormLock()));
  });

  for (const fixture of ["distroless-2026.MODULE.bazel.lock", "recorded-inputs.MODULE.bazel.lock"]) {
    describe(fixture, () => {
      it("finds nothing stale when the lock file is unchanged, and leaves the text as it is", async () => {
        const text = read(fixture);
        const same = new Map([[BOOKWORM, await bookwormLock()]]);
        expect(staleRecordedInputs(text, same)).toEqual([]);
        expect(updateRecordedInputs(text, same)).toBe(text);
        expect(updateRecordedInputs(text, new Map([["unrelated.txt", "x"]]))).toBe(text);
      });

      it("reports a rewritten lock file as stale", async () => {
        const text = read(fixture);
        const changed = (await bookwormLock()).replace("12.4+deb12u15", "12.4+deb12u16");
        const stale = staleRecordedInputs(text, new Map([[BOOKWORM, changed]]));
        expect(stale).toHaveLength(1);
        expect(stale[0]).toMatchObject({ extension: VERSION_EXT, path: BOOKWORM, key: "@@//private/repos/deb/bookworm.lock.json", newHash: fileHash(changed) });
      });

      it("rehash: replaces exactly the stale hash, keeping every other byte", async () => {
        const text = read(fixture);
        const changed = `${await bookwormLock()} `;
        const out = updateRecordedInputs(text, new Map([[BOOKWORM, changed]]), { strategy: "rehash" });
        const old = listRecordedFileInputs(text).find((i) => i.path === BOOKWORM)!.hash;
        expect(out).toBe(text.replace(old, fileHash(changed)));
        expect(out.endsWith("}\n")).toBe(true);
        expect(staleRecordedInputs(out, new Map([[BOOKWORM, changed]]))).toEqual([]);
        expect(updateRecordedInputs(out, new Map([[BOOKWORM, changed]]), { strategy: "rehash" })).toBe(out);
      });

      it("drop-extension (default): removes the extension entry so Bazel evaluates it again", async () => {
        const text = read(fixture);
        const changed = `${await bookwormLock()} `;
        const out = updateRecordedInputs(text, new Map([[BOOKWORM, changed]]));
        const before = JSON.parse(text) as { moduleExtensions: Record<string, unknown> };
        const after = JSON.parse(out) as { moduleExtensions: Record<string, unknown> };
        const { [VERSION_EXT]: removed, ...others } = before.moduleExtensions;
        expect(removed).toBeDefined();
        expect(after).toEqual({ ...before, moduleExtensions: others });
        // Bazel's layout is kept: the result is what Bazel itself would write for that content.
        expect(out).toBe(`${JSON.stringify(after, null, 2)}\n`);
      });
    });
  }

  it("drop-extension handles first, last and only members", () => {
    const ext = (name: string, path: string) => `    "${name}": {\n      "general": {\n        "recordedFileInputs": {\n          "@@//${path}": "00"\n        }\n      }\n    }`;
    const doc = (...exts: string[]) => `{\n  "lockFileVersion": 11,\n  "moduleExtensions": {\n${exts.join(",\n")}\n  }\n}\n`;
    const a = ext("//a.bzl%a", "a.json");
    const b = ext("//b.bzl%b", "b.json");
    const c = ext("//c.bzl%c", "c.json");
    const change = (...paths: string[]) => new Map(paths.map((p) => [p, "new"]));
    expect(updateRecordedInputs(doc(a, b, c), change("a.json"))).toBe(doc(b, c));
    expect(updateRecordedInputs(doc(a, b, c), change("c.json"))).toBe(doc(a, b));
    expect(updateRecordedInputs(doc(a, b, c), change("b.json"))).toBe(doc(a, c));
    expect(updateRecordedInputs(doc(a, b, c), change("a.json", "b.json"))).toBe(doc(c));
    expect(updateRecordedInputs(doc(a, b, c), change("a.json", "c.json"))).toBe(doc(b));
    expect(updateRecordedInputs(doc(a), change("a.json"))).toBe(`{\n  "lockFileVersion": 11,\n  "moduleExtensions": {}\n}\n`);
  });

  it("reads Bazel 7.0 accumulatedFileDigests with label keys", () => {
    const text = `{\n  "moduleExtensions": {\n    "@@rules_distroless~//apt:extensions.bzl%apt": {\n      "general": {\n        "accumulatedFileDigests": {\n          "@@//private/repos/deb:bookworm.lock.json": "${fileHash("old")}"\n        }\n      }\n    }\n  }\n}\n`;
    expect(staleRecordedInputs(text, new Map([[BOOKWORM, "old"]]))).toEqual([]);
    expect(staleRecordedInputs(text, new Map([[BOOKWORM, "new"]]))).toMatchObject([{ field: "accumulatedFileDigests", path: BOOKWORM }]);
  });

  it("rejects a broken MODULE.bazel.lock with its position", () => {
    expect(() => listRecordedFileInputs('{\n  "moduleExtensions": {\n    "x": \n}\n')).toThrow(expect.objectContaining({ code: "BAD_MODULE_LOCK", line: 4 }));
  });
});
