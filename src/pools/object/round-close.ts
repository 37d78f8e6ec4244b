/**
 * The round's close and settlement, run by its alarm. The close reads the reference price and the
 * pool, clears the held bids with `computeOutcome` and stores the plan and the result in one
 * storage transaction (state `settling`); without a reference price in time the round is void and
 * every hold is released. Settlement then writes at most `batchesPerAlarm` batches per alarm,
 * marking each done after the ledger confirms it; transfer ids derive from (round, bid, leg), so a
 * batch replayed after a crash is answered by the ledger with its first result.
 */
import { now } from "../../kit/clock";
import { eventStatements } from "../../kit/db/events";
import { formatAmount } from "../../ledger/core/money";
import { createTransfers } from "../../ledger/store";
import type { ExitBid } from "../core/auction/clearing";
import { computeOutcome, outcomeJson } from "../core/outcome";
import type { RoundConfig } from "../core/round";
import {
  type BidLedgerInfo,
  batchRequests,
  legId,
  planRelease,
  planSettlement,
  type SettlementBatch,
} from "../core/settlement";
import { getPool, listPositions, poolFigures } from "../store/pools";
import { referencePrice } from "../store/reference";
import {
  roundClearedStatement,
  roundErrorStatement,
  roundFinishedStatement,
  settlementMirrorStatements,
} from "../store/rounds";
import type { RoundContext } from "./round-bids";
import type { BidRow } from "./round-storage";

/** Retry delay after the oracle had no reference price yet. */
export const referenceRetryMs = 60_000;

/** What the close decided: a plan to store, or a wait for the reference price. */
type ClosePlan =
  | { kind: "wait"; detail: string }
  | {
      kind: "cleared" | "void";
      batches: SettlementBatch[];
      resultText: string | null;
      totals: { filledMinor: bigint; payoutMinor: bigint; marginMinor: bigint };
    };

const noTotals = { filledMinor: 0n, payoutMinor: 0n, marginMinor: 0n };

/** Clears the held bids against the reference price and the pool's figures as they are now. */
async function clearAgainst(
  { db }: RoundContext,
  config: RoundConfig,
  held: readonly BidRow[],
  bidInfo: Map<string, BidLedgerInfo>,
  price: string,
): Promise<ClosePlan> {
  const pool = await getPool(db, config.poolId);
  if (!pool) throw new Error(`pool ${config.poolId} is missing`);
  const [figures, positions] = await Promise.all([poolFigures(db, pool), listPositions(db, pool.id)]);
  const bids: ExitBid[] = held.map((bid) => ({
    id: bid.id,
    amountMinor: BigInt(bid.amount),
    minPrice: bid.min_price,
    submitSeq: bid.submit_seq,
  }));
  const outcome = computeOutcome({
    bids,
    rules: config.rules,
    referencePrice: price,
    pool: {
      totalContributedUsdcMinor: figures.totalContributedUsdcMinor,
      totalExitedUsdcMinor: figures.totalExitedUsdcMinor,
      periodLiquidityUsdcMinor: BigInt(config.periodLiquidityUsdcMinor),
      availableUsdcMinor: figures.usdcAvailableMinor > 0n ? figures.usdcAvailableMinor : 0n,
    },
    positions: positions.map((position) => ({
      id: position.id,
      valueMinor: position.valueUsdcMinor,
      contributedAtMs: position.contributedAtMs,
    })),
    weightRule: config.weightRule,
    sharesAtMs: config.closesAtMs,
  });
  const rewardAccounts = new Map(positions.map((position) => [position.id, position.rewardAccountId]));
  return {
    kind: "cleared",
    batches: planSettlement(outcome, bidInfo, rewardAccounts, config.settlement.transfersPerBatch),
    resultText: JSON.stringify(outcomeJson(outcome)),
    totals: {
      filledMinor: outcome.clearing.filledMinor,
      payoutMinor: outcome.clearing.payoutTotalMinor,
      marginMinor: outcome.marginCreatedMinor,
    },
  };
}

/** The close's decision for the held bids at `nowMs` (reads the reference price and the pool). */
async function planClose(
  context: RoundContext,
  config: RoundConfig,
  held: readonly BidRow[],
  nowMs: number,
): Promise<ClosePlan> {
  const bidInfo = new Map<string, BidLedgerInfo>(
    held.map((bid) => [
      bid.id,
      { holdId: legId(config.roundId, bid.id, "hold"), payoutAccountId: bid.payout_account_id },
    ]),
  );
  // The reference price in force at the close; if none was, the first one after it.
  let reference = await referencePrice(context.db, config.reference, config.closesAtMs);
  if (!reference.ok) reference = await referencePrice(context.db, config.reference, nowMs);
  if (reference.ok) return clearAgainst(context, config, held, bidInfo, reference.value.price);
  if (nowMs < config.closesAtMs + config.settlement.referenceWaitMs) {
    return { kind: "wait", detail: reference.detail };
  }
  // No reference price in time: the round is void and every hold is released.
  const release = planRelease(
    bidInfo,
    held.map((bid) => bid.id),
    config.settlement.transfersPerBatch,
  );
  return { kind: "void", batches: release, resultText: null, totals: noTotals };
}

/**
 * Clears the round (its held bids, every placement and cancellation already settled) and stores
 * the plan; returns the time to try again when it must wait for a reference price, else null.
 */
export async function closeRound(context: RoundContext, config: RoundConfig): Promise<number | null> {
  const nowMs = now();
  const plan = await planClose(context, config, context.storage.bidsWith("held"), nowMs);
  if (plan.kind === "wait") {
    context.storage.recordError(plan.detail, nowMs);
    await context.db.execute(roundErrorStatement(config.roundId, plan.detail, nowMs));
    return nowMs + referenceRetryMs;
  }
  context.storage.storePlan(plan.batches, plan.kind, plan.resultText, nowMs);
  await context.db.execute(
    roundClearedStatement(config.roundId, { resultText: plan.resultText, ...plan.totals }, nowMs),
  );
  return null;
}

/**
 * The `auction.round_settled` event of each bid of a settlement batch, for the owner of its payout
 * account, in the batch's own ledger write: the bid's fill (TFP taken) and payout (USDC paid).
 */
function roundSettledEvents(roundId: string, batch: SettlementBatch, nowMs: number) {
  return batch.bids.flatMap((bid) =>
    eventStatements(
      {
        sourceId: `${roundId}:${bid.bidId}`,
        type: "auction.round_settled",
        owner: { accountId: bid.payoutAccountId },
        subjectId: bid.bidId,
        atMs: nowMs,
        data: {
          roundId,
          bidId: bid.bidId,
          status: bid.status,
          filledTfp: formatAmount("TFP", BigInt(bid.acceptedMinor)),
          paidUsdc: formatAmount("USDC", BigInt(bid.payoutMinor)),
        },
      },
      nowMs,
    ),
  );
}

/**
 * Writes up to `batchesPerAlarm` batches, each with its mirror rows in one ledger write; finishes
 * the round when none are left. Returns whether batches are left (the alarm runs again at once).
 */
export async function settleSome(context: RoundContext, config: RoundConfig): Promise<boolean> {
  const { storage, db } = context;
  const accounts = { roundId: config.roundId, poolUsdcAccountId: config.poolUsdcAccountId };
  for (const { idx, batch } of storage.pendingBatches(config.settlement.batchesPerAlarm)) {
    const written = await createTransfers(
      db,
      batchRequests(accounts, batch),
      { linkId: `${config.roundId}.batch${idx}` },
      [
        ...settlementMirrorStatements(config.roundId, batch, now()),
        ...roundSettledEvents(config.roundId, batch, now()),
      ],
    );
    if (!written.ok) throw new Error(`settlement batch ${idx}: ${written.code}: ${written.detail}`);
    storage.markBatchDone(idx);
  }
  if (storage.batchesLeft() > 0) return true;
  const row = storage.round()!;
  const finalState = row.outcome === "void" ? "void" : "settled";
  const nowMs = now();
  // The mirror first: if the object stops between the two, the alarm runs again and repeats both.
  await db.execute(roundFinishedStatement(config.roundId, finalState, row.result, nowMs));
  storage.setState(finalState, nowMs);
  return false;
}
