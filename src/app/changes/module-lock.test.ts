import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decompress } from "../../io/decompress.js";
import { fileHash, listRecordedFileInputs, recordedInputPath, staleRecordedInputs } from "./module-lock.js";

const DIR = join(import.meta.dirname, "../../../test/fixtures/lock/module-bazel-lock");
const read = (name: string): string => readFileSync(join(DIR, name), "utf8");
const BOOKWORM = "private/repos/deb/bookworm.lock.json";
const VERSION_EXT = "//private/extensions:version.bzl%version";

async function bookwormLock(): Promise<string> {
  const file = join(DIR, "distroless-31292d2b/private/repos/deb/bookworm.lock.json.xz");
  return new TextDecoder().decode(await decompress(readFileSync(file), "xz", { label: file }));
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
        expect(staleRecordedInputs(text, new Map([["unrelated.txt", "x"]]))).toEqual([]);
      });

      it("reports a rewritten lock file as stale", async () => {
        const text = read(fixture);
        const changed = (await bookwormLock()).replace("12.4+deb12u15", "12.4+deb12u16");
        const stale = staleRecordedInputs(text, new Map([[BOOKWORM, changed]]));
        expect(stale).toHaveLength(1);
        expect(stale[0]).toMatchObject({
          extension: VERSION_EXT,
          path: BOOKWORM,
          key: "@@//private/repos/deb/bookworm.lock.json",
          newHash: fileHash(changed),
        });
      });
    });
  }

  it("reads Bazel 7.0 accumulatedFileDigests with label keys", () => {
    const text = `{\n  "moduleExtensions": {\n    "@@rules_distroless~//apt:extensions.bzl%apt": {\n      "general": {\n        "accumulatedFileDigests": {\n          "@@//private/repos/deb:bookworm.lock.json": "${fileHash("old")}"\n        }\n      }\n    }\n  }\n}\n`;
    expect(staleRecordedInputs(text, new Map([[BOOKWORM, "old"]]))).toEqual([]);
    expect(staleRecordedInputs(text, new Map([[BOOKWORM, "new"]]))).toMatchObject([{ field: "accumulatedFileDigests", path: BOOKWORM }]);
  });

  it("rejects a broken MODULE.bazel.lock with its position", () => {
    expect(() => listRecordedFileInputs('{\n  "moduleExtensions": {\n    "x": \n}\n')).toThrow(
      expect.objectContaining({ code: "BAD_MODULE_LOCK", line: 4 }),
    );
  });
});
