/**
 * The statements that mirror a node's bid book onto libSQL: each changed lease's row (and, for an
 * ended package lease, its commitment), written by the book after its own storage
 * (src/market/object/mirror.ts). The node row's statement is `nodeMirrorStatement` (./nodes.ts).
 */
import type { InStatement } from "@libsql/client";
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
