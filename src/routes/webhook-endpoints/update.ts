/** `PUT /v1/webhook-endpoints/{id}`: changes the URL, the event types, or disables / enables it. One round trip. */
import { createRoute, z } from "@hono/zod-openapi";
import { checkEndpointUrl } from "../../events/core/endpoint-url";
import { updateEndpoint } from "../../events/endpoints";
import { now } from "../../kit/clock";
import { ApiError } from "../../kit/http/errors";
import { anyRole, requireRoles } from "../../kit/http/middleware";
import { jsonBody, jsonResponse, noQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { endpointScope } from "./get";
import {
  endpointEventTypesSchema,
  endpointJson,
  endpointParamsSchema,
  endpointSchema,
  endpointUrlSchema,
} from "./schemas";

const bodySchema = z
  .strictObject({
    url: endpointUrlSchema.optional(),
    eventTypes: endpointEventTypesSchema.optional(),
    disabled: z
      .boolean()
      .optional()
      .openapi({ description: "true: no deliveries for events from now on; false: deliver again." }),
  })
  .refine((body) => Object.keys(body).length > 0, "must change at least one of url, eventTypes, disabled");

const route = createRoute({
  method: "put",
  path: "/v1/webhook-endpoints/{id}",
  operationId: "updateWebhookEndpoint",
  tags: ["webhook-endpoints"],
  summary: "Change a webhook endpoint's URL or event types, or disable / enable it",
  description:
    "Only the fields sent change. A disabled endpoint gets no deliveries for events written while it is disabled; its pending ones are given up when they come due.",
  security: [{ apiKey: [] }],
  middleware: [requireRoles(...anyRole)] as const,
  request: { query: noQuerySchema, params: endpointParamsSchema, body: jsonBody(bodySchema) },
  responses: {
    200: jsonResponse(endpointSchema, "The endpoint"),
    ...problemResponses(401, 403, 404, 413, 415, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const input = c.req.valid("json");
    let url: string | undefined;
    if (input.url !== undefined) {
      const checked = checkEndpointUrl(input.url, c.env.ENVIRONMENT);
      if (!checked.ok) throw ApiError.from(checked);
      url = checked.value;
    }
    const nowMs = now();
    const endpoint = await updateEndpoint(
      c.get("db"),
      c.req.valid("param").id,
      endpointScope(c.get("principal")),
      {
        ...(url === undefined ? {} : { url }),
        ...(input.eventTypes === undefined ? {} : { eventTypes: input.eventTypes }),
        ...(input.disabled === undefined ? {} : { disabled: input.disabled }),
      },
      nowMs,
    );
    if (!endpoint) throw new ApiError("NOT_FOUND", "No such webhook endpoint");
    return c.json(endpointJson(endpoint, nowMs), 200);
  });
}
