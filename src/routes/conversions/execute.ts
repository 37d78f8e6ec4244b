import { createRoute, z } from "@hono/zod-openapi";
import {
  type Conversion,
  conversionFacts,
  conversionReads,
  executeConversion,
} from "../../credits/conversions";
import { now } from "../../kit/clock";
import { orThrow } from "../../kit/http/errors";
import { firstReads, idempotentBatched, recordedByEffect, recordFor } from "../../kit/http/idempotency";
import { requireRoles } from "../../kit/http/middleware";
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
  middleware: [requireRoles("admin", "user", "farmer", "lp"), idempotentBatched] as const,
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
    const quoteId = c.req.valid("json").quoteId;
    // The Idempotency-Key's record, the quote and the peg in one round trip.
    const facts = conversionFacts(await firstReads(c, conversionReads(quoteId, nowMs)), nowMs);
    const render = (conversion: Conversion) => ({
      quote: conversionQuoteJson(conversion.quote, nowMs),
      transfers: conversion.transfers.map(transferJson),
    });
    // The burn, the mint, the quote's update and the record of this 201: one atomic batch.
    const result = orThrow(
      await executeConversion(c.get("db"), c.get("principal"), quoteId, facts, nowMs, {
        response: recordFor(c, 201),
        render,
      }),
    );
    if (result.recorded) recordedByEffect(c);
    return result.replayed ? c.json(render(result), 200) : c.json(render(result), 201);
  });
}
