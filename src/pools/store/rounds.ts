/**
 * The libSQL mirror of exit rounds (`auction_rounds`), so rounds can be listed without waking
 * every Durable Object, and the mirror rows a settlement batch writes (`auction_bids` outcomes,
 * `position_rewards`). The round's object is the single writer of its state; it updates the row
 * at each transition through the statements below, and the flows open and list rounds here.
 */
import type { Client, InStatement, ResultSet, Row } from "@libsql/client";
import { decodeRow } from "../../kit/db/rows";
import * as tables from "../../kit/db/schema";
import { type RoundResultJson, storedResult } from "../core/outcome";
import { type RoundConfig, type RoundState, roundConfigSchema, roundsPageSizeMax } from "../core/round";
import { legId, type SettlementBatch } from "../core/settlement";

/** A round as mirrored in libSQL. */
export type RoundRecord = {
  id: string;
  poolId: string;
  state: RoundState;
  config: RoundConfig;
  opensAtMs: number;
  closesAtMs: number;
  cancellationDeadlineMs: number;
  createdBy: string | null;
  createdAtMs: number;
  clearedAtMs: number | null;
  settledAtMs: number | null;
  result: RoundResultJson | null;
  lastError: string | null;
  /** Bids standing or settled (cancelled ones not counted). */
  bidsCount: number;
};

const roundColumns =
  "r.*, (SELECT count(*) FROM auction_bids b WHERE b.round_id = r.id AND b.status <> 'cancelled') AS bids_count";

function roundFromRow(row: Row): RoundRecord {
  const round = decodeRow(tables.auctionRounds, row);
  return {
    id: round.id,
    poolId: round.poolId,
    state: round.state,
    config: roundConfigSchema.parse(JSON.parse(round.config)),
    opensAtMs: round.opensAtMs,
    closesAtMs: round.closesAtMs,
    cancellationDeadlineMs: round.cancellationDeadlineAtMs,
    createdBy: round.createdBy,
    createdAtMs: round.createdAtMs,
    clearedAtMs: round.clearedAtMs,
    settledAtMs: round.settledAtMs,
    result: round.result === null ? null : storedResult(round.result),
    lastError: round.lastError,
    bidsCount: Number(row.bids_count ?? 0),
  };
}

/** A round as mirrored in libSQL, with its bid count; null if there is no such round. */
export async function getRound(client: Client, id: string): Promise<RoundRecord | null> {
  return roundFrom(await client.execute(roundStatement(id)));
}

/** The read of `getRound`, to batch with others. */
export function roundStatement(id: string): InStatement {
  return { sql: `SELECT ${roundColumns} FROM auction_rounds r WHERE r.id = ?`, args: [id] };
}

/** The round `roundStatement` read, or null. */
export function roundFrom(result: ResultSet | undefined): RoundRecord | null {
  const row = result?.rows[0];
  return row ? roundFromRow(row) : null;
}

/** Whether a round exists (one indexed lookup: the hot path of bids and cancellations). */
export async function roundExists(client: Client, id: string): Promise<boolean> {
  return (await client.execute(roundExistsStatement(id))).rows.length > 0;
}

/** `roundExists` as a statement to batch with other reads (a row when the round exists). */
export function roundExistsStatement(id: string): InStatement {
  return { sql: "SELECT 1 FROM auction_rounds WHERE id = ?", args: [id] };
}

/** One page of rounds, newest first; `cursor` is `<created_at>:<id>` of the previous page's last. */
export async function listRounds(
  client: Client,
  options: { limit: number; cursor: string | null; poolId?: string; state?: RoundState },
): Promise<{ rounds: RoundRecord[]; nextCursor: string | null }> {
  const limit = Math.min(Math.max(1, options.limit), roundsPageSizeMax);
  const [cursorTime, cursorId] = options.cursor ? options.cursor.split(":") : [];
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (cursorTime !== undefined && cursorId !== undefined) {
    where.push("(r.created_at < ? OR (r.created_at = ? AND r.id < ?))");
    args.push(Number(cursorTime), Number(cursorTime), cursorId);
  }
  if (options.poolId) {
    where.push("r.pool_id = ?");
    args.push(options.poolId);
  }
  if (options.state) {
    where.push("r.state = ?");
    args.push(options.state);
  }
  const result = await client.execute({
    sql: `SELECT ${roundColumns} FROM auction_rounds r ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY r.created_at DESC, r.id DESC LIMIT ?`,
    args: [...args, limit + 1],
  });
  const rounds = result.rows.slice(0, limit).map(roundFromRow);
  const last = rounds.at(-1);
  return {
    rounds,
    nextCursor: result.rows.length > limit && last ? `${last.createdAtMs}:${last.id}` : null,
  };
}

/** The write of a new round's row (state `open`), to batch with others. */
export function insertRoundStatement(config: RoundConfig, nowMs: number): InStatement {
  return {
    sql: "INSERT INTO auction_rounds (id, pool_id, state, config, opens_at, closes_at, cancellation_deadline_at, created_by, created_at, updated_at) VALUES (?, ?, 'open', ?, ?, ?, ?, ?, ?, ?)",
    args: [
      config.roundId,
      config.poolId,
      JSON.stringify(config),
      config.opensAtMs,
      config.closesAtMs,
      config.cancellationDeadlineMs,
      config.createdBy,
      nowMs,
      nowMs,
    ],
  };
}

/** The deletion of a round's row its object never took, to batch with others. */
export function deleteUnopenedRoundStatement(roundId: string): InStatement {
  return { sql: "DELETE FROM auction_rounds WHERE id = ? AND state = 'open'", args: [roundId] };
}

// ── the round object's transitions ───────────────────────────────────────────────────────────

/** The close has passed: no more bids. */
export function roundClearingStatement(roundId: string, nowMs: number): InStatement {
  return {
    sql: "UPDATE auction_rounds SET state = 'clearing', updated_at = ? WHERE id = ?",
    args: [nowMs, roundId],
  };
}

/** The last failure of the round's alarm (cut to 500 characters), kept until the next success. */
export function roundErrorStatement(roundId: string, message: string, nowMs: number): InStatement {
  return {
    sql: "UPDATE auction_rounds SET last_error = ?, updated_at = ? WHERE id = ?",
    args: [message.slice(0, 500), nowMs, roundId],
  };
}

/** The round cleared (or went void): its result and totals, settlement under way. */
export function roundClearedStatement(
  roundId: string,
  cleared: { resultText: string | null; filledMinor: bigint; payoutMinor: bigint; marginMinor: bigint },
  nowMs: number,
): InStatement {
  return {
    sql: "UPDATE auction_rounds SET state = 'settling', result = ?, filled_tfp = ?, payout_usdc = ?, margin_usdc = ?, cleared_at = ?, last_error = NULL, updated_at = ? WHERE id = ?",
    args: [
      cleared.resultText,
      cleared.filledMinor,
      cleared.payoutMinor,
      cleared.marginMinor,
      nowMs,
      nowMs,
      roundId,
    ],
  };
}

/** Every batch is written: the round is settled, or void. */
export function roundFinishedStatement(
  roundId: string,
  state: "settled" | "void",
  resultText: string | null,
  nowMs: number,
): InStatement {
  return {
    sql: "UPDATE auction_rounds SET state = ?, result = COALESCE(result, ?), settled_at = ?, last_error = NULL, updated_at = ? WHERE id = ?",
    args: [state, resultText, nowMs, nowMs, roundId],
  };
}

/** The mirror rows of one settlement batch: each bid's outcome, each position's margin credit. */
export function settlementMirrorStatements(
  roundId: string,
  batch: SettlementBatch,
  nowMs: number,
): InStatement[] {
  return [
    ...batch.bids.map((bid) => ({
      sql: "UPDATE auction_bids SET status = ?, accepted = ?, payout = ?, updated_at = ? WHERE id = ?",
      args: [bid.status, BigInt(bid.acceptedMinor), BigInt(bid.payoutMinor), nowMs, bid.bidId],
    })),
    ...batch.rewards.map((reward) => ({
      sql: "INSERT INTO position_rewards (round_id, position_id, amount, transfer_id, created_at) VALUES (?, ?, ?, ?, ?)",
      args: [
        roundId,
        reward.positionId,
        BigInt(reward.amountMinor),
        legId(roundId, reward.positionId, "margin"),
        nowMs,
      ],
    })),
  ];
}
