/**
 * `PUT /v1/nodes/{id}/price`: the farmer sets the node's prices per slice, monthly and hourly,
 * inside the band (outside: 422 PRICE_OUTSIDE_BAND naming the band), and the interruptible-bid
 * floor and auto-accept price in CC. New prices apply to new leases only.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { now } from "../../kit/clock";
import { ApiError, orThrow } from "../../kit/http/errors";
import { assertOwner, requireRoles } from "../../kit/http/middleware";
import { jsonBody, jsonResponse, noQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { marketConfig } from "../../market/config";
import { checkListedPrices, sliceNode } from "../../market/core/quote";
import { bookOf, ccUsdOf } from "../../market/flows/books";
import { type NodeRecord, nodeFrom, nodeStatement } from "../../market/store/nodes";
import { readWithPeg } from "../../oracle/prices";
import { ccPricePerHourSchema, listedPriceSchema, nodeJson, nodeParamsSchema, nodeSchema } from "./schemas";

const bodySchema = z
  .strictObject({
    pricePerSliceMonth: listedPriceSchema.openapi({ example: "3" }),
    pricePerSliceHour: listedPriceSchema.openapi({ example: "0.01" }),
    minBidCcPerSliceHour: ccPricePerHourSchema.optional().openapi({ description: "Default: unchanged." }),
    autoAcceptAboveCcPerSliceHour: ccPricePerHourSchema
      .nullable()
      .optional()
      .openapi({ description: "null turns auto-accept off; absent: unchanged." }),
  })
  .openapi("NodePrices");

const route = createRoute({
  method: "put",
  path: "/v1/nodes/{id}/price",
  operationId: "setNodePrice",
  tags: ["marketplace"],
  summary: "Set a node's prices inside its band (its farmer, or an admin)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("farmer", "admin")] as const,
  request: { query: noQuerySchema, params: nodeParamsSchema, body: jsonBody(bodySchema) },
  responses: {
    200: jsonResponse(nodeSchema, "The node with its new prices"),
    ...problemResponses(401, 403, 404, 413, 415, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const db = c.get("db");
    const id = c.req.valid("param").id;
    const input = c.req.valid("json");
    // The node and the peg in one round trip.
    const { results, peg } = await readWithPeg(db, [nodeStatement(id)], now());
    const node = nodeFrom(results[0]);
    if (!node) throw new ApiError("NOT_FOUND", `No node ${id}`);
    assertOwner(c.get("principal"), node.farmerId);
    const market = marketConfig(c.env);
    // The band from the node's hardware and today's parameters.
    const { band } = orThrow(sliceNode(node.hardware, node.sliceCount, node.bandProfile, market.parameters));
    const prices = orThrow(checkListedPrices(band, input.pricePerSliceMonth, input.pricePerSliceHour));
    const ccUsd = ccUsdOf(peg);
    const book = orThrow(
      await bookOf(c.env, id).setPrices({
        nodeId: id,
        pricePerSliceMonth: prices.month,
        pricePerSliceHour: prices.hour,
        band,
        minBidCcPerSliceHour: input.minBidCcPerSliceHour ?? node.minBidCcPerSliceHour,
        autoAcceptAboveCcPerSliceHour:
          input.autoAcceptAboveCcPerSliceHour === undefined
            ? node.autoAcceptAboveCcPerSliceHour
            : input.autoAcceptAboveCcPerSliceHour,
        ccUsd,
      }),
    );
    // What the book just mirrored onto the node's row, without reading it back.
    const updated: NodeRecord = {
      ...node,
      state: book.state,
      freeSlices: book.freeSlices,
      band,
      pricePerSliceMonth: prices.month,
      pricePerSliceHour: prices.hour,
      minBidCcPerSliceHour: book.minBidCcPerSliceHour,
      autoAcceptAboveCcPerSliceHour: book.autoAcceptAboveCcPerSliceHour,
    };
    return c.json(nodeJson(updated, ccUsd), 200);
  });
}
