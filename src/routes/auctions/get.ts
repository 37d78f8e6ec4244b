import { createRoute } from "@hono/zod-openapi";
import { now } from "../../kit/clock";
import { ApiError } from "../../kit/http/errors";
import { anyRole, requireRoles } from "../../kit/http/middleware";
import { jsonResponse, noQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { roundWithCap } from "../../pools/flows/auctions";
import { roundJson, roundParamsSchema, roundSchema } from "./schemas";

const route = createRoute({
  method: "get",
  path: "/v1/auctions/{id}",
  operationId: "getAuction",
  tags: ["auctions"],
  summary:
    "A round: state, cap, bids count (bids are sealed) and, once cleared, the published result (any role)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles(...anyRole)] as const,
  request: { query: noQuerySchema, params: roundParamsSchema },
  responses: { 200: jsonResponse(roundSchema, "The round"), ...problemResponses(401, 403, 404, 422) },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const nowMs = now();
    const found = await roundWithCap(c.get("db"), c.req.valid("param").id, nowMs);
    if (!found) throw new ApiError("NOT_FOUND", "No such round");
    return c.json(roundJson(found.round, found.cap, nowMs), 200);
  });
}
