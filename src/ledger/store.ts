/**
 * The ledger service: the only code that writes transfers.
 *
 * A call takes a linked group of transfer requests and writes them in one atomic libSQL
 * batch: all apply or none. The group is first planned by the pure domain (src/ledger/core/transfers.ts)
 * for clear errors; the database triggers then enforce the same rules under concurrency, so two
 * racing debits can never overdraw an account. Transfer ids are chosen by the caller: a retry
 * with the same content returns the first result, other content is IDEMPOTENCY_CONFLICT.
 */
import type { Client, InStatement, ResultSet, Row } from "@libsql/client";
import { now } from "../kit/clock";
import { decodeColumns, decodeRow } from "../kit/db/rows";
import * as tables from "../kit/db/schema";
import { invariant } from "../kit/errors";
import { sha256HexSync } from "../kit/ids";
import { fail, ok, type Result } from "../kit/result";
import {
  type AccountState,
  type HoldState,
  type PlannedTransfer,
  planTransfers,
  type TransferRequest,
  transferFingerprintText,
} from "./core/transfers";
import { ledgerFailure } from "./errors";

export type TransferRecord = PlannedTransfer & { seq: bigint; createdAtMs: number; linkId: string | null };

/** A transfer as it will be written, before the database numbers it (`seq`). */
export type UnnumberedTransfer = Omit<TransferRecord, "seq">;

export type TransferOptions = {
  nowMs?: number;
  /** Shared by every transfer of the group, for audit. Defaults to the first transfer's id. */
  linkId?: string;
  /** The holds the group touches, already read (`transferHoldsStatement`): saves a round trip. */
  holds?: Map<string, HoldState>;
};

/** Reads a transfer row (every column of `transfers`) into a record. */
export function transferFromRow(row: Row): TransferRecord {
  const { fingerprint: _fingerprint, flags, metadata, seq, ...transfer } = decodeRow(tables.transfers, row);
  return {
    ...transfer,
    seq: BigInt(seq),
    final: (flags & tables.transferFlags.finalPost) !== 0,
    metadata: metadata === null ? null : (JSON.parse(metadata) as Record<string, unknown>),
  };
}

const accountStateColumns = [
  "id",
  "asset",
  "flags",
  "debitsPendingMinor",
  "debitsPostedMinor",
  "creditsPendingMinor",
  "creditsPostedMinor",
] as const;

/** Reads an account row (at least the columns of its state) into the domain's account state. */
export function accountStateFromRow(row: Row): AccountState {
  const account = decodeColumns(tables.accounts, row, accountStateColumns);
  return {
    id: account.id,
    asset: account.asset,
    debitsMustNotExceedCredits: (account.flags & tables.accountFlags.debitsMustNotExceedCredits) !== 0,
    closed: (account.flags & tables.accountFlags.closed) !== 0,
    debitsPendingMinor: account.debitsPendingMinor,
    debitsPostedMinor: account.debitsPostedMinor,
    creditsPendingMinor: account.creditsPendingMinor,
    creditsPostedMinor: account.creditsPostedMinor,
  };
}

function holdFromRow(row: Row): HoldState {
  const { updatedAtMs: _updatedAtMs, ...hold } = decodeRow(tables.holds, row);
  return hold;
}

function placeholders(count: number): string {
  return Array.from({ length: count }, () => "?").join(", ");
}

function fingerprints(requests: readonly TransferRequest[]): string[] {
  return requests.map((request) => sha256HexSync(transferFingerprintText(request)));
}

/**
 * If any of the group's ids already exist: a replay of the same group returns its records;
 * anything else is IDEMPOTENCY_CONFLICT. Returns null when none exist.
 */
async function replayOf(
  client: Client,
  requests: readonly TransferRequest[],
  prints: readonly string[],
): Promise<Result<TransferRecord[]> | null> {
  const ids = requests.map((request) => request.id);
  const existing = await client.execute({
    sql: `SELECT * FROM transfers WHERE id IN (${placeholders(ids.length)})`,
    args: ids,
  });
  if (existing.rows.length === 0) return null;
  const byId = new Map(existing.rows.map((row) => [String(row.id), row]));
  const sameContent =
    existing.rows.length === ids.length &&
    ids.every((id, index) => byId.get(id)?.fingerprint === prints[index]);
  if (!sameContent) {
    const clash = ids.find((id) => byId.has(id)) ?? ids[0];
    return fail(
      "IDEMPOTENCY_CONFLICT",
      `Transfer id ${clash} was already used for a different transfer or group`,
      "transfers/id",
    );
  }
  return ok(ids.map((id) => transferFromRow(byId.get(id)!)));
}

async function loadHolds(
  client: Client,
  requests: readonly TransferRequest[],
): Promise<Map<string, HoldState>> {
  const statement = transferHoldsStatement(requests);
  return statement === null ? new Map() : transferHoldsFrom(await client.execute(statement));
}

/**
 * The read of the holds a group of requests posts or voids (null when it touches none), for a
 * caller that sends it with its own first reads and hands `transferHoldsFrom`'s answer to
 * `createTransfers` (`TransferOptions.holds`).
 */
export function transferHoldsStatement(requests: readonly TransferRequest[]): InStatement | null {
  const holdIds = [
    ...new Set(requests.flatMap((request) => ("pendingId" in request ? [request.pendingId] : []))),
  ];
  return holdIds.length === 0 ? null : holdStatesStatement(holdIds);
}

/** The read of holds by id (at most a few: one statement), decoded by `transferHoldsFrom`. */
export function holdStatesStatement(holdIds: readonly string[]): InStatement {
  return { sql: `SELECT * FROM holds WHERE id IN (${placeholders(holdIds.length)})`, args: [...holdIds] };
}

/** The holds `transferHoldsStatement` read, by id. */
export function transferHoldsFrom(result: ResultSet | undefined): Map<string, HoldState> {
  const holds = new Map<string, HoldState>();
  for (const row of result?.rows ?? []) holds.set(String(row.id), holdFromRow(row));
  return holds;
}

/** Loads the accounts and holds a group of requests touches. */
async function loadState(
  client: Client,
  requests: readonly TransferRequest[],
): Promise<{ accounts: Map<string, AccountState>; holds: Map<string, HoldState> }> {
  const holds = await loadHolds(client, requests);
  const accountIds = new Set<string>();
  for (const request of requests) {
    if ("debitAccountId" in request) {
      accountIds.add(request.debitAccountId);
      accountIds.add(request.creditAccountId);
    }
  }
  for (const held of holds.values()) {
    accountIds.add(held.debitAccountId);
    accountIds.add(held.creditAccountId);
  }
  const accounts = new Map<string, AccountState>();
  if (accountIds.size > 0) {
    const rows = await client.execute({
      sql: `SELECT id, asset, flags, debits_pending, debits_posted, credits_pending, credits_posted FROM accounts WHERE id IN (${placeholders(accountIds.size)})`,
      args: [...accountIds],
    });
    for (const row of rows.rows) accounts.set(String(row.id), accountStateFromRow(row));
  }
  return { accounts, holds };
}

/** Rows per multi-row INSERT: keeps bound parameters (14 per row) far below SQLite's limit. */
export const transferRowsPerInsertMax = 100;

const insertColumns =
  "id, type, debit_account_id, credit_account_id, asset, amount, pending_id, timeout_at, flags, code, metadata, link_id, fingerprint, created_at";
const rowPlaceholders = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/** The bound values of one transfer row, in `insertColumns` order. */
export function transferRowArgs(
  transfer: PlannedTransfer,
  fingerprint: string,
  linkId: string | null,
  nowMs: number,
) {
  return [
    transfer.id,
    transfer.type,
    transfer.debitAccountId,
    transfer.creditAccountId,
    transfer.asset,
    transfer.amountMinor,
    transfer.pendingId,
    transfer.timeoutAtMs,
    transfer.final ? 1 : 0,
    transfer.code,
    transfer.metadata === null ? null : JSON.stringify(transfer.metadata),
    linkId,
    fingerprint,
    nowMs,
  ];
}

/**
 * The INSERTs for a planned group, `transferRowsPerInsertMax` rows each, returning each row's
 * `seq`; the triggers apply every row in order. Multi-row statements matter: preparing an INSERT
 * compiles the ledger's triggers, so one statement per row would spend most of its time there.
 * `table` exists for the benchmark's trigger-less twin table.
 */
export function insertStatements(
  planned: readonly PlannedTransfer[],
  fingerprints: readonly string[],
  linkId: string | null,
  nowMs: number,
  table = "transfers",
): InStatement[] {
  const statements: InStatement[] = [];
  for (let start = 0; start < planned.length; start += transferRowsPerInsertMax) {
    const rows = planned.slice(start, start + transferRowsPerInsertMax);
    statements.push({
      sql: `INSERT INTO ${table} (${insertColumns}) VALUES ${rows.map(() => rowPlaceholders).join(", ")} RETURNING seq, id`,
      args: rows.flatMap((transfer, index) =>
        transferRowArgs(transfer, fingerprints[start + index]!, linkId, nowMs),
      ),
    });
  }
  return statements;
}

/**
 * Writes a linked group of transfers atomically, with `extra` statements (e.g. a webhook's
 * event id, a lease's state) in the same write so their effect and their record cannot part;
 * `extra` may be made from the transfers as they will be written (e.g. a response that shows
 * them, stored for Idempotency-Key replay). Returns the written (or, for a replay, the first)
 * transfer records.
 *
 * The happy path is one round trip: shapes and holds are checked here, and the database checks
 * accounts and funds as it writes. Only when the write is refused is the group planned in full
 * against the accounts' current state, to say precisely which transfer and field failed.
 */
export async function createTransfers(
  client: Client,
  requests: readonly TransferRequest[],
  options: TransferOptions = {},
  extra: readonly InStatement[] | ((transfers: readonly UnnumberedTransfer[]) => InStatement[]) = [],
): Promise<Result<TransferRecord[]>> {
  const nowMs = options.nowMs ?? now();
  const prints = fingerprints(requests);
  const holds = options.holds ?? (await loadHolds(client, requests));
  const quick = planTransfers(requests, null, holds, nowMs);
  if (!quick.ok) {
    // A request refused for the state of its hold may be the replay of the one that changed it.
    const replay = quick.code === "VALIDATION_FAILED" ? null : await replayOf(client, requests, prints);
    return replay ?? quick;
  }
  const linkId = requests.length > 1 ? (options.linkId ?? requests[0]!.id) : (options.linkId ?? null);
  const planned = quick.value.planned;
  const statements = insertStatements(planned, prints, linkId, nowMs);
  const extras =
    typeof extra === "function"
      ? extra(planned.map((transfer) => ({ ...transfer, createdAtMs: nowMs, linkId })))
      : extra;
  let results: Awaited<ReturnType<Client["batch"]>>;
  try {
    results = await client.batch([...statements, ...extras], "write");
  } catch (error) {
    const failure = ledgerFailure(error);
    if (failure.code === "INTERNAL") throw error;
    const replay = await replayOf(client, requests, prints);
    if (replay) return replay;
    const state = await loadState(client, requests);
    const full = planTransfers(requests, state.accounts, state.holds, nowMs);
    if (!full.ok) return full;
    // Holds read before this call may have changed since: once more, reading them itself.
    if (options.holds !== undefined) {
      const { holds: _stale, ...fresh } = options;
      return createTransfers(client, requests, fresh, extra);
    }
    return failure;
  }
  const seqById = new Map<string, bigint>();
  for (const result of results.slice(0, statements.length)) {
    for (const row of result.rows) seqById.set(String(row.id), BigInt(row.seq as bigint));
  }
  return ok(
    planned.map((transfer) => {
      const seq = seqById.get(transfer.id);
      invariant(seq !== undefined, "every inserted transfer returns its seq");
      return { ...transfer, seq, createdAtMs: nowMs, linkId };
    }),
  );
}

/** Voids every pending transfer whose timeout has passed (idempotent; safe to run from any cron). */
export async function expireHolds(client: Client, nowMs: number, limit = 500): Promise<number> {
  const due = await client.execute({
    sql: "SELECT id FROM holds WHERE status = 'pending' AND expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at LIMIT ?",
    args: [nowMs, limit],
  });
  let expired = 0;
  for (const row of due.rows) {
    const holdId = String(row.id);
    const result = await createTransfers(
      client,
      [{ type: "void_pending", id: `expire_${holdId}`, pendingId: holdId, code: "hold_expired" }],
      { nowMs },
    );
    if (result.ok) expired++;
  }
  return expired;
}
