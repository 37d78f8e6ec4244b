/** `DELETE /v1/webhook-endpoints/{id}`: removes an endpoint; its pending deliveries are given up. One round trip. */
import { createRoute } from "@hono/zod-openapi";
import { deleteEndpoint } from "../../events/endpoints";
import { now } from "../../kit/clock";
import { ApiError } from "../../kit/http/errors";
import { anyRole, requireRoles } from "../../kit/http/middleware";
import { jsonResponse, noQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { endpointScope } from "./get";
import { endpointJson, endpointParamsSchema, endpointSchema } from "./schemas";

const route = createRoute({
  method: "delete",
  path: "/v1/webhook-endpoints/{id}",
  operationId: "deleteWebhookEndpoint",
  tags: ["webhook-endpoints"],
  summary: "Remove a webhook endpoint",
  security: [{ apiKey: [] }],
  middleware: [requireRoles(...anyRole)] as const,
  request: { query: noQuerySchema, params: endpointParamsSchema },
  responses: {
    200: jsonResponse(endpointSchema, "The removed endpoint"),
    ...problemResponses(401, 403, 404, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const nowMs = now();
    const endpoint = await deleteEndpoint(
      c.get("db"),
      c.req.valid("param").id,
      endpointScope(c.get("principal")),
      nowMs,
    );
    if (!endpoint) throw new ApiError("NOT_FOUND", "No such webhook endpoint");
    return c.json(endpointJson(endpoint, nowMs), 200);
  });
}
