/**
 * `GET /v1/nodes/{id}`: a node, its slices, band, prices (in the band currency and in CC at the
 * live peg), state, free slices and reliability. Public: prices are public (§15).
 */
import { createRoute } from "@hono/zod-openapi";
import { jsonResponse, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { liveCcUsd } from "../../market/flows/books";
import { nodeJson, nodeParamsSchema, nodeSchema, requireNode } from "./schemas";

const route = createRoute({
  method: "get",
  path: "/v1/nodes/{id}",
  tags: ["marketplace"],
  summary: "A node with its slices, prices and reliability (public)",
  request: { params: nodeParamsSchema },
  responses: { 200: jsonResponse(nodeSchema, "The node"), ...problemResponses(404, 422) },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const db = c.get("db");
    const node = await requireNode(db, c.req.valid("param").id);
    return c.json(nodeJson(node, await liveCcUsd(db)), 200);
  });
}
