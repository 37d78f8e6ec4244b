// Proves interruptible bids: validation and bounds, auto-accept, explicit accept/reject/cancel, expiry,
// highest-first matching with createdSeq ties, pre-emption of cheaper leases, and the resume-before-bid rule.
import { describe, expect, it } from "vitest";
import {
  acceptBid,
  type BidBook,
  bidDurationMsMax,
  cancelBid,
  endLease,
  match,
  openBidsPerAccountMax,
  openBidsPerBookMax,
  type PlaceBidInput,
  placeBid,
  rejectBid,
  reserve,
  setPrices,
  setState,
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

const bidInput: PlaceBidInput = {
  bidId: "bid_a",
  accountId: "acc_a",
  slices: 2,
  priceCcPerSliceHour: "0.5",
  expiresAtMs: startMs + hourMs,
  nowMs: startMs,
};

function autoAccept(book: BidBook, threshold: string | null, nowMs: number): BidBook {
  return next(
    setPrices(book, {
      listedPriceCcPerSliceHour: "1",
      minBidCcPerSliceHour: "0.1",
      autoAcceptAboveCcPerSliceHour: threshold,
      nowMs,
    }),
  );
}

/** Places bids `bid_<name>` = [slices, price] in order, all from distinct accounts. */
function withBids(book: BidBook, bids: Record<string, [number, string]>, nowMs = startMs): BidBook {
  let current = book;
  for (const [name, [slices, price]] of Object.entries(bids)) {
    current = next(
      placeBid(current, {
        ...bidInput,
        bidId: `bid_${name}`,
        accountId: `acc_${name}`,
        slices,
        priceCcPerSliceHour: price,
        nowMs,
      }),
    );
  }
  return current;
}

describe("placeBid", () => {
  it("opens a bid with increasing createdSeq and logs it", () => {
    const first = unwrap(placeBid(newBook(), bidInput));
    expect(first.book.bids).toEqual([
      {
        id: "bid_a",
        accountId: "acc_a",
        slices: 2,
        priceCcPerSliceHour: "0.5",
        expiresAtMs: startMs + hourMs,
        status: "open",
        createdSeq: 0,
      },
    ]);
    expect(first.events).toEqual([
      {
        type: "placed",
        bidId: "bid_a",
        atMs: startMs,
        detail: `2 slices at 0.5 CC per slice-hour, open until ${new Date(startMs + hourMs).toISOString()}`,
        details: { slices: 2, priceCcPerSliceHour: "0.5", expiresAtMs: startMs + hourMs },
      },
    ]);
    const second = next(placeBid(first.book, { ...bidInput, bidId: "bid_b" }));
    expect(bidOf(second, "bid_b").createdSeq).toBe(1);
    expect(second.leases).toEqual([]);
  });

  it.each([
    ["a lease id as bid id", { bidId: "lse_a" }, "bidId"],
    ["an empty bid id", { bidId: "" }, "bidId"],
    ["a bad account id", { accountId: "-" }, "accountId"],
    ["zero slices", { slices: 0 }, "slices"],
    ["more slices than the node has", { slices: 9 }, "slices"],
    ["a zero price", { priceCcPerSliceHour: "0" }, "priceCcPerSliceHour"],
    ["a negative price", { priceCcPerSliceHour: "-0.5" }, "priceCcPerSliceHour"],
    ["an exponent price", { priceCcPerSliceHour: "5e-1" }, "priceCcPerSliceHour"],
    ["a price with 13 decimals", { priceCcPerSliceHour: "0.5000000000001" }, "priceCcPerSliceHour"],
    ["a price above the maximum", { priceCcPerSliceHour: "1000001" }, "priceCcPerSliceHour"],
    ["an expiry now", { expiresAtMs: startMs }, "expiresAtMs"],
    ["an expiry in the past", { expiresAtMs: startMs - 1 }, "expiresAtMs"],
    ["an expiry past the bound", { expiresAtMs: startMs + bidDurationMsMax + 1 }, "expiresAtMs"],
  ])("rejects %s", (_label, change, field) => {
    expect(failureOf(placeBid(newBook(), { ...bidInput, ...change }))).toEqual({
      code: "VALIDATION_FAILED",
      field,
    });
  });

  it("accepts a bid at exactly the minimum and open for exactly the longest time", () => {
    const book = next(
      placeBid(newBook(), {
        ...bidInput,
        priceCcPerSliceHour: "0.1",
        expiresAtMs: startMs + bidDurationMsMax,
      }),
    );
    expect(bidOf(book, "bid_a").status).toBe("open");
  });

  it("refuses a price under the node's minimum bid", () => {
    expect(failureOf(placeBid(newBook(), { ...bidInput, priceCcPerSliceHour: "0.099999999999" }))).toEqual({
      code: "BID_BELOW_MINIMUM",
      field: "priceCcPerSliceHour",
    });
  });

  it("refuses a reused bid id, or one whose lease id is taken", () => {
    const book = next(placeBid(newBook(), bidInput));
    expect(failureOf(placeBid(book, bidInput))).toEqual({ code: "CONFLICT", field: "bidId" });
    const leased = withOnDemand(newBook(), "a", 1);
    expect(failureOf(placeBid(leased, bidInput))).toEqual({ code: "CONFLICT", field: "bidId" });
  });

  it("may be placed while the node is offline and waits there", () => {
    const offline = next(setState(autoAccept(newBook(), "0.1", startMs), "offline", startMs));
    const book = next(placeBid(offline, bidInput));
    expect(bidOf(book, "bid_a").status).toBe("open");
    expect(book.leases).toEqual([]);
    const online = next(setState(book, "online", startMs + 1));
    expect(statuses(online)).toEqual({ lse_a: "running" });
  });

  it(`bounds open bids per account at ${openBidsPerAccountMax}`, () => {
    let book = newBook();
    for (let index = 0; index < openBidsPerAccountMax; index += 1) {
      book = next(placeBid(book, { ...bidInput, bidId: `bid_${index}` }));
    }
    expect(failureOf(placeBid(book, { ...bidInput, bidId: "bid_extra" }))).toEqual({ code: "LIMIT_REACHED" });
    expect(
      bidOf(next(placeBid(book, { ...bidInput, bidId: "bid_other", accountId: "acc_z" })), "bid_other")
        .status,
    ).toBe("open");
    const cancelled = next(cancelBid(book, "bid_0", startMs));
    expect(bidOf(next(placeBid(cancelled, { ...bidInput, bidId: "bid_extra" })), "bid_extra").status).toBe(
      "open",
    );
  });

  it(`bounds open bids per book at ${openBidsPerBookMax}`, () => {
    let book = newBook();
    for (let index = 0; index < openBidsPerBookMax; index += 1) {
      const accountId = `acc_${Math.floor(index / openBidsPerAccountMax)}`;
      book = next(placeBid(book, { ...bidInput, bidId: `bid_${index}`, accountId }));
    }
    expect(failureOf(placeBid(book, { ...bidInput, bidId: "bid_extra", accountId: "acc_new" }))).toEqual({
      code: "LIMIT_REACHED",
    });
  });
});

describe("auto-accept", () => {
  it("accepts a bid at or above the threshold at once, as an open-ended interruptible lease", () => {
    const book = autoAccept(newBook(), "0.5", startMs);
    const result = unwrap(placeBid(book, bidInput));
    expect(bidOf(result.book, "bid_a").status).toBe("accepted");
    expect(leaseOf(result.book, "lse_a")).toEqual({
      id: "lse_a",
      accountId: "acc_a",
      kind: "interruptible",
      slices: 2,
      priceCcPerSliceHour: "0.5",
      startedAtMs: startMs,
      endsAtMs: null,
      status: "running",
      settledThroughMs: startMs,
      pauses: [],
    });
    expect(result.events.map((event) => event.type)).toEqual(["placed", "accepted", "started"]);
    expect(result.events[1]?.detail).toBe("by auto-accept; lease lse_a");
  });

  it("leaves a bid below the threshold open", () => {
    const book = autoAccept(newBook(), "0.5", startMs);
    const placed = next(placeBid(book, { ...bidInput, priceCcPerSliceHour: "0.499999" }));
    expect(bidOf(placed, "bid_a").status).toBe("open");
    expect(placed.leases).toEqual([]);
  });

  it("never accepts anything when off, however often match runs", () => {
    const book = withBids(newBook(), { a: [1, "100"] });
    const matched = unwrap(match(book, startMs + 10));
    expect(bidOf(matched.book, "bid_a").status).toBe("open");
    expect(matched.events).toEqual([]);
  });

  it("serves the highest bids first, earlier placement first among equal prices, skipping what does not fit", () => {
    const book = withBids(newBook({ sliceCount: 4 }), {
      first: [2, "0.5"],
      best: [2, "0.7"],
      second: [2, "0.5"],
      huge: [4, "0.6"],
      small: [1, "0.2"],
    });
    const matched = autoAccept(book, "0.1", startMs + 1);
    expect(Object.fromEntries(matched.bids.map((bid) => [bid.id, bid.status]))).toEqual({
      bid_first: "accepted",
      bid_best: "accepted",
      bid_second: "open",
      bid_huge: "open",
      bid_small: "open",
    });
    // Ending `best` frees 2 slices; `huge` (0.6) takes them plus `first`'s (0.5), which now waits.
    const freed = next(endLease(matched, "lse_best", startMs + 2));
    expect(statuses(freed)).toEqual({
      lse_first: "paused:preempted",
      lse_best: "ended",
      lse_huge: "running",
    });
    expect(bidOf(freed, "bid_second").status).toBe("open");
  });

  it("lets a small cheaper bid use slices a big dearer one cannot", () => {
    const book = withOnDemand(newBook({ sliceCount: 4 }), "od", 3);
    const matched = autoAccept(withBids(book, { big: [2, "0.9"], small: [1, "0.2"] }), "0.1", startMs + 1);
    expect(statuses(matched)).toEqual({ lse_od: "running", lse_small: "running" });
  });
});

describe("bids pre-empt cheaper interruptible leases", () => {
  /** L1 2@0.3 (t0), L2 2@0.3 (t0+1), L3 2@0.4, od 2: full. */
  function full(): BidBook {
    let book = withOnDemand(newBook(), "od", 2);
    book = withInterruptible(book, "L1", 2, "0.3", startMs);
    book = withInterruptible(book, "L2", 2, "0.3", startMs + 1);
    return withInterruptible(book, "L3", 2, "0.4", startMs + 1);
  }

  it("pauses the cheapest, latest-started lease for a higher bid", () => {
    const book = withBids(full(), { high: [2, "0.5"] }, startMs + 2);
    const result = unwrap(acceptBid(book, "bid_high", startMs + 3));
    expect(statuses(result.book)).toMatchObject({
      lse_L1: "running",
      lse_L2: "paused:preempted",
      lse_L3: "running",
      lse_high: "running",
    });
    expect(result.events.map((event) => [event.type, event.leaseId ?? event.bidId])).toEqual([
      ["preempted", "lse_L2"],
      ["accepted", "bid_high"],
      ["started", "lse_high"],
    ]);
  });

  it("takes several cheaper leases in order when one is not enough", () => {
    const book = withBids(full(), { high: [5, "0.45"] }, startMs + 2);
    const after = next(acceptBid(book, "bid_high", startMs + 3));
    expect(statuses(after)).toEqual({
      lse_od: "running",
      lse_L1: "paused:preempted",
      lse_L2: "paused:preempted",
      lse_L3: "paused:preempted",
      lse_high: "running",
    });
  });

  it("does not pre-empt a lease at the same price", () => {
    const book = withBids(full(), { equal: [2, "0.3"] }, startMs + 2);
    expect(failureOf(acceptBid(book, "bid_equal", startMs + 3))).toEqual({ code: "SLICES_UNAVAILABLE" });
  });

  it("does the same under auto-accept", () => {
    const book = autoAccept(
      withBids(full(), { high: [2, "0.35"], equal: [2, "0.3"] }, startMs + 2),
      "0.3",
      startMs + 3,
    );
    expect(statuses(book)).toMatchObject({ lse_L2: "paused:preempted", lse_high: "running" });
    expect(bidOf(book, "bid_equal").status).toBe("open");
  });
});

describe("resume before accepting new bids", () => {
  /** W 4@0.5 was pre-empted by on-demand `od` 4; bids wait; the node is full (4 od + 4 I@0.6). */
  function withWaitingLease(): BidBook {
    let book = newBook();
    book = withInterruptible(book, "W", 4, "0.5", startMs);
    book = withInterruptible(book, "I", 4, "0.6", startMs);
    book = next(
      reserve(book, {
        leaseId: "lse_od",
        accountId: "acc_u",
        slices: 4,
        durationMs: null,
        nowMs: startMs + 1,
      }),
    );
    expect(statuses(book)).toMatchObject({ lse_W: "paused:preempted", lse_I: "running" });
    return book;
  }

  it("resumes a waiting lease before a bid of the same price", () => {
    const book = autoAccept(
      withBids(withWaitingLease(), { same: [4, "0.5"] }, startMs + 2),
      "0.1",
      startMs + 2,
    );
    const result = unwrap(endLease(book, "lse_od", startMs + 3));
    expect(statuses(result.book)).toMatchObject({ lse_W: "running", lse_od: "ended" });
    expect(bidOf(result.book, "bid_same").status).toBe("open");
    expect(result.events.map((event) => [event.type, event.leaseId])).toEqual([
      ["ended", "lse_od"],
      ["resumed", "lse_W"],
    ]);
  });

  it("serves a higher bid before a cheaper waiting lease", () => {
    const book = autoAccept(
      withBids(withWaitingLease(), { higher: [4, "0.55"] }, startMs + 2),
      "0.1",
      startMs + 2,
    );
    const after = next(endLease(book, "lse_od", startMs + 3));
    expect(statuses(after)).toMatchObject({ lse_W: "paused:preempted", lse_higher: "running" });
  });

  it("resumes waiting leases even with auto-accept off", () => {
    const after = next(endLease(withWaitingLease(), "lse_od", startMs + 3));
    expect(statuses(after)).toMatchObject({ lse_W: "running" });
    expect(leaseOf(after, "lse_W").pauses).toEqual([{ fromMs: startMs + 1, untilMs: startMs + 3 }]);
  });

  it("running the catch-up again changes nothing", () => {
    const book = autoAccept(
      withBids(withWaitingLease(), { higher: [4, "0.55"] }, startMs + 2),
      "0.1",
      startMs + 2,
    );
    const once = next(endLease(book, "lse_od", startMs + 3));
    const twice = unwrap(match(once, startMs + 3));
    expect(twice.book).toEqual(once);
    expect(twice.events).toEqual([]);
  });
});

describe("acceptBid, rejectBid, cancelBid", () => {
  const book = withBids(newBook(), { a: [2, "0.5"] });

  it("accepts a bid by hand below the auto-accept price", () => {
    const result = unwrap(acceptBid(autoAccept(book, "5", startMs), "bid_a", startMs + 1));
    expect(statuses(result.book)).toEqual({ lse_a: "running" });
    expect(result.events.find((event) => event.type === "accepted")?.detail).toBe("by farmer; lease lse_a");
  });

  it.each([
    ["accept", acceptBid],
    ["reject", rejectBid],
    ["cancel", cancelBid],
  ] as const)("%s fails NOT_FOUND for an unknown bid and CONFLICT for a closed one", (_label, operation) => {
    expect(failureOf(operation(book, "bid_none", startMs))).toEqual({ code: "NOT_FOUND", field: "bidId" });
    const rejected = next(rejectBid(book, "bid_a", startMs));
    expect(failureOf(operation(rejected, "bid_a", startMs))).toEqual({ code: "CONFLICT", field: "bidId" });
  });

  it("refuses to accept while the node is not online, or when slices are held on demand", () => {
    expect(failureOf(acceptBid(next(setState(book, "maintenance", startMs)), "bid_a", startMs))).toEqual({
      code: "NODE_UNAVAILABLE",
    });
    expect(failureOf(acceptBid(withOnDemand(book, "od", 7), "bid_a", startMs))).toEqual({
      code: "SLICES_UNAVAILABLE",
    });
  });

  it("rejects and cancels with their own statuses and events", () => {
    const rejected = unwrap(rejectBid(book, "bid_a", startMs + 1));
    expect(bidOf(rejected.book, "bid_a").status).toBe("rejected");
    expect(rejected.events).toEqual([
      {
        type: "rejected",
        bidId: "bid_a",
        atMs: startMs + 1,
        detail: "rejected by the farmer",
        details: { by: "farmer" },
      },
    ]);
    const cancelled = unwrap(cancelBid(book, "bid_a", startMs + 1));
    expect(bidOf(cancelled.book, "bid_a").status).toBe("cancelled");
    expect(cancelled.events[0]?.type).toBe("cancelled");
  });
});

describe("expiry", () => {
  const book = withBids(newBook(), { a: [2, "0.5"] });

  it("keeps a bid open until just before expiresAtMs and expires it at that instant", () => {
    expect(bidOf(next(match(book, startMs + hourMs - 1)), "bid_a").status).toBe("open");
    const expired = unwrap(match(book, startMs + hourMs));
    expect(bidOf(expired.book, "bid_a").status).toBe("expired");
    expect(expired.events).toEqual([
      {
        type: "expired",
        bidId: "bid_a",
        atMs: startMs + hourMs,
        detail: "open time ran out",
        details: { expiresAtMs: startMs + hourMs },
      },
    ]);
  });

  it("logs a late expiry at its own time and refuses to accept the bid", () => {
    const late = unwrap(match(book, startMs + 5 * hourMs));
    expect(late.events[0]?.atMs).toBe(startMs + hourMs);
    expect(failureOf(acceptBid(book, "bid_a", startMs + hourMs))).toEqual({
      code: "CONFLICT",
      field: "bidId",
    });
  });

  it("expires a bid before auto-accept could take it", () => {
    const after = autoAccept(book, "0.1", startMs + hourMs);
    expect(bidOf(after, "bid_a").status).toBe("expired");
    expect(after.leases).toEqual([]);
  });
});
