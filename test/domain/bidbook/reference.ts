/**
 * The first, plainly quadratic rebalancing pass of src/market/core/bidbook/capacity.ts, kept as the
 * reference the indexed pass is compared with (rebalance.test.ts): for every claim it filters
 * and sorts the running interruptible leases afresh. Same rules, same order (the ordering helpers
 * are shared with capacity.ts: what is compared is the pass itself); slow on big books.
 */
import {
  acceptInto,
  type Claim,
  claimOrder,
  insertClaim,
  isWaiting,
  leaseClaim,
  preempt,
  victimOrder,
} from "../../../src/market/core/bidbook/capacity";
import { type BookDraft, type LeaseDraft, resume, type Work } from "../../../src/market/core/bidbook/draft";
import { freeSlices, leasesPerBookMax, storedPriceKey } from "../../../src/market/core/bidbook/model";

export function referencePlanVictims(
  book: BookDraft,
  slices: number,
  priceKeyBelow: bigint | null,
): LeaseDraft[] | undefined {
  let free = freeSlices(book);
  if (free >= slices) return [];
  const eligible = book.leases
    .filter(
      (lease) =>
        lease.kind === "interruptible" &&
        lease.status === "running" &&
        (priceKeyBelow === null || storedPriceKey(lease.priceCcPerSliceHour) < priceKeyBelow),
    )
    .sort(victimOrder);
  const victims: LeaseDraft[] = [];
  for (const lease of eligible) {
    victims.push(lease);
    free += lease.slices;
    if (free >= slices) return victims;
  }
  return undefined;
}

export function referenceRebalance(work: Work): void {
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
      const key = storedPriceKey(bid.priceCcPerSliceHour);
      if (bid.status === "open" && key >= threshold) claims.push({ kind: "bid", key, bid });
    }
  }
  claims.sort(claimOrder);
  for (let index = 0; index < claims.length; index += 1) {
    const claim = claims[index]!;
    if (claim.kind === "lease" && !isWaiting(claim.lease)) continue;
    if (claim.kind === "bid" && (claim.bid.status !== "open" || book.leases.length >= leasesPerBookMax))
      continue;
    const slices = claim.kind === "lease" ? claim.lease.slices : claim.bid.slices;
    const victims = referencePlanVictims(book, slices, claim.key);
    if (victims === undefined) continue;
    preempt(work, victims);
    for (const victim of victims) insertClaim(claims, index + 1, leaseClaim(victim));
    if (claim.kind === "lease") resume(claim.lease, nowMs);
    else acceptInto(work, claim.bid, "auto-accept");
  }
  for (const lease of book.leases) {
    if (isWaiting(lease) && lease.pausedReason === "node_offline") lease.pausedReason = "preempted";
  }
}
