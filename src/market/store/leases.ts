/**
 * The libSQL mirror of leases (written by each node's bid book, see src/market/object/node-bid-book.ts):
 * who a lease belongs to, which node holds it, and what it has been charged.
 */
import type { Client, Row } from "@libsql/client";
import type { LeaseKind, LeaseStatus, PausedReason } from "../core/bidbook/model";
import type { BandCurrency } from "../core/parameters";
import type { LeaseSource, LeaseView } from "../core/views";

/** The libSQL mirror of a lease: the book's view without its holds, plus the farmer and what was charged. */
export type LeaseRow = Omit<LeaseView, "holdIds"> & { farmerId: string; chargedMinor: bigint };

const text = (value: unknown) => (value === null ? null : String(value));
const ms = (value: unknown) => (value === null ? null : Number(value));

function leaseFromRow(row: Row): LeaseRow {
  return {
    id: String(row.id),
    nodeId: String(row.node_id),
    farmerId: String(row.farmer_id),
    ownerId: String(row.owner_id),
    payerAccountId: String(row.payer_account_id),
    kind: String(row.kind) as LeaseKind,
    source: String(row.source) as LeaseSource,
    sourceId: text(row.source_id),
    slices: Number(row.slices),
    priceCcPerSliceHour: String(row.price_cc_per_slice_hour),
    quotedPrice: text(row.quoted_price),
    quotedCurrency: text(row.quoted_currency) as BandCurrency | null,
    quotedCcUsd: text(row.quoted_cc_usd),
    startedAtMs: Number(row.started_at),
    endsAtMs: ms(row.ends_at),
    status: String(row.status) as LeaseStatus,
    pausedReason: text(row.paused_reason) as PausedReason | null,
    graceUntilMs: ms(row.grace_until),
    settledThroughMs: Number(row.settled_through),
    chargedMinor: BigInt(row.charged_minor as bigint),
  };
}

export async function getLeaseRow(client: Client, id: string): Promise<LeaseRow | null> {
  const result = await client.execute({ sql: "SELECT * FROM leases WHERE id = ?", args: [id] });
  const row = result.rows[0];
  return row ? leaseFromRow(row) : null;
}
