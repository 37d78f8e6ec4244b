import { createRoute, z } from "@hono/zod-openapi";
import { creditsConfig } from "../../credits/config";
import {
  conversionPools,
  conversionQuoteFacts,
  conversionQuoteReads,
  createConversionQuote,
} from "../../credits/conversions";
import { now } from "../../kit/clock";
import { ApiError, orThrow } from "../../kit/http/errors";
import { requireRoles } from "../../kit/http/middleware";
import {
  accountIdSchema,
  amountSchema,
  jsonBody,
  jsonResponse,
  minorOf,
  noQuerySchema,
  problemResponses,
} from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { conversionQuoteJson, conversionQuoteSchema } from "./schemas";

const bodySchema = z.strictObject({
  pool: z.enum(conversionPools).openapi({
    description:
      "entry: Pool 1, TFP → CC at the fixed rate with the market as a floor (user accounts). market: Pool 2, CC ↔ TFP at the TFT market price (same-kind accounts; CC → TFP only for earned CC, i.e. farmer accounts).",
  }),
  fromAccountId: accountIdSchema.openapi({ description: "Burned from: your CC or TFP account." }),
  toAccountId: accountIdSchema.openapi({ description: "Minted to: your TFP or CC account." }),
  amount: amountSchema.openapi({ example: "1000", description: "In the from account's asset." }),
});

const route = createRoute({
  method: "post",
  path: "/v1/conversions/quotes",
  operationId: "createConversionQuote",
  tags: ["conversions"],
  summary: "Quote a CC ↔ TFP conversion; the rate holds for a short, configured time (owner or admin)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("admin", "user", "farmer", "lp")] as const,
  request: { query: noQuerySchema, body: jsonBody(bodySchema) },
  responses: {
    201: jsonResponse(conversionQuoteSchema, "The quote; execute it with POST /v1/conversions"),
    ...problemResponses(401, 403, 404, 413, 415, 422, 503),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const input = c.req.valid("json");
    const db = c.get("db");
    const nowMs = now();
    // Both accounts and the peg in one round trip; the quote is the one write.
    const facts = conversionQuoteFacts(
      await db.batch(conversionQuoteReads(input.fromAccountId, input.toAccountId, nowMs), "read"),
      nowMs,
    );
    if (!facts.from)
      throw new ApiError("ACCOUNT_NOT_FOUND", `No account ${input.fromAccountId}`, [
        { field: "fromAccountId", detail: "no such account" },
      ]);
    const quote = orThrow(
      await createConversionQuote(
        db,
        c.get("principal"),
        {
          pool: input.pool,
          fromAccountId: input.fromAccountId,
          toAccountId: input.toAccountId,
          amountMinor: minorOf(facts.from.asset, input.amount, "amount"),
        },
        facts,
        creditsConfig(c.env),
        nowMs,
      ),
    );
    return c.json(conversionQuoteJson(quote, nowMs), 201);
  });
}
