/**
 * Webhook deliveries: the only reader and writer of `webhook_deliveries` and `webhook_attempts`.
 *
 * A delivery is created pending in its event's batch (src/kit/db/events.ts). The consumer
 * claims it (`claimStatements`) — only when it is due and no earlier event of the same subject
 * (lease, payment…) is still pending for the endpoint, which keeps each subject's order — POSTs
 * it, and records the attempt (`outcomeStatements`). A claim pushes the due time `claimMs` ahead,
 * so a second message for the same delivery finds nothing to do, and a consumer that dies mid-POST
 * leaves it due again after the claim.
 */
import type { Client, InStatement, ResultSet, Row } from "@libsql/client";
import type { WebhookDeliveryStatus } from "../kit/db/schema";
import { type Endpoint, endpointFromRow } from "./endpoints";
import { eventFromRow, type StoredEvent } from "./store";

/** How long a claimed delivery is left to its consumer before it is due again: 2 minutes. */
export const claimMs = 120_000;
/** Most due deliveries one outbox sweep enqueues. */
export const sweepDeliveriesMax = 1000;
/** Most deliveries one page of the log returns. */
export const deliveriesPageSizeMax = 100;
/** Longest error text kept per attempt. */
const errorCharsMax = 300;

/** No earlier event of the same subject is still pending for the same endpoint. */
const headOfSubject = `NOT EXISTS (SELECT 1 FROM webhook_deliveries earlier
  WHERE earlier.endpoint_id = d.endpoint_id AND earlier.subject_id = d.subject_id
    AND earlier.status = 'pending' AND earlier.event_seq < d.event_seq)`;

export type ClaimedDelivery = {
  readonly id: string;
  readonly status: WebhookDeliveryStatus;
  readonly attempts: number;
  readonly event: StoredEvent;
  /** Null: the endpoint was deleted. */
  readonly endpoint: Endpoint | null;
};

/** The claim of one delivery and its read, one batch: whether it was claimed, and what it is. */
export function claimStatements(deliveryId: string, nowMs: number): InStatement[] {
  return [
    {
      sql: `UPDATE webhook_deliveries AS d SET attempts = attempts + 1, next_attempt_at = ?, updated_at = ?
            WHERE d.id = ? AND d.status = 'pending' AND d.next_attempt_at <= ? AND ${headOfSubject}`,
      args: [nowMs + claimMs, nowMs, deliveryId, nowMs],
    },
    {
      sql: `SELECT d.id AS delivery_id, d.status AS delivery_status, d.attempts,
              e.seq, e.id, e.owner_id, e.type, e.subject_id, e.data, e.at,
              w.id AS endpoint_id, w.owner_id AS endpoint_owner_id, w.url, w.event_types, w.secret, w.previous_secret,
              w.previous_secret_until, w.disabled_at, w.created_at, w.updated_at
            FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
              LEFT JOIN webhook_endpoints w ON w.id = d.endpoint_id
            WHERE d.id = ?`,
      args: [deliveryId],
    },
  ];
}

/** Reads a claim's batch: the delivery if this consumer claimed it, else null. */
export function readClaim(results: readonly ResultSet[]): ClaimedDelivery | null {
  const [claim, read] = results;
  const row = read?.rows[0];
  if (claim?.rowsAffected !== 1 || !row) return null;
  return {
    id: String(row.delivery_id),
    status: String(row.delivery_status) as WebhookDeliveryStatus,
    attempts: Number(row.attempts),
    event: eventFromRow(row),
    endpoint:
      row.endpoint_id === null
        ? null
        : endpointFromRow({ ...row, id: row.endpoint_id, owner_id: row.endpoint_owner_id } as unknown as Row),
  };
}

export type AttemptOutcome = {
  readonly statusCode: number | null;
  readonly error: string | null;
  readonly durationMs: number;
  /** What the delivery becomes: delivered, failed for good, or pending until `retryAtMs`. */
  readonly next: { status: "delivered" } | { status: "failed" } | { status: "pending"; retryAtMs: number };
};

/**
 * One attempt's record and the delivery's new state, one batch; when the delivery is settled
 * (delivered or failed), the batch's last statement reads the next pending delivery of the same
 * subject for the endpoint, to enqueue now (`nextOfSubject`).
 */
export function outcomeStatements(
  delivery: ClaimedDelivery,
  outcome: AttemptOutcome,
  nowMs: number,
): InStatement[] {
  const { next } = outcome;
  const statements: InStatement[] = [
    {
      sql: `INSERT INTO webhook_attempts (delivery_id, attempt, status_code, error, duration_ms, at)
            VALUES (?, (SELECT COALESCE(MAX(attempt), 0) + 1 FROM webhook_attempts WHERE delivery_id = ?), ?, ?, ?, ?)`,
      args: [
        delivery.id,
        delivery.id,
        outcome.statusCode,
        outcome.error?.slice(0, errorCharsMax) ?? null,
        outcome.durationMs,
        nowMs,
      ],
    },
    {
      sql: `UPDATE webhook_deliveries SET status = ?, last_status_code = ?, last_error = ?, next_attempt_at = ?,
              delivered_at = ?, updated_at = ? WHERE id = ? AND status = 'pending'`,
      args: [
        next.status,
        outcome.statusCode,
        outcome.error?.slice(0, errorCharsMax) ?? null,
        next.status === "pending" ? next.retryAtMs : nowMs,
        next.status === "delivered" ? nowMs : null,
        nowMs,
        delivery.id,
      ],
    },
  ];
  if (next.status !== "pending" && delivery.endpoint !== null) {
    statements.push({
      sql: `SELECT id FROM webhook_deliveries WHERE endpoint_id = ? AND subject_id = ? AND status = 'pending'
            ORDER BY event_seq LIMIT 1`,
      args: [delivery.endpoint.id, delivery.event.subjectId],
    });
  }
  return statements;
}

/** The next delivery of the subject to enqueue, from `outcomeStatements`' results. */
export function nextOfSubject(results: readonly ResultSet[]): string | null {
  const read = results[2];
  const row = read?.rows[0];
  return row ? String(row.id) : null;
}

/** Marks a dead-lettered delivery failed if it is still pending (a consumer that kept crashing). */
export async function markDeadLettered(client: Client, deliveryId: string, nowMs: number): Promise<void> {
  await client.execute({
    sql: `UPDATE webhook_deliveries SET status = 'failed', last_error = COALESCE(last_error, 'dead-lettered'), updated_at = ?
          WHERE id = ? AND status = 'pending'`,
    args: [nowMs, deliveryId],
  });
}

/** The outbox sweep's read: due deliveries at the head of their subject, oldest event first. */
export async function dueDeliveries(
  client: Client,
  nowMs: number,
  limit = sweepDeliveriesMax,
): Promise<string[]> {
  const result = await client.execute({
    sql: `SELECT d.id FROM webhook_deliveries d WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND ${headOfSubject}
          ORDER BY d.event_seq LIMIT ?`,
    args: [nowMs, limit],
  });
  return result.rows.map((row) => String(row.id));
}

export type AttemptView = {
  readonly attempt: number;
  readonly statusCode: number | null;
  readonly error: string | null;
  readonly durationMs: number;
  readonly atMs: number;
};

export type DeliveryView = {
  readonly id: string;
  readonly endpointId: string;
  readonly eventId: string;
  readonly eventSeq: number;
  readonly eventType: string;
  readonly subjectId: string;
  readonly status: WebhookDeliveryStatus;
  readonly attempts: number;
  readonly lastStatusCode: number | null;
  readonly lastError: string | null;
  readonly nextAttemptAtMs: number | null;
  readonly deliveredAtMs: number | null;
  readonly createdAtMs: number;
  readonly log: readonly AttemptView[];
};

const deliveryColumns = `d.id, d.endpoint_id, d.event_id, d.event_seq, e.type AS event_type, d.subject_id, d.status, d.attempts,
  d.last_status_code, d.last_error, d.next_attempt_at, d.delivered_at, d.created_at,
  (SELECT json_group_array(json_object('attempt', a.attempt, 'statusCode', a.status_code, 'error', a.error,
     'durationMs', a.duration_ms, 'atMs', a.at)) FROM (SELECT * FROM webhook_attempts WHERE delivery_id = d.id ORDER BY attempt) a) AS log`;

function deliveryFromRow(row: Row): DeliveryView {
  const nullableNumber = (value: unknown) => (value === null ? null : Number(value));
  const status = String(row.status) as WebhookDeliveryStatus;
  return {
    id: String(row.id),
    endpointId: String(row.endpoint_id),
    eventId: String(row.event_id),
    eventSeq: Number(row.event_seq),
    eventType: String(row.event_type),
    subjectId: String(row.subject_id),
    status,
    attempts: Number(row.attempts),
    lastStatusCode: nullableNumber(row.last_status_code),
    lastError: row.last_error === null ? null : String(row.last_error),
    nextAttemptAtMs: status === "pending" ? Number(row.next_attempt_at) : null,
    deliveredAtMs: nullableNumber(row.delivered_at),
    createdAtMs: Number(row.created_at),
    log: JSON.parse(String(row.log)) as AttemptView[],
  };
}

/**
 * An endpoint's deliveries after `afterSeq` (event order), with each one's attempts: the endpoint
 * (null when `ownerId` may not see it) and the page, in one round trip.
 */
export async function deliveriesPage(
  client: Client,
  endpoint: InStatement,
  filter: { endpointId: string; status: WebhookDeliveryStatus | null; afterSeq: number; limit: number },
): Promise<{ found: boolean; deliveries: DeliveryView[]; more: boolean }> {
  const [found, page] = await client.batch(
    [
      endpoint,
      {
        sql: `SELECT ${deliveryColumns} FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
              WHERE d.endpoint_id = ? AND d.event_seq > ? AND (? IS NULL OR d.status = ?)
              ORDER BY d.event_seq LIMIT ?`,
        args: [filter.endpointId, filter.afterSeq, filter.status, filter.status, filter.limit + 1],
      },
    ],
    "read",
  );
  const rows = page?.rows ?? [];
  return {
    found: (found?.rows.length ?? 0) > 0,
    deliveries: rows.slice(0, filter.limit).map(deliveryFromRow),
    more: rows.length > filter.limit,
  };
}

/**
 * Makes a settled delivery (delivered or failed) pending again, due now, with a fresh attempt
 * budget (the log keeps counting). `found`: the endpoint is the caller's; `delivery`: the
 * delivery after the change, or null when there is no such delivery or it is still pending.
 */
export async function replayDelivery(
  client: Client,
  endpoint: InStatement,
  scope: { endpointId: string; ownerId: string | null },
  deliveryId: string,
  nowMs: number,
): Promise<{ found: boolean; delivery: DeliveryView | null; pending: boolean }> {
  const { endpointId } = scope;
  const [found, updated, read] = await client.batch(
    [
      endpoint,
      {
        sql: `UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, updated_at = ?
              WHERE id = ? AND endpoint_id = ? AND status IN ('delivered', 'failed')
                AND EXISTS (SELECT 1 FROM webhook_endpoints WHERE id = ? AND (? IS NULL OR owner_id = ?))`,
        args: [nowMs, nowMs, deliveryId, endpointId, endpointId, scope.ownerId, scope.ownerId],
      },
      {
        sql: `SELECT ${deliveryColumns} FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
              WHERE d.id = ? AND d.endpoint_id = ?`,
        args: [deliveryId, endpointId],
      },
    ],
    "write",
  );
  const isFound = (found?.rows.length ?? 0) > 0;
  const row = read?.rows[0];
  if (!isFound || !row) return { found: isFound, delivery: null, pending: false };
  const delivery = deliveryFromRow(row);
  return {
    found: true,
    delivery: updated?.rowsAffected === 1 ? delivery : null,
    pending: delivery.status === "pending",
  };
}

/** How long events, and settled deliveries with their attempts, are kept: 90 days (as the bid books keep their logs). */
export const eventsRetentionMs = 90 * 24 * 3_600_000;
/** Most rows of each table one pruning removes. */
export const prunedRowsMax = 5000;

/**
 * Removes events, settled deliveries and their attempts older than `eventsRetentionMs`, at most
 * `prunedRowsMax` of each, in one batch (the scheduled step `prune_events`). Pending deliveries stay
 * (and their events with them).
 */
export async function pruneEvents(
  client: Client,
  nowMs: number,
): Promise<{ events: number; deliveries: number }> {
  const before = nowMs - eventsRetentionMs;
  const [, deliveries, events] = await client.batch(
    [
      {
        sql: `DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries
                WHERE status <> 'pending' AND updated_at < ? LIMIT ?)`,
        args: [before, prunedRowsMax],
      },
      {
        sql: `DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries
                WHERE status <> 'pending' AND updated_at < ? LIMIT ?)`,
        args: [before, prunedRowsMax],
      },
      {
        sql: `DELETE FROM events WHERE seq IN (SELECT seq FROM events e WHERE e.created_at < ?
                AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.status = 'pending')
                ORDER BY seq LIMIT ?)`,
        args: [before, prunedRowsMax],
      },
    ],
    "write",
  );
  return { events: events?.rowsAffected ?? 0, deliveries: deliveries?.rowsAffected ?? 0 };
}
