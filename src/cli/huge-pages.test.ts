import { describe, expect, it } from "vitest";
import { type HugePageFacts, hugePageTunables } from "./huge-pages.js";

const linux: HugePageFacts = {
  args: ["lock", "-C", "ws"],
  env: {},
  platform: "linux",
  glibc: "2.36",
  thp: "always [madvise] never\n",
};

describe("hugePageTunables", () => {
  it("asks for glibc's huge-page malloc for commands that read indexes, on Linux with glibc >= 2.35 and THP on", () => {
    for (const args of [
      ["lock"],
      ["add", "ffmpeg", "--image", "python3"],
      ["update"],
      ["remove", "x"],
      ["why", "x"],
      ["verify"],
      ["check", "--deep"],
    ])
      expect(hugePageTunables({ ...linux, args }), args.join(" ")).toBe("glibc.malloc.hugetlb=1:glibc.malloc.arena_max=1");
    expect(hugePageTunables({ ...linux, thp: "[always] madvise never" })).toBe("glibc.malloc.hugetlb=1:glibc.malloc.arena_max=1");
  });

  it("keeps other tunables the user set, and the user's number of malloc arenas", () => {
    expect(hugePageTunables({ ...linux, env: { GLIBC_TUNABLES: "glibc.malloc.arena_max=2" } })).toBe(
      "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1",
    );
    expect(hugePageTunables({ ...linux, env: { GLIBC_TUNABLES: "glibc.malloc.tcache_count=0" } })).toBe(
      "glibc.malloc.tcache_count=0:glibc.malloc.hugetlb=1:glibc.malloc.arena_max=1",
    );
  });

  it("runs the command in the first process otherwise", () => {
    const cases: [string, Partial<HugePageFacts>][] = [
      ["a command that reads no index", { args: ["check"] }],
      ["--version", { args: ["--version"] }],
      ["not Linux", { platform: "darwin" }],
      ["no glibc (musl)", { glibc: undefined }],
      ["glibc too old for the tunable", { glibc: "2.31" }],
      ["THP off", { thp: "always madvise [never]" }],
      ["THP unknown", { thp: undefined }],
      ["turned off", { env: { DEB_LOCK_HUGE_PAGES: "0" } }],
      ["already relaunched (or set by the user)", { env: { GLIBC_TUNABLES: "glibc.malloc.hugetlb=0" } }],
    ];
    for (const [why, facts] of cases) expect(hugePageTunables({ ...linux, ...facts }), why).toBeUndefined();
  });
});
