/**
 * Writing an effect exactly once: its transfers and its records (a webhook event's id, a state
 * change) in one atomic write, retried from a fresh read when a concurrent writer got there first.
 */
import type { Client, InStatement, Row } from "@libsql/client";
import { decodeColumns } from "../kit/db/rows";
import * as tables from "../kit/db/schema";
import type { ErrorCode } from "../kit/errors";
import { fail, ok, type Result } from "../kit/result";
import type { TransferRequest } from "../ledger/core/transfers";
import { ledgerFailure } from "../ledger/errors";
import { createTransfers, type TransferRecord, transferFromRow } from "../ledger/store";

/** Attempts per effect before a persistent race is reported (each attempt re-reads). */
export const effectAttemptsMax = 5;

export type Effect = {
  readonly transfers: readonly TransferRequest[];
  /** Rows written in the same batch, after the transfers. */
  readonly statements: readonly InStatement[];
};

/**
 * Writes `effect` atomically: through `createTransfers` (with `statements` as its `extra`) when
 * it moves value, as a plain write batch otherwise. A refused write changes nothing.
 */
export async function writeEffect(
  client: Client,
  effect: Effect,
  nowMs: number,
): Promise<Result<TransferRecord[]>> {
  if (effect.transfers.length > 0) {
    return createTransfers(client, effect.transfers, { nowMs }, effect.statements);
  }
  if (effect.statements.length === 0) return ok([]);
  try {
    await client.batch([...effect.statements], "write");
    return ok([]);
  } catch (error) {
    const failure = ledgerFailure(error);
    if (failure.code === "INTERNAL") throw error;
    return failure;
  }
}

/** Codes that mean "someone else wrote first": re-read and try again. */
export const raceCodes: readonly ErrorCode[] = ["CONFLICT", "IDEMPOTENCY_CONFLICT"];

/**
 * Runs `attempt` until it succeeds, fails with a code outside `retryOn`, or has run
 * `effectAttemptsMax` times (then the last failure is returned).
 */
export async function withRetries<T>(
  attempt: () => Promise<Result<T>>,
  retryOn: readonly ErrorCode[] = raceCodes,
): Promise<Result<T>> {
  let last: Result<T> = fail("CONFLICT", "Too many concurrent writers; retry later");
  for (let index = 0; index < effectAttemptsMax; index++) {
    last = await attempt();
    if (last.ok || !retryOn.includes(last.code)) return last;
  }
  return last;
}

/** The transfers with these ids, in the given order (those that exist). */
export async function transfersById(client: Client, ids: readonly string[]): Promise<TransferRecord[]> {
  if (ids.length === 0) return [];
  const result = await client.execute({
    sql: `SELECT * FROM transfers WHERE id IN (${ids.map(() => "?").join(", ")})`,
    args: [...ids],
  });
  const byId = new Map(result.rows.map((row) => [String(row.id), transferFromRow(row)]));
  return ids.flatMap((id) => {
    const found = byId.get(id);
    return found ? [found] : [];
  });
}

// ── webhook events ───────────────────────────────────────────────────────────────────────────

export type WebhookProvider = "stripe" | "tft_bridge";

/** What a delivery did; `duplicate` when the event had already been handled. */
export type WebhookOutcome = {
  readonly eventId: string;
  readonly type: string;
  readonly outcome: string;
  readonly detail: string | null;
  readonly duplicate: boolean;
};

/** The statement recording an event as handled; its primary key makes a second record abort. */
export function eventStatement(
  provider: WebhookProvider,
  event: { readonly id: string; readonly type: string; readonly createdAtMs: number },
  outcome: string,
  detail: string | null,
  nowMs: number,
): InStatement {
  return {
    sql: "INSERT INTO webhook_events (provider, id, type, outcome, detail, created_at, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    args: [provider, event.id, event.type, outcome, detail, event.createdAtMs, nowMs],
  };
}

/**
 * Applies an event's effect and records the event as handled in the same atomic write, so the
 * effect happens exactly once: a second delivery finds the event's row (or aborts on its key).
 */
export async function recordEvent(
  client: Client,
  provider: WebhookProvider,
  event: { readonly id: string; readonly type: string; readonly createdAtMs: number },
  outcome: string,
  detail: string,
  nowMs: number,
  effect: Effect = { transfers: [], statements: [] },
): Promise<Result<WebhookOutcome>> {
  const written = await writeEffect(
    client,
    {
      transfers: effect.transfers,
      statements: [...effect.statements, eventStatement(provider, event, outcome, detail, nowMs)],
    },
    nowMs,
  );
  if (!written.ok) return written;
  return ok({ eventId: event.id, type: event.type, outcome, detail, duplicate: false });
}

/** How an already handled event was recorded (a `webhook_events` row), or null without one. */
export function storedEventFromRow(
  row: Row | undefined,
): { type: string; outcome: string; detail: string | null } | null {
  return row ? decodeColumns(tables.webhookEvents, row, ["type", "outcome", "detail"]) : null;
}

/** The outcome reported for a delivery of an event already handled. */
export function duplicateOutcome(
  eventId: string,
  stored: { type: string; outcome: string; detail: string | null },
): WebhookOutcome {
  return { eventId, type: stored.type, outcome: stored.outcome, detail: stored.detail, duplicate: true };
}
