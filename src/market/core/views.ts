/**
 * What a node's bid book reports about its leases and records: the shapes its RPC contract returns
 * (src/market/object/contract.ts re-exports them), the libSQL lease mirror is built from
 * (src/market/store/leases.ts) and the market audit reads (src/market/flows/audit.ts). Types only.
 */
import type { BidStatus, LeaseKind, LeaseStatus, PausedReason } from "./bidbook/model";
import type { BandCurrency } from "./parameters";

export const leaseSources = ["reservation", "bid", "capacity_request", "package"] as const;
export type LeaseSource = (typeof leaseSources)[number];

/** A lease as the book reports it. Amounts charged live in the libSQL mirror (`leases.charged_minor`). */
export type LeaseView = {
  id: string;
  nodeId: string;
  ownerId: string;
  payerAccountId: string;
  kind: LeaseKind;
  source: LeaseSource;
  sourceId: string | null;
  slices: number;
  priceCcPerSliceHour: string;
  quotedPrice: string | null;
  quotedCurrency: BandCurrency | null;
  quotedCcUsd: string | null;
  startedAtMs: number;
  endsAtMs: number | null;
  status: LeaseStatus;
  pausedReason: PausedReason | null;
  graceUntilMs: number | null;
  settledThroughMs: number;
  holdIds: string[];
};

/** One lease or bid of a book, as the audit sees it. */
export type BookAuditRecord = {
  id: string;
  kind: "lease" | "bid";
  /** `missing`: a funding record still lists holds but the book no longer has its lease or bid. */
  status: LeaseStatus | BidStatus | "missing";
  pausedReason: PausedReason | null;
  /** The holds the record counts on, oldest first. */
  holdIds: string[];
  /** Finished (a closed bid, an ended and fully settled lease): what its holds have left goes back. */
  closed: boolean;
};

/** A node's bid book as the audit sees it (NodeBidBook `auditView`). */
export type BookAuditView = {
  nodeId: string;
  /** False for a book never opened: it has no leases or bids. */
  opened: boolean;
  /** The book's clock (the service's clock, src/kit/clock.ts). */
  nowMs: number;
  /** Leases not ended, open bids, and any lease or bid whose funding still lists holds. */
  records: BookAuditRecord[];
};
