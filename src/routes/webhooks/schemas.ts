/** What a webhook delivery gets back when it was handled (or had been before). */
import { z } from "@hono/zod-openapi";
import { bridgeEventData } from "../../credits/bridge";
import { stripeEventsHandled } from "../../credits/stripe";

export const webhookReceiptSchema = z
  .object({
    received: z.literal(true),
    eventId: z.string(),
    type: z.string(),
    outcome: z
      .string()
      .openapi({ example: "minted", description: "What the event did (or did the first time)." }),
    detail: z.string().nullable(),
    duplicate: z
      .boolean()
      .openapi({ description: "True when this event had already been handled: nothing changed now." }),
  })
  .openapi("WebhookReceipt");

const pascal = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);

/**
 * The Stripe events the service acts on, for the API document only: the handler verifies the
 * signature over the raw body before it parses anything (src/credits/stripe.ts), so these schemas
 * are not used to validate the request. Each `data.object` lists only the fields read.
 */
export const stripeEventSchema = z
  .union(
    Object.entries(stripeEventsHandled).map(([name, { types, object }]) =>
      z
        .object({
          id: z.string().openapi({ example: "evt_1QkPq0fJ2m9Zb7Lr" }),
          type: z.enum(types as unknown as [string, ...string[]]),
          created: z.number().int().openapi({ description: "Unix seconds." }),
          data: z.object({ object }),
        })
        .openapi(`Stripe${pascal(name)}Event`),
    ) as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]],
  )
  .openapi("StripeEvent", {
    description:
      "A Stripe event as Stripe sends it (only the fields read are shown). Any other event type is acknowledged with 200 and ignored.",
  });

/**
 * The TFT bridge's events, for the API document only: the handler verifies the signature over the
 * raw body first, then parses `data` by type with these shapes (src/credits/bridge.ts).
 */
export const bridgeEventSchema = z
  .union(
    Object.entries(bridgeEventData).map(([type, data]) =>
      z
        .object({
          id: z
            .string()
            .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/)
            .openapi({ description: "The event's id: each id applies once.", example: "evt_7f3a9c" }),
          type: z.literal(type),
          created: z.number().int().nonnegative().openapi({ description: "Unix seconds." }),
          data,
        })
        .openapi(`Bridge${type.split(".").map(pascal).join("")}Event`),
    ) as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]],
  )
  .openapi("BridgeEvent", { description: "Any other type is acknowledged with 200 and ignored." });

/**
 * A webhook's request body in the API document: a reference to the event schema, not the zod
 * schema itself, so that the route does not parse the body (the signature covers its raw bytes).
 */
export function webhookBody(componentName: "StripeEvent" | "BridgeEvent", description: string) {
  return {
    required: true,
    description,
    content: { "application/json": { schema: { $ref: `#/components/schemas/${componentName}` } } },
  };
}
