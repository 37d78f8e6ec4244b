/**
 * The first, plainly quadratic rebalancing pass of src/domain/bidbook/capacity.ts, kept as the
 * reference the indexed pass is compared with (rebalance.test.ts): for every claim it filters
 * and sorts the running interruptible leases afresh. Same rules, same order; slow on big books.
 */
import { acceptInto, isWaiting, preempt } from "../../../src/domain/bidbook/capacity";
import { type BookDraft, type LeaseDraft, resume, type Work } from "../../../src/domain/bidbook/draft";
import { type Bid, freeSlices, leasesPerBookMax, storedPriceKey } from "../../../src/domain/bidbook/model";

function compareKeys(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function victimOrder(a: LeaseDraft, b: LeaseDraft): number {
  const byPrice = compareKeys(storedPriceKey(a.priceCcPerSliceHour), storedPriceKey(b.priceCcPerSliceHour));
  if (byPrice !== 0) return byPrice;
  if (a.startedAtMs !== b.startedAtMs) return b.startedAtMs - a.startedAtMs;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

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

type Claim =
  | { readonly kind: "lease"; readonly key: bigint; readonly lease: LeaseDraft }
  | { readonly kind: "bid"; readonly key: bigint; readonly bid: Bid };

function leaseClaim(lease: LeaseDraft): Claim {
  return { kind: "lease", key: storedPriceKey(lease.priceCcPerSliceHour), lease };
}

function claimOrder(a: Claim, b: Claim): number {
  const byPrice = compareKeys(b.key, a.key);
  if (byPrice !== 0) return byPrice;
  if (a.kind === "lease" && b.kind === "lease") {
    if (a.lease.startedAtMs !== b.lease.startedAtMs) return a.lease.startedAtMs - b.lease.startedAtMs;
    return a.lease.id < b.lease.id ? -1 : a.lease.id > b.lease.id ? 1 : 0;
  }
  if (a.kind === "bid" && b.kind === "bid") return a.bid.createdSeq - b.bid.createdSeq;
  return a.kind === "lease" ? -1 : 1;
}

function insertClaim(claims: Claim[], fromIndex: number, claim: Claim): void {
  let index = fromIndex;
  while (index < claims.length && claimOrder(claims[index]!, claim) <= 0) index += 1;
  claims.splice(index, 0, claim);
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
