/**
 * Retention of the responses stored for Idempotency-Key replay (table `idempotency_records`,
 * written by the `idempotent` middleware in src/kit/http/middleware.ts).
 */
import type { Client } from "@libsql/client";
import { dayMs } from "../clock";

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
