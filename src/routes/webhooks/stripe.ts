import { createRoute, z } from "@hono/zod-openapi";
import { webhookSecrets } from "../../credits/config";
import { receiveStripeWebhook } from "../../credits/stripe";
import { now } from "../../kit/clock";
import { orThrow } from "../../kit/http/errors";
import { jsonResponse, noQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { stripeEventSchema, webhookBody, webhookReceiptSchema } from "./schemas";

const route = createRoute({
  method: "post",
  path: "/v1/webhooks/stripe",
  operationId: "receiveStripeEvent",
  security: [],
  tags: ["webhooks"],
  summary: "Stripe events: card payments mint CC; refunds and disputes take it back (signed, no key)",
  description:
    "Authenticated by Stripe's signature, not an API key: the `Stripe-Signature` header is verified with the official stripe library against STRIPE_WEBHOOK_SECRET (and STRIPE_WEBHOOK_SECRET_PREVIOUS during a rotation), 300 s tolerance, over the raw body. Handled: checkout.session.completed, checkout.session.async_payment_succeeded, payment_intent.succeeded (metadata.cc_quote_id), charge.refunded, charge.dispute.created / updated / closed; others are acknowledged and ignored. Each event applies exactly once.",
  request: {
    query: noQuerySchema,
    headers: z.object({
      "stripe-signature": z.string().optional().openapi({
        description:
          "Stripe's signature `t=<unix seconds>,v1=<hex>` over the raw body. Required: a delivery without a valid one is refused with 400.",
        example: "t=1767225600,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd",
      }),
    }),
    body: webhookBody("StripeEvent", "The event, exactly as Stripe signed it."),
  },
  responses: {
    200: jsonResponse(webhookReceiptSchema, "Handled now, or before (duplicate)"),
    ...problemResponses(400, 413, 422, 503),
  },
});

export function register(app: App) {
  app.openAPIRegistry.register("StripeEvent", stripeEventSchema);
  app.openapi(route, async (c) => {
    // The raw body, before anything parses it: the signature covers these exact bytes.
    const rawBody = await c.req.text();
    const outcome = orThrow(
      await receiveStripeWebhook(
        c.get("db"),
        { rawBody, signature: c.req.header("stripe-signature") },
        webhookSecrets(c.env.STRIPE_WEBHOOK_SECRET, c.env.STRIPE_WEBHOOK_SECRET_PREVIOUS),
        now(),
      ),
    );
    return c.json({ received: true as const, ...outcome }, 200);
  });
}
