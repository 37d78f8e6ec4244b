/**
 * `GET /v1/webhook-endpoints/{id}/deliveries`: the endpoint's delivery log in event order, each
 * delivery with its every attempt (status code, error, duration, time). One round trip.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { type DeliveryView, deliveriesPage, deliveriesPageSizeMax } from "../../events/deliveries";
import { endpointStatement } from "../../events/endpoints";
import { webhookDeliveryStatuses } from "../../kit/db/schema";
import { ApiError } from "../../kit/http/errors";
import { anyRole, requireRoles } from "../../kit/http/middleware";
import { jsonResponse, pageLimitSchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { eventCursorSchema, eventTypeSchema } from "../events/schemas";
import { endpointScope } from "./get";
import { endpointParamsSchema } from "./schemas";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const deliverySchema = z
  .object({
    id: z.string().openapi({ example: "whd_0f3a9c1b2d4e5f60718293a4" }),
    endpointId: z.string(),
    eventId: z.string().openapi({ description: "Also the `webhook-id` header of every attempt." }),
    eventSeq: z.string(),
    eventType: eventTypeSchema,
    subjectId: z.string(),
    status: z.enum(webhookDeliveryStatuses),
    attempts: z.number().int().openapi({ description: "Attempts since it was created or last replayed." }),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    nextAttemptAt: z
      .string()
      .nullable()
      .openapi({ description: "When a pending delivery is tried (again)." }),
    deliveredAt: z.string().nullable(),
    createdAt: z.string(),
    log: z.array(
      z.object({
        attempt: z.number().int(),
        statusCode: z.number().int().nullable(),
        error: z.string().nullable(),
        durationMs: z.number().int(),
        at: z.string(),
      }),
    ),
  })
  .openapi("WebhookDelivery");

export function deliveryJson(delivery: DeliveryView): z.infer<typeof deliverySchema> {
  return {
    id: delivery.id,
    endpointId: delivery.endpointId,
    eventId: delivery.eventId,
    eventSeq: String(delivery.eventSeq),
    eventType: delivery.eventType as z.infer<typeof eventTypeSchema>,
    subjectId: delivery.subjectId,
    status: delivery.status,
    attempts: delivery.attempts,
    lastStatusCode: delivery.lastStatusCode,
    lastError: delivery.lastError,
    nextAttemptAt: iso(delivery.nextAttemptAtMs),
    deliveredAt: iso(delivery.deliveredAtMs),
    createdAt: new Date(delivery.createdAtMs).toISOString(),
    log: delivery.log.map((attempt) => ({
      attempt: attempt.attempt,
      statusCode: attempt.statusCode,
      error: attempt.error,
      durationMs: attempt.durationMs,
      at: new Date(attempt.atMs).toISOString(),
    })),
  };
}

const querySchema = z.strictObject({
  status: z.enum(webhookDeliveryStatuses).optional(),
  after: eventCursorSchema.optional(),
  limit: pageLimitSchema(deliveriesPageSizeMax),
});

const route = createRoute({
  method: "get",
  path: "/v1/webhook-endpoints/{id}/deliveries",
  operationId: "listWebhookDeliveries",
  tags: ["webhook-endpoints"],
  summary: "An endpoint's delivery log: each delivery and its attempts, in event order",
  security: [{ apiKey: [] }],
  middleware: [requireRoles(...anyRole)] as const,
  request: { query: querySchema, params: endpointParamsSchema },
  responses: {
    200: jsonResponse(
      z
        .object({ data: z.array(deliverySchema), nextCursor: z.string(), hasMore: z.boolean() })
        .openapi("WebhookDeliveryPage"),
      "One page of deliveries",
    ),
    ...problemResponses(401, 403, 404, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const query = c.req.valid("query");
    const afterSeq = Number(query.after ?? "0");
    const page = await deliveriesPage(c.get("db"), endpointStatement(id, endpointScope(c.get("principal"))), {
      endpointId: id,
      status: query.status ?? null,
      afterSeq,
      limit: query.limit,
    });
    if (!page.found) throw new ApiError("NOT_FOUND", "No such webhook endpoint");
    const last = page.deliveries.at(-1);
    return c.json(
      {
        data: page.deliveries.map(deliveryJson),
        nextCursor: String(last?.eventSeq ?? afterSeq),
        hasMore: page.more,
      },
      200,
    );
  });
}
