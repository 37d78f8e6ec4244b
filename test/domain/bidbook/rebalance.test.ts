// Compares the indexed rebalancing pass (binary searches over a victim queue, early exits) with the
// plain reference pass it replaced (reference.ts) on random drafts: full and part-full nodes, running,
// waiting and funds-paused leases of every kind, open and closed bids, with and without auto-accept.
// Both must leave the same book and the same notes; planVictims must name the same victims.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { planVictims, rebalance } from "../../../src/market/core/bidbook/capacity";
import { finishWork, startWork } from "../../../src/market/core/bidbook/draft";
import {
  type Bid,
  type BidBook,
  type Lease,
  type LeaseKind,
  type PausedReason,
  storedPriceKey,
} from "../../../src/market/core/bidbook/model";
import { referencePlanVictims, referenceRebalance } from "./reference";
import { startMs } from "./support";

const prices = ["0.1", "0.2", "0.3", "0.5", "0.8", "1"];

const leaseShape = fc.record({
  kind: fc.constantFrom<LeaseKind>("interruptible", "interruptible", "interruptible", "onDemand", "package"),
  slices: fc.integer({ min: 1, max: 4 }),
  price: fc.constantFrom(...prices),
  startOffsetMs: fc.constantFrom(0, 1_000, 2_000),
  state: fc.constantFrom("running", "running", "waiting", "offline", "funds", "ended"),
});

const bidShape = fc.record({
  slices: fc.integer({ min: 1, max: 4 }),
  price: fc.constantFrom(...prices),
  open: fc.constantFrom(true, true, true, false),
});

const bookShape = fc.record({
  sliceCount: fc.integer({ min: 1, max: 10 }),
  autoAccept: fc.option(fc.constantFrom(...prices), { nil: null }),
  leases: fc.array(leaseShape, { maxLength: 14 }),
  bids: fc.array(bidShape, { maxLength: 16 }),
});

type BookShape = typeof bookShape extends fc.Arbitrary<infer T> ? T : never;

/** A book mid-transition: leases waiting for capacity or for the node, as a catch-up may leave them. */
function draftBook(shape: BookShape): BidBook {
  const nowMs = startMs + 10_000;
  const leases: Lease[] = [];
  let held = 0;
  shape.leases.forEach((item, index) => {
    const startedAtMs = startMs + item.startOffsetMs;
    const base = {
      id: `lse_held${index}`,
      accountId: `acc_${index % 3}`,
      kind: item.kind,
      slices: item.slices,
      priceCcPerSliceHour: item.price,
      startedAtMs,
      endsAtMs: null,
      settledThroughMs: startedAtMs,
    };
    const paused = (reason: PausedReason): Lease => ({
      ...base,
      status: "paused",
      pausedReason: reason,
      ...(reason === "insufficient_funds" ? { graceUntilMs: nowMs + 60_000 } : {}),
      pauses: [{ fromMs: startedAtMs + 500, untilMs: null }],
    });
    let lease: Lease;
    if (item.state === "running") lease = { ...base, status: "running", pauses: [] };
    else if (item.state === "ended")
      lease = { ...base, status: "ended", endsAtMs: startedAtMs + 500, pauses: [] };
    else if (item.state === "funds") lease = paused("insufficient_funds");
    else if (item.state === "offline") lease = paused("node_offline");
    else lease = paused(item.kind === "interruptible" ? "preempted" : "node_offline");
    const holds =
      lease.status === "running" || (lease.status === "paused" && lease.kind !== "interruptible")
        ? lease.slices
        : 0;
    if (held + holds > shape.sliceCount) return;
    held += holds;
    leases.push(lease);
  });
  const bids: Bid[] = shape.bids.map((item, index) => ({
    id: `bid_new${index}`,
    accountId: `acc_${index % 3}`,
    slices: item.slices,
    priceCcPerSliceHour: item.price,
    expiresAtMs: nowMs + 3_600_000,
    status: item.open ? "open" : "rejected",
    createdSeq: index,
  }));
  return {
    nodeId: "node_1",
    sliceCount: shape.sliceCount,
    state: "online",
    listedPriceCcPerSliceHour: "1",
    minBidCcPerSliceHour: "0.1",
    autoAcceptAboveCcPerSliceHour: shape.autoAccept,
    leases,
    bids,
  };
}

describe("the indexed rebalancing pass", () => {
  it("leaves exactly the book and notes the reference pass leaves", () => {
    let changed = 0;
    fc.assert(
      fc.property(bookShape, (shape) => {
        const book = draftBook(shape);
        const nowMs = startMs + 20_000;
        const indexed = startWork(book, nowMs);
        const reference = startWork(book, nowMs);
        rebalance(indexed);
        referenceRebalance(reference);
        const after = finishWork(indexed);
        expect(after).toEqual(finishWork(reference));
        expect([...indexed.notes.acceptedBy]).toEqual([...reference.notes.acceptedBy]);
        if (JSON.stringify(after) !== JSON.stringify(book)) changed += 1;
      }),
      { numRuns: 2_000 },
    );
    // The drafts must exercise the pass, not only books it leaves alone.
    expect(changed).toBeGreaterThan(500);
  });

  it("plans the same victims as the reference for every claim size and price", () => {
    fc.assert(
      fc.property(
        bookShape,
        fc.integer({ min: 1, max: 12 }),
        fc.option(fc.constantFrom(...prices), { nil: null }),
        (shape, slices, below) => {
          const work = startWork(draftBook(shape), startMs + 20_000);
          const key = below === null ? null : storedPriceKey(below);
          const planned = planVictims(work.book, slices, key)?.map((lease) => lease.id);
          expect(planned).toEqual(referencePlanVictims(work.book, slices, key)?.map((lease) => lease.id));
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
