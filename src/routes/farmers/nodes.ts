/**
 * `GET /v1/farmers/{id}/nodes?limit=…&cursor=…`: a farmer's nodes (any state), by id, cursor-paginated,
 * each as `GET /v1/nodes/{id}` shows it (prices in CC at the live peg). The farmer or an admin.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { now } from "../../kit/clock";
import { assertOwner, requireRoles } from "../../kit/http/middleware";
import { jsonResponse, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { idPatterns } from "../../kit/ids";
import { ccUsdOf } from "../../market/flows/books";
import { farmerNodesFrom, farmerNodesPageSizeMax, farmerNodesStatement } from "../../market/store/nodes";
import { readWithPeg } from "../../oracle/prices";
import { nodeJson, nodeSchema } from "../nodes/schemas";
import { farmerParamsSchema } from "./schemas";

const route = createRoute({
  method: "get",
  path: "/v1/farmers/{id}/nodes",
  operationId: "listFarmerNodes",
  tags: ["marketplace"],
  summary: "A farmer's nodes, by id, cursor-paginated (the farmer or an admin)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("farmer", "admin")] as const,
  request: {
    params: farmerParamsSchema,
    query: z.strictObject({
      limit: z.coerce.number().int().min(1).max(farmerNodesPageSizeMax).default(50),
      cursor: z.string().regex(idPatterns.node, "must be a cursor returned by the previous page").optional(),
    }),
  },
  responses: {
    200: jsonResponse(
      z.object({ data: z.array(nodeSchema), nextCursor: z.string().nullable() }).openapi("FarmerNodePage"),
      "One page of the farmer's nodes",
    ),
    ...problemResponses(401, 403, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const farmerId = c.req.valid("param").id;
    assertOwner(c.get("principal"), farmerId);
    const query = c.req.valid("query");
    const options = { limit: query.limit, cursor: query.cursor ?? null };
    const { results, peg } = await readWithPeg(c.get("db"), [farmerNodesStatement(farmerId, options)], now());
    const page = farmerNodesFrom(results[0]!, options.limit);
    const ccUsd = ccUsdOf(peg);
    return c.json(
      { data: page.nodes.map((node) => nodeJson(node, ccUsd)), nextCursor: page.nextCursor },
      200,
    );
  });
}
