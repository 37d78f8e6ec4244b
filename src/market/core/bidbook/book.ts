/**
 * The bid book's transitions (ECONOMICS §16, §17): reservations, interruptible bids, node state,
 * prices, funds and settlement bookkeeping for one node.
 *
 * Every transition is pure: it copies the book, first catches up to `nowMs` (ends leases whose
 * term or grace passed, expires bids, rebalances), then applies its own change, rebalances
 * again, asserts the book's invariants and returns the new book with the events that happened.
 * Expected refusals are `Failure`s and leave the input untouched; a broken invariant throws.
 * See capacity.ts for who gets slices and in which order.
 */

import { invariant } from "../../../kit/errors";
import { type Failure, fail, ok, type Result } from "../../../kit/result";
import { newLeaseAgent, settleAgents } from "./agent";
import { acceptInto, advanceClock, planVictims, preempt, rebalance } from "./capacity";
import {
  diffEvents,
  end,
  finishWork,
  latestRecordedMs,
  pause,
  resume,
  setBidStatus,
  startWork,
  type Work,
} from "./draft";
import {
  type AgentReport,
  type AgentSettings,
  agentReports,
  assertBookInvariants,
  type BidBook,
  bidDurationMsMax,
  bidsPerBookMax,
  exactPriceMatches,
  graceMsMax,
  isAgentSettings,
  isAssigned,
  isBidId,
  isLeaseId,
  isPlainId,
  isTimeMs,
  type LeaseKind,
  leaseDurationMsMax,
  leaseIdForBid,
  leasesPerBookMax,
  type NodeState,
  nodeStates,
  openBidsPerAccountMax,
  openBidsPerBookMax,
  priceCcPerSliceHourMax,
  priceDecimalsMax,
  priceKey,
  provisioningTimeoutMsMax,
  sliceCountMax,
  storedPriceKey,
  type Transition,
} from "./model";
import {
  duePeriods,
  isSettlementPeriodMs,
  runningMsIn,
  type SettlementPeriod,
  settledRunningMsOf,
  settlementPeriodMsDefault,
} from "./settlement";

function transition(
  book: BidBook,
  nowMs: number,
  operation: (work: Work) => Failure | undefined,
): Result<Transition> {
  if (!isTimeMs(nowMs)) return fail("VALIDATION_FAILED", "nowMs must be epoch milliseconds", "nowMs");
  if (nowMs < latestRecordedMs(book)) {
    return fail("VALIDATION_FAILED", "nowMs is earlier than a time the book has already recorded", "nowMs");
  }
  const work = startWork(book, nowMs);
  advanceClock(work);
  rebalance(work);
  const failure = operation(work);
  if (failure !== undefined) return failure;
  rebalance(work);
  settleAgents(book, work);
  const next = finishWork(work);
  assertBookInvariants(next);
  return ok({ book: next, events: diffEvents(book, next, work.notes, nowMs) });
}

function checkPrice(text: unknown, field: string, zeroAllowed: boolean): Failure | undefined {
  const key = typeof text === "string" ? priceKey(text) : undefined;
  if (key === undefined) {
    return fail(
      "VALIDATION_FAILED",
      `${field} must be a plain decimal with at most ${priceDecimalsMax} decimals, at most ${priceCcPerSliceHourMax}`,
      field,
    );
  }
  if (!zeroAllowed && key === 0n) return fail("VALIDATION_FAILED", `${field} must be above zero`, field);
  return undefined;
}

function checkSlices(slices: number, sliceCount: number): Failure | undefined {
  if (!Number.isInteger(slices) || slices < 1 || slices > sliceCount) {
    return fail("VALIDATION_FAILED", `slices must be a whole number from 1 to ${sliceCount}`, "slices");
  }
  return undefined;
}

function checkAccountId(accountId: string): Failure | undefined {
  return isPlainId(accountId)
    ? undefined
    : fail("VALIDATION_FAILED", "accountId is not a valid id", "accountId");
}

/** Whether a lease id is taken by a lease or reserved by an open bid's future lease. */
function leaseIdTaken(work: Work, leaseId: string): boolean {
  return (
    work.book.leases.some((lease) => lease.id === leaseId) ||
    work.book.bids.some((bid) => bid.status === "open" && leaseIdForBid(bid.id) === leaseId)
  );
}

export type OpenBookInput = {
  readonly nodeId: string;
  readonly sliceCount: number;
  readonly state: NodeState;
  readonly listedPriceCcPerSliceHour: string;
  readonly minBidCcPerSliceHour: string;
  readonly autoAcceptAboveCcPerSliceHour: string | null;
};

/**
 * A new, empty book for a node. Whether the listed price lies inside the node's price band
 * (§12) is the market module's check, made by the caller; here prices need only be valid
 * (listed above zero, minimum bid and auto-accept price zero or more).
 */
export function openBook(input: OpenBookInput): Result<BidBook> {
  if (!isPlainId(input.nodeId)) return fail("VALIDATION_FAILED", "nodeId is not a valid id", "nodeId");
  if (!Number.isInteger(input.sliceCount) || input.sliceCount < 1 || input.sliceCount > sliceCountMax) {
    return fail(
      "VALIDATION_FAILED",
      `sliceCount must be a whole number from 1 to ${sliceCountMax}`,
      "sliceCount",
    );
  }
  if (!nodeStates.includes(input.state)) return fail("VALIDATION_FAILED", "unknown node state", "state");
  const failure = checkPrices(input);
  if (failure !== undefined) return failure;
  const book: BidBook = { ...input, leases: [], bids: [] };
  assertBookInvariants(book);
  return ok(book);
}

export type ReserveInput = {
  readonly leaseId: string;
  readonly accountId: string;
  readonly slices: number;
  /** Reservation length; null for an open-ended lease that runs until ended. */
  readonly durationMs: number | null;
  readonly nowMs: number;
  /**
   * The exact price the lease is charged at (rate.ts), when the price is its 12-decimal floor
   * (a monthly price per hour, a USD price in CC); absent when the price is exact as it is.
   */
  readonly exactPriceCcPerSliceHour?: string;
};

/**
 * Reserves `slices` on demand at the listed price, starting now. On-demand leases are never
 * pre-empted; to fit, this one pre-empts running interruptible leases (lowest price first,
 * latest started first among equals). Fails VALIDATION_FAILED (bad id, slices outside 1…n,
 * duration outside 1…leaseDurationMsMax), CONFLICT (lease id taken), NODE_UNAVAILABLE (node not
 * online), LIMIT_REACHED (leasesPerBookMax) or SLICES_UNAVAILABLE (even pre-empting every
 * interruptible lease leaves too few slices).
 */
export function reserve(book: BidBook, input: ReserveInput): Result<Transition> {
  return transition(book, input.nowMs, (work) =>
    reserveInto(work, input, "onDemand", book.listedPriceCcPerSliceHour),
  );
}

export type ReservePackageInput = ReserveInput & {
  /** The bid package's fixed price (§16), which may differ from the listed price. */
  readonly priceCcPerSliceHour: string;
};

/**
 * Fills a ThreeFold bid package (§16) with `slices` of this node at the package's price. Such a
 * lease is reserved like an on-demand one (never pre-empted, may pre-empt interruptible leases)
 * and fails the same ways, plus VALIDATION_FAILED for a bad price. Whether the node meets the
 * package's minimum spec is the caller's check (market requirements).
 */
export function reservePackage(book: BidBook, input: ReservePackageInput): Result<Transition> {
  return transition(book, input.nowMs, (work) => {
    const failure = checkPrice(input.priceCcPerSliceHour, "priceCcPerSliceHour", false);
    return failure ?? reserveInto(work, input, "package", input.priceCcPerSliceHour);
  });
}

function reserveInto(
  work: Work,
  input: ReserveInput,
  kind: Exclude<LeaseKind, "interruptible">,
  priceCcPerSliceHour: string,
): Failure | undefined {
  const { book, nowMs } = work;
  if (!isLeaseId(input.leaseId)) return fail("VALIDATION_FAILED", "leaseId must look like lse_…", "leaseId");
  const failure = checkAccountId(input.accountId) ?? checkSlices(input.slices, book.sliceCount);
  if (failure !== undefined) return failure;
  const exactPrice = input.exactPriceCcPerSliceHour;
  if (exactPrice !== undefined && !exactPriceMatches(exactPrice, priceCcPerSliceHour)) {
    return fail(
      "VALIDATION_FAILED",
      `exactPriceCcPerSliceHour must be an exact price (a decimal or a fraction of two) whose 12-decimal floor is ${priceCcPerSliceHour}`,
      "exactPriceCcPerSliceHour",
    );
  }
  const durationMs = input.durationMs;
  if (
    durationMs !== null &&
    (!Number.isInteger(durationMs) || durationMs < 1 || durationMs > leaseDurationMsMax)
  ) {
    return fail(
      "VALIDATION_FAILED",
      `durationMs must be null or from 1 to ${leaseDurationMsMax}`,
      "durationMs",
    );
  }
  if (leaseIdTaken(work, input.leaseId))
    return fail("CONFLICT", `lease id ${input.leaseId} is already used`, "leaseId");
  if (book.state !== "online") return fail("NODE_UNAVAILABLE", `node ${book.nodeId} is ${book.state}`);
  if (book.leases.length >= leasesPerBookMax) {
    return fail("LIMIT_REACHED", `the book holds ${leasesPerBookMax} leases; compact it first`);
  }
  const victims = planVictims(book, input.slices, null);
  if (victims === undefined) {
    return fail(
      "SLICES_UNAVAILABLE",
      `${input.slices} slices are not available on node ${book.nodeId}`,
      "slices",
    );
  }
  preempt(work, victims);
  book.leases.push({
    id: input.leaseId,
    accountId: input.accountId,
    kind,
    slices: input.slices,
    priceCcPerSliceHour,
    ...(exactPrice === undefined || exactPrice === priceCcPerSliceHour
      ? {}
      : { exactPriceCcPerSliceHour: exactPrice }),
    startedAtMs: nowMs,
    endsAtMs: durationMs === null ? null : nowMs + durationMs,
    status: "running",
    settledThroughMs: nowMs,
    pauses: [],
    ...newLeaseAgent(book, nowMs),
  });
  return undefined;
}

export type PlaceBidInput = {
  readonly bidId: string;
  readonly accountId: string;
  readonly slices: number;
  readonly priceCcPerSliceHour: string;
  /** The bid stays open until this time (exclusive), at most bidDurationMsMax from now. */
  readonly expiresAtMs: number;
  readonly nowMs: number;
};

/**
 * Places an interruptible bid. Bids may be placed while the node is offline; they wait. When
 * auto-accept is on and the price is at or above it, the bid is matched at once (it may still
 * wait if it does not fit). Fails VALIDATION_FAILED, CONFLICT (bid id used, or its lease id
 * `leaseIdForBid(bidId)` taken), BID_BELOW_MINIMUM, or LIMIT_REACHED (openBidsPerBookMax,
 * openBidsPerAccountMax, bidsPerBookMax).
 */
export function placeBid(book: BidBook, input: PlaceBidInput): Result<Transition> {
  const placed = placeBids(book, [input], input.nowMs);
  if (!placed.ok) return placed;
  const refusal = placed.value.refusals[0];
  return refusal === undefined ? ok({ book: placed.value.book, events: placed.value.events }) : refusal;
}

/** A transition that took several requests: each one's refusal, or undefined where it was applied. */
export type BatchTransition = Transition & { readonly refusals: readonly (Failure | undefined)[] };

/**
 * Places several bids at one time in one transition, with exactly the outcome of `placeBid`
 * called for each in turn at `nowMs` (each is checked against the book with the ones before it
 * applied; a refused one changes nothing), but with one copy, one invariant check and one event
 * comparison for the lot. The events are the same ones, in time order, except that a lease
 * pre-empted by one bid of the group and resumed after a later one leaves no trace, as inside
 * any single transition. Every input's own
 * `nowMs` must equal `nowMs`. Fails as a whole only when `nowMs` is not a valid time; the book
 * is caught up to `nowMs` even when every bid is refused.
 */
export function placeBids(
  book: BidBook,
  inputs: readonly PlaceBidInput[],
  nowMs: number,
): Result<BatchTransition> {
  const refusals: (Failure | undefined)[] = [];
  const result = transition(book, nowMs, (work) => {
    let index = indexBids(work.book);
    for (const input of inputs) {
      invariant(input.nowMs === nowMs, "placeBids: every bid must be placed at the batch's time");
      const refusal = addBid(work, index, input);
      refusals.push(refusal);
      // The book was balanced before this bid, and only an auto-accept bid is a claim: nothing
      // else can move. Re-index afterwards, since bids may have been accepted.
      if (refusal === undefined && autoAccepts(work.book, input.priceCcPerSliceHour)) {
        rebalance(work);
        index = indexBids(work.book);
      }
    }
    return undefined;
  });
  return result.ok ? ok({ ...result.value, refusals }) : result;
}

/** What placing a bid checks against, kept up to date through a batch. */
type BidIndex = {
  readonly bidIds: Set<string>;
  readonly leaseIds: Set<string>;
  open: number;
  readonly openByAccount: Map<string, number>;
  nextSeq: number;
};

function indexBids(book: Work["book"]): BidIndex {
  const index: BidIndex = {
    bidIds: new Set(),
    leaseIds: new Set(book.leases.map((lease) => lease.id)),
    open: 0,
    openByAccount: new Map(),
    nextSeq: 0,
  };
  for (const bid of book.bids) {
    index.bidIds.add(bid.id);
    index.nextSeq = Math.max(index.nextSeq, bid.createdSeq + 1);
    if (bid.status !== "open") continue;
    index.open += 1;
    index.openByAccount.set(bid.accountId, (index.openByAccount.get(bid.accountId) ?? 0) + 1);
  }
  return index;
}

function autoAccepts(book: Work["book"], priceText: string): boolean {
  const threshold = book.autoAcceptAboveCcPerSliceHour;
  return threshold !== null && storedPriceKey(priceText) >= storedPriceKey(threshold);
}

/** Checks one bid against the book and adds it; a refusal leaves the draft as it was. */
function addBid(work: Work, index: BidIndex, input: Omit<PlaceBidInput, "nowMs">): Failure | undefined {
  const { book: draft, nowMs } = work;
  if (!isBidId(input.bidId)) return fail("VALIDATION_FAILED", "bidId must look like bid_…", "bidId");
  const failure =
    checkAccountId(input.accountId) ??
    checkSlices(input.slices, draft.sliceCount) ??
    checkPrice(input.priceCcPerSliceHour, "priceCcPerSliceHour", false);
  if (failure !== undefined) return failure;
  if (
    !isTimeMs(input.expiresAtMs) ||
    input.expiresAtMs <= nowMs ||
    input.expiresAtMs - nowMs > bidDurationMsMax
  ) {
    return fail(
      "VALIDATION_FAILED",
      `expiresAtMs must lie after now, within ${bidDurationMsMax} ms`,
      "expiresAtMs",
    );
  }
  if (index.bidIds.has(input.bidId)) {
    return fail("CONFLICT", `bid id ${input.bidId} is already used`, "bidId");
  }
  const leaseId = leaseIdForBid(input.bidId);
  if (index.leaseIds.has(leaseId)) {
    return fail("CONFLICT", `lease id ${leaseId} is already used`, "bidId");
  }
  if (storedPriceKey(input.priceCcPerSliceHour) < storedPriceKey(draft.minBidCcPerSliceHour)) {
    return fail(
      "BID_BELOW_MINIMUM",
      `the minimum bid is ${draft.minBidCcPerSliceHour} CC per slice-hour`,
      "priceCcPerSliceHour",
    );
  }
  if (index.open >= openBidsPerBookMax)
    return fail("LIMIT_REACHED", `the book holds ${openBidsPerBookMax} open bids`);
  const openForAccount = index.openByAccount.get(input.accountId) ?? 0;
  if (openForAccount >= openBidsPerAccountMax) {
    return fail("LIMIT_REACHED", `an account may hold ${openBidsPerAccountMax} open bids per node`);
  }
  if (draft.bids.length >= bidsPerBookMax) {
    return fail("LIMIT_REACHED", `the book holds ${bidsPerBookMax} bids; compact it first`);
  }
  draft.bids.push({
    id: input.bidId,
    accountId: input.accountId,
    slices: input.slices,
    priceCcPerSliceHour: input.priceCcPerSliceHour,
    expiresAtMs: input.expiresAtMs,
    status: "open",
    createdSeq: index.nextSeq,
  });
  index.bidIds.add(input.bidId);
  index.open += 1;
  index.openByAccount.set(input.accountId, openForAccount + 1);
  index.nextSeq += 1;
  return undefined;
}

/**
 * Catches the book up to `nowMs`: ends leases whose term passed, reclaims leases whose grace
 * ran out, expires bids, resumes waiting leases and accepts bids at or above the auto-accept
 * price (highest first, see capacity.ts). Every transition does this first, so this is the
 * alarm's entry point; with auto-accept off, bids are accepted only by `acceptBid`.
 */
export function match(book: BidBook, nowMs: number): Result<Transition> {
  return transition(book, nowMs, () => undefined);
}

/**
 * The same catch-up as `match`, under the name the grace alarm uses: leases paused for
 * insufficient funds whose grace ran out end with a "reclaimed" event at `graceUntilMs`.
 */
export function reclaimExpired(book: BidBook, nowMs: number): Result<Transition> {
  return transition(book, nowMs, () => undefined);
}

function findBid(work: Work, bidId: string): Failure | Work["book"]["bids"][number] {
  const bid = work.book.bids.find((candidate) => candidate.id === bidId);
  if (bid === undefined) return fail("NOT_FOUND", `no bid ${bidId} on this node`, "bidId");
  if (bid.status !== "open") return fail("CONFLICT", `bid ${bidId} is ${bid.status}`, "bidId");
  return bid;
}

/**
 * The farmer accepts an open bid by hand, whatever the auto-accept price: it becomes an
 * open-ended interruptible lease at the bid's price, pre-empting running interruptible leases
 * priced strictly below it if needed. Fails NOT_FOUND, CONFLICT (bid not open),
 * NODE_UNAVAILABLE, LIMIT_REACHED or SLICES_UNAVAILABLE.
 */
export function acceptBid(book: BidBook, bidId: string, nowMs: number): Result<Transition> {
  return transition(book, nowMs, (work) => {
    const bid = findBid(work, bidId);
    if ("ok" in bid) return bid;
    if (work.book.state !== "online")
      return fail("NODE_UNAVAILABLE", `node ${work.book.nodeId} is ${work.book.state}`);
    if (work.book.leases.length >= leasesPerBookMax) {
      return fail("LIMIT_REACHED", `the book holds ${leasesPerBookMax} leases; compact it first`);
    }
    const victims = planVictims(work.book, bid.slices, storedPriceKey(bid.priceCcPerSliceHour));
    if (victims === undefined) {
      return fail("SLICES_UNAVAILABLE", `${bid.slices} slices are not available at this bid's price`);
    }
    preempt(work, victims);
    acceptInto(work, bid, "farmer");
    return undefined;
  });
}

/** The farmer rejects an open bid. Fails NOT_FOUND or CONFLICT (bid not open). */
export function rejectBid(book: BidBook, bidId: string, nowMs: number): Result<Transition> {
  return transition(book, nowMs, (work) => {
    const bid = findBid(work, bidId);
    if ("ok" in bid) return bid;
    setBidStatus(work, bid, "rejected");
    return undefined;
  });
}

/**
 * The bidder withdraws an open bid (the caller checks that the bid is theirs). Fails NOT_FOUND
 * or CONFLICT (bid not open).
 */
export function cancelBid(book: BidBook, bidId: string, nowMs: number): Result<Transition> {
  return transition(book, nowMs, (work) => {
    const bid = findBid(work, bidId);
    if ("ok" in bid) return bid;
    setBidStatus(work, bid, "cancelled");
    return undefined;
  });
}

function findLease(work: Work, leaseId: string): Failure | Work["book"]["leases"][number] {
  const lease = work.book.leases.find((candidate) => candidate.id === leaseId);
  if (lease === undefined) return fail("NOT_FOUND", `no lease ${leaseId} on this node`, "leaseId");
  if (lease.status === "ended") return fail("CONFLICT", `lease ${leaseId} has ended`, "leaseId");
  return lease;
}

/**
 * Ends a running or paused lease now; `endsAtMs` becomes now. Freed slices go to waiting
 * claims at once. Fails NOT_FOUND or CONFLICT (already ended, including by its term).
 */
export function endLease(book: BidBook, leaseId: string, nowMs: number): Result<Transition> {
  return transition(book, nowMs, (work) => {
    const lease = findLease(work, leaseId);
    if ("ok" in lease) return lease;
    end(work, lease, nowMs, "request");
    return undefined;
  });
}

/**
 * Sets the node's state. Leaving `online` (for `offline` or `maintenance`) pauses every running
 * lease (and every lease waiting for its agent) with reason node_offline; on-demand and package
 * leases keep their slices, interruptible ones do not. Returning to `online` resumes them:
 * on-demand and package leases at once, interruptible ones by the usual priority (a node with an
 * agent is handed them anew: agent.ts). The same state again changes nothing.
 */
export function setState(book: BidBook, state: NodeState, nowMs: number): Result<Transition> {
  return transition(book, nowMs, (work) => {
    if (!nodeStates.includes(state)) return fail("VALIDATION_FAILED", "unknown node state", "state");
    work.book.state = state;
    if (state !== "online") {
      for (const lease of work.book.leases) {
        if (lease.status === "running") pause(lease, "node_offline", nowMs);
        else if (isAssigned(lease)) lease.pausedReason = "node_offline";
      }
    }
    return undefined;
  });
}

export type PricesInput = {
  readonly listedPriceCcPerSliceHour: string;
  readonly minBidCcPerSliceHour: string;
  readonly autoAcceptAboveCcPerSliceHour: string | null;
};

function checkPrices(prices: PricesInput): Failure | undefined {
  return (
    checkPrice(prices.listedPriceCcPerSliceHour, "listedPriceCcPerSliceHour", false) ??
    checkPrice(prices.minBidCcPerSliceHour, "minBidCcPerSliceHour", true) ??
    (prices.autoAcceptAboveCcPerSliceHour === null
      ? undefined
      : checkPrice(prices.autoAcceptAboveCcPerSliceHour, "autoAcceptAboveCcPerSliceHour", true))
  );
}

/**
 * Replaces the node's prices. A new listed price applies to new leases only; a new minimum
 * applies to new bids only (open bids stay); a lower auto-accept price may accept open bids at
 * once. Band checks (§12) are the caller's. Fails VALIDATION_FAILED.
 */
export function setPrices(
  book: BidBook,
  input: PricesInput & { readonly nowMs: number },
): Result<Transition> {
  return transition(book, input.nowMs, (work) => {
    const failure = checkPrices(input);
    if (failure !== undefined) return failure;
    work.book.listedPriceCcPerSliceHour = input.listedPriceCcPerSliceHour;
    work.book.minBidCcPerSliceHour = input.minBidCcPerSliceHour;
    work.book.autoAcceptAboveCcPerSliceHour = input.autoAcceptAboveCcPerSliceHour;
    return undefined;
  });
}

/**
 * A payment for the lease failed: pause it with reason insufficient_funds until
 * `nowMs + graceMs`, when the next transition ends it ("reclaimed"). A running lease stops
 * now; a lease already paused for another reason switches to this one. An on-demand or package
 * lease keeps its slices through the grace; an interruptible one releases them. Repeating the
 * call keeps the first grace. Fails VALIDATION_FAILED (graceMs outside 1…graceMsMax),
 * NOT_FOUND or CONFLICT (ended).
 */
export function markInsufficientFunds(
  book: BidBook,
  leaseId: string,
  nowMs: number,
  graceMs: number,
): Result<Transition> {
  return transition(book, nowMs, (work) => {
    if (!Number.isInteger(graceMs) || graceMs < 1 || graceMs > graceMsMax) {
      return fail("VALIDATION_FAILED", `graceMs must be from 1 to ${graceMsMax}`, "graceMs");
    }
    const lease = findLease(work, leaseId);
    if ("ok" in lease) return lease;
    if (lease.pausedReason === "insufficient_funds") return undefined;
    if (lease.status === "running") pause(lease, "insufficient_funds", nowMs);
    else lease.pausedReason = "insufficient_funds";
    lease.graceUntilMs = nowMs + graceMs;
    return undefined;
  });
}

/**
 * Funds arrived for a lease paused for insufficient_funds. An on-demand or package lease (which
 * kept its slices) resumes now if the node is online, else waits with reason node_offline. An
 * interruptible lease becomes a waiting claim (reason preempted, or node_offline) and resumes
 * if its price wins slices. Fails NOT_FOUND or CONFLICT (not paused for funds).
 */
export function resumeFunded(book: BidBook, leaseId: string, nowMs: number): Result<Transition> {
  return transition(book, nowMs, (work) => {
    const lease = findLease(work, leaseId);
    if ("ok" in lease) return lease;
    if (lease.pausedReason !== "insufficient_funds") {
      return fail("CONFLICT", `lease ${leaseId} is not paused for insufficient funds`, "leaseId");
    }
    const online = work.book.state === "online";
    if (lease.kind !== "interruptible" && online) {
      resume(lease, nowMs);
      return undefined;
    }
    delete lease.graceUntilMs;
    lease.pausedReason = online ? "preempted" : "node_offline";
    return undefined;
  });
}

/**
 * Records that a lease's next due settlement period was charged: `settledThroughMs` moves to
 * the period's end, `settledRunningMs` grows by the period's running time (where the cumulative
 * charge stands) and pause intervals wholly before it are forgotten. Recording a period
 * already covered changes nothing (safe to retry). Fails VALIDATION_FAILED (period length),
 * NOT_FOUND, or CONFLICT when `period` is not the next due one at `nowMs`.
 */
export function recordSettlement(
  book: BidBook,
  leaseId: string,
  period: SettlementPeriod,
  nowMs: number,
  periodMs: number = settlementPeriodMsDefault,
): Result<Transition> {
  return transition(book, nowMs, (work) => {
    if (!isSettlementPeriodMs(periodMs))
      return fail("VALIDATION_FAILED", "periodMs out of range", "periodMs");
    const lease = work.book.leases.find((candidate) => candidate.id === leaseId);
    if (lease === undefined) return fail("NOT_FOUND", `no lease ${leaseId} on this node`, "leaseId");
    if (period.periodEndMs <= lease.settledThroughMs) return undefined;
    const next = duePeriods(lease, nowMs, periodMs)[0];
    if (
      next === undefined ||
      next.settlementId !== period.settlementId ||
      next.periodStartMs !== period.periodStartMs ||
      next.periodEndMs !== period.periodEndMs
    ) {
      return fail("CONFLICT", `${period.settlementId} is not lease ${leaseId}'s next due settlement period`);
    }
    // The cumulative charge's position moves by the period's running time (settlement.ts), read
    // before the pauses it covers are forgotten.
    lease.settledRunningMs =
      settledRunningMsOf(lease) + runningMsIn(lease, next.periodStartMs, next.periodEndMs);
    lease.settledThroughMs = next.periodEndMs;
    lease.pauses = lease.pauses.filter(
      (interval) => interval.untilMs === null || interval.untilMs > next.periodEndMs,
    );
    const recorded = work.notes.settlementIds.get(leaseId) ?? [];
    work.notes.settlementIds.set(leaseId, [...recorded, next.settlementId]);
    return undefined;
  });
}

/**
 * Gives the node an agent (its first `node` key), or new settings for the one it has: leases
 * accepted from now on start `provisioning` (see agent.ts). The node's current leases become its
 * agent's too, as `running` (they were run, and charged, before it came) and charged as before.
 * Fails VALIDATION_FAILED for unusable settings.
 */
export function bindAgent(book: BidBook, settings: AgentSettings, nowMs: number): Result<Transition> {
  return transition(book, nowMs, (work) => {
    if (!isAgentSettings(settings)) {
      return fail(
        "VALIDATION_FAILED",
        `provisioningTimeoutMs must be from 1 to ${provisioningTimeoutMsMax}`,
        "agent",
      );
    }
    work.book.agent = {
      chargeFrom: settings.chargeFrom,
      provisioningTimeoutMs: settings.provisioningTimeoutMs,
    };
    for (const lease of work.book.leases) {
      if (lease.status !== "ended" && lease.agent === undefined) {
        lease.agent = { status: "running", sinceMs: nowMs, chargeFromRunning: false };
      }
    }
    return undefined;
  });
}

/**
 * The node's agent reports a lease: `provisioning` (starting it), `running`, `failed`, or
 * `stopped` (the lease ends now, as on the payer's request, cause `stopped`). The same status again
 * changes nothing. How the status bears on charging is agent.ts's. Fails NOT_FOUND, CONFLICT (the
 * lease has ended, or the node has no agent) or VALIDATION_FAILED (unknown report).
 */
export function reportLease(
  book: BidBook,
  leaseId: string,
  report: AgentReport,
  nowMs: number,
): Result<Transition> {
  return transition(book, nowMs, (work) => {
    if (!agentReports.includes(report)) return fail("VALIDATION_FAILED", "unknown report", "status");
    const lease = findLease(work, leaseId);
    if ("ok" in lease) return lease;
    if (lease.agent === undefined) {
      return fail(
        "CONFLICT",
        `lease ${leaseId} is not run by an agent (it began before the node had one)`,
        "leaseId",
      );
    }
    if (report === "stopped") {
      end(work, lease, nowMs, "stopped");
      return undefined;
    }
    if (lease.agent.status === report) return undefined;
    const { deadlineMs: _deadlineMs, ...rest } = lease.agent;
    lease.agent = { ...rest, status: report, sinceMs: nowMs };
    work.notes.reported.add(lease.id);
    return undefined;
  });
}

/**
 * Drops what the book no longer needs: ended leases that are wholly settled and bids that are
 * no longer open. Keeps the records within leasesPerBookMax and bidsPerBookMax; the caller keeps
 * its own history (the event log) of what was dropped.
 */
export function compact(book: BidBook): BidBook {
  const next: BidBook = {
    ...book,
    leases: book.leases.filter(
      (lease) =>
        !(lease.status === "ended" && lease.endsAtMs !== null && lease.settledThroughMs >= lease.endsAtMs),
    ),
    bids: book.bids.filter((bid) => bid.status === "open"),
  };
  assertBookInvariants(next);
  return next;
}
