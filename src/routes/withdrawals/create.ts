import { createRoute, z } from "@hono/zod-openapi";
import { creditsConfig } from "../../credits/config";
import { requestWithdrawal, withdrawalFacts, withdrawalReads } from "../../credits/withdrawals";
import { now } from "../../kit/clock";
import { orThrow } from "../../kit/http/errors";
import { firstReads, idempotentBatched, recordedByEffect, recordFor } from "../../kit/http/idempotency";
import { requireRoles, transferIdFor } from "../../kit/http/middleware";
import {
  accountIdSchema,
  amountSchema,
  idempotencyHeaderSchema,
  jsonBody,
  jsonResponse,
  minorOf,
  noQuerySchema,
  problemResponses,
} from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { withdrawalJson, withdrawalSchema } from "./schemas";

const bodySchema = z.strictObject({
  accountId: accountIdSchema.openapi({ description: "Your TFP account." }),
  amount: amountSchema.openapi({ example: "1000", description: "TFP to return for TFT (1:1), at least 1." }),
  destination: z
    .string()
    .regex(/^G[A-Z2-7]{55}$/, "must be a Stellar account address")
    .openapi({ example: "GBOVQKJYHXRR3DX6NOX2RRYFRCUMSADGDESTDNBDS6CDVLGVESRTAC47" }),
});

const route = createRoute({
  method: "post",
  path: "/v1/withdrawals",
  operationId: "createWithdrawal",
  tags: ["withdrawals"],
  summary:
    "Return TFP for TFT (only while the TFT market price exceeds the unlock threshold); the bridge pays it (owner or admin)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("admin", "user", "farmer", "lp"), idempotentBatched] as const,
  request: { query: noQuerySchema, headers: idempotencyHeaderSchema, body: jsonBody(bodySchema) },
  responses: {
    201: jsonResponse(withdrawalSchema, "The withdrawal, pending until the bridge pays"),
    ...problemResponses(401, 403, 404, 409, 413, 415, 422, 503),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const principal = c.get("principal");
    const input = c.req.valid("json");
    const key = c.req.valid("header")["idempotency-key"];
    const request = {
      withdrawalId: await transferIdFor(principal.ownerId, key, "wdr"),
      accountId: input.accountId,
      tfpMinor: minorOf("TFP", input.amount, "amount"),
      destination: input.destination,
    };
    const nowMs = now();
    // The Idempotency-Key's record, an earlier withdrawal under it, the account and the peg in one round trip.
    const facts = withdrawalFacts(await firstReads(c, withdrawalReads(request, nowMs)), nowMs);
    const withdrawal = orThrow(
      await requestWithdrawal(c.get("db"), principal, request, creditsConfig(c.env), facts, nowMs, {
        // Stored with the holds and the row: the response below, in the same batch.
        response: recordFor(c, 201),
        render: withdrawalJson,
      }),
    );
    if (withdrawal.recorded) recordedByEffect(c);
    return c.json(withdrawalJson(withdrawal), 201);
  });
}
