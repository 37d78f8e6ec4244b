// Proves that the test's clock is the book's clock: shifting src/kit/clock.ts in a test file moves the time a node's bid book reads.
import { describe, expect, it } from "vitest";
import { now, shiftClock } from "../../src/kit/clock";
import { book } from "../routes/market/support";

describe("the shared clock", () => {
  it("moves the time a bid book reads when a test shifts it", async () => {
    const nodeId = "node_clock_probe";
    const before = await book(nodeId).auditView({ nodeId });
    if (!before.ok) throw new Error(before.detail);
    shiftClock(10 * 3_600_000);
    const after = await book(nodeId).auditView({ nodeId });
    if (!after.ok) throw new Error(after.detail);
    expect(after.value.nowMs - before.value.nowMs).toBeGreaterThanOrEqual(10 * 3_600_000);
    expect(Math.abs(after.value.nowMs - now())).toBeLessThan(60_000);
  });
});
