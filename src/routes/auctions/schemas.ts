/** Round, bid and result shapes as the API shows them, and the inputs shared by several routes. */
import { z } from "@hono/zod-openapi";
import { formatAmount } from "../../ledger/core/money";
import { isValidPrice } from "../../pools/core/auction/clearing";
import type { RoundResultJson } from "../../pools/core/outcome";
import type { IndicativeCap, RoundRecord } from "../../pools/flows/auctions";

export { bidJson } from "../../pools/object/contract";

export const roundIdSchema = z
  .string()
  .regex(/^auc_[A-Za-z0-9]{1,60}$/, "must be a round id (auc_…)")
  .openapi({ example: "auc_5b1f0c7Qm2Xr9LtK4pZsWd" });

export const roundParamsSchema = z.strictObject({
  id: roundIdSchema.openapi({ param: { name: "id", in: "path" } }),
});

/** A price in USDC per TFP: a plain decimal with at most 12 decimals, at most 9000. */
export const priceSchema = z
  .string()
  .max(32)
  .refine(isValidPrice, 'must be a price in USDC per TFP such as "0.04" (at most 12 decimals, at most 9000)')
  .openapi({ example: "0.04", description: "USDC per TFP." });

const ratioSchema = z
  .string()
  .regex(/^(0|1)(\.[0-9]{1,18})?$/, "must be a decimal string in [0, 1]")
  .refine((text) => Number(text) <= 1, "must be at most 1");

const capUnitSchema = z.enum(["usdcAtClearing", "tfpAtCeiling"]).openapi({
  description:
    "What the allowance bounds. usdcAtClearing (default): the USDC paid at the clearing price, so a round clearing below the ceiling buys more TFP. tfpAtCeiling: the TFP the allowance buys at the ceiling (§20 Q5 reading).",
});

const clearingPriceRuleSchema = z.enum(["marginalBid", "spendAllowance"]).openapi({
  description:
    "The clearing price when the USDC allowance stops the round between two bid prices. marginalBid (default, §8.5 step 6): the highest accepted minimum price, the rest of the allowance unspent. spendAllowance (EasyAuction): a higher price, below the next unfilled bid and at most the ceiling, that spends the allowance on the same fills.",
});

/** Overrides of the exit rules (ECONOMICS §8.3–8.5, §20 Q1/Q2/Q13); unset fields keep the V1 defaults. */
export const rulesInputSchema = z
  .strictObject({
    periodCapRatio: ratioSchema
      .optional()
      .openapi({ description: "Default 0.05 of the pool's USDC per round." }),
    periodCapEnabled: z.boolean().optional(),
    lifetimeCapRatio: ratioSchema
      .optional()
      .openapi({ description: "Default 0.5 of all value ever contributed." }),
    lifetimeCapEnabled: z.boolean().optional(),
    lifetimeRule: z.enum(["contributedMinusExited", "remainingTimesRatio"]).optional(),
    minDiscount: ratioSchema
      .nullable()
      .optional()
      .openapi({ description: "Default 0.2; null disables the price ceiling (V0)." }),
    allowPartialFill: z
      .boolean()
      .optional()
      .openapi({ description: "Default true; false: whole bids only." }),
    tieRule: z.enum(["submissionOrder", "proRata"]).optional(),
    capUnit: capUnitSchema.optional(),
    clearingPriceRule: clearingPriceRuleSchema.optional(),
  })
  .openapi("AuctionRulesInput");

/** Drops undefined fields, for `exactOptionalPropertyTypes`. */
export function defined<T extends Record<string, unknown>>(
  value: T,
): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}

export const roundResultSchema = z
  .object({
    mode: z.enum(["partialFill", "wholeBid"]),
    tieRule: z.enum(["submissionOrder", "proRata"]),
    referencePrice: z
      .string()
      .nullable()
      .openapi({ description: "USDC per TFP (the TFT market price at close)." }),
    priceCeiling: z
      .string()
      .nullable()
      .openapi({ description: "(1 − minimum discount) × reference; null: none." }),
    cap: z.object({
      unit: capUnitSchema,
      amount: z.string().openapi({
        description:
          "TFP the round could accept at conversionPrice (the clearing price under usdcAtClearing): the USDC allowance converted there, or the solvency limit or given cap if lower.",
      }),
      amountUsdc: z.string().nullable().openapi({
        description:
          "USDC the rules allow the round to pay (the smaller of the lifetime and period allowances); null: no rule limits it, or the cap was given.",
      }),
      binding: z.enum(["lifetime", "period", "none", "solvency", "given"]),
      lifetimeAllowance: z.string().nullable().openapi({ description: "USDC." }),
      periodAllowance: z.string().nullable().openapi({ description: "USDC." }),
      solvencyLimit: z.string().nullable().openapi({ description: "TFP the pool's USDC can pay for." }),
      conversionPrice: z.string().nullable().openapi({
        description:
          "USDC per TFP at which the allowance is expressed in TFP: the clearing price under usdcAtClearing once something cleared, else the ceiling (or the highest bid, or the reference, without one).",
      }),
    }),
    clearingPrice: z
      .string()
      .nullable()
      .openapi({ description: "Uniform price paid, USDC per TFP; null: nothing cleared." }),
    filled: z.string().openapi({ description: "TFP accepted." }),
    payoutTotal: z
      .string()
      .openapi({ description: "USDC paid to winners: Σ accepted × clearing price, each rounded down." }),
    margin: z.object({
      created: z.string().openapi({ description: "USDC: filled × (reference − clearing), rounded down." }),
      distributed: z.string(),
      undistributed: z
        .string()
        .openapi({ description: "USDC kept by the pool (no position to receive it)." }),
      sharesAt: z.string(),
      credits: z.array(z.object({ positionId: z.string(), amount: z.string() })),
    }),
    bids: z.array(
      z.object({
        id: z.string(),
        amount: z.string(),
        minPrice: z.string(),
        submitSeq: z.number().int(),
        accepted: z.string(),
        remainder: z.string(),
        payout: z.string(),
        status: z.enum(["filled", "partial", "rejected", "ineligible"]),
        reason: z.string().nullable(),
      }),
    ),
    supplyCurve: z
      .array(z.object({ price: z.string(), cumulative: z.string() }))
      .openapi({ description: "Eligible TFP offered at each price or lower, ascending (for charts)." }),
  })
  .openapi("AuctionResult");

export const roundSchema = z
  .object({
    id: z.string(),
    poolId: z.string(),
    state: z.enum(["open", "clearing", "settling", "settled", "void"]),
    acceptingBids: z.boolean(),
    opensAt: z.string(),
    closesAt: z.string(),
    cancellationDeadline: z.string(),
    reference: z.object({ source: z.enum(["oracle", "fixed"]), price: z.string().optional() }),
    rules: z.object({
      periodCapRatio: z.string(),
      periodCapEnabled: z.boolean(),
      lifetimeCapRatio: z.string(),
      lifetimeCapEnabled: z.boolean(),
      lifetimeRule: z.enum(["contributedMinusExited", "remainingTimesRatio"]),
      minDiscount: z.string().nullable(),
      allowPartialFill: z.boolean(),
      tieRule: z.enum(["submissionOrder", "proRata"]),
      capUnit: capUnitSchema,
      clearingPriceRule: clearingPriceRuleSchema,
    }),
    limits: z.object({
      minBidAmount: z.string(),
      maxBidsPerRound: z.number().int(),
      maxBidsPerOwner: z.number().int(),
    }),
    periodLiquidity: z.string().openapi({ description: "The pool's available USDC when the round opened." }),
    bidsCount: z
      .number()
      .int()
      .openapi({ description: "Bids placed and not cancelled (the bids themselves are sealed)." }),
    cap: z
      .object({
        amount: z.string().nullable().openapi({
          description:
            "TFP at conversionPrice: before the close, what the allowance buys at the ceiling (or the reference without one), a floor when the round clears lower; null without a reference price.",
        }),
        amountUsdc: z
          .string()
          .nullable()
          .openapi({ description: "USDC the round may pay; null: no rule limits it." }),
        conversionPrice: z.string().nullable().openapi({ description: "USDC per TFP of amount." }),
        referencePrice: z.string().nullable(),
        priceCeiling: z.string().nullable(),
        indicative: z
          .boolean()
          .openapi({ description: "True until the round clears: computed with today's price." }),
      })
      .nullable(),
    result: roundResultSchema.nullable(),
    lastError: z.string().nullable(),
    createdAt: z.string(),
    clearedAt: z.string().nullable(),
    settledAt: z.string().nullable(),
  })
  .openapi("AuctionRound");

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function roundJson(
  round: RoundRecord,
  indicative: IndicativeCap | null,
  nowMs: number,
): z.infer<typeof roundSchema> {
  const { config } = round;
  const result = round.result;
  const cap = result
    ? {
        amount: result.cap.amount,
        amountUsdc: result.cap.amountUsdc,
        conversionPrice: result.cap.conversionPrice,
        referencePrice: result.referencePrice,
        priceCeiling: result.priceCeiling,
        indicative: false,
      }
    : indicative
      ? {
          amount: indicative.amount === null ? null : formatAmount("TFP", BigInt(indicative.amount)),
          amountUsdc:
            indicative.amountUsdc === null ? null : formatAmount("USDC", BigInt(indicative.amountUsdc)),
          conversionPrice: indicative.conversionPrice,
          referencePrice: indicative.referencePrice,
          priceCeiling: indicative.priceCeiling,
          indicative: true,
        }
      : null;
  return {
    id: round.id,
    poolId: round.poolId,
    state: round.state,
    acceptingBids: round.state === "open" && nowMs < round.closesAtMs,
    opensAt: iso(round.opensAtMs)!,
    closesAt: iso(round.closesAtMs)!,
    cancellationDeadline: iso(round.cancellationDeadlineMs)!,
    reference: config.reference,
    rules: config.rules,
    limits: {
      minBidAmount: formatAmount("TFP", BigInt(config.limits.minBidMinor)),
      maxBidsPerRound: config.limits.bidsPerRoundMax,
      maxBidsPerOwner: config.limits.bidsPerOwnerMax,
    },
    periodLiquidity: formatAmount("USDC", BigInt(config.periodLiquidityUsdcMinor)),
    bidsCount: round.bidsCount,
    cap,
    result: result as RoundResultJson | null,
    lastError: round.lastError,
    createdAt: iso(round.createdAtMs)!,
    clearedAt: iso(round.clearedAtMs),
    settledAt: iso(round.settledAtMs),
  };
}

export const bidSchema = z
  .object({
    id: z.string().openapi({ example: "bid_9a0cQm2Xr9LtK4pZsWd7Fb" }),
    roundId: z.string(),
    ownerId: z.string(),
    accountId: z.string(),
    payoutAccountId: z.string(),
    amount: z.string().openapi({ description: "TFP offered." }),
    minPrice: z.string().openapi({ description: "Lowest acceptable price, USDC per TFP." }),
    submitSeq: z.number().int().openapi({ description: "Order of acceptance: breaks ties at equal prices." }),
    status: z.enum(["placing", "held", "cancelling", "cancelled"]),
    holdId: z.string().openapi({ description: "The pending transfer holding the TFP." }),
    placedAt: z.string(),
  })
  .openapi("AuctionBid");
