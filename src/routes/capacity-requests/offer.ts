/**
 * `POST /v1/capacity-requests/{id}/offers`: a farmer offers one of its nodes at a CC price per
 * slice-hour. The node must meet every requirement (REQUIREMENTS_NOT_MET lists what it misses),
 * have the slices, and the price must lie inside the node's hourly band at the live peg, at most
 * the request's maximum and within its budget for the whole duration. One offer per node; at most
 * 50 per request; only while the request is open and before its deadline.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { now } from "../../kit/clock";
import { ApiError, orThrow } from "../../kit/http/errors";
import { requireRoles } from "../../kit/http/middleware";
import {
  jsonBody,
  jsonResponse,
  nodeIdSchema,
  noQuerySchema,
  problemResponses,
} from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { newId } from "../../kit/ids";
import { Dec } from "../../ledger/core/money";
import { hourMs } from "../../market/config";
import { priceKey } from "../../market/core/bidbook/model";
import { checkPriceInBand } from "../../market/core/pricing";
import { checkRequirements } from "../../market/core/requirements";
import { chargeForUsage } from "../../market/core/revenue";
import { ccUsdOf } from "../../market/flows/books";
import { insertOffer, requestFrom, requestStatement } from "../../market/flows/capacity-requests";
import { nodeStatement, sliceOfferOf } from "../../market/store/nodes";
import { readWithPeg } from "../../oracle/prices";
import { ccPricePerHourSchema, ownNodeFrom } from "../nodes/schemas";
import { requestParamsSchema, visibleRequest } from "./get";
import { offerJson, offerSchema } from "./schemas";

const bodySchema = z
  .strictObject({
    nodeId: nodeIdSchema.openapi({ example: "node_3XkPq0fJ2m9Zb7Lr1sYtWc" }),
    priceCcPerSliceHour: ccPricePerHourSchema,
  })
  .openapi("CapacityOfferInput");

const route = createRoute({
  method: "post",
  path: "/v1/capacity-requests/{id}/offers",
  operationId: "createCapacityOffer",
  tags: ["marketplace"],
  summary: "Offer a node on a capacity request (the node's farmer, or an admin)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("farmer", "admin")] as const,
  request: { query: noQuerySchema, params: requestParamsSchema, body: jsonBody(bodySchema) },
  responses: {
    201: jsonResponse(offerSchema, "The offer"),
    ...problemResponses(401, 403, 404, 409, 413, 415, 422, 429, 503),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const db = c.get("db");
    const principal = c.get("principal");
    const input = c.req.valid("json");
    const requestId = c.req.valid("param").id;
    const nowMs = now();
    // The request, the node and the peg: one round trip; the offer is the one write.
    const {
      results: [requestRead, nodeRead],
      peg,
    } = await readWithPeg(db, [requestStatement(requestId), nodeStatement(input.nodeId)], nowMs);
    const request = visibleRequest(requestFrom(requestRead), principal, requestId);
    if (request.status !== "open" || request.deadlineAtMs <= nowMs) {
      throw new ApiError("CONFLICT", "The request no longer takes offers");
    }
    const node = ownNodeFrom(nodeRead, principal, input.nodeId);
    const fail = (code: "VALIDATION_FAILED" | "SLICES_UNAVAILABLE", detail: string, field: string) =>
      new ApiError(code, detail, [{ field, detail }]);
    const met = checkRequirements(sliceOfferOf(node), request.requirements);
    if (!met.ok)
      throw new ApiError("REQUIREMENTS_NOT_MET", met.detail, [{ field: "nodeId", detail: met.detail }]);
    if (node.state !== "online" || node.freeSlices < request.slices) {
      throw fail(
        "SLICES_UNAVAILABLE",
        `The node has ${node.freeSlices} free slices (${node.state})`,
        "nodeId",
      );
    }
    const price = input.priceCcPerSliceHour;
    if ((priceKey(price) ?? 0n) === 0n)
      throw fail("VALIDATION_FAILED", "must be above 0", "priceCcPerSliceHour");
    if ((priceKey(price) ?? 0n) > (priceKey(request.maxPriceCcPerSliceHour) ?? 0n)) {
      throw fail(
        "VALIDATION_FAILED",
        `above the request's maximum ${request.maxPriceCcPerSliceHour}`,
        "priceCcPerSliceHour",
      );
    }
    if (chargeForUsage(price, request.slices, request.durationHours * hourMs) > request.budgetMinor) {
      throw fail(
        "VALIDATION_FAILED",
        "the whole lease would exceed the request's budget",
        "priceCcPerSliceHour",
      );
    }
    // The farmer's band applies to offers too: the CC price at the live peg, in the band currency.
    let inBand = new Dec(price);
    if (node.band.currency === "USD") {
      const ccUsd = ccUsdOf(peg);
      if (ccUsd === null)
        throw new ApiError("ORACLE_HALTED", "No live CC price to check the offer against the band");
      inBand = inBand.mul(ccUsd);
    }
    const banded = checkPriceInBand(inBand.toFixed(), node.band, "hour");
    if (!banded.ok)
      throw new ApiError(banded.code, banded.detail, [
        { field: "priceCcPerSliceHour", detail: banded.detail },
      ]);
    const offer = orThrow(
      await insertOffer(
        db,
        {
          id: newId("cof"),
          requestId: request.id,
          nodeId: node.id,
          farmerId: node.farmerId,
          priceCcPerSliceHour: price,
          status: "open",
          detail: null,
          createdAtMs: nowMs,
        },
        priceKey(price) ?? 0n,
        nowMs,
      ),
    );
    return c.json(offerJson(offer), 201);
  });
}
