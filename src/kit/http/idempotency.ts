/**
 * Idempotency-Key on value-moving POSTs: the stored response of a key is replayed for the same
 * owner, method, path and body; another request under the same key is 409. Only successful
 * responses are stored, so a retry after a refusal runs again. The effect itself is exactly-once
 * at the ledger and the books, whose ids derive from the key (`transferIdFor`); the record only
 * lets the caller see the first response again.
 *
 * Two ways to check a key, both before any effect:
 * - `idempotent` reads the record before the handler runs (one round trip of its own);
 * - `idempotentBatched` lets the handler send that read with its own first reads (`firstReads`),
 *   so the check costs no round trip. A handler behind it must call `firstReads` before it moves
 *   anything; a success that did not is a bug and fails loudly.
 *
 * The record of a success is stored after the handler (one more round trip), unless the handler
 * had its effect write it in the effect's own batch: it hands `recordFor(c, status)` to the
 * effect and, when the effect says it wrote the record, calls `recordedByEffect(c)`.
 */
import type { InStatement, ResultSet } from "@libsql/client";
import type { Context, MiddlewareHandler } from "hono";
import { now } from "../clock";
import { idempotencyRecordStatement, type RecordedResponse } from "../db/idempotency";
import { InvariantError } from "../errors";
import { sha256Hex } from "../ids";
import { ApiError } from "./errors";
import type { AppEnv } from "./types";

export type IdempotencyCheck = {
  ownerId: string;
  key: string;
  fingerprint: string;
  /** Whether the record was read (by the middleware or `firstReads`). */
  checked: boolean;
  /** Whether the handler's effect stored the record in its own batch. */
  recorded: boolean;
};

/** Thrown by `firstReads` when the key answered before: the middleware replays that answer. */
class StoredResponse extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super("idempotent replay");
  }
}

async function checkOf(c: Context<AppEnv>): Promise<IdempotencyCheck> {
  const key = c.req.header("idempotency-key");
  if (!key) {
    throw new ApiError("VALIDATION_FAILED", "This operation moves value: send an Idempotency-Key header", [
      { field: "header.idempotency-key", detail: "required" },
    ]);
  }
  const body = await c.req.raw.clone().text();
  const fingerprint = await sha256Hex(`${c.req.method} ${c.req.path}\n${body}`);
  return { ownerId: c.get("principal").ownerId, key, fingerprint, checked: false, recorded: false };
}

function recordStatement(check: IdempotencyCheck): InStatement {
  return {
    sql: "SELECT fingerprint, status, body FROM idempotency_records WHERE owner_id = ? AND key = ?",
    args: [check.ownerId, check.key],
  };
}

/** Throws the stored response (or 409 for another request) when the key was used before. */
function settle(check: IdempotencyCheck, result: ResultSet | undefined): void {
  check.checked = true;
  const record = result?.rows[0];
  if (!record) return;
  if (record.fingerprint !== check.fingerprint) {
    throw new ApiError("IDEMPOTENCY_CONFLICT", "This Idempotency-Key was used for a different request");
  }
  throw new StoredResponse(Number(record.status), String(record.body));
}

function replay(stored: StoredResponse): Response {
  return new Response(stored.body, {
    status: stored.status,
    headers: { "content-type": "application/json", "idempotent-replayed": "true" },
  });
}

async function store(c: Context<AppEnv>, check: IdempotencyCheck): Promise<void> {
  if (c.res.status < 200 || c.res.status >= 300 || check.recorded) return;
  const text = await c.res.clone().text();
  await c.get("db").execute(idempotencyRecordStatement({ ...check, status: c.res.status }, text, now()));
}

/** Checks the key before the handler runs (its own round trip), and stores a success. */
export const idempotent: MiddlewareHandler<AppEnv> = async (c, next) => {
  const check = await checkOf(c);
  try {
    settle(check, await c.get("db").execute(recordStatement(check)));
  } catch (error) {
    if (error instanceof StoredResponse) return replay(error);
    throw error;
  }
  await next();
  await store(c, check);
};

/** The stored response `error` carries when `firstReads` found the key used before, else null (for the app's onError). */
export function storedResponseOf(error: unknown): Response | null {
  return error instanceof StoredResponse ? replay(error) : null;
}

const checks = new WeakMap<Request, IdempotencyCheck>();

/** Leaves the key's check to the handler's `firstReads`, and stores a success. */
export const idempotentBatched: MiddlewareHandler<AppEnv> = async (c, next) => {
  const check = await checkOf(c);
  checks.set(c.req.raw, check);
  await next();
  if (c.error instanceof StoredResponse) {
    c.res = replay(c.error);
    return;
  }
  if (c.res.status >= 200 && c.res.status < 300 && !check.checked) {
    throw new InvariantError(
      `${c.req.path}: a success behind idempotentBatched that never called firstReads`,
    );
  }
  await store(c, check);
};

function batchedCheckOf(c: Context<AppEnv>, caller: string): IdempotencyCheck {
  const check = checks.get(c.req.raw);
  if (check === undefined) throw new InvariantError(`${c.req.path}: ${caller} outside idempotentBatched`);
  return check;
}

/**
 * The record an effect may store in its own batch for a success with `status` (after
 * `firstReads`): its body must be exactly the response the handler then answers.
 */
export function recordFor(c: Context<AppEnv>, status: number): RecordedResponse {
  const check = batchedCheckOf(c, "recordFor");
  if (!check.checked) throw new InvariantError(`${c.req.path}: recordFor before firstReads`);
  return { ownerId: check.ownerId, key: check.key, fingerprint: check.fingerprint, status };
}

/** Tells the middleware that the effect stored the record: it stores nothing after the handler. */
export function recordedByEffect(c: Context<AppEnv>): void {
  batchedCheckOf(c, "recordedByEffect").recorded = true;
}

/**
 * The handler's first reads, in one round trip with the Idempotency-Key's record: answers the
 * stored response (or 409) when the key was used before, else returns `statements`' answers.
 */
export async function firstReads(
  c: Context<AppEnv>,
  statements: readonly InStatement[],
): Promise<ResultSet[]> {
  const check = batchedCheckOf(c, "firstReads");
  const [record, ...results] = await c.get("db").batch([recordStatement(check), ...statements], "read");
  settle(check, record);
  return results;
}
