/**
 * The responses stored for Idempotency-Key replay (table `idempotency_records`): the statement
 * that stores one, written by the middleware (src/kit/http/idempotency.ts) after the effect or by
 * a Durable Object in the same ledger batch as its effect, and their retention.
 */
import type { Client, InStatement } from "@libsql/client";
import { z } from "zod";
import { dayMs } from "../clock";

/** Whose key it is and what request it stands for (method, path and body, hashed). */
export type IdempotencyRecord = { ownerId: string; key: string; fingerprint: string };

/** A success to store for `record` (the first one stays: a record is never overwritten). */
export type RecordedResponse = IdempotencyRecord & { status: number };

/**
 * A record an effect in this Worker writes in its own batch: the response, and how to render the
 * effect's result as the body the handler then answers.
 */
export type EffectRecord<T> = { response: RecordedResponse; render: (value: T) => unknown };

/** The statements storing `effect`'s record for `value` (none without a record). */
export function effectRecordStatements<T>(
  effect: EffectRecord<T> | undefined,
  value: T,
  nowMs: number,
): InStatement[] {
  if (!effect) return [];
  return [idempotencyRecordStatement(effect.response, JSON.stringify(effect.render(value)), nowMs)];
}

/**
 * The statements deleting `effect`'s record (none without a record): for an effect undone after
 * its batch, so a retry under the key runs again instead of replaying a success that was undone.
 */
export function forgetRecordStatements<T>(effect: EffectRecord<T> | undefined): InStatement[] {
  if (!effect) return [];
  const { ownerId, key } = effect.response;
  return [{ sql: "DELETE FROM idempotency_records WHERE owner_id = ? AND key = ?", args: [ownerId, key] }];
}

/** A `RecordedResponse` as a Durable Object's RPC argument. */
export const recordedResponseSchema = z.strictObject({
  ownerId: z.string().min(1).max(64),
  key: z.string().min(1).max(255),
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
  status: z.number().int().min(200).max(299),
});

/** Stores a response's status and body for replay; a record already there is left as it is. */
export function idempotencyRecordStatement(
  record: RecordedResponse,
  body: string,
  nowMs: number,
): InStatement {
  return {
    sql: "INSERT OR IGNORE INTO idempotency_records (owner_id, key, fingerprint, status, body, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    args: [record.ownerId, record.key, record.fingerprint, record.status, body, nowMs],
  };
}

/**
 * How long a stored response is replayed: 7 days. After that a retry with the same key runs the
 * handler again, and the ledger still moves nothing twice (its transfer ids derive from the key).
 */
export const idempotencyRecordRetentionMs = 7 * dayMs;

/** Deletes stored responses past their retention, at most `limit` per call (a cron step). */
export async function pruneIdempotencyRecords(db: Client, nowMs: number, limit = 5_000): Promise<number> {
  const result = await db.execute({
    sql: "DELETE FROM idempotency_records WHERE rowid IN (SELECT rowid FROM idempotency_records WHERE created_at < ? LIMIT ?)",
    args: [nowMs - idempotencyRecordRetentionMs, limit],
  });
  return result.rowsAffected;
}
