/** Pool and position shapes as the API shows them (amounts as decimal strings in their asset's unit). */
import { z } from "@hono/zod-openapi";
import { formatAmount } from "../../ledger/core/money";
import type { Pool, PoolFiguresRecord, PoolPosition, PositionView } from "../../pools/store/pools";

export const poolIdSchema = z
  .string()
  .regex(/^pol_[A-Za-z0-9]{1,60}$/, "must be a pool id (pol_…)")
  .openapi({ example: "pol_demo" });

export const poolParamsSchema = z.strictObject({
  id: poolIdSchema.openapi({ param: { name: "id", in: "path" } }),
});

export const weightRuleSchema = z.enum(["valueTimesTime", "valueOnly"]).openapi({
  description:
    "How a position's share is weighted (ECONOMICS §9.2): value × seconds in the pool (default), or value alone.",
});

export const poolSummarySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    weightRule: weightRuleSchema,
    accounts: z.object({
      usdc: z.string().openapi({ description: "The pool's USDC ledger account (kind pool)." }),
      tfp: z.string().openapi({ description: "The pool's TFP ledger account (kind pool)." }),
    }),
    createdAt: z.string(),
  })
  .openapi("PoolSummary");

export function poolSummaryJson(pool: Pool): z.infer<typeof poolSummarySchema> {
  return {
    id: pool.id,
    name: pool.name,
    weightRule: pool.weightRule,
    accounts: { usdc: pool.usdcAccountId, tfp: pool.tfpAccountId },
    createdAt: new Date(pool.createdAtMs).toISOString(),
  };
}

export const positionSchema = z
  .object({
    id: z.string().openapi({ example: "pos_0f3cQm2Xr9LtK4pZsWd7Fb" }),
    poolId: z.string(),
    ownerId: z.string(),
    asset: z.enum(["USDC", "TFP"]),
    amount: z.string().openapi({ description: "Contributed amount, in the asset's unit." }),
    value: z.string().openapi({
      description: "Value at contribution in USDC (1 USDC = 1 USD), frozen: positions are never re-priced.",
    }),
    priceUsd: z.string().openapi({ description: "USD per unit of the asset used for the value." }),
    sourceAccountId: z.string(),
    rewardAccountId: z
      .string()
      .openapi({ description: "USDC account receiving this position's exit margins." }),
    transferId: z.string(),
    contributedAt: z.string(),
  })
  .openapi("Position");

export function positionJson(position: PoolPosition): z.infer<typeof positionSchema> {
  return {
    id: position.id,
    poolId: position.poolId,
    ownerId: position.ownerId,
    asset: position.asset,
    amount: formatAmount(position.asset, position.amountMinor),
    value: formatAmount("USDC", position.valueUsdcMinor),
    priceUsd: position.priceUsd,
    sourceAccountId: position.sourceAccountId,
    rewardAccountId: position.rewardAccountId,
    transferId: position.transferId,
    contributedAt: new Date(position.contributedAtMs).toISOString(),
  };
}

export const positionWithShareSchema = positionSchema
  .extend({
    share: z
      .string()
      .openapi({ description: "Current share of distributions (decimal, 18 places; all sum to 1)." }),
    rewards: z.string().openapi({ description: "USDC of exit margin paid to this position so far." }),
  })
  .openapi("PositionWithShare");

export const poolSchema = poolSummarySchema
  .extend({
    liquidity: z.object({
      usdc: z.string().openapi({ description: "Posted USDC balance of the pool." }),
      usdcAvailable: z.string(),
      tfp: z.string().openapi({ description: "Posted TFP balance of the pool." }),
      tfpHeldByBids: z.string().openapi({ description: "TFP held for the pool by standing auction bids." }),
    }),
    totals: z.object({
      contributed: z.string().openapi({ description: "Value (USDC) of every position ever contributed." }),
      exited: z.string().openapi({ description: "USDC ever paid to winners of exit rounds." }),
      exitedTfp: z.string().openapi({ description: "TFP ever bought back by exit rounds." }),
      rewardsPaid: z.string().openapi({ description: "USDC of exit margin ever paid to positions." }),
    }),
    sharesAt: z.string(),
    positions: z.array(positionWithShareSchema),
  })
  .openapi("Pool");

export function poolJson(
  pool: Pool,
  figures: PoolFiguresRecord,
  positions: readonly PositionView[],
  sharesAtMs: number,
): z.infer<typeof poolSchema> {
  return {
    ...poolSummaryJson(pool),
    liquidity: {
      usdc: formatAmount("USDC", figures.usdcPostedMinor),
      usdcAvailable: formatAmount("USDC", figures.usdcAvailableMinor),
      tfp: formatAmount("TFP", figures.tfpPostedMinor),
      tfpHeldByBids: formatAmount("TFP", figures.tfpPendingInMinor),
    },
    totals: {
      contributed: formatAmount("USDC", figures.totalContributedUsdcMinor),
      exited: formatAmount("USDC", figures.totalExitedUsdcMinor),
      exitedTfp: formatAmount("TFP", figures.totalExitedTfpMinor),
      rewardsPaid: formatAmount("USDC", figures.totalRewardsUsdcMinor),
    },
    sharesAt: new Date(sharesAtMs).toISOString(),
    positions: positions.map((position) => ({
      ...positionJson(position),
      share: position.share,
      rewards: formatAmount("USDC", position.rewardsUsdcMinor),
    })),
  };
}
