import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readManifestView } from "./manifest-view.js";

const DIR = join(import.meta.dirname, "../../../test/fixtures/check/bookworm/private/repos/deb");
const MANIFEST = readFileSync(join(DIR, "bookworm.yaml"), "utf8");
const lineOf = (text: string, needle: string) => text.slice(0, text.indexOf(needle)).split("\n").length;

describe("readManifestView", () => {
  it("reads packages with their lines, archs and source roots", async () => {
    const view = await readManifestView(MANIFEST, "bookworm.yaml");
    expect(view.archs).toEqual(["amd64", "arm64"]);
    expect(view.sources.map((s) => s.urls[0])).toContain("https://snapshot.debian.org/archive/debian-security/20240706T203757Z");
    expect(view.packages.find((p) => p.name === "libc-bin")?.line).toBe(lineOf(MANIFEST, "- libc-bin"));
    expect(view.packages.find((p) => p.name === "libstdc++6")?.spec).toBe("libstdc++6");
  });

  it("reads version constraints and declared arch gaps", async () => {
    const view = await readManifestView(
      "version: 1\nsources:\n  - channel: x main\n    url: https://a/b/\narchs: [amd64]\npackages:\n  - foo (>= 1.2)\n  - bar=2.0-1\n  - baz # deb-lock: no-arch=arm64,armhf not built there\n  - tzdata # deb-lock: without=debconf,debconf-2.0 no maintainer scripts run\n",
      "m.yaml",
    );
    expect(view.packages.map((p) => [p.name, p.constraint?.op, p.constraint?.version, p.noArchs, p.without])).toEqual([
      ["foo", ">=", "1.2", [], []],
      ["bar", "=", "2.0-1", [], []],
      ["baz", undefined, undefined, ["arm64", "armhf"], []],
      ["tzdata", undefined, undefined, [], ["debconf", "debconf-2.0"]],
    ]);
    expect(view.sources[0]?.urls).toEqual(["https://a/b"]);
  });
});
