/**
 * The libSQL mirror of leases (written by each node's bid book, see src/market/object/node-bid-book.ts):
 * who a lease belongs to, which node holds it, and what it has been charged.
 */
import type { Client, InStatement, ResultSet, Row } from "@libsql/client";
import { afterCursor, pageOf, type TimeCursor } from "../../kit/db/cursor";
import { decodeRow } from "../../kit/db/rows";
import * as tables from "../../kit/db/schema";
import type { LeaseStatus, PausedReason } from "../core/bidbook/model";
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
  return leaseRowFrom(await client.execute(leaseRowStatement(id)));
}

/** The read of a lease's mirror row (to batch with other reads), and its reading. */
export function leaseRowStatement(id: string): InStatement {
  return { sql: "SELECT * FROM leases WHERE id = ?", args: [id] };
}

export function leaseRowFrom(result: ResultSet | undefined): LeaseRow | null {
  const row = result?.rows[0];
  return row ? leaseFromRow(row) : null;
}

/** Most leases on one page of a lease listing. */
export const leasesPageSizeMax = 200;

/**
 * Which leases a listing shows. `viewerId` (null for an admin) limits it to the viewer's: the
 * leases they pay for, and with `nodeId` also that node's leases if they farm it. `ownerId`,
 * `nodeId` and `statuses` narrow it further (null or empty: no narrowing).
 */
export type LeaseListing = {
  viewerId: string | null;
  ownerId: string | null;
  nodeId: string | null;
  statuses: readonly LeaseStatus[];
};

export type LeasesPage = { leases: LeaseRow[]; nextCursor: TimeCursor | null };

/** The conditions of `listing` on the `leases` table, with their arguments. */
function leaseConditions(listing: LeaseListing): { sql: string[]; args: string[] } {
  const sql: string[] = [];
  const args: string[] = [];
  if (listing.viewerId !== null) {
    if (listing.nodeId === null) sql.push("owner_id = ?");
    else sql.push("(owner_id = ? OR farmer_id = ?)");
    args.push(...(listing.nodeId === null ? [listing.viewerId] : [listing.viewerId, listing.viewerId]));
  }
  if (listing.ownerId !== null) {
    sql.push("owner_id = ?");
    args.push(listing.ownerId);
  }
  if (listing.nodeId !== null) {
    sql.push("node_id = ?");
    args.push(listing.nodeId);
  }
  if (listing.statuses.length > 0) {
    sql.push(`status IN (${listing.statuses.map(() => "?").join(", ")})`);
    args.push(...listing.statuses);
  }
  return { sql, args };
}

/**
 * One page of the mirror's leases matching `listing`, newest first (by start, then id), after
 * `cursor`: a statement to batch with other reads, and the reading of its answer.
 */
export function leasesQuery(
  listing: LeaseListing,
  options: { limit: number; cursor: TimeCursor | null },
): { statement: InStatement; read: (result: ResultSet) => LeasesPage } {
  const limit = Math.min(Math.max(1, options.limit), leasesPageSizeMax);
  const conditions = leaseConditions(listing);
  const after = afterCursor("started_at", "id", options.cursor, "desc");
  const statement = {
    sql: `SELECT * FROM leases WHERE ${[...conditions.sql, after.sql].join(" AND ")}
          ORDER BY started_at DESC, id DESC LIMIT ?`,
    args: [...conditions.args, ...after.args, limit + 1],
  };
  const read = (result: ResultSet): LeasesPage => {
    const page = pageOf(result.rows.map(leaseFromRow), limit, (lease) => ({
      atMs: lease.startedAtMs,
      id: lease.id,
    }));
    return { leases: page.items, nextCursor: page.nextCursor };
  };
  return { statement, read };
}
