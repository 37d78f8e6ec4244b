/**
 * Settlement of a cleared exit round through the ledger, in bounded batches that are safe to
 * replay.
 *
 * The plan is computed once, at clearing, and stored by the round's Durable Object; each batch
 * is then written as one linked `createTransfers` group whose ids derive from (round, bid, leg)
 * or (round, position, leg). Replaying a batch, after an alarm retry or a restart between the
 * ledger write and the object's progress record, sends the same ids with the same content, which
 * the ledger answers with the first result: nothing is paid twice.
 *
 * Money flows (accounts of one asset per leg):
 * - accepted bid, `fill`: post_pending of the bid's hold (bidder TFP → pool TFP) for the accepted
 *   amount, final, so the unfilled remainder is released in the same transfer;
 * - accepted bid, `payout`: posted, pool USDC → the bidder's payout USDC account, accepted ×
 *   clearing price rounded down;
 * - bid not accepted (rejected, ineligible, or the round voided), `release`: void_pending of its
 *   hold;
 * - position, `margin`: posted, pool USDC → the position's reward USDC account, its share of the
 *   exit margin (§8.6).
 * The bid mirror (`auction_bids`) and the reward records (`position_rewards`) are written in the
 * same atomic write as their transfers.
 */
import { invariant } from "../../kit/errors";
import type { TransferRequest } from "../../ledger/core/transfers";
import type { RoundOutcome } from "./outcome";

/** Most transfers one settlement batch writes (one linked group; the ledger allows 1,000). */
export const settlementTransfersPerBatchMax = 1_000;
/** Default transfers per batch. */
export const settlementTransfersPerBatchDefault = 200;

/** One bid's settlement: what the ledger does with its hold, and what the mirror records. */
export type BidSettlement = {
  bidId: string;
  holdId: string;
  payoutAccountId: string;
  /** TFP minor units taken from the hold (0: the hold is released whole). */
  acceptedMinor: string;
  /** USDC minor units paid to the bidder. */
  payoutMinor: string;
  status: "filled" | "partial" | "rejected" | "ineligible";
};

/** One position's share of the exit margin. */
export type RewardCredit = {
  positionId: string;
  rewardAccountId: string;
  /** USDC minor units. */
  amountMinor: string;
};

/** A unit of settlement work: written in one atomic ledger write. JSON-safe (amounts as strings). */
export type SettlementBatch = { bids: BidSettlement[]; rewards: RewardCredit[] };

/** What the plan needs to know about each bid besides its fill. */
export type BidLedgerInfo = { holdId: string; payoutAccountId: string };

/** Deterministic transfer id of one leg: `<round>.<bid or position>.<leg>`. */
export function legId(roundId: string, subjectId: string, leg: "hold" | "cancel" | LegName): string {
  return `${roundId}.${subjectId}.${leg}`;
}

type LegName = "fill" | "payout" | "release" | "margin";

function legsOf(bid: BidSettlement): number {
  if (BigInt(bid.acceptedMinor) === 0n) return 1;
  return BigInt(bid.payoutMinor) > 0n ? 2 : 1;
}

/**
 * Splits a cleared round's settlement into batches of at most `transfersPerBatch` transfers,
 * bids in submission order first, then margin credits in position order. A bid's legs never
 * straddle two batches.
 */
export function planSettlement(
  outcome: RoundOutcome,
  bidInfo: ReadonlyMap<string, BidLedgerInfo>,
  rewardAccounts: ReadonlyMap<string, string>,
  transfersPerBatch: number,
): SettlementBatch[] {
  invariant(
    Number.isInteger(transfersPerBatch) &&
      transfersPerBatch >= 2 &&
      transfersPerBatch <= settlementTransfersPerBatchMax,
    "planSettlement: batch size out of range",
  );
  const order = outcome.bids.map((bid, index) => ({ bid, fill: outcome.clearing.fills[index]! }));
  order.sort((left, right) => left.bid.submitSeq - right.bid.submitSeq);
  const bids: BidSettlement[] = order.map(({ bid, fill }) => {
    const info = bidInfo.get(bid.id);
    invariant(info !== undefined, `planSettlement: no ledger info for bid ${bid.id}`);
    return {
      bidId: bid.id,
      holdId: info.holdId,
      payoutAccountId: info.payoutAccountId,
      acceptedMinor: fill.acceptedMinor.toString(),
      payoutMinor: fill.payoutMinor.toString(),
      status: fill.status,
    };
  });
  const rewards: RewardCredit[] = outcome.marginCredits.map((credit) => {
    const account = rewardAccounts.get(credit.positionId);
    invariant(account !== undefined, `planSettlement: no reward account for ${credit.positionId}`);
    return {
      positionId: credit.positionId,
      rewardAccountId: account,
      amountMinor: credit.creditMinor.toString(),
    };
  });
  return packBatches(bids, rewards, transfersPerBatch);
}

/** Settlement of a voided round (no reference price in time): every standing hold released. */
export function planRelease(
  bidInfo: ReadonlyMap<string, BidLedgerInfo>,
  bidOrder: readonly string[],
  transfersPerBatch: number,
): SettlementBatch[] {
  const bids: BidSettlement[] = bidOrder.map((bidId) => {
    const info = bidInfo.get(bidId);
    invariant(info !== undefined, `planRelease: no ledger info for bid ${bidId}`);
    return {
      bidId,
      holdId: info.holdId,
      payoutAccountId: info.payoutAccountId,
      acceptedMinor: "0",
      payoutMinor: "0",
      status: "rejected",
    };
  });
  return packBatches(bids, [], transfersPerBatch);
}

function packBatches(
  bids: readonly BidSettlement[],
  rewards: readonly RewardCredit[],
  transfersPerBatch: number,
): SettlementBatch[] {
  const batches: SettlementBatch[] = [];
  let current: SettlementBatch = { bids: [], rewards: [] };
  let size = 0;
  const room = (legs: number) => {
    if (size + legs > transfersPerBatch) {
      batches.push(current);
      current = { bids: [], rewards: [] };
      size = 0;
    }
    size += legs;
  };
  for (const bid of bids) {
    room(legsOf(bid));
    current.bids.push(bid);
  }
  for (const reward of rewards) {
    room(1);
    current.rewards.push(reward);
  }
  if (size > 0) batches.push(current);
  return batches;
}

/** Accounts a round settles against. */
export type RoundAccounts = { roundId: string; poolUsdcAccountId: string };

/**
 * The ledger requests of one batch (its mirror rows: store/rounds.ts `settlementMirrorStatements`).
 * Content depends only on the batch and the round, never on the time, so a replay is recognised
 * by the ledger.
 */
export function batchRequests(round: RoundAccounts, batch: SettlementBatch): TransferRequest[] {
  const requests: TransferRequest[] = [];
  const metadata = (subject: Record<string, string>) => ({ roundId: round.roundId, ...subject });
  for (const bid of batch.bids) {
    const accepted = BigInt(bid.acceptedMinor);
    const payout = BigInt(bid.payoutMinor);
    if (accepted === 0n) {
      invariant(payout === 0n, "batchWrite: a bid with nothing accepted is paid nothing");
      requests.push({
        type: "void_pending",
        id: legId(round.roundId, bid.bidId, "release"),
        pendingId: bid.holdId,
        code: "auction_bid_released",
        metadata: metadata({ bidId: bid.bidId }),
      });
    } else {
      requests.push({
        type: "post_pending",
        id: legId(round.roundId, bid.bidId, "fill"),
        pendingId: bid.holdId,
        amountMinor: accepted,
        final: true,
        code: "auction_exit_fill",
        metadata: metadata({ bidId: bid.bidId }),
      });
      if (payout > 0n) {
        requests.push({
          type: "posted",
          id: legId(round.roundId, bid.bidId, "payout"),
          debitAccountId: round.poolUsdcAccountId,
          creditAccountId: bid.payoutAccountId,
          asset: "USDC",
          amountMinor: payout,
          code: "auction_exit_payout",
          metadata: metadata({ bidId: bid.bidId }),
        });
      }
    }
  }
  for (const reward of batch.rewards) {
    const id = legId(round.roundId, reward.positionId, "margin");
    requests.push({
      type: "posted",
      id,
      debitAccountId: round.poolUsdcAccountId,
      creditAccountId: reward.rewardAccountId,
      asset: "USDC",
      amountMinor: BigInt(reward.amountMinor),
      code: "auction_exit_margin",
      metadata: metadata({ positionId: reward.positionId }),
    });
  }
  return requests;
}
