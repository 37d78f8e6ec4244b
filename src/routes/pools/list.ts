import { createRoute, z } from "@hono/zod-openapi";
import { anyRole, requireRoles } from "../../kit/http/middleware";
import { jsonResponse, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { listPools, poolsPageSizeMax } from "../../pools/store/pools";
import { poolSummaryJson, poolSummarySchema } from "./schemas";

const querySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(poolsPageSizeMax).default(50),
  cursor: z
    .string()
    .regex(/^pol_[A-Za-z0-9]{1,60}$/, "must be a cursor returned by the previous page")
    .optional(),
});

const route = createRoute({
  method: "get",
  path: "/v1/pools",
  operationId: "listPools",
  tags: ["pools"],
  summary: "Liquidity pools, by id, cursor-paginated (any role)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles(...anyRole)] as const,
  request: { query: querySchema },
  responses: {
    200: jsonResponse(
      z.object({ data: z.array(poolSummarySchema), nextCursor: z.string().nullable() }).openapi("PoolPage"),
      "One page of pools",
    ),
    ...problemResponses(401, 403, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const query = c.req.valid("query");
    const page = await listPools(c.get("db"), { limit: query.limit, cursor: query.cursor ?? null });
    return c.json({ data: page.pools.map(poolSummaryJson), nextCursor: page.nextCursor }, 200);
  });
}
