/** `POST /v1/webhook-endpoints`: registers an endpoint; its signing secret is returned once. */
import { createRoute, z } from "@hono/zod-openapi";
import { checkEndpointUrl } from "../../events/core/endpoint-url";
import { createEndpoint, endpointsPerOwnerMax } from "../../events/endpoints";
import { now } from "../../kit/clock";
import { ApiError } from "../../kit/http/errors";
import { anyRole, requireRoles } from "../../kit/http/middleware";
import { jsonBody, jsonResponse, noQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import {
  endpointEventTypesSchema,
  endpointJson,
  endpointUrlSchema,
  endpointWithSecretSchema,
} from "./schemas";

const bodySchema = z.strictObject({ url: endpointUrlSchema, eventTypes: endpointEventTypesSchema });

const route = createRoute({
  method: "post",
  path: "/v1/webhook-endpoints",
  operationId: "createWebhookEndpoint",
  tags: ["webhook-endpoints"],
  summary: "Register a webhook endpoint for your events; the signing secret is returned once",
  description: `Deliveries of the chosen event types are POSTed to the URL, signed with the Standard Webhooks scheme (README "Webhooks"). At most ${endpointsPerOwnerMax} endpoints per owner.`,
  security: [{ apiKey: [] }],
  middleware: [requireRoles(...anyRole)] as const,
  request: { query: noQuerySchema, body: jsonBody(bodySchema) },
  responses: {
    201: jsonResponse(endpointWithSecretSchema, "The endpoint, with its signing secret"),
    ...problemResponses(401, 403, 413, 415, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const input = c.req.valid("json");
    const url = checkEndpointUrl(input.url, c.env.ENVIRONMENT);
    if (!url.ok) throw ApiError.from(url);
    const nowMs = now();
    const created = await createEndpoint(
      c.get("db"),
      { ownerId: c.get("principal").ownerId, url: url.value, eventTypes: input.eventTypes },
      nowMs,
    );
    if (!created.ok) throw ApiError.from(created);
    return c.json({ ...endpointJson(created.value, nowMs), secret: created.value.secret }, 201);
  });
}
