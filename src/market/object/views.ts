/**
 * What the bid book answers with: its leases, bids and itself as the contract's views, the
 * audit's records, and whether a funding record is closed (its holds go back). Reads only.
 */
import { Dec } from "../../ledger/core/money";
import {
  type Bid,
  type BidBook,
  freeSlices,
  isBidId,
  type Lease,
  leaseIdForBid,
  runningSlices,
} from "../core/bidbook";
import type { BookAuditRecord, BookAuditView, LeaseView } from "../core/views";
import type { BidView, BookView } from "./contract";
import type { BookStorage, Funding } from "./storage";

export function leaseView(state: BookStorage, lease: Lease): LeaseView {
  return leaseViewOf(state.requireBook().nodeId, lease, state.funding.get(lease.id));
}

/** A lease of the node's book with its funding (the one it will have, for a lease not yet committed). */
export function leaseViewOf(nodeId: string, lease: Lease, funding: Funding | undefined): LeaseView {
  return {
    id: lease.id,
    nodeId,
    ownerId: funding?.ownerId ?? "unknown",
    payerAccountId: funding?.payerAccountId ?? lease.accountId,
    kind: lease.kind,
    source: funding?.source ?? "reservation",
    sourceId: funding?.sourceId ?? null,
    slices: lease.slices,
    priceCcPerSliceHour: lease.priceCcPerSliceHour,
    quotedPrice: funding?.quotedPrice ?? null,
    quotedCurrency: funding?.quotedCurrency ?? null,
    quotedCcUsd: funding?.quotedCcUsd ?? null,
    startedAtMs: lease.startedAtMs,
    endsAtMs: lease.endsAtMs,
    status: lease.status,
    pausedReason: lease.pausedReason ?? null,
    graceUntilMs: lease.graceUntilMs ?? null,
    settledThroughMs: lease.settledThroughMs,
    holdIds: [...(funding?.holdIds ?? [])],
  };
}

/** The funding of a bid: its own while open, its lease's once accepted. */
export function bidFunding(state: BookStorage, bidId: string): Funding | undefined {
  return state.funding.get(bidId) ?? state.funding.get(leaseIdForBid(bidId));
}

export function bidView(state: BookStorage, bid: Bid): BidView {
  return bidViewOf(state.requireBook().nodeId, bid, bidFunding(state, bid.id));
}

/** A bid of the node's book with its funding (the one it will have, for a bid not yet committed). */
export function bidViewOf(nodeId: string, bid: Bid, funding: Funding | undefined): BidView {
  return {
    id: bid.id,
    nodeId,
    ownerId: funding?.ownerId ?? "unknown",
    payerAccountId: funding?.payerAccountId ?? bid.accountId,
    slices: bid.slices,
    priceCcPerSliceHour: bid.priceCcPerSliceHour,
    expiresAtMs: bid.expiresAtMs,
    status: bid.status,
    holdIds: [...(funding?.holdIds ?? [])],
    leaseId: bid.status === "accepted" ? leaseIdForBid(bid.id) : null,
  };
}

export function bookView(book: BidBook): BookView {
  return {
    nodeId: book.nodeId,
    state: book.state,
    sliceCount: book.sliceCount,
    freeSlices: freeSlices(book),
    runningSlices: runningSlices(book),
    listedPriceCcPerSliceHour: book.listedPriceCcPerSliceHour,
    minBidCcPerSliceHour: book.minBidCcPerSliceHour,
    autoAcceptAboveCcPerSliceHour: book.autoAcceptAboveCcPerSliceHour,
    leases: book.leases.length,
    openBids: book.bids.filter((bid) => bid.status === "open").length,
  };
}

/** Open bids, highest price first (then the soonest to expire). */
export function openBidViews(state: BookStorage): BidView[] {
  return state
    .requireBook()
    .bids.filter((bid) => bid.status === "open")
    .map((bid) => bidView(state, bid))
    .sort(
      (a, b) => new Dec(b.priceCcPerSliceHour).cmp(a.priceCcPerSliceHour) || a.expiresAtMs - b.expiresAtMs,
    );
}

/** Whether a funding record's bid or lease is finished, so what its holds have left goes back. */
export function isClosed(book: BidBook, funding: Funding): boolean {
  if (isBidId(funding.id)) return !book.bids.some((bid) => bid.id === funding.id && bid.status === "open");
  const lease = book.leases.find((candidate) => candidate.id === funding.id);
  if (!lease) return true;
  return lease.status === "ended" && lease.endsAtMs !== null && lease.settledThroughMs >= lease.endsAtMs;
}

/** What the market audit compares with the ledger (src/market/flows/audit.ts), at `nowMs`. */
export function auditRecords(state: BookStorage, nowMs: number): BookAuditView {
  const book = state.requireBook();
  const records: BookAuditRecord[] = [];
  const seen = new Set<string>();
  const holdsOf = (id: string) => state.funding.get(id)?.holdIds.length ?? 0;
  const add = (record: Omit<BookAuditRecord, "holdIds" | "closed">) => {
    const funding = state.funding.get(record.id);
    seen.add(record.id);
    records.push({
      ...record,
      holdIds: [...(funding?.holdIds ?? [])],
      closed: funding ? isClosed(book, funding) : false,
    });
  };
  for (const lease of book.leases) {
    if (lease.status !== "ended" || holdsOf(lease.id) > 0)
      add({ id: lease.id, kind: "lease", status: lease.status, pausedReason: lease.pausedReason ?? null });
  }
  for (const bid of book.bids) {
    if (bid.status === "open" || holdsOf(bid.id) > 0)
      add({ id: bid.id, kind: "bid", status: bid.status, pausedReason: null });
  }
  for (const funding of state.funding.values()) {
    if (seen.has(funding.id) || funding.holdIds.length === 0) continue;
    records.push({
      id: funding.id,
      kind: isBidId(funding.id) ? "bid" : "lease",
      status: "missing",
      pausedReason: null,
      holdIds: [...funding.holdIds],
      closed: true,
    });
  }
  return { nodeId: book.nodeId, opened: true, nowMs, records };
}
