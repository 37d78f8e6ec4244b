/**
 * Product events, written by every area in the same atomic batch as the effect they report
 * (`eventStatements`), so there is no event without its effect and no effect without its event.
 * An event's id is derived from the effect's own id (`eventIdOf`), so a retried batch writes it
 * once. The same batch writes one pending webhook delivery per enabled endpoint of the owner that
 * subscribed to the type: the outbox the queue consumer works through (src/events/delivery.ts).
 *
 * This module is kit-level on purpose: an area adds its events to its own batch without importing
 * another area.
 */
import type { InStatement } from "@libsql/client";
import { sha256HexSync } from "../ids";

/** Every event type of the product, one word for one fact (README "Events"). */
export const eventTypes = [
  "lease.started",
  "lease.paused",
  "lease.resumed",
  "lease.ended",
  "lease.preempted",
  "bid.accepted",
  "bid.expired",
  "capacity_request.offer_received",
  "capacity_request.offer_accepted",
  "hold.low_balance",
  "payment.minted",
  "payment.refunded",
  "withdrawal.paid",
  "withdrawal.failed",
  "auction.round_settled",
] as const;
export type EventType = (typeof eventTypes)[number];

/** A structured field: a string (amounts as decimal strings, times as ISO 8601), number, boolean or null. */
export type EventData = Readonly<Record<string, string | number | boolean | null>>;

/**
 * Whose event it is: a known owner, or the owner of an account, of a lease (its libSQL row) or of
 * the account a hold debits — resolved inside the batch, so an area needs no read first. An event
 * whose owner cannot be resolved is not written.
 */
export type EventOwner =
  | { readonly ownerId: string }
  /** An SQL expression of the owner (a sub-select of the area's own row), with its arguments. */
  | { readonly ownerSql: string; readonly args: readonly string[] }
  | { readonly accountId: string }
  | { readonly leaseId: string; readonly holdId?: string };

export type NewEvent = {
  /** The id of the effect the event reports, e.g. a transfer id: the event's id is derived from it. */
  readonly sourceId: string;
  readonly type: EventType;
  readonly owner: EventOwner;
  /** What it is about (a lease id, a withdrawal id…): deliveries keep the order of one subject's events. */
  readonly subjectId: string;
  /** When it took effect, epoch ms. */
  readonly atMs: number;
  readonly data: EventData;
  /**
   * A condition the event also needs, checked in the batch (e.g. that the effect's row exists when
   * the effect's own statement may write nothing).
   */
  readonly onlyIf?: { readonly sql: string; readonly args: readonly (string | number)[] };
};

/** The event id of an effect: `evt_` and 32 hex characters of SHA-256 of the type and source id. */
export function eventIdOf(type: EventType, sourceId: string): string {
  return `evt_${sha256HexSync(`${type}\n${sourceId}`).slice(0, 32)}`;
}

function ownerSql(owner: EventOwner): { sql: string; args: string[] } {
  if ("ownerId" in owner) return { sql: "?", args: [owner.ownerId] };
  if ("ownerSql" in owner) return { sql: `(${owner.ownerSql})`, args: [...owner.args] };
  if ("accountId" in owner)
    return { sql: "(SELECT owner_id FROM accounts WHERE id = ?)", args: [owner.accountId] };
  return {
    sql: `COALESCE((SELECT owner_id FROM leases WHERE id = ?),
      (SELECT a.owner_id FROM holds h JOIN accounts a ON a.id = h.debit_account_id WHERE h.id = ?))`,
    args: [owner.leaseId, owner.holdId ?? ""],
  };
}

/**
 * The statements that write `event` (once, whatever the retries) and its pending deliveries to
 * the owner's enabled endpoints subscribed to its type, created no later than the event: append
 * them to the batch of the effect. `nowMs` is the write's time.
 */
export function eventStatements(event: NewEvent, nowMs: number): InStatement[] {
  const id = eventIdOf(event.type, event.sourceId);
  const owner = ownerSql(event.owner);
  return [
    {
      sql: `INSERT OR IGNORE INTO events (id, owner_id, type, subject_id, data, at, created_at)
            SELECT ?, owner, ?, ?, ?, ?, ? FROM (SELECT ${owner.sql} AS owner)
            WHERE owner IS NOT NULL AND ${event.onlyIf?.sql ?? "1 = 1"}`,
      args: [
        id,
        event.type,
        event.subjectId,
        JSON.stringify(event.data),
        event.atMs,
        nowMs,
        ...owner.args,
        ...(event.onlyIf?.args ?? []),
      ],
    },
    {
      sql: `INSERT OR IGNORE INTO webhook_deliveries (id, endpoint_id, event_seq, event_id, subject_id, status,
              attempts, next_attempt_at, created_at, updated_at)
            SELECT 'whd_' || lower(hex(randomblob(12))), w.id, e.seq, e.id, e.subject_id, 'pending', 0, ?, ?, ?
            FROM events e JOIN webhook_endpoints w ON w.owner_id = e.owner_id
            WHERE e.id = ? AND w.disabled_at IS NULL AND w.created_at <= e.created_at
              AND EXISTS (SELECT 1 FROM json_each(w.event_types) WHERE value = e.type)`,
      args: [nowMs, nowMs, nowMs, id],
    },
  ];
}

/** An epoch-ms time as ISO 8601, for event data. */
export function isoOf(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
