/**
 * `GET /v1/nodes/{id}`: a node, its slices, band, prices (in the band currency and in CC at the
 * live peg), state, free slices and reliability. Public: prices are public (§15).
 */
import { createRoute } from "@hono/zod-openapi";
import { now } from "../../kit/clock";
import { ApiError } from "../../kit/http/errors";
import { jsonResponse, noQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { ccUsdOf } from "../../market/flows/books";
import { nodeFrom, nodeStatement } from "../../market/store/nodes";
import { readWithPeg } from "../../oracle/prices";
import { nodeJson, nodeParamsSchema, nodeSchema } from "./schemas";

const route = createRoute({
  method: "get",
  path: "/v1/nodes/{id}",
  operationId: "getNode",
  security: [],
  tags: ["marketplace"],
  summary: "A node with its slices, prices and reliability (public)",
  request: { query: noQuerySchema, params: nodeParamsSchema },
  responses: { 200: jsonResponse(nodeSchema, "The node"), ...problemResponses(404, 422) },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const id = c.req.valid("param").id;
    // The node and the peg in one round trip.
    const { results, peg } = await readWithPeg(c.get("db"), [nodeStatement(id)], now());
    const node = nodeFrom(results[0]);
    if (!node) throw new ApiError("NOT_FOUND", `No node ${id}`);
    return c.json(nodeJson(node, ccUsdOf(peg)), 200);
  });
}
