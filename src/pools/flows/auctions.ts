/**
 * Exit-auction rounds (ECONOMICS §8): each round's configuration, opening a round (admin route
 * and cron), and the indicative cap of a round that has not cleared yet. The libSQL mirror of
 * rounds is read and written in store/rounds.ts.
 *
 * The round's Durable Object (src/pools/object/auction-round.ts) is the single writer of its state:
 * it takes bids, clears at the close and settles; this module only writes a round's row when it
 * is opened, and the object updates it at each transition.
 */
import type { Client, InStatement, ResultSet } from "@libsql/client";
import { hourMs, now } from "../../kit/clock";
import { openDatabase } from "../../kit/db/client";
import { type EffectRecord, effectRecordStatements, forgetRecordStatements } from "../../kit/db/idempotency";
import { sha256Hex } from "../../kit/ids";
import { fail, ok, type Result } from "../../kit/result";
import { type PriceInForce, priceInForceFrom, priceInForceStatement } from "../../oracle/prices";
import { roundCap } from "../core/auction/cap";
import { type AuctionRules, defaultAuctionRules } from "../core/auction/config";
import { computeOutcome } from "../core/outcome";
import {
  defaultRoundLimits,
  defaultRoundSettlement,
  type ReferenceSource,
  type RoundConfig,
  roundConfigSchema,
  roundDurationMsMax,
  roundDurationMsMin,
} from "../core/round";
import {
  type Pool,
  type PoolFiguresRecord,
  poolFiguresFrom,
  poolFiguresStatement,
  poolFrom,
  poolStatement,
  roundPoolFiguresStatement,
  roundPoolStatement,
} from "../store/pools";
import { referenceOf } from "../store/reference";
import {
  deleteUnopenedRoundStatement,
  insertRoundStatement,
  type RoundRecord,
  roundExists,
  roundFrom,
  roundStatement,
} from "../store/rounds";

// The round's rules and limits live in its core (core/round.ts), its reference price in the store;
// callers of the flows keep importing them from here.
export * from "../core/round";
export { referencePrice } from "../store/reference";
export { getRound, listRounds, type RoundRecord, roundExists, roundExistsStatement } from "../store/rounds";

/** The caller's input for a new round; everything optional has the spec's default. */
export type OpenRoundInput = {
  roundId: string;
  poolId: string;
  closesAtMs: number;
  cancellationDeadlineMs?: number;
  reference?: ReferenceSource;
  rules?: Partial<AuctionRules>;
  limits?: Partial<RoundConfig["limits"]>;
  settlement?: Partial<RoundConfig["settlement"]>;
  createdBy: string | null;
};

type RoundEnv = Pick<Env, "AUCTION_ROUND">;

/** The Durable Object of a round: one per round, named by the round id. */
export function roundStub(env: RoundEnv, roundId: string) {
  return env.AUCTION_ROUND.get(env.AUCTION_ROUND.idFromName(roundId));
}

/** The configuration `input` asks for, before validation (the pool's accounts and the open-time figures given). */
function configOf(
  input: OpenRoundInput,
  pool: { id: string; usdcAccountId: string; tfpAccountId: string; weightRule: RoundConfig["weightRule"] },
  opensAtMs: number,
  periodLiquidityUsdcMinor: string,
): RoundConfig {
  return {
    roundId: input.roundId,
    poolId: pool.id,
    poolUsdcAccountId: pool.usdcAccountId,
    poolTfpAccountId: pool.tfpAccountId,
    weightRule: pool.weightRule,
    opensAtMs,
    closesAtMs: input.closesAtMs,
    cancellationDeadlineMs: input.cancellationDeadlineMs ?? input.closesAtMs,
    reference: input.reference ?? { source: "oracle" },
    rules: { ...defaultAuctionRules, ...input.rules },
    limits: { ...defaultRoundLimits, ...input.limits },
    settlement: { ...defaultRoundSettlement, ...input.settlement },
    periodLiquidityUsdcMinor,
    createdBy: input.createdBy,
  };
}

/**
 * Whether `input` is the request that opened `existing`: its configuration rebuilt with the
 * figures taken at that opening (time, pool, liquidity) is the stored one.
 */
function opensSameRound(existing: RoundRecord, input: OpenRoundInput): boolean {
  const stored = existing.config;
  const candidate = roundConfigSchema.safeParse(
    configOf(
      input,
      {
        id: input.poolId,
        usdcAccountId: stored.poolUsdcAccountId,
        tfpAccountId: stored.poolTfpAccountId,
        weightRule: stored.weightRule,
      },
      stored.opensAtMs,
      stored.periodLiquidityUsdcMinor,
    ),
  );
  return candidate.success && JSON.stringify(candidate.data) === JSON.stringify(stored);
}

/**
 * Opens a round: writes its row (refused with CONFLICT while the pool has an unsettled round),
 * then hands the configuration to its Durable Object, which schedules the close. Idempotent by
 * round id: the same request again returns the round; another request under the same id (another
 * pool, close, reference or rule) is IDEMPOTENCY_CONFLICT, also when it races the first and loses.
 */
export async function openRound(
  env: RoundEnv,
  client: Client,
  input: OpenRoundInput,
  nowMs = now(),
): Promise<Result<OpenedRound>> {
  const facts = openRoundFacts(await client.batch(openRoundReads(input, nowMs), "read"), nowMs);
  return openRoundWith(env, client, input, facts, nowMs);
}

/** A round just opened (or opened before under the same id) and its indicative cap. */
export type OpenedRound = { round: RoundRecord; cap: IndicativeCap | null; recorded: boolean };

/** What opening a round reads first: the round if it exists, its pool, the pool's figures, the TFT price. */
export type OpenRoundFacts = {
  existing: RoundRecord | null;
  pool: Pool | null;
  figures: PoolFiguresRecord;
  tft: PriceInForce | null;
};

/** The reads of `OpenRoundFacts`, for one batch (with an Idempotency-Key's record: `firstReads`). */
export function openRoundReads(
  input: Pick<OpenRoundInput, "roundId" | "poolId">,
  nowMs: number,
): InStatement[] {
  return [
    roundStatement(input.roundId),
    poolStatement(input.poolId),
    poolFiguresStatement(input.poolId),
    priceInForceStatement("tft", nowMs),
  ];
}

/** The facts from the answers to `openRoundReads`. */
export function openRoundFacts(results: readonly ResultSet[], nowMs: number): OpenRoundFacts {
  return {
    existing: roundFrom(results[0]),
    pool: poolFrom(results[1]),
    figures: poolFiguresFrom(results[2]),
    tft: results[3] === undefined ? null : priceInForceFrom("tft", results[3], nowMs),
  };
}

/**
 * Opens a round from its facts: one write (the round's row, with `record`, the Idempotency-Key's
 * record of the response), then the round's object takes it. If the object refuses or fails, the
 * row and the record are deleted, so the pool is not blocked and a retry runs again.
 */
export async function openRoundWith(
  env: RoundEnv,
  client: Client,
  input: OpenRoundInput,
  facts: OpenRoundFacts,
  nowMs: number,
  record?: EffectRecord<OpenedRound>,
): Promise<Result<OpenedRound>> {
  const existing = facts.existing;
  if (existing) {
    if (!opensSameRound(existing, input)) {
      return fail("IDEMPOTENCY_CONFLICT", "This Idempotency-Key opened a round with other settings");
    }
    const reopened = await roundStub(env, existing.id).open(existing.config);
    return reopened.ok
      ? ok({ round: existing, cap: capOf(existing, facts, nowMs), recorded: false })
      : reopened;
  }
  const pool = facts.pool;
  if (!pool) return fail("NOT_FOUND", `No pool ${input.poolId}`, "poolId");
  const available = facts.figures.usdcAvailableMinor;
  const parsed = roundConfigSchema.safeParse(
    configOf(input, pool, nowMs, (available > 0n ? available : 0n).toString()),
  );
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.map(String).join(".");
    return fail("VALIDATION_FAILED", `${field}: ${issue.message}`, fieldName(field));
  }
  const config = parsed.data;
  const round = openedRecord(config, nowMs);
  const opened = { round, cap: capOf(round, facts, nowMs), recorded: record !== undefined };
  const records = effectRecordStatements(record, opened, nowMs);
  try {
    await client.batch([insertRoundStatement(config, nowMs), ...records], "write");
  } catch (error) {
    const message = String(error);
    // A racing request with the same id may have opened it first (its row also fills the pool's
    // one active slot): answer as a replay, or IDEMPOTENCY_CONFLICT for another body.
    if (message.includes("UNIQUE constraint failed") && (await roundExists(client, config.roundId))) {
      return openRound(env, client, input, nowMs);
    }
    if (message.includes("auction_rounds.pool_id") || message.includes("auction_rounds_one_active")) {
      return fail("CONFLICT", `Pool ${pool.id} already has a round that is not settled`, "poolId");
    }
    throw error;
  }
  const undo = () =>
    client.batch([deleteUnopenedRoundStatement(config.roundId), ...forgetRecordStatements(record)], "write");
  let taken: Awaited<ReturnType<ReturnType<typeof roundStub>["open"]>>;
  try {
    taken = await roundStub(env, config.roundId).open(config);
  } catch (error) {
    // The object never took the round: remove the row so the pool is not blocked.
    await undo();
    throw error;
  }
  if (!taken.ok) {
    await undo();
    return taken;
  }
  return ok(opened);
}

/** The row `insertRoundStatement` writes, as `getRound` would read it. */
function openedRecord(config: RoundConfig, nowMs: number): RoundRecord {
  return {
    id: config.roundId,
    poolId: config.poolId,
    state: "open",
    config,
    opensAtMs: config.opensAtMs,
    closesAtMs: config.closesAtMs,
    cancellationDeadlineMs: config.cancellationDeadlineMs,
    createdBy: config.createdBy,
    createdAtMs: nowMs,
    clearedAtMs: null,
    settledAtMs: null,
    result: null,
    lastError: null,
    bidsCount: 0,
  };
}

function capOf(round: RoundRecord, facts: OpenRoundFacts, nowMs: number): IndicativeCap | null {
  if (round.result !== null || round.state !== "open") return null;
  const reference = referenceOf(round.config.reference, facts.tft);
  return indicativeCapOf(round, facts.pool ? { figures: facts.figures, reference } : null, nowMs);
}

/** API field names for configuration paths (the body nests them the same way, in seconds and ISO times). */
function fieldName(path: string): string {
  if (path === "closesAtMs") return "closesAt";
  if (path === "cancellationDeadlineMs") return "cancellationDeadline";
  if (path.startsWith("limits.minBidMinor")) return "limits.minBidAmount";
  return path;
}

/** The cap a round would have if it cleared now, with today's figures and reference price. */
export type IndicativeCap = {
  /** TFP minor units at `conversionPrice`; null without a reference price. */
  amount: string | null;
  /** USDC minor units the round may pay; null when no rule limits it. */
  amountUsdc: string | null;
  referencePrice: string | null;
  priceCeiling: string | null;
  /** USDC per TFP of `amount`: the ceiling, or the reference when the discount rule is off. */
  conversionPrice: string | null;
};

/**
 * A round and, while it is open and uncleared, its indicative cap, in one round trip: the round,
 * its pool, the pool's figures and the TFT price in force are read in one batch.
 */
export async function roundWithCap(
  client: Client,
  roundId: string,
  nowMs = now(),
): Promise<{ round: RoundRecord; cap: IndicativeCap | null } | null> {
  const [round, pool, figures, tft] = await client.batch(
    [
      roundStatement(roundId),
      roundPoolStatement(roundId),
      roundPoolFiguresStatement(roundId),
      priceInForceStatement("tft", nowMs),
    ],
    "read",
  );
  const record = roundFrom(round);
  if (!record) return null;
  if (record.result !== null || record.state !== "open") return { round: record, cap: null };
  const facts = poolFrom(pool)
    ? {
        figures: poolFiguresFrom(figures),
        reference: referenceOf(record.config.reference, priceInForceFrom("tft", tft!, nowMs)),
      }
    : null;
  return { round: record, cap: indicativeCapOf(record, facts, nowMs) };
}

/**
 * The cap of a round that has not cleared, computed as at the close but with the current pool
 * figures and reference price (§8.3, §8.4); `facts` null: no pool. The USDC allowance is known
 * from the pool alone; its TFP figure needs a price: the ceiling, or the reference itself when
 * the discount rule is off (the round will buy at most that much if it clears there; more when it
 * clears lower). Without a live reference price only the USDC allowance is given.
 */
function indicativeCapOf(
  round: RoundRecord,
  facts: { figures: PoolFiguresRecord; reference: Result<{ price: string }> } | null,
  nowMs: number,
): IndicativeCap {
  const config = round.config;
  const none = {
    amount: null,
    amountUsdc: null,
    referencePrice: null,
    priceCeiling: null,
    conversionPrice: null,
  };
  if (!facts) return none;
  const { figures, reference } = facts;
  const poolFiguresUsdc = {
    totalContributedUsdcMinor: figures.totalContributedUsdcMinor,
    totalExitedUsdcMinor: figures.totalExitedUsdcMinor,
    periodLiquidityUsdcMinor: BigInt(config.periodLiquidityUsdcMinor),
    availableUsdcMinor: figures.usdcAvailableMinor > 0n ? figures.usdcAvailableMinor : 0n,
  };
  if (!reference.ok) {
    const rules = config.rules;
    const allowance = roundCap({
      totalContributedMinor: poolFiguresUsdc.totalContributedUsdcMinor,
      totalExitedMinor: poolFiguresUsdc.totalExitedUsdcMinor,
      poolLiquidityMinor: poolFiguresUsdc.periodLiquidityUsdcMinor,
      lifetimeCapRatio: rules.lifetimeCapRatio,
      periodCapRatio: rules.periodCapRatio,
      lifetimeRule: rules.lifetimeRule,
      lifetimeCapEnabled: rules.lifetimeCapEnabled,
      periodCapEnabled: rules.periodCapEnabled,
    });
    return { ...none, amountUsdc: allowance.binding === "none" ? null : allowance.capMinor.toString() };
  }
  const outcome = computeOutcome({
    bids: [],
    rules: config.rules,
    referencePrice: reference.value.price,
    pool: poolFiguresUsdc,
    positions: [],
    weightRule: config.weightRule,
    sharesAtMs: nowMs,
  });
  return {
    amount: outcome.cap.capMinor.toString(),
    amountUsdc: outcome.cap.capUsdcMinor === null ? null : outcome.cap.capUsdcMinor.toString(),
    referencePrice: reference.value.price,
    priceCeiling: outcome.priceCeiling,
    conversionPrice: outcome.cap.conversionPrice,
  };
}

/** Configuration of automatic rounds, from the Worker's variables. */
export type CadenceEnv = RoundEnv & {
  LIBSQL_URL: string;
  LIBSQL_AUTH_TOKEN?: string;
  AUCTION_CADENCE_HOURS?: string;
};

/** Most pools the cron looks at per run. */
export const scheduledPoolsPerRunMax = 100;

/**
 * Opens the next automatic round of every pool, at the cadence `AUCTION_CADENCE_HOURS` (0 or
 * unset: off). A pool gets a round when it has no unsettled round and its last round opened at
 * least one cadence ago; the round closes one cadence later, cancellations end at
 * `min(1 h, cadence / 2)` before the close, and the rules are the defaults with the oracle's
 * reference price. Round ids derive from (pool, period), so a cron that runs twice in one period
 * opens nothing twice. Called by the Worker's scheduled handler; returns the ids it opened.
 */
export async function openScheduledRounds(
  env: CadenceEnv,
  nowMs: number,
  client?: Client,
): Promise<string[]> {
  const cadenceHours = Number(env.AUCTION_CADENCE_HOURS ?? "0");
  if (!Number.isFinite(cadenceHours) || cadenceHours <= 0) return [];
  const cadenceMs = Math.round(cadenceHours * hourMs);
  if (cadenceMs < roundDurationMsMin || cadenceMs > roundDurationMsMax) return [];
  const db = client ?? openDatabase(env);
  const due = await db.execute({
    sql: `SELECT p.id FROM pools p
          WHERE NOT EXISTS (SELECT 1 FROM auction_rounds r WHERE r.pool_id = p.id AND (r.state IN ('open', 'clearing', 'settling') OR r.created_at > ?))
          ORDER BY p.id LIMIT ?`,
    args: [nowMs - cadenceMs, scheduledPoolsPerRunMax],
  });
  const opened: string[] = [];
  const period = Math.floor(nowMs / cadenceMs);
  for (const row of due.rows) {
    const poolId = String(row.id);
    const roundId = `auc_${(await sha256Hex(`${poolId}\n${cadenceMs}\n${period}`)).slice(0, 32)}`;
    const closesAtMs = nowMs + cadenceMs;
    const result = await openRound(
      env,
      db,
      {
        roundId,
        poolId,
        closesAtMs,
        cancellationDeadlineMs: closesAtMs - Math.min(hourMs, Math.floor(cadenceMs / 2)),
        createdBy: "cron",
      },
      nowMs,
    );
    if (result.ok) opened.push(roundId);
    else
      console.warn(JSON.stringify({ level: "warn", scheduledRound: roundId, poolId, refused: result.code }));
  }
  return opened;
}
