/** `GET /v1/webhook-endpoints`: your endpoints (an admin: another owner's with `ownerId`), oldest first. One round trip. */
import { createRoute, z } from "@hono/zod-openapi";
import { endpointsPerOwnerMax, listEndpoints } from "../../events/endpoints";
import { now } from "../../kit/clock";
import { anyRole, ownerToList, requireRoles } from "../../kit/http/middleware";
import { jsonResponse, ownerFilterSchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { endpointJson, endpointSchema } from "./schemas";

const route = createRoute({
  method: "get",
  path: "/v1/webhook-endpoints",
  operationId: "listWebhookEndpoints",
  tags: ["webhook-endpoints"],
  summary: "Your webhook endpoints (never their secrets)",
  description: `At most ${endpointsPerOwnerMax} per owner, so one page holds them all.`,
  security: [{ apiKey: [] }],
  middleware: [requireRoles(...anyRole)] as const,
  request: { query: z.strictObject({ ownerId: ownerFilterSchema.optional() }) },
  responses: {
    200: jsonResponse(
      z.object({ data: z.array(endpointSchema) }).openapi("WebhookEndpointList"),
      "The endpoints",
    ),
    ...problemResponses(401, 403, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const ownerId = ownerToList(c.get("principal"), c.req.valid("query").ownerId);
    const endpoints = await listEndpoints(c.get("db"), ownerId, endpointsPerOwnerMax);
    const nowMs = now();
    return c.json({ data: endpoints.map((endpoint) => endpointJson(endpoint, nowMs)) }, 200);
  });
}
