import { z } from "@hono/zod-openapi";
import { endpointUrlCharsMax } from "../../events/core/endpoint-url";
import type { Endpoint } from "../../events/endpoints";
import { eventTypes } from "../../kit/db/events";

export const endpointSchema = z
  .object({
    id: z.string().openapi({ example: "whe_3XkPq0fJ2m9Zb7Lr1sYtWc" }),
    ownerId: z.string().openapi({ example: "usr_alice" }),
    url: z.string().openapi({ example: "https://example.com/hooks/tfgrid" }),
    eventTypes: z.array(z.enum(eventTypes)),
    disabled: z.boolean(),
    disabledAt: z.string().nullable(),
    previousSecretExpiresAt: z
      .string()
      .nullable()
      .openapi({ description: "Until when the secret before the last rotation also signs deliveries." }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("WebhookEndpoint");

export const endpointWithSecretSchema = endpointSchema
  .extend({
    secret: z.string().openapi({
      description: "The Standard Webhooks signing secret. Shown once: store it now.",
      example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    }),
  })
  .openapi("WebhookEndpointWithSecret");

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function endpointJson(endpoint: Endpoint, nowMs: number): z.infer<typeof endpointSchema> {
  const graceLeft = endpoint.previousSecretUntilMs !== null && endpoint.previousSecretUntilMs > nowMs;
  return {
    id: endpoint.id,
    ownerId: endpoint.ownerId,
    url: endpoint.url,
    eventTypes: [...endpoint.eventTypes],
    disabled: endpoint.disabledAtMs !== null,
    disabledAt: iso(endpoint.disabledAtMs),
    previousSecretExpiresAt: graceLeft ? iso(endpoint.previousSecretUntilMs) : null,
    createdAt: new Date(endpoint.createdAtMs).toISOString(),
    updatedAt: new Date(endpoint.updatedAtMs).toISOString(),
  };
}

export const endpointUrlSchema = z
  .string()
  .min(1)
  .max(endpointUrlCharsMax)
  .openapi({
    description: `Where deliveries are POSTed: https in production; no loopback, link-local or private address outside development. At most ${endpointUrlCharsMax} characters.`,
    example: "https://example.com/hooks/tfgrid",
  });

export const endpointEventTypesSchema = z
  .array(z.enum(eventTypes))
  .min(1)
  .max(eventTypes.length)
  .refine((types) => new Set(types).size === types.length, "must not repeat a type")
  .openapi({ description: "The event types to deliver.", example: ["lease.started", "lease.ended"] });

export const endpointParamsSchema = z.strictObject({
  id: z
    .string()
    .regex(/^whe_[A-Za-z0-9]{1,60}$/, "must be a webhook endpoint id (whe_…)")
    .openapi({ param: { name: "id", in: "path" }, example: "whe_3XkPq0fJ2m9Zb7Lr1sYtWc" }),
});
