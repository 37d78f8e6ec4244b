import { createRoute } from "@hono/zod-openapi";
import { now } from "../../kit/clock";
import { ApiError } from "../../kit/http/errors";
import { anyRole, requireRoles } from "../../kit/http/middleware";
import { jsonResponse, noQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { poolWithPositions } from "../../pools/store/pools";
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
    const nowMs = now();
    // The pool, its figures and its positions with their rewards in one round trip.
    const read = await poolWithPositions(c.get("db"), c.req.valid("param").id, nowMs);
    if (!read) throw new ApiError("NOT_FOUND", "No such pool");
    return c.json(poolJson(read.pool, read.figures, read.positions, nowMs), 200);
  });
}
