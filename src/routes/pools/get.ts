import { createRoute } from "@hono/zod-openapi";
import { now } from "../../kit/clock";
import { ApiError } from "../../kit/http/errors";
import { anyRole, requireRoles } from "../../kit/http/middleware";
import { jsonResponse, noQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { getPool, poolFigures, positionsWithShares } from "../../pools/store/pools";
import { poolJson, poolParamsSchema, poolSchema } from "./schemas";

const route = createRoute({
  method: "get",
  path: "/v1/pools/{id}",
  operationId: "getPool",
  tags: ["pools"],
  summary:
    "A pool: liquidity, lifetime totals, and every position with its current share and rewards (any role)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles(...anyRole)] as const,
  request: { query: noQuerySchema, params: poolParamsSchema },
  responses: { 200: jsonResponse(poolSchema, "The pool"), ...problemResponses(401, 403, 404, 422) },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const db = c.get("db");
    const pool = await getPool(db, c.req.valid("param").id);
    if (!pool) throw new ApiError("NOT_FOUND", "No such pool");
    const nowMs = now();
    const [figures, positions] = await Promise.all([
      poolFigures(db, pool),
      positionsWithShares(db, pool, nowMs),
    ]);
    return c.json(poolJson(pool, figures, positions, nowMs), 200);
  });
}
