/**
 * The libSQL mirror of leases (written by each node's bid book, see src/market/object/node-bid-book.ts):
 * who a lease belongs to, which node holds it, and what it has been charged.
 */
import type { Client, Row } from "@libsql/client";
import { decodeRow } from "../../kit/db/rows";
import * as tables from "../../kit/db/schema";
import type { PausedReason } from "../core/bidbook/model";
import type { BandCurrency } from "../core/parameters";
import type { LeaseView } from "../core/views";

/** The libSQL mirror of a lease: the book's view without its holds, plus the farmer and what was charged. */
export type LeaseRow = Omit<LeaseView, "holdIds"> & { farmerId: string; chargedMinor: bigint };

function leaseFromRow(row: Row): LeaseRow {
  const { quotedCurrency, pausedReason, updatedAtMs: _updatedAtMs, ...lease } = decodeRow(tables.leases, row);
  return {
    ...lease,
    quotedCurrency: quotedCurrency as BandCurrency | null,
    pausedReason: pausedReason as PausedReason | null,
  };
}

export async function getLeaseRow(client: Client, id: string): Promise<LeaseRow | null> {
  const result = await client.execute({ sql: "SELECT * FROM leases WHERE id = ?", args: [id] });
  const row = result.rows[0];
  return row ? leaseFromRow(row) : null;
}
