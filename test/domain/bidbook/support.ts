/**
 * Helpers shared by the bid book tests: a standard book, unwrapping Results, finding records
 * and freezing inputs so any mutation by a transition throws.
 */
import { expect } from "vitest";
import { hourMs } from "../../../src/kit/clock";
import type { Result } from "../../../src/kit/result";
import {
  acceptBid,
  type BidBook,
  type OpenBookInput,
  openBook,
  placeBid,
  reserve,
  type Transition,
} from "../../../src/market/core/bidbook";

export { hourMs };
/** An arbitrary epoch time every scenario starts from. */
export const startMs = 1_767_225_600_000;

/** The value of a successful Result; fails the test with the failure's detail otherwise. */
export function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`expected ok, got ${result.code}: ${result.detail}`);
  return result.value;
}

/** The new book of a successful transition, frozen so the next transition cannot mutate it. */
export function next(result: Result<Transition>): BidBook {
  return deepFreeze(unwrap(result).book);
}

/** The code and field of a failed Result. */
export function failureOf(result: Result<unknown>): { code: string; field?: string } {
  if (result.ok) throw new Error("expected a failure, got ok");
  return result.field === undefined ? { code: result.code } : { code: result.code, field: result.field };
}

/** An online 8-slice book, listed at 1 CC, minimum bid 0.1 CC, auto-accept off. */
export function newBook(overrides: Partial<OpenBookInput> = {}): BidBook {
  return deepFreeze(
    unwrap(
      openBook({
        nodeId: "node_1",
        sliceCount: 8,
        state: "online",
        listedPriceCcPerSliceHour: "1",
        minBidCcPerSliceHour: "0.1",
        autoAcceptAboveCcPerSliceHour: null,
        ...overrides,
      }),
    ),
  );
}

export function leaseOf(book: BidBook, id: string) {
  const lease = book.leases.find((candidate) => candidate.id === id);
  if (lease === undefined) throw new Error(`no lease ${id}`);
  return lease;
}

export function bidOf(book: BidBook, id: string) {
  const bid = book.bids.find((candidate) => candidate.id === id);
  if (bid === undefined) throw new Error(`no bid ${id}`);
  return bid;
}

/** Status (and pause reason) of each named lease, for compact assertions. */
export function statuses(book: BidBook): Record<string, string> {
  return Object.fromEntries(
    book.leases.map((lease) => [
      lease.id,
      lease.pausedReason ? `paused:${lease.pausedReason}` : lease.status,
    ]),
  );
}

/** Reserves `slices` on demand as `lse_<name>` (open-ended). */
export function withOnDemand(book: BidBook, name: string, slices: number, nowMs = startMs): BidBook {
  return next(reserve(book, { leaseId: `lse_${name}`, accountId: "acc_u", slices, durationMs: null, nowMs }));
}

/** Places `bid_<name>` and accepts it by hand, giving a running interruptible lease `lse_<name>`. */
export function withInterruptible(
  book: BidBook,
  name: string,
  slices: number,
  priceCcPerSliceHour: string,
  nowMs = startMs,
): BidBook {
  const placed = next(
    placeBid(book, {
      bidId: `bid_${name}`,
      accountId: `acc_${name}`,
      slices,
      priceCcPerSliceHour,
      expiresAtMs: nowMs + hourMs,
      nowMs,
    }),
  );
  const accepted = next(acceptBid(placed, `bid_${name}`, nowMs));
  expect(leaseOf(accepted, `lse_${name}`).status).toBe("running");
  return accepted;
}

/** Freezes an object graph so a transition that mutates its input throws in strict mode. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
