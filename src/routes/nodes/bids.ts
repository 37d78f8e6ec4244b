/** `GET /v1/nodes/{id}/bids`: the node's open bids, highest price first (its farmer or an admin). */
import { createRoute, z } from "@hono/zod-openapi";
import { orThrow } from "../../kit/http/errors";
import { requireRoles } from "../../kit/http/middleware";
import { jsonResponse, noQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { bookOf } from "../../market/flows/books";
import { bidJson, bidSchema } from "../leases/schemas";
import { nodeParamsSchema, requireOwnNode } from "./schemas";

const route = createRoute({
  method: "get",
  path: "/v1/nodes/{id}/bids",
  operationId: "listNodeBids",
  tags: ["marketplace"],
  summary: "A node's open bids (its farmer or an admin)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("farmer", "admin")] as const,
  request: { query: noQuerySchema, params: nodeParamsSchema },
  responses: {
    200: jsonResponse(z.object({ data: z.array(bidSchema) }).openapi("NodeBidList"), "Open bids"),
    ...problemResponses(401, 403, 404, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const db = c.get("db");
    const id = c.req.valid("param").id;
    await requireOwnNode(db, c.get("principal"), id);
    const bids = orThrow(await bookOf(c.env, id).listBids({ nodeId: id }));
    return c.json({ data: bids.map(bidJson) }, 200);
  });
}
