import { createRoute, z } from "@hono/zod-openapi";
import { createCheckoutQuote } from "../../credits/checkout";
import { creditsConfig } from "../../credits/config";
import { now } from "../../kit/clock";
import { orThrow } from "../../kit/http/errors";
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
import { checkoutQuoteJson, checkoutQuoteSchema } from "./schemas";

const bodySchema = z.strictObject({
  accountId: accountIdSchema.openapi({ description: "Your CC account of kind user (purchased CC)." }),
  amountUsd: amountSchema.openapi({
    example: "25.00",
    description: "0.50 … 100000.00 USD, at most 2 decimals.",
  }),
});

const route = createRoute({
  method: "post",
  path: "/v1/credits/checkout",
  operationId: "createCheckoutQuote",
  tags: ["credits"],
  summary: "Quote buying CC by card: USD → CC at the current peg, valid for a limited time (owner or admin)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("admin", "user", "farmer", "lp")] as const,
  request: { query: noQuerySchema, body: jsonBody(bodySchema) },
  responses: {
    201: jsonResponse(checkoutQuoteSchema, "The quote and the reference to attach to the payment"),
    ...problemResponses(401, 403, 404, 413, 415, 422, 503),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const input = c.req.valid("json");
    const nowMs = now();
    const quote = orThrow(
      await createCheckoutQuote(
        c.get("db"),
        c.get("principal"),
        { accountId: input.accountId, usdMinor: minorOf("USD", input.amountUsd, "amountUsd") },
        creditsConfig(c.env),
        nowMs,
      ),
    );
    return c.json(checkoutQuoteJson(quote, nowMs), 201);
  });
}
