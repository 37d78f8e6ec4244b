/**
 * A bid's money: its TFP hold (pending transfer bidder TFP → pool TFP, expiring `holdMarginMs`
 * after the close) written to the ledger together with its libSQL mirror row, the void of that
 * hold when the bid is cancelled, and the recovery of a bid an instance left half-way. Each runs
 * after the round object took the bid's slot synchronously, concurrently with other bids.
 */
import type { Client, InStatement } from "@libsql/client";
import { now } from "../../kit/clock";
import { idempotencyRecordStatement } from "../../kit/db/idempotency";
import { type Failure, fail, ok, type Result } from "../../kit/result";
import type { HoldState } from "../../ledger/core/transfers";
import { loadHolds } from "../../ledger/holds";
import { createTransfers } from "../../ledger/store";
import type { RoundConfig } from "../core/round";
import { legId } from "../core/settlement";
import { bidCancelledStatement, bidHeldStatement } from "../store/bids";
import { type BidView, bidJson, type PlaceBidInput, type PlacedBid } from "./contract";
import type { BidRow, RoundStorage } from "./round-storage";

/** What the bid writers work with: the object's storage and the database. */
export type RoundContext = { storage: RoundStorage; db: Client };

const bidFields: Record<string, string> = {
  "transfers/0/amount": "amount",
  "transfers/0/debitAccountId": "accountId",
  "transfers/0/asset": "accountId",
};

/** A ledger refusal of a bid's hold, with the field named as the bid's API names it. */
function withBidField(failure: Failure): Failure {
  const field = failure.field === undefined ? undefined : bidFields[failure.field];
  return field === undefined ? failure : { ...failure, field };
}

/**
 * The Idempotency-Key record of a bid being placed: the response of the bid once held. Stored in
 * the hold's batch; should the object stop before marking the bid held, a replay still answers
 * the truth, as the recovery (`recoverBid`) finds the hold and marks it held.
 */
function recordStatements(storage: RoundStorage, input: PlaceBidInput, nowMs: number): InStatement[] {
  const placing = storage.bid(input.bidId);
  if (!input.record || !placing) return [];
  const held: BidView = { ...storage.bidView(placing), status: "held" };
  return [idempotencyRecordStatement(input.record, JSON.stringify(bidJson(held)), nowMs)];
}

/** Writes a bid's hold, its mirror row (and its key's record) in one ledger write; the bid is then `held`, or its slot given back if refused. */
export async function holdBid(
  { storage, db }: RoundContext,
  config: RoundConfig,
  input: PlaceBidInput,
  submitSeq: number,
  nowMs: number,
): Promise<Result<PlacedBid>> {
  const holdId = legId(config.roundId, input.bidId, "hold");
  const amountMinor = BigInt(input.amountMinor);
  const records = recordStatements(storage, input, nowMs);
  let written: Awaited<ReturnType<typeof createTransfers>>;
  try {
    written = await createTransfers(
      db,
      [
        {
          type: "pending",
          id: holdId,
          debitAccountId: input.accountId,
          creditAccountId: config.poolTfpAccountId,
          asset: "TFP",
          amountMinor,
          timeoutMs: config.closesAtMs + config.settlement.holdMarginMs - nowMs,
          code: "auction_bid_hold",
          metadata: { roundId: config.roundId, bidId: input.bidId },
        },
      ],
      { nowMs },
      [
        bidHeldStatement(
          { ...input, id: input.bidId, roundId: config.roundId, amountMinor, submitSeq, holdId },
          nowMs,
        ),
        ...records,
      ],
    );
  } catch (error) {
    storage.deletePlacing(input.bidId);
    throw error;
  }
  if (!written.ok) {
    storage.deletePlacing(input.bidId);
    // Bid ids derive from (owner, Idempotency-Key) alone: the same key racing into another
    // round finds its mirror row taken there. That is another request under the same key.
    if (written.code === "CONFLICT" && written.detail.includes("auction_bids.id")) {
      return fail("IDEMPOTENCY_CONFLICT", "This Idempotency-Key placed a bid in another round");
    }
    return withBidField(written);
  }
  storage.setBidStatus(input.bidId, "held", now());
  const view = storage.bidView(storage.bid(input.bidId)!);
  return ok(records.length > 0 ? { ...view, recorded: true } : view);
}

/** Voids a cancelled bid's hold and marks its mirror row, in one ledger write. */
export async function voidHold(
  { storage, db }: RoundContext,
  config: RoundConfig,
  bid: BidRow,
  nowMs: number,
  hold?: HoldState,
): Promise<Result<BidView>> {
  let written: Awaited<ReturnType<typeof createTransfers>>;
  try {
    written = await createTransfers(
      db,
      [
        {
          type: "void_pending",
          id: legId(config.roundId, bid.id, "cancel"),
          pendingId: legId(config.roundId, bid.id, "hold"),
          code: "auction_bid_cancelled",
          metadata: { roundId: config.roundId, bidId: bid.id },
        },
      ],
      { nowMs, ...(hold === undefined ? {} : { holds: new Map([[hold.id, hold]]) }) },
      [bidCancelledStatement(bid.id, nowMs)],
    );
  } catch (error) {
    storage.setBidStatus(bid.id, "held", now());
    throw error;
  }
  if (!written.ok) {
    storage.setBidStatus(bid.id, "held", now());
    return written;
  }
  storage.setBidStatus(bid.id, "cancelled", now());
  return ok(storage.bidView(storage.bid(bid.id)!));
}

/**
 * Settles a bid left `placing` or `cancelling` by an instance that stopped: a placement whose
 * hold reached the ledger is held, otherwise its slot is given back (an orphan hold written later
 * still expires on its timeout); a cancellation accepted before the deadline is completed.
 */
export async function recoverBid(context: RoundContext, config: RoundConfig, bid: BidRow): Promise<void> {
  const holdId = legId(config.roundId, bid.id, "hold");
  const holdStatus = (await loadHolds(context.db, [holdId])).get(holdId)?.status ?? null;
  const nowMs = now();
  if (bid.status === "placing") {
    if (holdStatus === "pending") context.storage.setBidStatus(bid.id, "held", nowMs);
    else context.storage.deletePlacing(bid.id);
  } else if (bid.status === "cancelling") {
    if (holdStatus === "pending") {
      const done = await voidHold(context, config, bid, nowMs);
      if (!done.ok) throw new Error(`completing the cancellation of ${bid.id}: ${done.code}`);
    } else {
      context.storage.setBidStatus(bid.id, "cancelled", nowMs);
    }
  }
}
