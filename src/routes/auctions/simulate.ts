import { createRoute, z } from "@hono/zod-openapi";
import { now } from "../../kit/clock";
import { ApiError } from "../../kit/http/errors";
import { anyRole, requireRoles } from "../../kit/http/middleware";
import {
  amountSchema,
  decimalSchema,
  jsonBody,
  jsonResponse,
  minorOf,
  noQuerySchema,
  problemResponses,
} from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { type ExitBid, priceUsdcPerTfpMax } from "../../pools/core/auction/clearing";
import { defaultAuctionRules } from "../../pools/core/auction/config";
import { computeOutcome, outcomeJson } from "../../pools/core/outcome";
import { defined, priceSchema, roundResultSchema, rulesInputSchema } from "./schemas";

/** Most bids one simulation clears (the body limit allows about this many). */
export const simulatedBidsMax = 1_000;

const bodySchema = z
  .strictObject({
    bids: z
      .array(
        z.strictObject({
          id: z
            .string()
            .regex(/^[A-Za-z0-9_.:-]{1,64}$/)
            .optional()
            .openapi({ description: "Default: bid_<index>." }),
          amount: amountSchema.openapi({ description: "TFP offered." }),
          minPrice: priceSchema,
        }),
      )
      .min(1)
      .max(simulatedBidsMax)
      .openapi({ description: "Bids in submission order (their index breaks ties at equal prices)." }),
    cap: amountSchema
      .optional()
      .openapi({ description: "TFP the round may accept; or give `pool` to apply the cap rules." }),
    pool: z
      .strictObject({
        totalContributed: amountSchema.openapi({ description: "USDC value ever contributed (C)." }),
        totalExited: amountSchema.openapi({ description: "USDC ever paid to winners (E)." }),
        usdcLiquidity: amountSchema.openapi({
          description: "The pool's USDC: the period rule's base and the solvency limit.",
        }),
      })
      .optional(),
    referencePrice: decimalSchema
      .optional()
      .openapi({ description: "USDC per TFP: sets the ceiling (with minDiscount) and the margin." }),
    priceCeiling: priceSchema
      .nullable()
      .optional()
      .openapi({ description: "Overrides the ceiling; null: none." }),
    rules: rulesInputSchema.optional(),
  })
  .openapi("AuctionSimulation");

const route = createRoute({
  method: "post",
  path: "/v1/auctions/simulate",
  operationId: "simulateAuction",
  tags: ["auctions"],
  summary:
    "Clear a list of bids with given parameters, moving no money: the same result shape as a round (any role)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles(...anyRole)] as const,
  request: { query: noQuerySchema, body: jsonBody(bodySchema) },
  responses: {
    200: jsonResponse(roundResultSchema, "The result the round would publish"),
    ...problemResponses(401, 403, 413, 415, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const input = c.req.valid("json");
    if (input.cap === undefined && input.pool === undefined) {
      throw new ApiError("VALIDATION_FAILED", "Give a cap, or the pool's figures to compute it", [
        { field: "cap", detail: "required unless pool is given" },
      ]);
    }
    if (input.referencePrice === undefined && input.priceCeiling === undefined) {
      throw new ApiError("VALIDATION_FAILED", "Give a reference price, or a price ceiling", [
        { field: "referencePrice", detail: "required unless priceCeiling is given" },
      ]);
    }
    const reference = input.referencePrice === undefined ? undefined : Number(input.referencePrice);
    if (reference !== undefined && !(reference > 0 && reference <= priceUsdcPerTfpMax)) {
      throw new ApiError("VALIDATION_FAILED", `The reference price must be in (0, ${priceUsdcPerTfpMax}]`, [
        { field: "referencePrice", detail: `must be positive and at most ${priceUsdcPerTfpMax}` },
      ]);
    }
    const seen = new Set<string>();
    const bids: ExitBid[] = input.bids.map((bid, index) => {
      const id = bid.id ?? `bid_${index}`;
      if (seen.has(id)) {
        throw new ApiError("VALIDATION_FAILED", `Bid id ${id} appears twice`, [
          { field: `bids.${index}.id`, detail: "must be unique" },
        ]);
      }
      seen.add(id);
      return {
        id,
        amountMinor: minorOf("TFP", bid.amount, `bids.${index}.amount`),
        minPrice: bid.minPrice,
        submitSeq: index,
      };
    });
    const pool = input.pool;
    const outcome = computeOutcome({
      bids,
      rules: { ...defaultAuctionRules, ...(input.rules === undefined ? {} : defined(input.rules)) },
      referencePrice: input.referencePrice ?? null,
      ...(input.priceCeiling === undefined ? {} : { priceCeilingOverride: input.priceCeiling }),
      pool:
        pool === undefined
          ? null
          : {
              totalContributedUsdcMinor: minorOf("USDC", pool.totalContributed, "pool.totalContributed", {
                allowZero: true,
              }),
              totalExitedUsdcMinor: minorOf("USDC", pool.totalExited, "pool.totalExited", {
                allowZero: true,
              }),
              periodLiquidityUsdcMinor: minorOf("USDC", pool.usdcLiquidity, "pool.usdcLiquidity", {
                allowZero: true,
              }),
              availableUsdcMinor: minorOf("USDC", pool.usdcLiquidity, "pool.usdcLiquidity", {
                allowZero: true,
              }),
            },
      ...(input.cap === undefined
        ? {}
        : { capOverrideMinor: minorOf("TFP", input.cap, "cap", { allowZero: true }) }),
      positions: [],
      weightRule: "valueTimesTime",
      sharesAtMs: now(),
    });
    return c.json(outcomeJson(outcome), 200);
  });
}
