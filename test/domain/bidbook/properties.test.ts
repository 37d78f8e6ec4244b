// Proves with random operation sequences that running (and held) slices never exceed n, that catching up
// twice changes nothing, that inputs are never mutated, that settlement ids are unique and periods never
// overlap, and that every charge lies between zero and price × slices × elapsed hours.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Result } from "../../../src/kit/result";
import { Dec } from "../../../src/ledger/core/money";
import {
  acceptBid,
  type BidBook,
  cancelBid,
  chargeFor,
  duePeriods,
  endLease,
  heldSlices,
  markInsufficientFunds,
  match,
  type NodeState,
  placeBid,
  placeBids,
  reclaimExpired,
  recordSettlement,
  rejectBid,
  reserve,
  reservePackage,
  resumeFunded,
  runningSlices,
  setPrices,
  setState,
  type Transition,
} from "../../../src/market/core/bidbook";
import { deepFreeze, hourMs, newBook, startMs } from "./support";

const prices = ["0.1", "0.2", "0.3", "0.5", "0.8", "1", "0.0033", "0.123456789012"];
const price = fc.constantFrom(...prices);
const pick = fc.nat({ max: 50 });

const operation = fc.oneof(
  fc.record({
    type: fc.constant("reserve" as const),
    slices: fc.oneof({ arbitrary: fc.integer({ min: 1, max: 4 }), weight: 9 }, fc.constantFrom(0, 9)),
    durationMs: fc.option(fc.integer({ min: 1, max: 5 * hourMs }), { nil: null }),
    packagePrice: fc.option(price, { nil: null }),
  }),
  fc.record({
    type: fc.constant("placeBid" as const),
    slices: fc.integer({ min: 1, max: 4 }),
    price,
    ttlMs: fc.integer({ min: 1, max: 3 * hourMs }),
    account: fc.nat({ max: 3 }),
  }),
  fc.record({
    type: fc.constantFrom("acceptBid" as const, "rejectBid" as const, "cancelBid" as const),
    pick,
  }),
  fc.record({ type: fc.constantFrom("endLease" as const, "resumeFunded" as const), pick }),
  fc.record({
    type: fc.constant("markInsufficientFunds" as const),
    pick,
    graceMs: fc.integer({ min: 1, max: 2 * hourMs }),
  }),
  fc.record({
    type: fc.constant("setState" as const),
    state: fc.constantFrom<NodeState>("online", "online", "online", "offline", "maintenance"),
  }),
  fc.record({
    type: fc.constant("setPrices" as const),
    autoAccept: fc.option(price, { nil: null }),
    minBid: price,
  }),
  fc.record({ type: fc.constantFrom("match" as const, "reclaimExpired" as const) }),
  fc.record({ type: fc.constant("settle" as const), pick, count: fc.integer({ min: 1, max: 3 }) }),
);
const step = fc.record({ advanceMs: fc.integer({ min: 0, max: 40 * 60_000 }), operation });

type Operation = typeof operation extends fc.Arbitrary<infer T> ? T : never;

/** The `index`th item that `wanted` accepts, or of all items when none is (to exercise refusals too). */
function nth<T>(items: readonly T[], index: number, wanted: (item: T) => boolean): T | undefined {
  const preferred = items.filter(wanted);
  const pool = preferred.length > 0 ? preferred : items;
  return pool.length === 0 ? undefined : pool[index % pool.length];
}

let sequence = 0;

function apply(book: BidBook, op: Operation, nowMs: number): Result<Transition> | undefined {
  sequence += 1;
  switch (op.type) {
    case "reserve": {
      const input = {
        leaseId: `lse_r${sequence}`,
        accountId: "acc_r",
        slices: op.slices,
        durationMs: op.durationMs,
        nowMs,
      };
      return op.packagePrice === null
        ? reserve(book, input)
        : reservePackage(book, { ...input, priceCcPerSliceHour: op.packagePrice });
    }
    case "placeBid":
      return placeBid(book, {
        bidId: `bid_b${sequence}`,
        accountId: `acc_${op.account}`,
        slices: op.slices,
        priceCcPerSliceHour: op.price,
        expiresAtMs: nowMs + op.ttlMs,
        nowMs,
      });
    case "acceptBid":
    case "rejectBid":
    case "cancelBid": {
      const bid = nth(book.bids, op.pick, (candidate) => candidate.status === "open");
      if (bid === undefined) return undefined;
      const transition = { acceptBid, rejectBid, cancelBid }[op.type];
      return transition(book, bid.id, nowMs);
    }
    case "endLease":
    case "resumeFunded":
    case "markInsufficientFunds": {
      const lease = nth(book.leases, op.pick, (candidate) =>
        op.type === "resumeFunded"
          ? candidate.pausedReason === "insufficient_funds"
          : candidate.status !== "ended",
      );
      if (lease === undefined) return undefined;
      if (op.type === "markInsufficientFunds")
        return markInsufficientFunds(book, lease.id, nowMs, op.graceMs);
      return (op.type === "endLease" ? endLease : resumeFunded)(book, lease.id, nowMs);
    }
    case "setState":
      return setState(book, op.state, nowMs);
    case "setPrices":
      return setPrices(book, {
        listedPriceCcPerSliceHour: "1",
        minBidCcPerSliceHour: op.minBid,
        autoAcceptAboveCcPerSliceHour: op.autoAccept,
        nowMs,
      });
    case "match":
      return match(book, nowMs);
    case "reclaimExpired":
      return reclaimExpired(book, nowMs);
    case "settle": {
      const lease = nth(book.leases, op.pick, (candidate) => duePeriods(candidate, nowMs).length > 0);
      if (lease === undefined) return undefined;
      const period = duePeriods(lease, nowMs)[0];
      return period === undefined ? undefined : recordSettlement(book, lease.id, period, nowMs);
    }
  }
}

/** price × slices × span in hours, in CC minor units, exact (no rounding). */
function ceilingMinor(priceText: string, slices: number, spanMs: number): Dec {
  return new Dec(priceText).mul(slices).mul(spanMs).div(hourMs).mul(1_000_000);
}

describe("random operation sequences", () => {
  it("never hold more running slices than the node has, and catching up twice changes nothing", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(step, { maxLength: 60, size: "max" }),
        (sliceCount, steps) => {
          let book = newBook({ sliceCount, autoAcceptAboveCcPerSliceHour: "0.3" });
          let nowMs = startMs;
          for (const { advanceMs, operation: op } of steps) {
            nowMs += advanceMs;
            const snapshot = JSON.stringify(book);
            const result = apply(book, op, nowMs);
            expect(JSON.stringify(book)).toBe(snapshot);
            if (result === undefined || !result.ok) continue;
            book = deepFreeze(result.value.book);
            expect(runningSlices(book)).toBeLessThanOrEqual(sliceCount);
            expect(heldSlices(book)).toBeLessThanOrEqual(sliceCount);
            for (const event of result.value.events) expect(event.atMs).toBeLessThanOrEqual(nowMs);
            const again = match(book, nowMs);
            expect(again.ok && again.value.events).toEqual([]);
            expect(again.ok && again.value.book).toEqual(book);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("settle each lease through unique ids and non-overlapping periods, charging within price × slices × hours", () => {
    fc.assert(
      fc.property(
        fc.array(step, { maxLength: 50, size: "max" }),
        fc.integer({ min: 1, max: 4 }).map((quarters) => (quarters * hourMs) / 4),
        (steps, periodMs) => {
          let book = newBook({ sliceCount: 6, autoAcceptAboveCcPerSliceHour: "0.2" });
          let nowMs = startMs;
          const recordedIds = new Set<string>();
          const lastEndMs = new Map<string, number>();
          const chargedMinor = new Map<string, bigint>();
          const settleAll = (atMs: number) => {
            for (const lease of book.leases) {
              const periods = duePeriods(lease, atMs, periodMs);
              let expectedStartMs = lease.settledThroughMs;
              for (const period of periods) {
                expect(period.periodStartMs).toBe(expectedStartMs);
                expect(period.periodEndMs).toBeGreaterThan(period.periodStartMs);
                expect(period.periodEndMs - period.periodStartMs).toBeLessThanOrEqual(periodMs);
                expect(period.periodStartMs).toBeGreaterThanOrEqual(
                  lastEndMs.get(lease.id) ?? lease.startedAtMs,
                );
                expect(recordedIds.has(period.settlementId)).toBe(false);
                const charge = chargeFor(lease, period);
                expect(charge >= 0n).toBe(true);
                const ceiling = ceilingMinor(
                  lease.priceCcPerSliceHour,
                  lease.slices,
                  period.periodEndMs - period.periodStartMs,
                );
                // Cumulative charging: one period may round up (less than a minor unit over its exact
                // price), but what the lease has paid up to the period's end never exceeds the exact
                // price of the time since its start.
                expect(new Dec(charge.toString()).lt(ceiling.add(1))).toBe(true);
                const paidMinor = (chargedMinor.get(lease.id) ?? 0n) + charge;
                expect(
                  new Dec(paidMinor.toString()).lte(
                    ceilingMinor(
                      lease.priceCcPerSliceHour,
                      lease.slices,
                      period.periodEndMs - lease.startedAtMs,
                    ),
                  ),
                ).toBe(true);
                const result = recordSettlement(book, lease.id, period, atMs, periodMs);
                expect(result.ok).toBe(true);
                if (!result.ok) return;
                book = deepFreeze(result.value.book);
                recordedIds.add(period.settlementId);
                lastEndMs.set(lease.id, period.periodEndMs);
                chargedMinor.set(lease.id, (chargedMinor.get(lease.id) ?? 0n) + charge);
                expectedStartMs = period.periodEndMs;
              }
            }
          };
          for (const { advanceMs, operation: op } of steps) {
            nowMs += advanceMs;
            if (op.type === "settle") {
              settleAll(nowMs);
              continue;
            }
            const result = apply(book, op, nowMs);
            if (result?.ok) book = deepFreeze(result.value.book);
          }
          settleAll(nowMs + 10 * hourMs);
          for (const lease of book.leases) {
            const elapsedMs = (lease.endsAtMs ?? nowMs + 10 * hourMs) - lease.startedAtMs;
            const total = chargedMinor.get(lease.id) ?? 0n;
            expect(
              new Dec(total.toString()).lte(ceilingMinor(lease.priceCcPerSliceHour, lease.slices, elapsedMs)),
            ).toBe(true);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it("places a group of bids exactly as one by one: same book, same refusals, the same events but passing pre-emptions", () => {
    const groupBid = fc.record({
      id: fc.integer({ min: 0, max: 12 }),
      slices: fc.oneof({ arbitrary: fc.integer({ min: 1, max: 4 }), weight: 9 }, fc.constantFrom(0, 9)),
      price: fc.constantFrom(...prices, "0.05", "x"),
      ttlMs: fc.integer({ min: -1, max: 3 * hourMs }),
      account: fc.nat({ max: 2 }),
    });
    fc.assert(
      fc.property(
        fc.array(step, { maxLength: 30, size: "max" }),
        fc.array(groupBid, { minLength: 1, maxLength: 24 }),
        fc.option(price, { nil: null }),
        (steps, group, autoAccept) => {
          let book = newBook({
            sliceCount: 6,
            minBidCcPerSliceHour: "0.1",
            autoAcceptAboveCcPerSliceHour: autoAccept,
          });
          let nowMs = startMs;
          for (const { advanceMs, operation: op } of steps) {
            nowMs += advanceMs;
            const result = apply(book, op, nowMs);
            if (result?.ok) book = deepFreeze(result.value.book);
          }
          nowMs += 1;
          // Caught up first: a group whose every bid is refused still catches the book up, while a
          // refused lone call returns the book as it was.
          const caughtUp = match(book, nowMs);
          if (caughtUp.ok) book = deepFreeze(caughtUp.value.book);
          const inputs = group.map((item) => ({
            bidId: `bid_g${item.id}`,
            accountId: `acc_${item.account}`,
            slices: item.slices,
            priceCcPerSliceHour: item.price,
            expiresAtMs: nowMs + item.ttlMs,
            nowMs,
          }));
          let oneByOne = book;
          const events: string[] = [];
          const refusals: (string | undefined)[] = [];
          for (const input of inputs) {
            const result = placeBid(oneByOne, input);
            refusals.push(result.ok ? undefined : `${result.code}:${result.field}`);
            if (!result.ok) continue;
            oneByOne = result.value.book;
            events.push(...result.value.events.map((event) => JSON.stringify(event)));
          }
          const grouped = placeBids(book, inputs, nowMs);
          expect(grouped.ok).toBe(true);
          if (!grouped.ok) return;
          expect(grouped.value.book).toEqual(oneByOne);
          expect(
            grouped.value.refusals.map((refusal) => refusal && `${refusal.code}:${refusal.field}`),
          ).toEqual(refusals);
          // The same events, except that a lease pre-empted and resumed again inside the group
          // leaves no trace (as inside any one transition): what one by one logs besides is only
          // such pairs.
          const extra = [...events];
          for (const event of grouped.value.events) {
            const at = extra.indexOf(JSON.stringify(event));
            expect(at, `grouped event ${JSON.stringify(event)} not logged one by one`).toBeGreaterThanOrEqual(
              0,
            );
            extra.splice(at, 1);
          }
          const balance = new Map<string, number>();
          for (const text of extra) {
            const event = JSON.parse(text) as { type: string; leaseId: string };
            expect(["preempted", "resumed"]).toContain(event.type);
            balance.set(
              event.leaseId,
              (balance.get(event.leaseId) ?? 0) + (event.type === "preempted" ? 1 : -1),
            );
          }
          for (const count of balance.values()) expect(count).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("charges a period exactly the running fraction, rounded down", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...prices),
        fc.integer({ min: 1, max: 1024 }),
        fc.integer({ min: 0, max: hourMs }),
        fc.integer({ min: 0, max: hourMs }),
        (priceText, slices, a, b) => {
          const [pauseFrom, pauseUntil] = a <= b ? [a, b] : [b, a];
          const lease = {
            id: "lse_p",
            accountId: "acc",
            kind: "onDemand" as const,
            slices,
            priceCcPerSliceHour: priceText,
            startedAtMs: startMs,
            endsAtMs: null,
            status: "running" as const,
            settledThroughMs: startMs,
            pauses:
              pauseUntil > pauseFrom ? [{ fromMs: startMs + pauseFrom, untilMs: startMs + pauseUntil }] : [],
          };
          const charge = chargeFor(lease, { periodStartMs: startMs, periodEndMs: startMs + hourMs });
          const exact = ceilingMinor(priceText, slices, hourMs - (pauseUntil - pauseFrom));
          expect(charge >= 0n).toBe(true);
          expect(new Dec(charge.toString()).lte(exact)).toBe(true);
          expect(exact.sub(charge.toString()).lt(1)).toBe(true);
        },
      ),
    );
  });
});
