/**
 * `POST /v1/nodes/{id}/bids`: an interruptible bid (vast.ai style) — slices at a CC price per
 * slice-hour at or above the node's minimum bid, open until it expires. The node's book checks the
 * bid, then holds the bidder's CC for one prepaid window at the bid price (hold `hold_<bidId>`), so
 * a refused bid (a limit, the minimum, insufficient funds) holds nothing and its retry gets the
 * same refusal. The bid then waits in the book until the farmer accepts it, the auto-accept price
 * takes it, or it closes (its hold is then released). An accepted bid is a lease that a higher bid
 * may pre-empt. Users and admins; an Idempotency-Key is required (the bid id derives from it).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { ApiError, orThrow } from "../../kit/http/errors";
import { firstReads, idempotentBatched, recordedByEffect, recordFor } from "../../kit/http/idempotency";
import { requireRoles, transferIdFor } from "../../kit/http/middleware";
import {
  accountIdSchema,
  idempotencyHeaderSchema,
  jsonBody,
  jsonResponse,
  noQuerySchema,
  problemResponses,
} from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { hourMs } from "../../market/config";
import { bidDurationMsMax, priceKey } from "../../market/core/bidbook/model";
import { bookOf } from "../../market/flows/books";
import { nodeFrom, nodeStatement } from "../../market/store/nodes";
import { bidJson, bidSchema, payerFrom, payerStatement } from "../leases/schemas";
import { ccPricePerHourSchema, nodeParamsSchema } from "./schemas";

const bodySchema = z
  .strictObject({
    slices: z.number().int().min(1).max(1024).openapi({ example: 1 }),
    priceCcPerSliceHour: ccPricePerHourSchema,
    expiresInHours: z
      .number()
      .int()
      .min(1)
      .max(bidDurationMsMax / hourMs)
      .default(24)
      .openapi({ description: "The bid stays open this long unless accepted, rejected or cancelled." }),
    accountId: accountIdSchema
      .optional()
      .openapi({ description: "The CC account that pays; default: your CC user account." }),
  })
  .openapi("BidRequest");

const route = createRoute({
  method: "post",
  path: "/v1/nodes/{id}/bids",
  operationId: "placeNodeBid",
  tags: ["marketplace"],
  summary: "Place an interruptible bid on a node's slices (user or admin)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("user", "admin"), idempotentBatched] as const,
  request: {
    query: noQuerySchema,
    params: nodeParamsSchema,
    headers: idempotencyHeaderSchema,
    body: jsonBody(bodySchema),
  },
  responses: {
    201: jsonResponse(bidSchema, "The bid (open, or already accepted)"),
    ...problemResponses(401, 403, 404, 409, 413, 415, 422, 429),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const principal = c.get("principal");
    const input = c.req.valid("json");
    const key = c.req.valid("header")["idempotency-key"];
    const nodeId = c.req.valid("param").id;
    // The Idempotency-Key's record, the node and the paying account in one round trip.
    const [nodeRead, payerRead] = await firstReads(c, [
      nodeStatement(nodeId),
      payerStatement(principal, input.accountId),
    ]);
    const node = nodeFrom(nodeRead);
    if (!node) throw new ApiError("NOT_FOUND", `No node ${nodeId}`);
    // Cheap checks against the mirror first, to spare the book a call; the book checks again.
    if (input.slices > node.sliceCount) {
      throw new ApiError("VALIDATION_FAILED", `The node has ${node.sliceCount} slices`, [
        { field: "slices", detail: `at most ${node.sliceCount}` },
      ]);
    }
    const price = priceKey(input.priceCcPerSliceHour);
    if (price === undefined || price === 0n) {
      throw new ApiError("VALIDATION_FAILED", "The price must be above 0 and at most 1000000", [
        { field: "priceCcPerSliceHour", detail: "must be above 0 and at most 1000000" },
      ]);
    }
    if (price < (priceKey(node.minBidCcPerSliceHour) ?? 0n)) {
      throw new ApiError(
        "BID_BELOW_MINIMUM",
        `The minimum bid is ${node.minBidCcPerSliceHour} CC per slice-hour`,
        [{ field: "priceCcPerSliceHour", detail: `below ${node.minBidCcPerSliceHour}` }],
      );
    }
    const payerAccountId = payerFrom(payerRead, principal, input.accountId);
    const bidId = await transferIdFor(principal.ownerId, key, "bid");
    const placed = orThrow(
      await bookOf(c.env, node.id).placeBid({
        nodeId: node.id,
        bidId,
        ownerId: principal.ownerId,
        payerAccountId,
        slices: input.slices,
        priceCcPerSliceHour: input.priceCcPerSliceHour,
        openMs: input.expiresInHours * hourMs,
        // Stored with the bid's hold: the response below, in the same ledger batch.
        record: recordFor(c, 201),
      }),
    );
    if (placed.recorded) recordedByEffect(c);
    return c.json(bidJson(placed), 201);
  });
}
