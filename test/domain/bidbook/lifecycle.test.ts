// Proves the rest of a lease's life: opening a book, ending leases (by request and by term), node state
// changes, price changes, insufficient funds with grace and reclaim, compaction, and the clock guard.
import { describe, expect, it } from "vitest";
import {
  type BidBook,
  compact,
  duePeriods,
  endLease,
  freeSlices,
  graceMsMax,
  markInsufficientFunds,
  match,
  type NodeState,
  openBook,
  placeBid,
  reclaimExpired,
  recordSettlement,
  reserve,
  resumeFunded,
  setPrices,
  setState,
  sliceCountMax,
} from "../../../src/market/core/bidbook";
import {
  bidOf,
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

const prices = {
  listedPriceCcPerSliceHour: "1",
  minBidCcPerSliceHour: "0.1",
  autoAcceptAboveCcPerSliceHour: null,
};

describe("openBook", () => {
  const input = { nodeId: "node_1", sliceCount: 8, state: "online" as NodeState, ...prices };

  it("opens an empty book", () => {
    expect(unwrap(openBook(input))).toEqual({ ...input, leases: [], bids: [] });
    expect(
      unwrap(openBook({ ...input, sliceCount: sliceCountMax, minBidCcPerSliceHour: "0" })).sliceCount,
    ).toBe(sliceCountMax);
  });

  it.each([
    ["an empty node id", { nodeId: "" }, "nodeId"],
    ["zero slices", { sliceCount: 0 }, "sliceCount"],
    ["too many slices", { sliceCount: sliceCountMax + 1 }, "sliceCount"],
    ["fractional slices", { sliceCount: 2.5 }, "sliceCount"],
    ["an unknown state", { state: "asleep" as NodeState }, "state"],
    ["a zero listed price", { listedPriceCcPerSliceHour: "0" }, "listedPriceCcPerSliceHour"],
    ["a negative minimum bid", { minBidCcPerSliceHour: "-1" }, "minBidCcPerSliceHour"],
    [
      "a malformed auto-accept price",
      { autoAcceptAboveCcPerSliceHour: ".5" },
      "autoAcceptAboveCcPerSliceHour",
    ],
  ])("rejects %s", (_label, change, field) => {
    expect(failureOf(openBook({ ...input, ...change }))).toEqual({ code: "VALIDATION_FAILED", field });
  });
});

describe("endLease", () => {
  it("ends a lease now, frees its slices and logs it", () => {
    const book = withOnDemand(newBook(), "a", 3);
    const result = unwrap(endLease(book, "lse_a", startMs + 90_000));
    expect(leaseOf(result.book, "lse_a")).toMatchObject({ status: "ended", endsAtMs: startMs + 90_000 });
    expect(freeSlices(result.book)).toBe(8);
    expect(result.events).toEqual([
      {
        type: "ended",
        leaseId: "lse_a",
        atMs: startMs + 90_000,
        detail: "ended on request",
        details: { cause: "request" },
      },
    ]);
  });

  it("ends a paused lease, closing its pause", () => {
    const book = next(setState(withInterruptible(newBook(), "a", 3, "0.5"), "offline", startMs + 10));
    const ended = next(endLease(book, "lse_a", startMs + 20));
    expect(leaseOf(ended, "lse_a")).toMatchObject({
      status: "ended",
      endsAtMs: startMs + 20,
      pauses: [{ fromMs: startMs + 10, untilMs: startMs + 20 }],
    });
    expect(leaseOf(ended, "lse_a").pausedReason).toBeUndefined();
  });

  it("fails NOT_FOUND for an unknown lease and CONFLICT for an ended one", () => {
    const book = withOnDemand(newBook(), "a", 3);
    expect(failureOf(endLease(book, "lse_none", startMs))).toEqual({ code: "NOT_FOUND", field: "leaseId" });
    const ended = next(endLease(book, "lse_a", startMs));
    expect(failureOf(endLease(ended, "lse_a", startMs))).toEqual({ code: "CONFLICT", field: "leaseId" });
  });

  it("ends a fixed-term lease at its end time, logged at that time, even when noticed late", () => {
    const book = next(
      reserve(newBook(), {
        leaseId: "lse_t",
        accountId: "acc_u",
        slices: 8,
        durationMs: hourMs,
        nowMs: startMs,
      }),
    );
    expect(leaseOf(next(match(book, startMs + hourMs - 1)), "lse_t").status).toBe("running");
    const late = unwrap(match(book, startMs + 3 * hourMs));
    expect(leaseOf(late.book, "lse_t")).toMatchObject({ status: "ended", endsAtMs: startMs + hourMs });
    expect(late.events).toEqual([
      {
        type: "ended",
        leaseId: "lse_t",
        atMs: startMs + hourMs,
        detail: "reached its end time",
        details: { cause: "term" },
      },
    ]);
    expect(failureOf(endLease(book, "lse_t", startMs + hourMs))).toEqual({
      code: "CONFLICT",
      field: "leaseId",
    });
  });
});

describe("setState", () => {
  function mixed(): BidBook {
    let book = withOnDemand(newBook(), "od", 3);
    book = withInterruptible(book, "i", 3, "0.5");
    return next(
      placeBid(book, {
        bidId: "bid_w",
        accountId: "acc_w",
        slices: 2,
        priceCcPerSliceHour: "0.2",
        expiresAtMs: startMs + 10 * hourMs,
        nowMs: startMs,
      }),
    );
  }

  it.each(["offline", "maintenance"] as const)(
    "%s pauses every running lease with reason node_offline",
    (state) => {
      const result = unwrap(setState(mixed(), state, startMs + 5));
      expect(statuses(result.book)).toEqual({ lse_od: "paused:node_offline", lse_i: "paused:node_offline" });
      expect(result.events.map((event) => [event.type, event.leaseId ?? event.detail])).toEqual([
        ["state_changed", `node online → ${state}`],
        ["paused", "lse_od"],
        ["paused", "lse_i"],
      ]);
      // On-demand keeps its 3 slices while paused; the interruptible lease gives its 3 back.
      expect(freeSlices(result.book)).toBe(5);
    },
  );

  it("online resumes them and does not accept bids without auto-accept", () => {
    const offline = next(setState(mixed(), "offline", startMs + 5));
    const online = unwrap(setState(offline, "online", startMs + 7));
    expect(statuses(online.book)).toEqual({ lse_od: "running", lse_i: "running" });
    expect(online.events.map((event) => event.type)).toEqual(["state_changed", "resumed", "resumed"]);
    expect(leaseOf(online.book, "lse_od").pauses).toEqual([{ fromMs: startMs + 5, untilMs: startMs + 7 }]);
    expect(bidOf(online.book, "bid_w").status).toBe("open");
  });

  it("changes nothing when set to the state it has, or between two offline states", () => {
    expect(unwrap(setState(mixed(), "online", startMs + 1)).events).toEqual([]);
    const offline = next(setState(mixed(), "offline", startMs + 1));
    const maintenance = unwrap(setState(offline, "maintenance", startMs + 2));
    expect(maintenance.events.map((event) => event.type)).toEqual(["state_changed"]);
    expect(statuses(maintenance.book)).toEqual(statuses(offline));
  });

  it("rejects an unknown state", () => {
    expect(failureOf(setState(mixed(), "gone" as NodeState, startMs))).toEqual({
      code: "VALIDATION_FAILED",
      field: "state",
    });
  });
});

describe("setPrices", () => {
  it("replaces the prices and logs the change", () => {
    const result = unwrap(
      setPrices(newBook(), {
        listedPriceCcPerSliceHour: "0.0250",
        minBidCcPerSliceHour: "0.0033",
        autoAcceptAboveCcPerSliceHour: "0.02",
        nowMs: startMs,
      }),
    );
    expect(result.book).toMatchObject({
      listedPriceCcPerSliceHour: "0.0250",
      minBidCcPerSliceHour: "0.0033",
      autoAcceptAboveCcPerSliceHour: "0.02",
    });
    expect(result.events).toEqual([
      {
        type: "prices_changed",
        atMs: startMs,
        detail: "listed 0.0250, minimum bid 0.0033, auto-accept at or above 0.02 CC per slice-hour",
        details: {
          listedPriceCcPerSliceHour: "0.0250",
          minBidCcPerSliceHour: "0.0033",
          autoAcceptAboveCcPerSliceHour: "0.02",
        },
      },
    ]);
  });

  it("keeps open bids under a raised minimum", () => {
    const book = next(
      placeBid(newBook(), {
        bidId: "bid_a",
        accountId: "acc_a",
        slices: 1,
        priceCcPerSliceHour: "0.2",
        expiresAtMs: startMs + hourMs,
        nowMs: startMs,
      }),
    );
    const raised = next(setPrices(book, { ...prices, minBidCcPerSliceHour: "0.5", nowMs: startMs + 1 }));
    expect(raised.bids[0]?.status).toBe("open");
  });

  it.each([
    [{ listedPriceCcPerSliceHour: "0" }, "listedPriceCcPerSliceHour"],
    [{ minBidCcPerSliceHour: "x" }, "minBidCcPerSliceHour"],
    [{ autoAcceptAboveCcPerSliceHour: "1.0000000000001" }, "autoAcceptAboveCcPerSliceHour"],
  ])("rejects %j", (change, field) => {
    expect(failureOf(setPrices(newBook(), { ...prices, ...change, nowMs: startMs }))).toEqual({
      code: "VALIDATION_FAILED",
      field,
    });
  });
});

describe("insufficient funds", () => {
  const graceMs = 2 * hourMs;

  it("pauses an on-demand lease, keeping its slices through the grace", () => {
    const book = withOnDemand(newBook(), "od", 5);
    const result = unwrap(markInsufficientFunds(book, "lse_od", startMs + 10, graceMs));
    expect(leaseOf(result.book, "lse_od")).toMatchObject({
      status: "paused",
      pausedReason: "insufficient_funds",
      graceUntilMs: startMs + 10 + graceMs,
    });
    expect(freeSlices(result.book)).toBe(3);
    expect(result.events).toEqual([
      {
        type: "paused",
        leaseId: "lse_od",
        atMs: startMs + 10,
        detail: `paused: insufficient_funds; slices reclaimed at ${new Date(startMs + 10 + graceMs).toISOString()}`,
        details: { reason: "insufficient_funds", reclaimAtMs: startMs + 10 + graceMs },
      },
    ]);
  });

  it("releases an interruptible lease's slices to the next claim", () => {
    let book = withInterruptible(newBook(), "i", 8, "0.5");
    book = next(
      placeBid(book, {
        bidId: "bid_w",
        accountId: "acc_w",
        slices: 2,
        priceCcPerSliceHour: "0.3",
        expiresAtMs: startMs + hourMs,
        nowMs: startMs,
      }),
    );
    book = next(setPrices(book, { ...prices, autoAcceptAboveCcPerSliceHour: "0.1", nowMs: startMs + 1 }));
    expect(statuses(book)).toEqual({ lse_i: "running" });
    const paused = unwrap(markInsufficientFunds(book, "lse_i", startMs + 10, graceMs));
    expect(statuses(paused.book)).toEqual({ lse_i: "paused:insufficient_funds", lse_w: "running" });
    expect(freeSlices(paused.book)).toBe(6);
    expect(paused.events.map((event) => event.type)).toEqual(["paused", "accepted", "started"]);
  });

  it("is idempotent: a second call keeps the first grace", () => {
    const book = next(
      markInsufficientFunds(withOnDemand(newBook(), "od", 5), "lse_od", startMs + 10, graceMs),
    );
    const again = unwrap(markInsufficientFunds(book, "lse_od", startMs + 20, graceMs));
    expect(again.book).toEqual(book);
    expect(again.events).toEqual([]);
  });

  it("reclaims at the end of the grace, not before, logged at the grace end", () => {
    const book = next(
      markInsufficientFunds(withOnDemand(newBook(), "od", 5), "lse_od", startMs + 10, graceMs),
    );
    expect(unwrap(reclaimExpired(book, startMs + 9 + graceMs)).events).toEqual([]);
    const reclaimed = unwrap(reclaimExpired(book, startMs + 10 + graceMs + 500));
    expect(leaseOf(reclaimed.book, "lse_od")).toMatchObject({
      status: "ended",
      endsAtMs: startMs + 10 + graceMs,
    });
    expect(freeSlices(reclaimed.book)).toBe(8);
    expect(reclaimed.events).toEqual([
      {
        type: "reclaimed",
        leaseId: "lse_od",
        atMs: startMs + 10 + graceMs,
        detail: "grace ran out; slices reclaimed",
        details: { cause: "reclaimed" },
      },
    ]);
  });

  it("ends by term rather than reclaim when the term comes first", () => {
    const book = next(
      reserve(newBook(), {
        leaseId: "lse_t",
        accountId: "acc",
        slices: 1,
        durationMs: hourMs,
        nowMs: startMs,
      }),
    );
    const paused = next(markInsufficientFunds(book, "lse_t", startMs + 10, graceMs));
    const later = unwrap(reclaimExpired(paused, startMs + 3 * hourMs));
    expect(later.events.map((event) => [event.type, event.atMs])).toEqual([["ended", startMs + hourMs]]);
  });

  it("resumes a funded on-demand lease at once", () => {
    const book = next(
      markInsufficientFunds(withOnDemand(newBook(), "od", 5), "lse_od", startMs + 10, graceMs),
    );
    const result = unwrap(resumeFunded(book, "lse_od", startMs + 20));
    expect(leaseOf(result.book, "lse_od")).toMatchObject({
      status: "running",
      pauses: [{ fromMs: startMs + 10, untilMs: startMs + 20 }],
    });
    expect(leaseOf(result.book, "lse_od").graceUntilMs).toBeUndefined();
    expect(result.events.map((event) => event.type)).toEqual(["resumed"]);
  });

  it("lets a funded interruptible lease wait for capacity when its slices were taken", () => {
    let book = withInterruptible(newBook(), "i", 6, "0.5");
    book = next(markInsufficientFunds(book, "lse_i", startMs + 10, graceMs));
    book = withOnDemand(book, "od", 4, startMs + 11);
    const funded = unwrap(resumeFunded(book, "lse_i", startMs + 20));
    expect(leaseOf(funded.book, "lse_i")).toMatchObject({ status: "paused", pausedReason: "preempted" });
    expect(leaseOf(funded.book, "lse_i").graceUntilMs).toBeUndefined();
    expect(funded.events[0]?.detail).toBe("still paused, now waiting for capacity (was insufficient_funds)");
    const freed = next(endLease(funded.book, "lse_od", startMs + 30));
    expect(leaseOf(freed, "lse_i").status).toBe("running");
  });

  it("resumes a funded interruptible lease at once when slices are free", () => {
    const book = next(
      markInsufficientFunds(withInterruptible(newBook(), "i", 6, "0.5"), "lse_i", startMs + 10, graceMs),
    );
    expect(leaseOf(next(resumeFunded(book, "lse_i", startMs + 20)), "lse_i").status).toBe("running");
  });

  it("waits for the node when funds arrive while it is offline", () => {
    let book = withOnDemand(newBook(), "od", 5);
    book = next(markInsufficientFunds(book, "lse_od", startMs + 10, graceMs));
    book = next(setState(book, "offline", startMs + 11));
    const funded = next(resumeFunded(book, "lse_od", startMs + 12));
    expect(statuses(funded)).toEqual({ lse_od: "paused:node_offline" });
    expect(statuses(next(setState(funded, "online", startMs + 13)))).toEqual({ lse_od: "running" });
  });

  it("leaves a funded interruptible lease waiting for capacity when the node returns full", () => {
    let book = withInterruptible(newBook({ sliceCount: 4 }), "i", 4, "0.5");
    book = next(markInsufficientFunds(book, "lse_i", startMs + 1, graceMs));
    book = withOnDemand(book, "od", 4, startMs + 2);
    book = next(setState(book, "offline", startMs + 3));
    book = next(resumeFunded(book, "lse_i", startMs + 4));
    expect(statuses(book)).toEqual({ lse_i: "paused:node_offline", lse_od: "paused:node_offline" });
    const online = unwrap(setState(book, "online", startMs + 5));
    expect(statuses(online.book)).toEqual({ lse_i: "paused:preempted", lse_od: "running" });
    expect(online.events.map((event) => [event.type, event.leaseId])).toEqual([
      ["state_changed", undefined],
      ["paused", "lse_i"],
      ["resumed", "lse_od"],
    ]);
  });

  it("turns a lease paused for the node into one paused for funds", () => {
    const offline = next(setState(withOnDemand(newBook(), "od", 5), "offline", startMs + 1));
    const marked = next(markInsufficientFunds(offline, "lse_od", startMs + 2, graceMs));
    expect(statuses(marked)).toEqual({ lse_od: "paused:insufficient_funds" });
    expect(statuses(next(setState(marked, "online", startMs + 3)))).toEqual({
      lse_od: "paused:insufficient_funds",
    });
  });

  it.each([0, -1, 1.5, graceMsMax + 1])("rejects graceMs %d", (bad) => {
    expect(
      failureOf(markInsufficientFunds(withOnDemand(newBook(), "od", 5), "lse_od", startMs, bad)),
    ).toEqual({
      code: "VALIDATION_FAILED",
      field: "graceMs",
    });
  });

  it("fails NOT_FOUND, and CONFLICT for a lease not paused for funds", () => {
    const book = withOnDemand(newBook(), "od", 5);
    expect(failureOf(markInsufficientFunds(book, "lse_x", startMs, graceMs))).toEqual({
      code: "NOT_FOUND",
      field: "leaseId",
    });
    expect(failureOf(resumeFunded(book, "lse_od", startMs))).toEqual({ code: "CONFLICT", field: "leaseId" });
    expect(failureOf(resumeFunded(book, "lse_x", startMs))).toEqual({ code: "NOT_FOUND", field: "leaseId" });
  });
});

describe("compact", () => {
  it("drops wholly settled ended leases and closed bids only", () => {
    let book = withOnDemand(newBook(), "done", 1);
    book = withOnDemand(book, "owing", 1);
    book = withOnDemand(book, "live", 1);
    book = withInterruptible(book, "i", 1, "0.5");
    book = next(endLease(book, "lse_done", startMs + hourMs));
    book = next(endLease(book, "lse_owing", startMs + hourMs));
    const period = duePeriods(leaseOf(book, "lse_done"), startMs + hourMs)[0]!;
    book = next(recordSettlement(book, "lse_done", period, startMs + hourMs));
    const compacted = compact(book);
    expect(compacted.leases.map((lease) => lease.id)).toEqual(["lse_owing", "lse_live", "lse_i"]);
    expect(compacted.bids).toEqual([]);
  });
});

describe("clock guard", () => {
  it("refuses a time earlier than one the book recorded", () => {
    const book = withOnDemand(newBook(), "a", 1, startMs + 100);
    expect(failureOf(match(book, startMs + 99))).toEqual({ code: "VALIDATION_FAILED", field: "nowMs" });
    expect(unwrap(match(book, startMs + 100)).events).toEqual([]);
  });
});
