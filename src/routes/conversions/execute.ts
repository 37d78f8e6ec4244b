import { createRoute, z } from "@hono/zod-openapi";
import { executeConversion } from "../../credits/conversions";
import { now } from "../../kit/clock";
import { orThrow } from "../../kit/http/errors";
import { idempotent, requireRoles } from "../../kit/http/middleware";
import {
  idempotencyHeaderSchema,
  jsonBody,
  jsonResponse,
  noQuerySchema,
  problemResponses,
} from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { transferJson, transferSchema } from "../accounts/schemas";
import { conversionQuoteJson, conversionQuoteSchema } from "./schemas";

const bodySchema = z.strictObject({
  quoteId: z
    .string()
    .regex(/^cnv_[A-Za-z0-9]{1,40}$/)
    .openapi({ example: "cnv_3XkPq0fJ2m9Zb7Lr1sYtWc" }),
});

const conversionSchema = z
  .object({
    quote: conversionQuoteSchema,
    transfers: z.array(transferSchema).openapi({ description: "The burn and the mint, linked." }),
  })
  .openapi("Conversion");

const route = createRoute({
  method: "post",
  path: "/v1/conversions",
  operationId: "executeConversion",
  tags: ["conversions"],
  summary:
    "Execute a conversion quote: burn the input, mint the output, atomically and at most once (owner or admin)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("admin", "user", "farmer", "lp"), idempotent] as const,
  request: { query: noQuerySchema, headers: idempotencyHeaderSchema, body: jsonBody(bodySchema) },
  responses: {
    201: jsonResponse(conversionSchema, "Executed now"),
    200: jsonResponse(conversionSchema, "Already executed: the same conversion"),
    ...problemResponses(401, 403, 404, 409, 413, 415, 422, 503),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const nowMs = now();
    const result = orThrow(
      await executeConversion(c.get("db"), c.get("principal"), c.req.valid("json").quoteId, nowMs),
    );
    const body = {
      quote: conversionQuoteJson(result.quote, nowMs),
      transfers: result.transfers.map(transferJson),
    };
    return result.replayed ? c.json(body, 200) : c.json(body, 201);
  });
}
