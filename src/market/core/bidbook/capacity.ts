/**
 * Who gets the node's slices: time-driven ends, pre-emption and the rebalancing pass every
 * transition runs before and after its own change.
 *
 * Rules (one total order, so the outcome is deterministic):
 * - On-demand and package leases are never pre-empted and hold their slices until they end.
 *   A new one may pre-empt running interruptible leases.
 * - Running interruptible leases and those waiting only for their agent (`isAssigned`) may be
 *   pre-empted. Victims are pre-empted lowest price first; among equal prices the latest started first
 *   (then the larger lease id). Only as many as needed are taken, whole leases at a time.
 * - An interruptible claim (a waiting lease or a bid) may pre-empt only running interruptible
 *   leases priced strictly below it, and only if that makes it fit; otherwise it is skipped and
 *   the next claim is tried (first fit in priority order, so small claims use leftover slices).
 * - Priority of interruptible claims: higher price first; at equal price a waiting lease before
 *   any bid (resume before accepting new bids of equal or lower price); waiting leases by
 *   earlier start, bids by lower `createdSeq`.
 * - A pass never undoes itself: a claim's reachable capacity (free slices plus slices of running
 *   leases priced below it) can only shrink as lower-priority claims are placed, so running the
 *   pass twice changes nothing the second time.
 */
import { invariant } from "../../../kit/errors";
import { newLeaseAgent } from "./agent";
import { type BookDraft, end, type LeaseDraft, pause, resume, setBidStatus, type Work } from "./draft";
import { type Bid, freeSlices, isAssigned, leaseIdForBid, leasesPerBookMax, storedPriceKey } from "./model";
import { endReachedMs } from "./settlement";

/**
 * Ends leases whose term, grace or agent's provisioning time has passed (at that time) and expires
 * bids whose open time ran out.
 */
export function advanceClock(work: Work): void {
  const { book, nowMs } = work;
  for (const lease of book.leases) {
    if (lease.status === "ended") continue;
    const endMs = endReachedMs(lease, nowMs);
    if (endMs === null) continue;
    const cause =
      endMs === lease.endsAtMs ? "term" : endMs === lease.graceUntilMs ? "reclaimed" : "provisioning_timeout";
    end(work, lease, endMs, cause);
  }
  for (const bid of book.bids) {
    if (bid.status === "open" && bid.expiresAtMs <= nowMs) setBidStatus(work, bid, "expired");
  }
}

/** Victim order: lowest price first, then latest started, then larger id. */
export function victimOrder(a: LeaseDraft, b: LeaseDraft): number {
  const byPrice = compareKeys(storedPriceKey(a.priceCcPerSliceHour), storedPriceKey(b.priceCcPerSliceHour));
  if (byPrice !== 0) return byPrice;
  if (a.startedAtMs !== b.startedAtMs) return b.startedAtMs - a.startedAtMs;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

function compareKeys(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The running interruptible leases in victim order with their price keys and the running sums
 * of their slices (`sums[i]`: slices of the first i). Victims are always a prefix of this queue,
 * and the leases priced below a key are a prefix too, so "how much can a claim at this price
 * reach" and "whom does it pre-empt" are binary searches, not a filter and sort per claim.
 */
type VictimQueue = {
  readonly leases: readonly LeaseDraft[];
  readonly keys: readonly bigint[];
  readonly sums: readonly number[];
};

function queueOf(sorted: readonly LeaseDraft[]): VictimQueue {
  const sums = [0];
  for (const lease of sorted) sums.push(sums[sums.length - 1]! + lease.slices);
  return { leases: sorted, keys: sorted.map((lease) => storedPriceKey(lease.priceCcPerSliceHour)), sums };
}

/** The interruptible leases holding slices (running, or waiting only for their agent), in victim order. */
function victimQueue(book: BookDraft): VictimQueue {
  return queueOf(
    book.leases.filter((lease) => lease.kind === "interruptible" && isAssigned(lease)).sort(victimOrder),
  );
}

/** How many queued leases a claim may pre-empt: those priced strictly below `priceKeyBelow` (all when null). */
function eligibleCount(queue: VictimQueue, priceKeyBelow: bigint | null): number {
  if (priceKeyBelow === null) return queue.leases.length;
  let low = 0;
  let high = queue.keys.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (queue.keys[middle]! < priceKeyBelow) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Slices a claim could get: the free ones plus those of the leases it may pre-empt. */
function reachable(queue: VictimQueue, free: number, priceKeyBelow: bigint | null): number {
  return free + queue.sums[eligibleCount(queue, priceKeyBelow)]!;
}

/**
 * How many leases at the head of the queue must be pre-empted so that `slices` fit (the fewest;
 * 0 when they already fit), or undefined when they cannot.
 */
function victimsNeeded(
  queue: VictimQueue,
  free: number,
  slices: number,
  priceKeyBelow: bigint | null,
): number | undefined {
  if (free >= slices) return 0;
  const eligible = eligibleCount(queue, priceKeyBelow);
  if (free + queue.sums[eligible]! < slices) return undefined;
  // The smallest m ≤ eligible with free + sums[m] ≥ slices (sums strictly increase).
  let low = 1;
  let high = eligible;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (free + queue.sums[middle]! >= slices) high = middle;
    else low = middle + 1;
  }
  return low;
}

/**
 * The running interruptible leases to pre-empt so that `slices` fit: [] when they already fit,
 * undefined when they cannot. `priceKeyBelow` limits victims to leases priced strictly below
 * it; null (an on-demand or package claim) allows every interruptible lease.
 */
export function planVictims(
  book: BookDraft,
  slices: number,
  priceKeyBelow: bigint | null,
): LeaseDraft[] | undefined {
  const free = freeSlices(book);
  if (free >= slices) return [];
  const queue = victimQueue(book);
  const count = victimsNeeded(queue, free, slices, priceKeyBelow);
  return count === undefined ? undefined : queue.leases.slice(0, count);
}

/**
 * Pre-empts the planned victims at now: a running one pauses; one already paused, waiting for its
 * agent, keeps its pause under the new reason.
 */
export function preempt(work: Work, victims: readonly LeaseDraft[]): void {
  for (const victim of victims) {
    if (victim.status === "running") pause(victim, "preempted", work.nowMs);
    else victim.pausedReason = "preempted";
  }
}

/** Turns an open bid into a running interruptible lease at the bid's price, open-ended, from now. */
export function acceptInto(work: Work, bid: Bid, by: "auto-accept" | "farmer"): LeaseDraft {
  const { book, nowMs } = work;
  invariant(bid.status === "open", () => `accept: bid ${bid.id} is not open`);
  const leaseId = leaseIdForBid(bid.id);
  invariant(
    !book.leases.some((lease) => lease.id === leaseId),
    () => `accept: lease ${leaseId} already exists`,
  );
  invariant(book.leases.length < leasesPerBookMax, "accept: lease bound reached");
  setBidStatus(work, bid, "accepted");
  const lease: LeaseDraft = {
    id: leaseId,
    accountId: bid.accountId,
    kind: "interruptible",
    slices: bid.slices,
    priceCcPerSliceHour: bid.priceCcPerSliceHour,
    startedAtMs: nowMs,
    endsAtMs: null,
    status: "running",
    settledThroughMs: nowMs,
    pauses: [],
    ...newLeaseAgent(book, nowMs),
  };
  book.leases.push(lease);
  work.notes.acceptedBy.set(bid.id, by);
  return lease;
}

export type Claim =
  | { readonly kind: "lease"; readonly key: bigint; readonly lease: LeaseDraft }
  | { readonly kind: "bid"; readonly key: bigint; readonly bid: Bid };

export function leaseClaim(lease: LeaseDraft): Claim {
  return { kind: "lease", key: storedPriceKey(lease.priceCcPerSliceHour), lease };
}

/** Claim priority: higher price; waiting leases before bids; earlier start / lower createdSeq; id. */
export function claimOrder(a: Claim, b: Claim): number {
  const byPrice = compareKeys(b.key, a.key);
  if (byPrice !== 0) return byPrice;
  if (a.kind === "lease" && b.kind === "lease") {
    if (a.lease.startedAtMs !== b.lease.startedAtMs) return a.lease.startedAtMs - b.lease.startedAtMs;
    return a.lease.id < b.lease.id ? -1 : a.lease.id > b.lease.id ? 1 : 0;
  }
  if (a.kind === "bid" && b.kind === "bid") return a.bid.createdSeq - b.bid.createdSeq;
  return a.kind === "lease" ? -1 : 1;
}

/** Whether a paused interruptible lease is waiting for capacity (as opposed to funds). */
export function isWaiting(lease: LeaseDraft): boolean {
  return (
    lease.kind === "interruptible" &&
    lease.status === "paused" &&
    (lease.pausedReason === "preempted" || lease.pausedReason === "node_offline")
  );
}

/**
 * Gives slices to waiting claims while the node is online: first every on-demand or package
 * lease paused only because the node was offline (they kept their slices), then interruptible
 * claims in priority order. Bids take part only at or above the auto-accept price. An
 * interruptible lease left waiting on an online node has reason `preempted` (waiting for capacity).
 *
 * Cost: one scan of the book, plus, only when some claim can get slices, a sort of the claims
 * and a binary search per claim. Nothing changes until a claim fits, so when none fits at the
 * start the pass is over; and once the free slices plus those priced below the current claim are
 * zero, no later (lower-priced) claim can fit either.
 */
export function rebalance(work: Work): void {
  const { book, nowMs } = work;
  if (book.state !== "online") return;
  for (const lease of book.leases) {
    if (
      lease.kind !== "interruptible" &&
      lease.status === "paused" &&
      lease.pausedReason === "node_offline"
    ) {
      resume(lease, nowMs);
    }
  }
  const threshold =
    book.autoAcceptAboveCcPerSliceHour === null ? null : storedPriceKey(book.autoAcceptAboveCcPerSliceHour);
  const claims: Claim[] = book.leases.filter(isWaiting).map(leaseClaim);
  if (threshold !== null) {
    for (const bid of book.bids) {
      if (bid.status !== "open") continue;
      const key = storedPriceKey(bid.priceCcPerSliceHour);
      if (key >= threshold) claims.push({ kind: "bid", key, bid });
    }
  }
  let free = freeSlices(book);
  let queue = victimQueue(book);
  if (claims.some((claim) => victimsNeeded(queue, free, claimSlices(claim), claim.key) !== undefined)) {
    claims.sort(claimOrder);
    // Each lease re-enters the list at most once per pass (only strictly higher claims pre-empt it).
    const claimsMax = claims.length + book.leases.length + book.bids.length;
    for (let index = 0; index < claims.length; index += 1) {
      invariant(claims.length <= claimsMax, "rebalance: claim list grew past its bound");
      const claim = claims[index]!;
      if (claim.kind === "lease" && !isWaiting(claim.lease)) continue;
      if (claim.kind === "bid" && (claim.bid.status !== "open" || book.leases.length >= leasesPerBookMax))
        continue;
      if (reachable(queue, free, claim.key) === 0) break;
      const slices = claimSlices(claim);
      const count = victimsNeeded(queue, free, slices, claim.key);
      if (count === undefined) continue;
      const victims = queue.leases.slice(0, count);
      preempt(work, victims);
      for (const victim of victims) insertClaim(claims, index + 1, leaseClaim(victim));
      free += (queue.sums[count] ?? 0) - slices;
      let started: LeaseDraft;
      if (claim.kind === "lease") {
        resume(claim.lease, nowMs);
        started = claim.lease;
      } else {
        started = acceptInto(work, claim.bid, "auto-accept");
      }
      const rest = queue.leases.slice(count);
      let at = 0;
      while (at < rest.length && victimOrder(rest[at]!, started) < 0) at += 1;
      rest.splice(at, 0, started);
      queue = queueOf(rest);
    }
  }
  invariant(free === freeSlices(book), "rebalance: free slices went out of step with the book");
  // The node is back, so an interruptible lease still paused is waiting for capacity, not for the node.
  for (const lease of book.leases) {
    if (isWaiting(lease) && lease.pausedReason === "node_offline") lease.pausedReason = "preempted";
  }
}

function claimSlices(claim: Claim): number {
  return claim.kind === "lease" ? claim.lease.slices : claim.bid.slices;
}

export function insertClaim(claims: Claim[], fromIndex: number, claim: Claim): void {
  let index = fromIndex;
  while (index < claims.length && claimOrder(claims[index]!, claim) <= 0) index += 1;
  claims.splice(index, 0, claim);
}
