/**
 * The statements that mirror a node's bid book onto libSQL: each changed lease's row (and, for an
 * ended package lease, its commitment), written by the book after its own storage
 * (src/market/object/mirror.ts), and the product events of its event log (`bookEventStatements`).
 * The node row's statement is `nodeMirrorStatement` (./nodes.ts).
 */
import type { InStatement } from "@libsql/client";
import { type EventData, type EventType, eventStatements, isoOf } from "../../kit/db/events";
import { bidHoldId } from "../../kit/ids";
import { type EventDetails, leaseIdForBid } from "../core/bidbook";
import type { LeaseView } from "../core/views";

/**
 * Upserts a lease's mirror row from the book's view of it (`charged_minor` summed from its
 * settlements), and ends the package commitment of an ended package lease.
 */
export function leaseMirrorStatements(lease: LeaseView, farmerId: string, nowMs: number): InStatement[] {
  const statements: InStatement[] = [
    {
      sql: `INSERT INTO leases (id, node_id, farmer_id, owner_id, payer_account_id, kind, source, source_id, slices,
              price_cc_per_slice_hour, quoted_price, quoted_currency, quoted_cc_usd, started_at, ends_at, status,
              paused_reason, grace_until, settled_through, charged_minor, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
              (SELECT COALESCE(SUM(charge_minor), 0) FROM settlements WHERE lease_id = ?1), ?)
            ON CONFLICT (id) DO UPDATE SET ends_at = excluded.ends_at, status = excluded.status,
              paused_reason = excluded.paused_reason, grace_until = excluded.grace_until,
              settled_through = MAX(leases.settled_through, excluded.settled_through),
              charged_minor = excluded.charged_minor, updated_at = excluded.updated_at`,
      args: [
        lease.id,
        lease.nodeId,
        farmerId,
        lease.ownerId,
        lease.payerAccountId,
        lease.kind,
        lease.source,
        lease.sourceId,
        lease.slices,
        lease.priceCcPerSliceHour,
        lease.quotedPrice,
        lease.quotedCurrency,
        lease.quotedCcUsd,
        lease.startedAtMs,
        lease.endsAtMs,
        lease.status,
        lease.pausedReason,
        lease.graceUntilMs,
        lease.settledThroughMs,
        nowMs,
      ],
    },
  ];
  if (lease.kind === "package" && lease.status === "ended") {
    statements.push({
      sql: "UPDATE package_commitments SET status = 'ended', updated_at = ? WHERE lease_id = ? AND status = 'active'",
      args: [nowMs, lease.id],
    });
  }
  return statements;
}

/** A line of the book's event log, as the mirror turns it into a product event. */
export type BookLogEvent = {
  readonly type: string;
  readonly leaseId?: string | null | undefined;
  readonly bidId?: string | null | undefined;
  readonly atMs: number;
  readonly details: EventDetails;
};

/** Which book events are product events (README "Events"); the rest stay in the book's own log. */
const productTypeOf: Partial<Record<string, EventType>> = {
  started: "lease.started",
  paused: "lease.paused",
  resumed: "lease.resumed",
  ended: "lease.ended",
  preempted: "lease.preempted",
  accepted: "bid.accepted",
  expired: "bid.expired",
  top_up_failed: "hold.low_balance",
};

/** A book event's fields for the product: times (`…AtMs`) as ISO 8601 (`…At`), the rest as it is. */
function productData(event: BookLogEvent, nodeId: string): EventData {
  const data: Record<string, string | number | boolean | null> = { nodeId };
  if (event.leaseId) data.leaseId = event.leaseId;
  if (event.bidId) data.bidId = event.bidId;
  for (const [key, value] of Object.entries(event.details)) {
    if (key.endsWith("AtMs")) data[key.slice(0, -2)] = typeof value === "number" ? isoOf(value) : value;
    else data[key] = value;
  }
  return data;
}

/**
 * The product events of book events (their owner: the lease's, else the bid's payer's), each
 * with an id derived from the node, the book event's type, subject and time — so the mirror can
 * write one ahead of the book's commit and again after it, and it is written once. A lease's
 * events (`lease.*`) also go to the node's farmer (`farmerId`), unless the farmer owns the lease.
 */
export function bookEventStatements(
  node: { nodeId: string; farmerId: string },
  log: readonly BookLogEvent[],
  nowMs: number,
): InStatement[] {
  const { nodeId, farmerId } = node;
  const statements: InStatement[] = [];
  for (const event of log) {
    const type = productTypeOf[event.type];
    if (type === undefined) continue;
    const leaseId = event.leaseId ?? (event.bidId ? leaseIdForBid(event.bidId) : null);
    if (leaseId === null) continue;
    const sourceId = `${nodeId}:${event.type}:${leaseId}:${event.bidId ?? ""}:${event.atMs}`;
    const common = { type, subjectId: leaseId, atMs: event.atMs, data: productData(event, nodeId) };
    statements.push(
      ...eventStatements(
        { ...common, sourceId, owner: { leaseId, holdId: event.bidId ? bidHoldId(event.bidId) : "" } },
        nowMs,
      ),
    );
    if (!type.startsWith("lease.")) continue;
    statements.push(
      ...eventStatements(
        {
          ...common,
          sourceId: `${sourceId}:farmer`,
          owner: { ownerId: farmerId },
          onlyIf: {
            sql: "NOT EXISTS (SELECT 1 FROM leases WHERE id = ? AND owner_id = ?)",
            args: [leaseId, farmerId],
          },
        },
        nowMs,
      ),
    );
  }
  return statements;
}
