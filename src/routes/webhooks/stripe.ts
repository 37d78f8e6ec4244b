import { createRoute } from "@hono/zod-openapi";
import { webhookSecrets } from "../../credits/config";
import { receiveStripeWebhook } from "../../credits/stripe";
import { now } from "../../kit/clock";
import { orThrow } from "../../kit/http/errors";
import { jsonResponse, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { webhookReceiptSchema } from "./schemas";

const route = createRoute({
  method: "post",
  path: "/v1/webhooks/stripe",
  tags: ["webhooks"],
  summary: "Stripe events: card payments mint CC; refunds and disputes take it back (signed, no key)",
  description:
    "Verified with the official stripe library against STRIPE_WEBHOOK_SECRET (and STRIPE_WEBHOOK_SECRET_PREVIOUS during a rotation), 300 s tolerance, over the raw body. Handled: checkout.session.completed, checkout.session.async_payment_succeeded, payment_intent.succeeded (metadata.cc_quote_id), charge.refunded, charge.dispute.created / updated / closed; others are acknowledged and ignored. Each event applies exactly once.",
  responses: {
    200: jsonResponse(webhookReceiptSchema, "Handled now, or before (duplicate)"),
    ...problemResponses(400, 413, 422, 503),
  },
});

export function register(app: App) {
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
