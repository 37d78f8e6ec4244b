/**
 * Lease and bid funding: the holds (pending transfers payer → acc_escrow_cc) that stand behind a
 * lease's use, placed, read and released through the ledger. Settlement draws them down
 * (settlement.ts); whatever is left when a lease ends or a bid closes is released here.
 */
import type { Client, InStatement, ResultSet, Row } from "@libsql/client";
import { writeFailure } from "../kit/db/client";
import { decodeColumns } from "../kit/db/rows";
import * as tables from "../kit/db/schema";
import type { Failure } from "../kit/result";
import { fail, ok, type Result } from "../kit/result";
import { type HoldInfo, isUsable } from "./core/holds";
import type { TransferRequest } from "./core/transfers";
import { createTransfers } from "./store";

/** The marketplace escrow: every hold credits it, every settlement pays out of it. */
export const escrowAccountId = "acc_escrow_cc";
/** ThreeFold's CC treasury: receives 10 % of revenue and pays for bid-package leases. */
export const treasuryAccountId = "acc_treasury_cc";

export { type HoldInfo, isUsable } from "./core/holds";

/** Most ids per `IN (…)` list. */
const idsPerQueryMax = 400;

/** The ledger's view of these holds (missing ids are absent from the map). */
export async function loadHolds(client: Client, ids: readonly string[]): Promise<Map<string, HoldInfo>> {
  const statements = holdsStatements(ids);
  if (statements.length === 0) return new Map();
  return holdsFrom(
    statements.length === 1 ? [await client.execute(statements[0]!)] : await client.batch(statements, "read"),
  );
}

/** The reads of `loadHolds`, to send in a batch with other reads (one per 400 ids). */
export function holdsStatements(ids: readonly string[]): InStatement[] {
  const unique = [...new Set(ids)];
  const statements: InStatement[] = [];
  for (let start = 0; start < unique.length; start += idsPerQueryMax) {
    const chunk = unique.slice(start, start + idsPerQueryMax);
    statements.push({
      sql: `SELECT id, remaining, status, expires_at FROM holds WHERE id IN (${chunk.map(() => "?").join(", ")})`,
      args: chunk,
    });
  }
  return statements;
}

/** The holds `holdsStatements` read, by id. */
export function holdsFrom(results: readonly ResultSet[]): Map<string, HoldInfo> {
  const holds = new Map<string, HoldInfo>();
  for (const result of results) {
    for (const row of result.rows) {
      const hold = decodeColumns(tables.holds, row, ["id", "remainingMinor", "status", "expiresAtMs"]);
      holds.set(hold.id, hold);
    }
  }
  return holds;
}

/** A hold with the pending transfer that placed it: what an audit reports about it. */
export type HoldDetail = HoldInfo & {
  code: string;
  /** When it was placed (ledger time) and its place in the ledger (the pending transfer's `seq`). */
  createdAtMs: number;
  seq: bigint;
  metadata: Record<string, unknown> | null;
};

const holdDetailColumns =
  "h.id, h.status, h.remaining, h.expires_at, t.code, t.created_at AS held_at, t.seq AS held_seq, t.metadata FROM holds h JOIN transfers t ON t.id = h.id";

function holdDetailFromRow(row: Row): HoldDetail {
  const hold = decodeColumns(tables.holds, row, ["id", "status", "remainingMinor", "expiresAtMs"]);
  const placed = decodeColumns(tables.transfers, row, ["code", "metadata"]);
  return {
    ...hold,
    code: placed.code,
    createdAtMs: Number(row.held_at),
    seq: BigInt(row.held_seq as bigint),
    metadata: placed.metadata === null ? null : (JSON.parse(placed.metadata) as Record<string, unknown>),
  };
}

/** These holds with the transfers that placed them (missing ids are absent from the map): one round trip. */
export async function loadHoldDetails(
  client: Client,
  ids: Iterable<string>,
): Promise<Map<string, HoldDetail>> {
  const statements = holdDetailsStatements(ids);
  if (statements.length === 0) return new Map();
  return holdDetailsOf((await client.batch(statements, "read")).flatMap((result) => result.rows));
}

/** The reads of `loadHoldDetails`, to send in a batch with other reads (one per 400 ids). */
export function holdDetailsStatements(ids: Iterable<string>): InStatement[] {
  const unique = [...new Set(ids)];
  const statements: InStatement[] = [];
  for (let start = 0; start < unique.length; start += idsPerQueryMax) {
    const chunk = unique.slice(start, start + idsPerQueryMax);
    statements.push({
      sql: `SELECT ${holdDetailColumns} WHERE h.id IN (${chunk.map(() => "?").join(", ")})`,
      args: chunk,
    });
  }
  return statements;
}

/** The holds in the rows `holdDetailsStatements` or `pendingHoldsPageStatement` read, by id. */
export function holdDetailsOf(rows: readonly Row[]): Map<string, HoldDetail> {
  return new Map(rows.map((row) => [String(row.id), holdDetailFromRow(row)]));
}

/** The code of the hold behind every interruptible bid (placed by the market's bid books). */
export const bidHoldCode = "bid_hold";

/** Most holds one page of an owner's bid holds reads. */
export const ownerBidHoldsPageSizeMax = 200;

export type OwnerHoldsPage = { holds: HoldDetail[]; nextSeq: bigint | null };

/**
 * One page of the bid holds placed from `ownerId`'s accounts, newest first (by the placing
 * transfer's `seq`), before `beforeSeq`: a statement to batch with other reads, and the reading of
 * its answer (`nextSeq`: the next page's `beforeSeq`, null on the last page). The code is written
 * into the SQL, not bound, so the partial index `transfers_bid_holds` (only bid holds) serves it.
 */
export function ownerBidHoldsQuery(
  ownerId: string,
  options: { limit: number; beforeSeq: bigint | null },
): { statement: InStatement; read: (result: ResultSet) => OwnerHoldsPage } {
  const limit = Math.min(Math.max(1, options.limit), ownerBidHoldsPageSizeMax);
  const statement = {
    sql: `SELECT ${holdDetailColumns}
          JOIN accounts a ON a.id = t.debit_account_id
          WHERE a.owner_id = ? AND t.code = '${bidHoldCode}' AND t.type = 'pending' AND t.seq < ?
          ORDER BY t.seq DESC LIMIT ?`,
    args: [ownerId, options.beforeSeq ?? 2n ** 63n - 1n, limit + 1],
  };
  const read = (result: ResultSet): OwnerHoldsPage => {
    const holds = result.rows.slice(0, limit).map(holdDetailFromRow);
    return { holds, nextSeq: result.rows.length > limit ? (holds.at(-1)?.seq ?? null) : null };
  };
  return { statement, read };
}

/**
 * One page (by id, after `afterId`) of the live-looking holds — pending, something left — placed
 * with one of `codes`, with their placing transfers: a read to batch with others
 * (`holdDetailsFrom` reads its answer).
 */
export function pendingHoldsPageStatement(
  codes: readonly string[],
  afterId: string,
  limit: number,
): InStatement {
  return {
    sql: `SELECT ${holdDetailColumns} WHERE h.status = 'pending' AND h.remaining > 0 AND h.id > ?
            AND t.code IN (${codes.map(() => "?").join(", ")}) ORDER BY h.id LIMIT ?`,
    args: [afterId, ...codes, limit],
  };
}

export type HoldRequest = {
  holdId: string;
  payerAccountId: string;
  amountMinor: bigint;
  timeoutMs: number;
  /** lower_snake_case reason, e.g. `lease_hold`, `bid_hold`, `lease_top_up`. */
  code: string;
  metadata?: Record<string, unknown>;
  /** Statements written in the same atomic batch as the hold (say, its request's Idempotency-Key record). */
  with?: readonly InStatement[];
};

/** The pending transfer payer → escrow that a hold is. */
function pendingTransferOf(request: HoldRequest): TransferRequest {
  return {
    type: "pending",
    id: request.holdId,
    debitAccountId: request.payerAccountId,
    creditAccountId: escrowAccountId,
    asset: "CC",
    amountMinor: request.amountMinor,
    timeoutMs: request.timeoutMs,
    code: request.code,
    ...(request.metadata === undefined ? {} : { metadata: request.metadata }),
  };
}

/**
 * Places a hold payer → escrow (idempotent by id). A replay of a hold that has since been drawn
 * to nothing, released or expired is refused with CONFLICT: its id belongs to a finished request.
 */
export async function placeHold(
  client: Client,
  request: HoldRequest,
  nowMs: number,
): Promise<Result<HoldInfo>> {
  const written = await createTransfers(client, [pendingTransferOf(request)], { nowMs }, request.with);
  if (!written.ok) return written;
  const record = written.value[0];
  if (record && record.createdAtMs === nowMs) {
    // Written just now (a replay carries its first write's time): the hold is fresh and whole.
    return ok({
      id: record.id,
      remainingMinor: record.amountMinor,
      status: "pending",
      expiresAtMs: record.timeoutAtMs,
    });
  }
  const hold = (await loadHolds(client, [request.holdId])).get(request.holdId);
  if (!hold || !isUsable(hold, nowMs)) {
    return fail(
      "CONFLICT",
      `Hold ${request.holdId} was already used and is ${hold?.status ?? "gone"}: this request was refused before; send a new Idempotency-Key`,
    );
  }
  return ok(hold);
}

/** Most holds written in one ledger batch (a bid group is at most this many bids' holds per write). */
export const holdsPerBatchMax = 100;

/**
 * Places several independent holds, each answered on its own (same order as `requests`): a
 * refusal of one (say, its payer's insufficient funds) never refuses another. The common case is
 * one ledger write for the lot (createTransfers writes a group atomically: all or nothing); when
 * that write is refused or is a replay, each hold is placed on its own — one payer's holds one
 * after another, in order, so which of them fit is decided the same way every time, and the
 * payers side by side. A hold whose write failed is answered DATABASE_UNAVAILABLE
 * when the database could not be reached, INTERNAL otherwise.
 */
export async function placeHolds(
  client: Client,
  requests: readonly HoldRequest[],
  nowMs: number,
): Promise<Result<HoldInfo>[]> {
  if (requests.length === 0) return [];
  if (requests.length > 1 && requests.length <= holdsPerBatchMax) {
    try {
      const written = await createTransfers(
        client,
        requests.map(pendingTransferOf),
        { nowMs },
        requests.flatMap((request) => request.with ?? []),
      );
      // Written just now, all of them (a replay carries its first write's time): fresh and whole.
      if (written.ok && written.value.every((record) => record.createdAtMs === nowMs)) {
        return written.value.map((record) =>
          ok({
            id: record.id,
            remainingMinor: record.amountMinor,
            status: "pending",
            expiresAtMs: record.timeoutAtMs,
          }),
        );
      }
    } catch (error) {
      // Whether the batch was written is unknown: placing each hold on its own finds out (a
      // written hold is answered as the replay it is).
      console.error(JSON.stringify({ level: "error", event: "hold_batch", error: String(error) }));
    }
  }
  const answers: Result<HoldInfo>[] = requests.map(() => fail("INTERNAL", "the hold was not placed"));
  const byPayer = new Map<string, number[]>();
  requests.forEach((request, index) => {
    byPayer.set(request.payerAccountId, [...(byPayer.get(request.payerAccountId) ?? []), index]);
  });
  await Promise.all(
    [...byPayer.values()].map(async (indexes) => {
      for (const index of indexes) {
        try {
          answers[index] = await placeHold(client, requests[index]!, nowMs);
        } catch (error) {
          console.error(JSON.stringify({ level: "error", event: "hold", error: String(error) }));
          answers[index] = writeFailure(error, "the hold could not be placed; retry");
        }
      }
    }),
  );
  return answers;
}

/**
 * Releases what is left of a hold (void_pending, id `void_<holdId>`). A hold that is already
 * drawn to nothing, released or expired counts as released.
 */
export async function releaseHold(client: Client, holdId: string, nowMs: number): Promise<Result<void>> {
  const released = await createTransfers(
    client,
    [{ type: "void_pending", id: `void_${holdId}`, pendingId: holdId, code: "lease_hold_released" }],
    { nowMs },
  );
  if (released.ok) return ok(undefined);
  if (isGone(released)) return ok(undefined);
  return released;
}

/** Whether a failure says the hold is no longer there to draw or release. */
export function isGone(failure: Failure): boolean {
  return (
    failure.code === "PENDING_TRANSFER_ALREADY_RESOLVED" ||
    failure.code === "PENDING_TRANSFER_EXPIRED" ||
    failure.code === "PENDING_TRANSFER_NOT_FOUND"
  );
}
