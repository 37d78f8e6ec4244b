/**
 * The libSQL mirror of auction bids (`auction_bids`), written by each round's Durable Object in
 * the same atomic writes as the bids' holds, cancellations and settlements. Read here to show an
 * owner their own bids; bids stay sealed from everyone else until the round publishes its result.
 */
import type { Client, InStatement, ResultSet } from "@libsql/client";
import { decodeRow } from "../../kit/db/rows";
import * as tables from "../../kit/db/schema";
import { formatAmount } from "../../ledger/core/money";

/** Most bids one owner can have in a round is bounded by the round's limits; this bounds the read. */
export const ownBidsListMax = 1_000;

export type OwnBidJson = {
  id: string;
  roundId: string;
  accountId: string;
  payoutAccountId: string;
  amount: string;
  minPrice: string;
  submitSeq: number;
  status: "held" | "cancelled" | "filled" | "partial" | "rejected" | "ineligible";
  accepted: string | null;
  payout: string | null;
  createdAt: string;
};

/** An owner's bids in a round, in submission order, with their settlement once known. */
export async function ownBids(client: Client, roundId: string, ownerId: string): Promise<OwnBidJson[]> {
  return ownBidsFrom(await client.execute(ownBidsStatement(roundId, ownerId)));
}

/** The read of `ownBids`, to batch with others. */
export function ownBidsStatement(roundId: string, ownerId: string): InStatement {
  return {
    sql: "SELECT * FROM auction_bids WHERE round_id = ? AND owner_id = ? ORDER BY submit_seq LIMIT ?",
    args: [roundId, ownerId, ownBidsListMax],
  };
}

/** The bids `ownBidsStatement` read. */
export function ownBidsFrom(result: ResultSet): OwnBidJson[] {
  return result.rows.map((row) => {
    const bid = decodeRow(tables.auctionBids, row);
    return {
      id: bid.id,
      roundId: bid.roundId,
      accountId: bid.accountId,
      payoutAccountId: bid.payoutAccountId,
      amount: formatAmount("TFP", bid.amountMinor),
      minPrice: bid.minPrice,
      submitSeq: bid.submitSeq,
      status: bid.status,
      accepted: bid.acceptedMinor === null ? null : formatAmount("TFP", bid.acceptedMinor),
      payout: bid.payoutMinor === null ? null : formatAmount("USDC", bid.payoutMinor),
      createdAt: new Date(bid.createdAtMs).toISOString(),
    };
  });
}

/** A bid's mirror row, written in the same ledger write as its hold (status `held`). */
export function bidHeldStatement(
  bid: {
    id: string;
    roundId: string;
    ownerId: string;
    accountId: string;
    payoutAccountId: string;
    amountMinor: bigint;
    minPrice: string;
    submitSeq: number;
    holdId: string;
  },
  nowMs: number,
): InStatement {
  return {
    sql: "INSERT INTO auction_bids (id, round_id, owner_id, account_id, payout_account_id, amount, min_price, submit_seq, hold_id, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'held', ?, ?)",
    args: [
      bid.id,
      bid.roundId,
      bid.ownerId,
      bid.accountId,
      bid.payoutAccountId,
      bid.amountMinor,
      bid.minPrice,
      bid.submitSeq,
      bid.holdId,
      nowMs,
      nowMs,
    ],
  };
}

/** A cancelled bid's mirror row, written in the same ledger write as the void of its hold. */
export function bidCancelledStatement(bidId: string, nowMs: number): InStatement {
  return {
    sql: "UPDATE auction_bids SET status = 'cancelled', updated_at = ? WHERE id = ?",
    args: [nowMs, bidId],
  };
}
