import { describe, expect, it } from "vitest";
import { createArchiveRun } from "./archive-run.js";

describe("ArchiveRun", () => {
  it("decodeSlot runs at most `decodeSlots` jobs at once, all of them, and frees the slot of a failed one", async () => {
    const run = createArchiveRun({ decodeSlots: 2 });
    let running = 0;
    let most = 0;
    const job = (i: number) =>
      run.decodeSlot(async () => {
        most = Math.max(most, ++running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running--;
        if (i === 1) throw new Error("bad index");
        return i;
      });
    const results = await Promise.allSettled([0, 1, 2, 3, 4, 5].map(job));
    expect(most).toBe(2);
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : "failed"))).toEqual([0, "failed", 2, 3, 4, 5]);
    await expect(run.decodeSlot(async () => "after")).resolves.toBe("after");
  });
});
