import { createRoute, z } from "@hono/zod-openapi";
import { now } from "../../kit/clock";
import { anyRole, requireRoles } from "../../kit/http/middleware";
import { jsonResponse, noQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { defaultPegParameters } from "../../oracle/core/peg";
import { latestPrices } from "../../oracle/rounds";
import { healthSchema, priceInForceJson, priceInForceSchema, roundJson, roundSchema } from "./schemas";

const latestSchema = z
  .object({
    gold: priceInForceSchema.nullable().openapi({ description: "Gold, USD per gram." }),
    tft: priceInForceSchema.nullable().openapi({ description: "TFT, USD per token." }),
    cc: z
      .object({
        priceUsd: z
          .string()
          .openapi({ example: "0.12805", description: "USD per CC: gold USD/gram ÷ 1000." }),
        goldGramsPerCc: z.string().openapi({ example: "0.001" }),
      })
      .nullable(),
    health: healthSchema.openapi({ description: "The worse of the two prices' health." }),
    mintingAvailable: z
      .boolean()
      .openapi({ description: "False while halted: minting and conversions answer 503." }),
    lastRounds: z.object({ gold: roundSchema.nullable(), tft: roundSchema.nullable() }).openapi({
      description: "The newest round of each kind, accepted or not (a failed quorum shows here first).",
    }),
    asOf: z.string(),
  })
  .openapi("LatestPrices");

const route = createRoute({
  method: "get",
  path: "/v1/prices/latest",
  operationId: "getLatestPrices",
  tags: ["prices"],
  summary: "Gold, CC and TFT prices in force, with their round, age and health (any key)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles(...anyRole)] as const,
  request: { query: noQuerySchema },
  responses: { 200: jsonResponse(latestSchema, "The prices in force"), ...problemResponses(401, 403) },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const db = c.get("db");
    const nowMs = now();
    const { peg, lastRounds } = await latestPrices(db, nowMs);
    const { gold, tft } = lastRounds;
    return c.json(
      {
        gold: peg.gold ? priceInForceJson(peg.gold) : null,
        tft: peg.tft ? priceInForceJson(peg.tft) : null,
        cc:
          peg.ccUsd === null
            ? null
            : { priceUsd: peg.ccUsd, goldGramsPerCc: defaultPegParameters.ccGoldGrams },
        health: peg.health,
        mintingAvailable: peg.health !== "halted",
        lastRounds: { gold: gold ? roundJson(gold) : null, tft: tft ? roundJson(tft) : null },
        asOf: new Date(nowMs).toISOString(),
      },
      200,
    );
  });
}
