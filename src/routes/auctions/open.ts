import { createRoute, z } from "@hono/zod-openapi";
import { now } from "../../kit/clock";
import { ApiError, orThrow } from "../../kit/http/errors";
import { firstReads, idempotentBatched, recordedByEffect, recordFor } from "../../kit/http/idempotency";
import { requireRoles, transferIdFor } from "../../kit/http/middleware";
import {
  amountSchema,
  idempotencyHeaderSchema,
  jsonBody,
  jsonResponse,
  minorOf,
  noQuerySchema,
  problemResponses,
} from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { settlementTransfersPerBatchMax } from "../../pools/core/settlement";
import {
  batchesPerAlarmMax,
  bidsPerRoundLimit,
  holdMarginMsMax,
  type OpenedRound,
  openRoundFacts,
  openRoundReads,
  openRoundWith,
} from "../../pools/flows/auctions";
import { poolIdSchema } from "../pools/schemas";
import { defined, priceSchema, roundJson, roundSchema, rulesInputSchema } from "./schemas";

const bodySchema = z.strictObject({
  poolId: poolIdSchema,
  closesAt: z.iso
    .datetime({ offset: true })
    .openapi({ example: "2026-01-08T12:00:00Z", description: "The close: no bid after it." }),
  cancellationDeadline: z.iso
    .datetime({ offset: true })
    .optional()
    .openapi({ description: "Bids may be cancelled until then; default: the close." }),
  reference: z
    .discriminatedUnion("source", [
      z.strictObject({ source: z.literal("oracle") }),
      z.strictObject({ source: z.literal("fixed"), price: priceSchema }),
    ])
    .optional()
    .openapi({ description: "Reference price: the TFT market price at close (default) or a fixed price." }),
  rules: rulesInputSchema.optional(),
  limits: z
    .strictObject({
      minBidAmount: amountSchema.optional().openapi({ description: "TFP; default 1." }),
      maxBidsPerRound: z.number().int().min(1).max(bidsPerRoundLimit).optional(),
      maxBidsPerOwner: z.number().int().min(1).max(bidsPerRoundLimit).optional(),
    })
    .optional(),
  settlement: z
    .strictObject({
      transfersPerBatch: z.number().int().min(2).max(settlementTransfersPerBatchMax).optional(),
      batchesPerAlarm: z.number().int().min(1).max(batchesPerAlarmMax).optional(),
      holdMarginSeconds: z
        .number()
        .int()
        .min(60)
        .max(holdMarginMsMax / 1000)
        .optional(),
      referenceWaitSeconds: z
        .number()
        .int()
        .min(0)
        .max(holdMarginMsMax / 1000)
        .optional(),
    })
    .optional(),
});

const route = createRoute({
  method: "post",
  path: "/v1/auctions",
  operationId: "openAuction",
  tags: ["auctions"],
  summary: "Open a Dutch-auction exit round for a pool (admin)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("admin"), idempotentBatched] as const,
  request: { query: noQuerySchema, headers: idempotencyHeaderSchema, body: jsonBody(bodySchema) },
  responses: {
    201: jsonResponse(roundSchema, "The round, open for bids"),
    ...problemResponses(401, 403, 404, 409, 413, 415, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const principal = c.get("principal");
    const input = c.req.valid("json");
    const nowMs = now();
    const closesAtMs = Date.parse(input.closesAt);
    if (closesAtMs <= nowMs) {
      throw new ApiError("VALIDATION_FAILED", "The close must be in the future", [
        { field: "closesAt", detail: "must be in the future" },
      ]);
    }
    const cancellationDeadlineMs =
      input.cancellationDeadline === undefined ? undefined : Date.parse(input.cancellationDeadline);
    const minBid = input.limits?.minBidAmount;
    const settlement = input.settlement;
    const body = {
      roundId: await transferIdFor(principal.ownerId, c.req.valid("header")["idempotency-key"], "auc"),
      poolId: input.poolId,
      closesAtMs,
      ...(cancellationDeadlineMs === undefined ? {} : { cancellationDeadlineMs }),
      ...(input.reference === undefined ? {} : { reference: input.reference }),
      ...(input.rules === undefined ? {} : { rules: defined(input.rules) }),
      limits: defined({
        minBidMinor:
          minBid === undefined ? undefined : minorOf("TFP", minBid, "limits.minBidAmount").toString(),
        bidsPerRoundMax: input.limits?.maxBidsPerRound,
        bidsPerOwnerMax: input.limits?.maxBidsPerOwner,
      }),
      settlement: defined({
        transfersPerBatch: settlement?.transfersPerBatch,
        batchesPerAlarm: settlement?.batchesPerAlarm,
        holdMarginMs:
          settlement?.holdMarginSeconds === undefined ? undefined : settlement.holdMarginSeconds * 1000,
        referenceWaitMs:
          settlement?.referenceWaitSeconds === undefined ? undefined : settlement.referenceWaitSeconds * 1000,
      }),
      createdBy: principal.ownerId,
    };
    // The Idempotency-Key's record, the round if it exists, its pool, the pool's figures and the
    // TFT price: one round trip. The round's row and the record of this 201: one more.
    const facts = openRoundFacts(await firstReads(c, openRoundReads(body, nowMs)), nowMs);
    const render = ({ round, cap }: OpenedRound) => roundJson(round, cap, nowMs);
    const opened = orThrow(
      await openRoundWith(c.env, c.get("db"), body, facts, nowMs, { response: recordFor(c, 201), render }),
    );
    if (opened.recorded) recordedByEffect(c);
    // The allowance is known at open: it is shown (and its TFP at the ceiling) like GET does.
    return c.json(render(opened), 201);
  });
}
