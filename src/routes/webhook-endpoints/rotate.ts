/**
 * `POST /v1/webhook-endpoints/{id}/rotate-secret`: a new signing secret, returned once; the old
 * one keeps signing (a second signature on each delivery) for the grace period. One round trip.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { rotateEndpointSecret, secretGraceMsMax } from "../../events/endpoints";
import { now } from "../../kit/clock";
import { ApiError } from "../../kit/http/errors";
import { anyRole, requireRoles } from "../../kit/http/middleware";
import { jsonBody, jsonResponse, noQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { endpointScope } from "./get";
import { endpointJson, endpointParamsSchema, endpointWithSecretSchema } from "./schemas";

const bodySchema = z.strictObject({
  graceSeconds: z
    .number()
    .int()
    .min(0)
    .max(secretGraceMsMax / 1000)
    .default(86_400)
    .openapi({ description: "How long the old secret also signs (default one day, at most 7 days)." }),
});

const route = createRoute({
  method: "post",
  path: "/v1/webhook-endpoints/{id}/rotate-secret",
  operationId: "rotateWebhookEndpointSecret",
  tags: ["webhook-endpoints"],
  summary: "Rotate a webhook endpoint's signing secret; the new one is returned once",
  security: [{ apiKey: [] }],
  middleware: [requireRoles(...anyRole)] as const,
  request: { query: noQuerySchema, params: endpointParamsSchema, body: jsonBody(bodySchema) },
  responses: {
    200: jsonResponse(endpointWithSecretSchema, "The endpoint, with its new secret"),
    ...problemResponses(401, 403, 404, 413, 415, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const nowMs = now();
    const endpoint = await rotateEndpointSecret(
      c.get("db"),
      c.req.valid("param").id,
      endpointScope(c.get("principal")),
      c.req.valid("json").graceSeconds * 1000,
      nowMs,
    );
    if (!endpoint) throw new ApiError("NOT_FOUND", "No such webhook endpoint");
    return c.json({ ...endpointJson(endpoint, nowMs), secret: endpoint.secret }, 200);
  });
}
