// Proves on-demand and package reservations: listed price, validation, node state, capacity, and that they
// pre-empt interruptible leases lowest price first (latest started among equals) but are never pre-empted.
import { describe, expect, it } from "vitest";
import {
  type BidBook,
  freeSlices,
  leaseDurationMsMax,
  placeBid,
  reserve,
  reservePackage,
  runningSlices,
  setPrices,
  setState,
} from "../../../src/market/core/bidbook";
import {
  failureOf,
  hourMs,
  leaseOf,
  newBook,
  next,
  startMs,
  statuses,
  unwrap,
  withInterruptible,
  withOnDemand,
} from "./support";

const base = { leaseId: "lse_a", accountId: "acc_u", slices: 2, durationMs: 2 * hourMs, nowMs: startMs };

describe("reserve", () => {
  it("starts a running on-demand lease at the listed price with the planned end", () => {
    const result = unwrap(reserve(newBook(), base));
    expect(result.book.leases).toEqual([
      {
        id: "lse_a",
        accountId: "acc_u",
        kind: "onDemand",
        slices: 2,
        priceCcPerSliceHour: "1",
        startedAtMs: startMs,
        endsAtMs: startMs + 2 * hourMs,
        status: "running",
        settledThroughMs: startMs,
        pauses: [],
      },
    ]);
    expect(result.events).toEqual([
      {
        type: "started",
        leaseId: "lse_a",
        atMs: startMs,
        detail: `onDemand lease of 2 slices at 1 CC per slice-hour, until ${new Date(startMs + 2 * hourMs).toISOString()}`,
        details: { kind: "onDemand", slices: 2, priceCcPerSliceHour: "1", endsAtMs: startMs + 2 * hourMs },
      },
    ]);
    expect(freeSlices(result.book)).toBe(6);
  });

  it("takes every slice, and an open-ended reservation has no end", () => {
    const book = next(reserve(newBook(), { ...base, slices: 8, durationMs: null }));
    expect(leaseOf(book, "lse_a").endsAtMs).toBeNull();
    expect(freeSlices(book)).toBe(0);
  });

  it("charges new leases the listed price of the moment, not later changes", () => {
    const first = next(reserve(newBook(), base));
    const repriced = next(
      setPrices(first, {
        listedPriceCcPerSliceHour: "2.5",
        minBidCcPerSliceHour: "0.1",
        autoAcceptAboveCcPerSliceHour: null,
        nowMs: startMs + 1,
      }),
    );
    const second = next(reserve(repriced, { ...base, leaseId: "lse_b", nowMs: startMs + 2 }));
    expect(leaseOf(second, "lse_a").priceCcPerSliceHour).toBe("1");
    expect(leaseOf(second, "lse_b").priceCcPerSliceHour).toBe("2.5");
  });

  it.each([
    ["zero slices", { slices: 0 }, "slices"],
    ["negative slices", { slices: -1 }, "slices"],
    ["fractional slices", { slices: 1.5 }, "slices"],
    ["more slices than the node has", { slices: 9 }, "slices"],
    ["NaN slices", { slices: Number.NaN }, "slices"],
    ["a lease id without the prefix", { leaseId: "a" }, "leaseId"],
    ["a bid id as lease id", { leaseId: "bid_a" }, "leaseId"],
    ["an empty lease id", { leaseId: "" }, "leaseId"],
    ["a lease id that is too long", { leaseId: `lse_${"x".repeat(125)}` }, "leaseId"],
    ["an empty account id", { accountId: "" }, "accountId"],
    ["an account id with spaces", { accountId: "acc u" }, "accountId"],
    ["a zero duration", { durationMs: 0 }, "durationMs"],
    ["a negative duration", { durationMs: -5 }, "durationMs"],
    ["a fractional duration", { durationMs: 1.5 }, "durationMs"],
    ["a duration past the bound", { durationMs: leaseDurationMsMax + 1 }, "durationMs"],
    ["a negative time", { nowMs: -1 }, "nowMs"],
    ["a fractional time", { nowMs: startMs + 0.5 }, "nowMs"],
  ])("rejects %s", (_label, change, field) => {
    expect(failureOf(reserve(newBook(), { ...base, ...change }))).toEqual({
      code: "VALIDATION_FAILED",
      field,
    });
  });

  it("accepts the longest duration", () => {
    const book = next(reserve(newBook(), { ...base, durationMs: leaseDurationMsMax }));
    expect(leaseOf(book, "lse_a").endsAtMs).toBe(startMs + leaseDurationMsMax);
  });

  it("refuses a lease id already used, or promised to an open bid", () => {
    const book = next(reserve(newBook(), base));
    expect(failureOf(reserve(book, { ...base, slices: 1 }))).toEqual({ code: "CONFLICT", field: "leaseId" });
    const withBid = next(
      placeBid(newBook(), {
        bidId: "bid_a",
        accountId: "acc_b",
        slices: 1,
        priceCcPerSliceHour: "0.5",
        expiresAtMs: startMs + hourMs,
        nowMs: startMs,
      }),
    );
    expect(failureOf(reserve(withBid, base))).toEqual({ code: "CONFLICT", field: "leaseId" });
  });

  it.each(["offline", "maintenance"] as const)("refuses while the node is %s", (state) => {
    const book = next(setState(newBook(), state, startMs));
    expect(failureOf(reserve(book, base))).toEqual({ code: "NODE_UNAVAILABLE" });
  });

  it("refuses when on-demand leases hold too many slices, leaving the book as it was", () => {
    const book = withOnDemand(newBook(), "full", 7);
    const before = JSON.stringify(book);
    expect(failureOf(reserve(book, base))).toEqual({ code: "SLICES_UNAVAILABLE", field: "slices" });
    expect(JSON.stringify(book)).toBe(before);
    expect(unwrap(reserve(book, { ...base, slices: 1 })).book.leases).toHaveLength(2);
  });
});

describe("pre-emption by on-demand reservations", () => {
  /** 8 slices full of interruptible leases: A 2@0.5 (t0), B 2@0.3 (t0), C 2@0.3 (t0+1), D 2@0.8 (t0). */
  function fullOfInterruptible(): BidBook {
    let book = newBook();
    book = withInterruptible(book, "A", 2, "0.5", startMs);
    book = withInterruptible(book, "B", 2, "0.3", startMs);
    book = withInterruptible(book, "C", 2, "0.3", startMs + 1);
    return withInterruptible(book, "D", 2, "0.8", startMs + 1);
  }

  it("pauses the lowest-priced, latest-started lease first, only as many as needed", () => {
    const result = unwrap(reserve(fullOfInterruptible(), { ...base, leaseId: "lse_x", nowMs: startMs + 2 }));
    expect(statuses(result.book)).toEqual({
      lse_A: "running",
      lse_B: "running",
      lse_C: "paused:preempted",
      lse_D: "running",
      lse_x: "running",
    });
    expect(result.events.map((event) => [event.type, event.leaseId])).toEqual([
      ["preempted", "lse_C"],
      ["started", "lse_x"],
    ]);
  });

  it("moves up the price ladder when more slices are needed", () => {
    const once = next(reserve(fullOfInterruptible(), { ...base, leaseId: "lse_x", nowMs: startMs + 2 }));
    const twice = unwrap(reserve(once, { ...base, leaseId: "lse_y", slices: 3, nowMs: startMs + 3 }));
    expect(statuses(twice.book)).toEqual({
      lse_A: "paused:preempted",
      lse_B: "paused:preempted",
      lse_C: "paused:preempted",
      lse_D: "running",
      lse_x: "running",
      lse_y: "running",
    });
    expect(twice.events.filter((event) => event.type === "preempted").map((event) => event.leaseId)).toEqual([
      "lse_A",
      "lse_B",
    ]);
    expect(runningSlices(twice.book)).toBe(7);
  });

  it("gives slices freed beyond the need back to waiting leases that fit", () => {
    // A 1@0.1 and B 4@0.2 are pre-empted to free 3; the spare slices let A run again at once.
    let book = withOnDemand(newBook(), "od", 3);
    book = withInterruptible(book, "A", 1, "0.1");
    book = withInterruptible(book, "B", 4, "0.2");
    const result = unwrap(reserve(book, { ...base, leaseId: "lse_x", slices: 3, nowMs: startMs + 5 }));
    expect(statuses(result.book)).toMatchObject({
      lse_A: "running",
      lse_B: "paused:preempted",
      lse_x: "running",
    });
    expect(result.events.map((event) => [event.type, event.leaseId])).toEqual([
      ["preempted", "lse_B"],
      ["started", "lse_x"],
    ]);
    expect(leaseOf(result.book, "lse_A").pauses).toEqual([]);
  });

  it("fails when even pre-empting every interruptible lease is not enough", () => {
    let book = withOnDemand(newBook(), "od", 5);
    book = withInterruptible(book, "A", 2, "0.1");
    expect(failureOf(reserve(book, { ...base, leaseId: "lse_x", slices: 6 }))).toEqual({
      code: "SLICES_UNAVAILABLE",
      field: "slices",
    });
  });
});

describe("reservePackage", () => {
  const packageInput = { ...base, leaseId: "lse_p", priceCcPerSliceHour: "0.0017" };

  it("reserves at the package's price, not the listed one", () => {
    const book = next(reservePackage(newBook(), packageInput));
    expect(leaseOf(book, "lse_p")).toMatchObject({
      kind: "package",
      priceCcPerSliceHour: "0.0017",
      slices: 2,
    });
  });

  it.each(["0", "-1", "abc", "1e3", "0.0000000000001", "1000000.1"])("rejects the price %j", (price) => {
    expect(failureOf(reservePackage(newBook(), { ...packageInput, priceCcPerSliceHour: price }))).toEqual({
      code: "VALIDATION_FAILED",
      field: "priceCcPerSliceHour",
    });
  });

  it("pre-empts interruptible leases like an on-demand reservation", () => {
    const book = withInterruptible(newBook(), "A", 8, "5");
    const after = next(reservePackage(book, { ...packageInput, nowMs: startMs + 1 }));
    expect(statuses(after)).toEqual({ lse_A: "paused:preempted", lse_p: "running" });
  });
});

describe("on-demand and package leases are never pre-empted", () => {
  it("holds against a bid at any price, accepted by hand or automatically", () => {
    let book = withOnDemand(newBook(), "od", 6);
    book = next(reservePackage(book, { ...base, leaseId: "lse_p", priceCcPerSliceHour: "0.1" }));
    const bid = next(
      placeBid(book, {
        bidId: "bid_rich",
        accountId: "acc_r",
        slices: 1,
        priceCcPerSliceHour: "999999",
        expiresAtMs: startMs + hourMs,
        nowMs: startMs,
      }),
    );
    const auto = next(
      setPrices(bid, {
        listedPriceCcPerSliceHour: "1",
        minBidCcPerSliceHour: "0.1",
        autoAcceptAboveCcPerSliceHour: "0.1",
        nowMs: startMs + 1,
      }),
    );
    expect(statuses(auto)).toEqual({ lse_od: "running", lse_p: "running" });
    expect(auto.bids[0]?.status).toBe("open");
  });
});
