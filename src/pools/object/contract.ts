/**
 * The exit-auction round's RPC contract: the schemas its methods parse their argument with and the
 * views it answers. Kept apart from the Durable Object class so routes, tools and tests use the types
 * without the Workers runtime.
 */
import { z } from "zod";
import { recordedResponseSchema } from "../../kit/db/idempotency";
import { accountIdSchema } from "../../kit/ids";
import { formatAmount } from "../../ledger/core/money";
import { holdStateSchema } from "../../ledger/core/transfers";
import { isValidPrice } from "../core/auction/clearing";
import type { RoundResultJson } from "../core/outcome";
import type { RoundState } from "../core/round";

export { type RoundConfig, roundConfigSchema } from "../core/round";

/**
 * Status of a bid inside the object. A bid whose hold the ledger refused is deleted, so a retry
 * with the same Idempotency-Key places it afresh and a refusal leaves nothing behind.
 */
export type BidStatus = "placing" | "held" | "cancelling" | "cancelled";

/** A bid as the object reports it (amounts in TFP minor units, as strings). */
export type BidView = {
  id: string;
  roundId: string;
  ownerId: string;
  accountId: string;
  payoutAccountId: string;
  amountMinor: string;
  minPrice: string;
  submitSeq: number;
  status: BidStatus;
  holdId: string;
  placedAtMs: number;
};

/** A bid as the API answers it (the route's and the stored Idempotency-Key response). */
export function bidJson(bid: BidView) {
  return {
    id: bid.id,
    roundId: bid.roundId,
    ownerId: bid.ownerId,
    accountId: bid.accountId,
    payoutAccountId: bid.payoutAccountId,
    amount: formatAmount("TFP", BigInt(bid.amountMinor)),
    minPrice: bid.minPrice,
    submitSeq: bid.submitSeq,
    status: bid.status,
    holdId: bid.holdId,
    placedAt: new Date(bid.placedAtMs).toISOString(),
  };
}

/** A placed bid, and whether its Idempotency-Key record was stored with its hold. */
export type PlacedBid = BidView & { recorded?: true };

/** The round as the object reports it. */
export type RoundStatusView = {
  roundId: string;
  state: RoundState;
  closesAtMs: number;
  cancellationDeadlineMs: number;
  acceptingBids: boolean;
  /** Bids standing (placing or held). */
  bidsCount: number;
  result: RoundResultJson | null;
  lastError: string | null;
  batchesTotal: number;
  batchesDone: number;
};

const bidIdSchema = z.string().regex(/^bid_[A-Za-z0-9]{1,60}$/);
export const ownerSchema = z.string().min(1).max(64);

/** Arguments of `placeBid` (the route has checked that both accounts are the owner's and of the right asset). */
export const placeBidSchema = z.strictObject({
  bidId: bidIdSchema,
  ownerId: ownerSchema,
  accountId: accountIdSchema,
  payoutAccountId: accountIdSchema,
  amountMinor: z.string().regex(/^[1-9][0-9]{0,18}$/, "must be a positive count of minor units"),
  minPrice: z.string().refine(isValidPrice, "must be a price in USDC per TFP (at most 12 decimals)"),
  /** The Idempotency-Key's record, stored with the bid's hold (the body: `bidJson` of the held bid). */
  record: recordedResponseSchema.optional(),
});
export type PlaceBidInput = z.infer<typeof placeBidSchema>;

/** Arguments of `cancelBid`. */
export const cancelBidSchema = z.strictObject({
  bidId: bidIdSchema,
  ownerId: ownerSchema,
  /** Admins may cancel any bid; others only their own. */
  asAdmin: z.boolean(),
  /** The bid's hold as the route read it (saves the object a round trip); absent: read by the object. */
  hold: holdStateSchema.optional(),
});
export type CancelBidInput = z.infer<typeof cancelBidSchema>;
