/**
 * `POST /v1/webhook-endpoints/{id}/deliveries/{deliveryId}/replay`: sends a delivered or failed
 * delivery again, now, with a fresh attempt budget (same `webhook-id`). One round trip and one
 * enqueue.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { replayDelivery } from "../../events/deliveries";
import { endpointStatement } from "../../events/endpoints";
import { now } from "../../kit/clock";
import { ApiError } from "../../kit/http/errors";
import { anyRole, requireRoles } from "../../kit/http/middleware";
import { jsonResponse, noQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { deliveryJson, deliverySchema } from "./deliveries";
import { endpointScope } from "./get";
import { endpointParamsSchema } from "./schemas";

const paramsSchema = endpointParamsSchema.extend({
  deliveryId: z
    .string()
    .regex(/^whd_[0-9a-f]{24}$/, "must be a webhook delivery id (whd_…)")
    .openapi({ param: { name: "deliveryId", in: "path" }, example: "whd_0f3a9c1b2d4e5f60718293a4" }),
});

const route = createRoute({
  method: "post",
  path: "/v1/webhook-endpoints/{id}/deliveries/{deliveryId}/replay",
  operationId: "replayWebhookDelivery",
  tags: ["webhook-endpoints"],
  summary: "Send a delivered or failed delivery again, now",
  description:
    "The delivery becomes pending with a fresh attempt budget and is queued at once; it keeps its `webhook-id`, so a receiver that deduplicates ignores a copy it already processed. A replay is not held back behind later events of its subject. 409 while the delivery is still pending.",
  security: [{ apiKey: [] }],
  middleware: [requireRoles(...anyRole)] as const,
  request: { query: noQuerySchema, params: paramsSchema },
  responses: {
    202: jsonResponse(deliverySchema, "The delivery, queued"),
    ...problemResponses(401, 403, 404, 409, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { id, deliveryId } = c.req.valid("param");
    const ownerId = endpointScope(c.get("principal"));
    const replayed = await replayDelivery(
      c.get("db"),
      endpointStatement(id, ownerId),
      { endpointId: id, ownerId },
      deliveryId,
      now(),
    );
    if (!replayed.found) throw new ApiError("NOT_FOUND", "No such webhook endpoint");
    if (replayed.delivery === null) {
      if (replayed.pending)
        throw new ApiError("CONFLICT", "This delivery is still pending: it will be tried again");
      throw new ApiError("NOT_FOUND", "No such delivery for this endpoint");
    }
    await c.env.WEBHOOK_DELIVERIES.send({ deliveryId });
    return c.json(deliveryJson(replayed.delivery), 202);
  });
}
