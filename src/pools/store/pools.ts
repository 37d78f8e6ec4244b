/**
 * Position-based liquidity pools (ECONOMICS §9): the pools, their positions and the rewards
 * credited to them. A pool `pol_…` owns two ledger accounts of kind `pool`, one USDC and one
 * TFP, created with it; every movement in or out is a ledger transfer.
 *
 * Value unit: a position's value is frozen at contribution in USDC minor units (scale 6,
 * 1 USDC = 1 USD): USDC at 1, TFP at the TFT market price in force (1 TFP = 1 TFT, §3.4),
 * rounded down. Positions are never re-priced, carry no LP token and cannot be transferred.
 */
import type { Client, InStatement, ResultSet, Row } from "@libsql/client";
import { now } from "../../kit/clock";
import { type EffectRecord, effectRecordStatements } from "../../kit/db/idempotency";
import { decodeRow } from "../../kit/db/rows";
import * as tables from "../../kit/db/schema";
import { fail, ok, type Result } from "../../kit/result";
import { type AssetCode, convertAmount } from "../../ledger/core/money";
import type { TransferRequest } from "../../ledger/core/transfers";
import { createTransfers } from "../../ledger/store";
import { type PriceInForce, priceInForceFrom, priceInForceStatement } from "../../oracle/prices";
import { type PositionWeightRule, shares } from "../core/shares";

/** Assets a pool takes as contributions. */
export const poolAssets = ["USDC", "TFP"] as const;
export type PoolAsset = (typeof poolAssets)[number];

/** Most positions one pool holds: bounds the share computation and each round's margin legs. */
export const positionsPerPoolLimit = 5_000;
/** Most pools listed on one page. */
export const poolsPageSizeMax = 100;

/** A pool and its two ledger accounts. */
export type Pool = {
  id: string;
  name: string;
  usdcAccountId: string;
  tfpAccountId: string;
  weightRule: PositionWeightRule;
  createdBy: string | null;
  createdAtMs: number;
};

/** One contribution, as recorded (amount in the asset's minor units, value frozen in USDC minor units). */
export type PoolPosition = {
  id: string;
  poolId: string;
  ownerId: string;
  asset: PoolAsset;
  amountMinor: bigint;
  valueUsdcMinor: bigint;
  priceUsd: string;
  priceRoundId: string | null;
  sourceAccountId: string;
  rewardAccountId: string;
  transferId: string;
  contributedAtMs: number;
};

function poolFromRow(row: Row): Pool {
  return decodeRow(tables.pools, row);
}

function positionFromRow(row: Row): PoolPosition {
  return decodeRow(tables.poolPositions, row);
}

/** The ledger account ids of a pool: `acc_<pool id>_usdc` and `acc_<pool id>_tfp`. */
export function poolAccountIds(poolId: string): { usdc: string; tfp: string } {
  return { usdc: `acc_${poolId}_usdc`, tfp: `acc_${poolId}_tfp` };
}

/**
 * Creates a pool and its two accounts in one write, which also reads the pool back (one round
 * trip). Idempotent by id: creating an existing pool with the same name and rule returns it;
 * other content is CONFLICT.
 */
export async function createPool(
  client: Client,
  input: { id: string; name: string; weightRule: PositionWeightRule; createdBy: string | null },
  nowMs = now(),
): Promise<Result<Pool>> {
  const accounts = poolAccountIds(input.id);
  const account = (id: string, asset: AssetCode): InStatement => ({
    sql: "INSERT INTO accounts (id, owner_id, asset, kind, name, flags, created_at) VALUES (?, ?, ?, 'pool', ?, 1, ?)",
    args: [id, input.id, asset, `${input.name} (${asset})`, nowMs],
  });
  let written: ResultSet[];
  try {
    written = await client.batch(
      [
        account(accounts.usdc, "USDC"),
        account(accounts.tfp, "TFP"),
        {
          sql: "INSERT INTO pools (id, name, usdc_account_id, tfp_account_id, weight_rule, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
          args: [input.id, input.name, accounts.usdc, accounts.tfp, input.weightRule, input.createdBy, nowMs],
        },
        poolStatement(input.id),
      ],
      "write",
    );
  } catch (error) {
    // The pool exists (created before, or by a concurrent call): the first one decides.
    if (!String(error).includes("UNIQUE constraint failed")) throw error;
    const existing = await getPool(client, input.id);
    if (!existing) throw error;
    return existing.name === input.name && existing.weightRule === input.weightRule
      ? ok(existing)
      : fail("CONFLICT", `Pool ${input.id} exists with other settings`);
  }
  const pool = poolFrom(written[3]);
  if (!pool) throw new Error("pool missing from its own write");
  return ok(pool);
}

/** A pool by id, or null. */
export async function getPool(client: Client, id: string): Promise<Pool | null> {
  return poolFrom(await client.execute(poolStatement(id)));
}

/** The read of one pool, to batch with other reads. */
export function poolStatement(id: string): InStatement {
  return { sql: "SELECT * FROM pools WHERE id = ?", args: [id] };
}

/** The pool `poolStatement` read, or null. */
export function poolFrom(result: ResultSet | undefined): Pool | null {
  const row = result?.rows[0];
  return row ? poolFromRow(row) : null;
}

/** One page of pools, oldest first; `cursor` is the last id of the previous page. */
export async function listPools(
  client: Client,
  options: { limit: number; cursor: string | null },
): Promise<{ pools: Pool[]; nextCursor: string | null }> {
  const limit = Math.min(Math.max(1, options.limit), poolsPageSizeMax);
  const result = await client.execute({
    sql: "SELECT * FROM pools WHERE id > ? ORDER BY id LIMIT ?",
    args: [options.cursor ?? "", limit + 1],
  });
  const pools = result.rows.slice(0, limit).map(poolFromRow);
  return { pools, nextCursor: result.rows.length > limit ? (pools.at(-1)?.id ?? null) : null };
}

/** Every position of a pool, oldest first (at most `positionsPerPoolLimit`). */
export async function listPositions(client: Client, poolId: string): Promise<PoolPosition[]> {
  const result = await client.execute(positionsWithSharesStatements(poolId)[0]!);
  return result.rows.map(positionFromRow);
}

/** A position by id, or null. */
export async function getPosition(client: Client, id: string): Promise<PoolPosition | null> {
  const result = await client.execute({ sql: "SELECT * FROM pool_positions WHERE id = ?", args: [id] });
  const row = result.rows[0];
  return row ? positionFromRow(row) : null;
}

/** The pool's figures from the ledger and its records, USDC / TFP minor units. */
export type PoolFiguresRecord = {
  usdcPostedMinor: bigint;
  usdcAvailableMinor: bigint;
  tfpPostedMinor: bigint;
  tfpAvailableMinor: bigint;
  /** TFP held by standing bids: pending credits of the pool's TFP account. */
  tfpPendingInMinor: bigint;
  /** Σ value of every position ever contributed (C), USDC minor units. */
  totalContributedUsdcMinor: bigint;
  /** Σ USDC paid to winners of cleared rounds (E), USDC minor units. */
  totalExitedUsdcMinor: bigint;
  /** Σ TFP minor units bought back by cleared rounds. */
  totalExitedTfpMinor: bigint;
  /** Σ USDC minor units of exit margin paid to positions. */
  totalRewardsUsdcMinor: bigint;
  positionsCount: number;
};

/** Reads a pool's balances and lifetime totals in one round trip. */
export async function poolFigures(client: Client, pool: Pool): Promise<PoolFiguresRecord> {
  return poolFiguresFrom(await client.execute(poolFiguresStatement(pool.id)));
}

/** The read of `poolFigures`, to batch with others (the pool's accounts follow from its id). */
export function poolFiguresStatement(poolId: string): InStatement {
  return figuresStatement("SELECT ? AS id", poolId);
}

/** `poolFiguresStatement` for the pool of an exit round, known by the round's id alone. */
export function roundPoolFiguresStatement(roundId: string): InStatement {
  return figuresStatement("SELECT pool_id AS id FROM auction_rounds WHERE id = ?", roundId);
}

/** The read of one pool by the id of one of its exit rounds (`poolFrom` decodes it). */
export function roundPoolStatement(roundId: string): InStatement {
  return {
    sql: "SELECT * FROM pools WHERE id = (SELECT pool_id FROM auction_rounds WHERE id = ?)",
    args: [roundId],
  };
}

/**
 * A pool's figures; `poolIdSql` selects the pool's id (one row, column `id`) from its one
 * argument. The accounts are `poolAccountIds`: `acc_<pool id>_usdc` and `acc_<pool id>_tfp`.
 */
function figuresStatement(poolIdSql: string, arg: string): InStatement {
  return {
    sql: `WITH p AS (${poolIdSql}),
      a AS (SELECT 'acc_' || p.id || '_usdc' AS usdc, 'acc_' || p.id || '_tfp' AS tfp, p.id AS id FROM p)
    SELECT
      (SELECT credits_posted - debits_posted FROM accounts WHERE id = (SELECT usdc FROM a)) AS usdc_posted,
      (SELECT credits_posted - debits_posted - debits_pending FROM accounts WHERE id = (SELECT usdc FROM a)) AS usdc_available,
      (SELECT credits_posted - debits_posted FROM accounts WHERE id = (SELECT tfp FROM a)) AS tfp_posted,
      (SELECT credits_posted - debits_posted - debits_pending FROM accounts WHERE id = (SELECT tfp FROM a)) AS tfp_available,
      (SELECT credits_pending FROM accounts WHERE id = (SELECT tfp FROM a)) AS tfp_pending_in,
      (SELECT COALESCE(SUM(value_usdc), 0) FROM pool_positions WHERE pool_id = (SELECT id FROM a)) AS contributed,
      (SELECT count(*) FROM pool_positions WHERE pool_id = (SELECT id FROM a)) AS positions,
      (SELECT COALESCE(SUM(payout_usdc), 0) FROM auction_rounds WHERE pool_id = (SELECT id FROM a) AND state IN ('settling', 'settled')) AS exited_usdc,
      (SELECT COALESCE(SUM(filled_tfp), 0) FROM auction_rounds WHERE pool_id = (SELECT id FROM a) AND state IN ('settling', 'settled')) AS exited_tfp,
      (SELECT COALESCE(SUM(r.amount), 0) FROM position_rewards r JOIN pool_positions p ON p.id = r.position_id WHERE p.pool_id = (SELECT id FROM a)) AS rewards`,
    args: [arg],
  };
}

/** The figures `poolFiguresStatement` read. */
export function poolFiguresFrom(result: ResultSet | undefined): PoolFiguresRecord {
  const row = result?.rows[0] ?? {};
  const big = (name: string) => BigInt(((row as Record<string, unknown>)[name] ?? 0) as bigint);
  return {
    usdcPostedMinor: big("usdc_posted"),
    usdcAvailableMinor: big("usdc_available"),
    tfpPostedMinor: big("tfp_posted"),
    tfpAvailableMinor: big("tfp_available"),
    tfpPendingInMinor: big("tfp_pending_in"),
    totalContributedUsdcMinor: big("contributed"),
    totalExitedUsdcMinor: big("exited_usdc"),
    totalExitedTfpMinor: big("exited_tfp"),
    totalRewardsUsdcMinor: big("rewards"),
    positionsCount: Number((row as Record<string, unknown>).positions ?? 0),
  };
}

/** A position with its current share (§9.2) and the rewards it has received. */
export type PositionView = PoolPosition & { weight: bigint; share: string; rewardsUsdcMinor: bigint };

/** Every position of a pool with its share at `atMs` under the pool's weight rule. */
export async function positionsWithShares(client: Client, pool: Pool, atMs: number): Promise<PositionView[]> {
  return positionsWithSharesFrom(
    pool,
    await client.batch(positionsWithSharesStatements(pool.id), "read"),
    atMs,
  );
}

/** The reads of `positionsWithShares`: the positions, then their rewards. */
export function positionsWithSharesStatements(poolId: string): InStatement[] {
  return [
    {
      sql: "SELECT * FROM pool_positions WHERE pool_id = ? ORDER BY contributed_at, id LIMIT ?",
      args: [poolId, positionsPerPoolLimit],
    },
    {
      sql: "SELECT r.position_id, SUM(r.amount) AS total FROM position_rewards r JOIN pool_positions p ON p.id = r.position_id WHERE p.pool_id = ? GROUP BY r.position_id",
      args: [poolId],
    },
  ];
}

/** The positions with their shares at `atMs`, from the answers to `positionsWithSharesStatements`. */
export function positionsWithSharesFrom(
  pool: Pool,
  results: readonly ResultSet[],
  atMs: number,
): PositionView[] {
  const positions = (results[0]?.rows ?? []).map(positionFromRow);
  const rewards = new Map(
    (results[1]?.rows ?? []).map((row) => [String(row.position_id), BigInt(row.total as bigint)]),
  );
  const current = shares(
    positions.map((position) => ({
      id: position.id,
      valueMinor: position.valueUsdcMinor,
      contributedAtMs: position.contributedAtMs,
    })),
    atMs,
    pool.weightRule,
  );
  return positions.map((position, index) => ({
    ...position,
    weight: current[index]!.weight,
    share: current[index]!.share,
    rewardsUsdcMinor: rewards.get(position.id) ?? 0n,
  }));
}

/** A pool with its figures and positions, read in one round trip; null without the pool. */
export async function poolWithPositions(
  client: Client,
  poolId: string,
  atMs: number,
): Promise<{ pool: Pool; figures: PoolFiguresRecord; positions: PositionView[] } | null> {
  const [poolRead, figuresRead, ...positionReads] = await client.batch(
    [poolStatement(poolId), poolFiguresStatement(poolId), ...positionsWithSharesStatements(poolId)],
    "read",
  );
  const pool = poolFrom(poolRead);
  if (!pool) return null;
  return {
    pool,
    figures: poolFiguresFrom(figuresRead),
    positions: positionsWithSharesFrom(pool, positionReads, atMs),
  };
}

/** What `contribute` needs; ids derive from the caller's Idempotency-Key so a retry is the same position. */
export type ContributionInput = {
  pool: Pool;
  positionId: string;
  transferId: string;
  ownerId: string;
  asset: PoolAsset;
  amountMinor: bigint;
  sourceAccountId: string;
  rewardAccountId: string;
};

/**
 * The position recorded under `input.positionId`, if the request is the one that recorded it;
 * IDEMPOTENCY_CONFLICT if that id (the caller's Idempotency-Key) recorded another request. Every
 * field the caller chose is compared: the ledger's own check sees only the transfer, not the
 * reward account, and a request that finds the position already written never reaches it.
 */
function replayOf(position: PoolPosition, input: ContributionInput): Result<PoolPosition> {
  const same =
    position.poolId === input.pool.id &&
    position.ownerId === input.ownerId &&
    position.asset === input.asset &&
    position.amountMinor === input.amountMinor &&
    position.sourceAccountId === input.sourceAccountId &&
    position.rewardAccountId === input.rewardAccountId &&
    position.transferId === input.transferId;
  return same
    ? ok(position)
    : fail("IDEMPOTENCY_CONFLICT", "This Idempotency-Key was used for a different contribution");
}

/**
 * Contributes `amountMinor` of `asset` from the owner's account to the pool and records the
 * position, in one atomic ledger write. The value is frozen now: USDC at 1 USD, TFP at the TFT
 * market price in force (ORACLE_HALTED when there is none or it is halted). Idempotent by
 * `transferId`/`positionId`: the same request again returns the position first recorded; another
 * request under the same ids (another amount, asset, pool or account) is IDEMPOTENCY_CONFLICT,
 * also when it races the first one and loses.
 */
export async function contribute(
  client: Client,
  input: ContributionInput,
  nowMs = now(),
): Promise<Result<PoolPosition>> {
  const reads = contributionReads({ poolId: input.pool.id, positionId: input.positionId }, nowMs);
  const facts = contributionFacts(await client.batch(reads, "read"), nowMs);
  return contributeWith(client, input, facts, nowMs);
}

/** What a contribution reads first (to batch with the request's own reads): see `contributionFacts`. */
export function contributionReads(
  input: { poolId: string; positionId: string },
  nowMs: number,
): InStatement[] {
  return [
    { sql: "SELECT * FROM pool_positions WHERE id = ?", args: [input.positionId] },
    { sql: "SELECT count(*) AS positions FROM pool_positions WHERE pool_id = ?", args: [input.poolId] },
    priceInForceStatement("tft", nowMs),
  ];
}

export type ContributionFacts = { replay: PoolPosition | null; positions: number; tft: PriceInForce | null };

/** The answers to `contributionReads`, in its order. */
export function contributionFacts(results: readonly ResultSet[], nowMs: number): ContributionFacts {
  const [replay, count, tft] = results;
  const replayRow = replay?.rows[0];
  return {
    replay: replayRow ? positionFromRow(replayRow) : null,
    positions: Number(count?.rows[0]?.positions ?? 0),
    tft: tft === undefined ? null : priceInForceFrom("tft", tft, nowMs),
  };
}

/** `contribute` with its first reads already made (`contributionReads` → `contributionFacts`). */
export async function contributeWith(
  client: Client,
  input: ContributionInput,
  facts: ContributionFacts,
  nowMs: number,
  record?: EffectRecord<PoolPosition>,
): Promise<Result<PoolPosition & { recorded?: boolean }>> {
  if (facts.replay) return replayOf(facts.replay, input);
  let priceUsd = "1";
  let priceRoundId: string | null = null;
  if (input.asset === "TFP") {
    const price = facts.tft;
    if (!price || price.health === "halted") {
      return fail(
        "ORACLE_HALTED",
        "The TFT price is halted or missing: TFP cannot be valued, so TFP contributions are paused",
      );
    }
    priceUsd = price.priceUsd;
    priceRoundId = price.roundId;
  }
  if (facts.positions >= positionsPerPoolLimit) {
    return fail("LIMIT_REACHED", `A pool holds at most ${positionsPerPoolLimit} positions`);
  }
  const valueUsdcMinor = convertAmount(input.asset, input.amountMinor, "USDC", priceUsd, "down");
  const poolAccount = input.asset === "USDC" ? input.pool.usdcAccountId : input.pool.tfpAccountId;
  const position: PoolPosition = {
    id: input.positionId,
    poolId: input.pool.id,
    ownerId: input.ownerId,
    asset: input.asset,
    amountMinor: input.amountMinor,
    valueUsdcMinor,
    priceUsd,
    priceRoundId,
    sourceAccountId: input.sourceAccountId,
    rewardAccountId: input.rewardAccountId,
    transferId: input.transferId,
    contributedAtMs: nowMs,
  };
  const transfer: TransferRequest = {
    type: "posted",
    id: input.transferId,
    debitAccountId: input.sourceAccountId,
    creditAccountId: poolAccount,
    asset: input.asset,
    amountMinor: input.amountMinor,
    code: "pool_contribution",
    metadata: { poolId: input.pool.id, positionId: input.positionId },
  };
  const records = effectRecordStatements(record, position, nowMs);
  const written = await createTransfers(client, [transfer], { nowMs }, [
    {
      sql: "INSERT INTO pool_positions (id, pool_id, owner_id, asset, amount, value_usdc, price_usd, price_round_id, source_account_id, reward_account_id, transfer_id, contributed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      args: [
        position.id,
        position.poolId,
        position.ownerId,
        position.asset,
        position.amountMinor,
        position.valueUsdcMinor,
        position.priceUsd,
        position.priceRoundId,
        position.sourceAccountId,
        position.rewardAccountId,
        position.transferId,
        nowMs,
      ],
    },
    ...records,
  ]);
  if (!written.ok) {
    // The key was used for another transfer: no field of this body is at fault.
    if (written.code === "IDEMPOTENCY_CONFLICT") {
      return fail("IDEMPOTENCY_CONFLICT", "This Idempotency-Key was used for a different contribution");
    }
    const field =
      written.field === "transfers/0/amount"
        ? "amount"
        : written.field === undefined
          ? undefined
          : "accountId";
    return field === undefined ? written : { ...written, field };
  }
  // Written just now, with the position (and the key's record): the position is the one above.
  if (written.value[0]?.createdAtMs === nowMs) return ok({ ...position, recorded: records.length > 0 });
  // A replayed transfer (same content) may belong to a racing request that chose another reward
  // account: the position written with it decides.
  const stored = await getPosition(client, input.positionId);
  if (!stored) throw new Error("position missing after its transfer was written");
  return replayOf(stored, input);
}
