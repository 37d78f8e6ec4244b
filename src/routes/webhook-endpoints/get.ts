/** `GET /v1/webhook-endpoints/{id}`: one of your endpoints (never its secret). One round trip. */
import { createRoute } from "@hono/zod-openapi";
import { getEndpoint } from "../../events/endpoints";
import { now } from "../../kit/clock";
import { ApiError } from "../../kit/http/errors";
import { anyRole, requireRoles } from "../../kit/http/middleware";
import { jsonResponse, noQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { endpointJson, endpointParamsSchema, endpointSchema } from "./schemas";

const route = createRoute({
  method: "get",
  path: "/v1/webhook-endpoints/{id}",
  operationId: "getWebhookEndpoint",
  tags: ["webhook-endpoints"],
  summary: "One of your webhook endpoints",
  security: [{ apiKey: [] }],
  middleware: [requireRoles(...anyRole)] as const,
  request: { query: noQuerySchema, params: endpointParamsSchema },
  responses: { 200: jsonResponse(endpointSchema, "The endpoint"), ...problemResponses(401, 403, 404, 422) },
});

/** Whose endpoints the caller reaches: their own; an admin's, everyone's (null). */
export function endpointScope(principal: { role: string; ownerId: string }): string | null {
  return principal.role === "admin" ? null : principal.ownerId;
}

export function register(app: App) {
  app.openapi(route, async (c) => {
    const endpoint = await getEndpoint(
      c.get("db"),
      c.req.valid("param").id,
      endpointScope(c.get("principal")),
    );
    if (!endpoint) throw new ApiError("NOT_FOUND", "No such webhook endpoint");
    return c.json(endpointJson(endpoint, now()), 200);
  });
}
