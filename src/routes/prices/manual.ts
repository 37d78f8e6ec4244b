import { createRoute, z } from "@hono/zod-openapi";
import { dayMs, now } from "../../kit/clock";
import { ApiError } from "../../kit/http/errors";
import { requireRoles } from "../../kit/http/middleware";
import {
  decimalSchema,
  jsonBody,
  jsonResponse,
  noQuerySchema,
  problemResponses,
  textField,
} from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { Dec } from "../../ledger/core/money";
import { goldAggregationRules, tftAggregationRules } from "../../oracle/core/aggregate";
import { recordRound } from "../../oracle/prices";
import { getRound } from "../../oracle/rounds";
import { roundJson, roundSchema } from "./schemas";

/** Longest a manual price may stay in force: 7 days. */
export const manualPriceDurationMsMax = 7 * dayMs;

const bodySchema = z.strictObject({
  kind: z.enum(["gold", "tft"]),
  priceUsd: decimalSchema.openapi({
    example: "128.05",
    description: "USD per gram (gold) or per token (TFT).",
  }),
  reason: textField({ minChars: 3, maxChars: 500, trim: true }).openapi({
    example: "All gold sources down since 14:05 UTC",
  }),
  expiresAt: z.iso.datetime({ offset: true }).openapi({ description: "At most 7 days ahead." }),
});

const route = createRoute({
  method: "post",
  path: "/v1/prices/manual",
  operationId: "setManualPrice",
  tags: ["prices"],
  summary: "Set a manual price with a reason and an expiry, recorded as a round (admin)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("admin")] as const,
  request: { query: noQuerySchema, body: jsonBody(bodySchema) },
  responses: {
    201: jsonResponse(
      roundSchema,
      "The manual round; it is the price in force until a newer round or its expiry",
    ),
    ...problemResponses(401, 403, 413, 415, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const input = c.req.valid("json");
    const nowMs = now();
    const expiresAtMs = Date.parse(input.expiresAt);
    if (expiresAtMs <= nowMs || expiresAtMs > nowMs + manualPriceDurationMsMax) {
      throw new ApiError("VALIDATION_FAILED", "expiresAt must be in the future and at most 7 days ahead", [
        { field: "expiresAt", detail: "must be within the next 7 days" },
      ]);
    }
    const bounds = input.kind === "gold" ? goldAggregationRules : tftAggregationRules;
    const price = new Dec(input.priceUsd);
    if (price.lessThan(bounds.minUsd) || price.greaterThan(bounds.maxUsd)) {
      throw new ApiError(
        "VALIDATION_FAILED",
        `A ${input.kind} price is ${bounds.minUsd} … ${bounds.maxUsd} USD`,
        [{ field: "priceUsd", detail: `must be within ${bounds.minUsd} … ${bounds.maxUsd}` }],
      );
    }
    const db = c.get("db");
    const id = await recordRound(
      db,
      {
        kind: input.kind,
        priceUsd: price.toFixed(),
        quorumMet: true,
        source: "manual",
        reason: input.reason,
        expiresAtMs,
        createdBy: c.get("principal").ownerId,
      },
      nowMs,
    );
    const round = await getRound(db, id);
    if (!round) throw new ApiError("INTERNAL", "manual round vanished after its write");
    return c.json(roundJson(round), 201);
  });
}
