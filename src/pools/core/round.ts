/**
 * A round's configuration as its Durable Object stores it: the limits, the exit rules and the
 * reference source, parsed at the object's RPC boundary (pure: zod and the auction core).
 */
import { z } from "zod";
import { dayMs } from "../../kit/clock";
import { isValidPrice } from "./auction/clearing";
import { settlementTransfersPerBatchDefault, settlementTransfersPerBatchMax } from "./settlement";

/** Hard limit of bids one round takes (the domain allows more; this bounds the object's work). */
export const bidsPerRoundLimit = 50_000;
/** Longest round, open to close. */
export const roundDurationMsMax = 31 * dayMs;
/** Shortest round, open to close. */
export const roundDurationMsMin = 1_000;
/** Most rounds listed on one page. */
export const roundsPageSizeMax = 100;
/** Most settlement batches one alarm writes before it hands over to the next alarm. */
export const batchesPerAlarmMax = 100;
/** Longest hold margin after the close, and longest wait for a reference price. */
export const holdMarginMsMax = 30 * dayMs;

/** Default limits and settlement knobs of a round (each overridable per round). */
export const defaultRoundLimits = Object.freeze({
  /** 1 TFP, in TFP minor units. */
  minBidMinor: "10000000",
  bidsPerRoundMax: 10_000,
  bidsPerOwnerMax: 20,
});
export const defaultRoundSettlement = Object.freeze({
  transfersPerBatch: settlementTransfersPerBatchDefault,
  batchesPerAlarm: 10,
  /** Bid holds expire this long after the close: room for settlement to finish first. */
  holdMarginMs: 7 * dayMs,
  /** How long after the close the round waits for a live reference price before it is voided. */
  referenceWaitMs: dayMs,
});

const ratioSchema = z
  .string()
  .regex(/^(0|1)(\.[0-9]{1,18})?$/, "must be a decimal string in [0, 1]")
  .refine((text) => Number(text) <= 1, "must be at most 1");
const minorSchema = z.string().regex(/^(0|[1-9][0-9]{0,18})$/, "must be a count of minor units");
const priceSchema = z.string().refine(isValidPrice, "must be a price in USDC per TFP (at most 12 decimals)");

/** The exit rules (src/pools/core/auction/config.ts) as stored with a round: every field present. */
export const auctionRulesSchema = z.strictObject({
  periodCapRatio: ratioSchema,
  periodCapEnabled: z.boolean(),
  lifetimeCapRatio: ratioSchema,
  lifetimeCapEnabled: z.boolean(),
  lifetimeRule: z.enum(["contributedMinusExited", "remainingTimesRatio"]),
  minDiscount: ratioSchema.nullable(),
  allowPartialFill: z.boolean(),
  tieRule: z.enum(["submissionOrder", "proRata"]),
  // Rounds stored before the rule existed were opened, and keep clearing, with the TFP cap.
  capUnit: z.enum(["usdcAtClearing", "tfpAtCeiling"]).default("tfpAtCeiling"),
  clearingPriceRule: z.enum(["marginalBid", "spendAllowance"]).default("marginalBid"),
});

/** Where a round takes its reference price: the oracle's TFT market price at the close, or a fixed price. */
export const referenceSourceSchema = z.discriminatedUnion("source", [
  z.strictObject({ source: z.literal("oracle") }),
  z.strictObject({ source: z.literal("fixed"), price: priceSchema }),
]);
export type ReferenceSource = z.infer<typeof referenceSourceSchema>;

/** A round's whole configuration: parsed at the Durable Object's RPC boundary, stored as JSON. */
export const roundConfigSchema = z
  .strictObject({
    roundId: z.string().regex(/^auc_[A-Za-z0-9]{1,60}$/),
    poolId: z.string().regex(/^pol_[A-Za-z0-9]{1,60}$/),
    poolUsdcAccountId: z.string().min(1).max(128),
    poolTfpAccountId: z.string().min(1).max(128),
    weightRule: z.enum(["valueTimesTime", "valueOnly"]),
    opensAtMs: z.number().int().nonnegative(),
    closesAtMs: z.number().int().nonnegative(),
    cancellationDeadlineMs: z.number().int().nonnegative(),
    reference: referenceSourceSchema,
    rules: auctionRulesSchema,
    limits: z.strictObject({
      minBidMinor: minorSchema,
      bidsPerRoundMax: z.number().int().min(1).max(bidsPerRoundLimit),
      bidsPerOwnerMax: z.number().int().min(1).max(bidsPerRoundLimit),
    }),
    settlement: z.strictObject({
      transfersPerBatch: z.number().int().min(2).max(settlementTransfersPerBatchMax),
      batchesPerAlarm: z.number().int().min(1).max(batchesPerAlarmMax),
      holdMarginMs: z.number().int().min(60_000).max(holdMarginMsMax),
      referenceWaitMs: z.number().int().min(0).max(holdMarginMsMax),
    }),
    /** The pool's available USDC at open (the period rule's base, §8.3), USDC minor units. */
    periodLiquidityUsdcMinor: minorSchema,
    createdBy: z.string().max(128).nullable(),
  })
  .refine((config) => config.opensAtMs < config.closesAtMs, {
    message: "must close after it opens",
    path: ["closesAtMs"],
  })
  .refine((config) => config.closesAtMs - config.opensAtMs <= roundDurationMsMax, {
    message: "round too long",
    path: ["closesAtMs"],
  })
  .refine(
    (config) =>
      config.cancellationDeadlineMs > config.opensAtMs && config.cancellationDeadlineMs <= config.closesAtMs,
    { message: "must lie after the opening and not after the close", path: ["cancellationDeadlineMs"] },
  )
  .refine((config) => config.settlement.referenceWaitMs < config.settlement.holdMarginMs, {
    message: "the reference wait must end before the holds expire",
    path: ["settlement", "referenceWaitMs"],
  });
export type RoundConfig = z.infer<typeof roundConfigSchema>;

/**
 * Life of a round: `open` (taking bids) → `clearing` (closed, waiting for its ledger writes and a
 * reference price) → `settling` (result published, batches being written) → `settled`; or `void`
 * when no reference price came in time (every hold released, nothing paid).
 */
export const roundStates = ["open", "clearing", "settling", "settled", "void"] as const;
export type RoundState = (typeof roundStates)[number];
