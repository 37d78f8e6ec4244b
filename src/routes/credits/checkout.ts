import { createRoute, z } from "@hono/zod-openapi";
import { createCheckoutQuote } from "../../credits/checkout";
import { stripeCheckoutSessions } from "../../credits/checkout-session";
import { creditsConfig, stripeCheckoutConfig } from "../../credits/config";
import { now } from "../../kit/clock";
import { orThrow } from "../../kit/http/errors";
import { requireRoles } from "../../kit/http/middleware";
import {
  accountIdSchema,
  amountSchema,
  idempotencyHeaderSchema,
  jsonBody,
  jsonResponse,
  minorOf,
  noQuerySchema,
  problemResponses,
} from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { checkoutQuoteJson, checkoutQuoteSchema } from "./schemas";

const bodySchema = z.strictObject({
  accountId: accountIdSchema.openapi({ description: "Your CC account of kind user (purchased CC)." }),
  amountUsd: amountSchema.openapi({
    example: "25.00",
    description: "0.50 … 100000.00 USD, at most 2 decimals.",
  }),
});

const headersSchema = idempotencyHeaderSchema.partial().extend({
  "idempotency-key": idempotencyHeaderSchema.shape["idempotency-key"].optional().openapi({
    description:
      "Recommended: a retry with the same key and body answers the same quote and Checkout Session (Idempotent-Replayed: true) instead of making another; with another body it is 409. Nothing moves value here, so it is optional.",
  }),
});

const route = createRoute({
  method: "post",
  path: "/v1/credits/checkout",
  operationId: "createCheckoutQuote",
  tags: ["credits"],
  summary:
    "Buy CC by card: a quote (USD → CC at the current peg, valid for a limited time) and its Stripe Checkout page (owner or admin)",
  description:
    "With STRIPE_SECRET_KEY set, the service creates the Stripe Checkout Session (quote reference in client_reference_id and in metadata.cc_quote_id on the session and its PaymentIntent) and answers its `checkoutUrl`; if Stripe refuses (502 PAYMENT_PROVIDER_REFUSED) or cannot be reached (503 PAYMENT_PROVIDER_UNAVAILABLE) nothing is recorded. Without it, `checkoutUrl` is null and the client creates the session with the reference given. CC is minted once, when Stripe reports the payment (POST /v1/webhooks/stripe).",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("admin", "user", "farmer", "lp")] as const,
  request: { headers: headersSchema, query: noQuerySchema, body: jsonBody(bodySchema) },
  responses: {
    201: jsonResponse(checkoutQuoteSchema, "The quote, its payment page, and the reference on the payment"),
    ...problemResponses(401, 403, 404, 409, 413, 415, 422, 502, 503),
  },
});

/** Where Stripe sends the payer back when no URL is configured: this service's dashboard. */
function defaultReturnUrls(requestUrl: string) {
  const origin = new URL(requestUrl).origin;
  return {
    successUrl: `${origin}/?checkout=success&quote={QUOTE_ID}`,
    cancelUrl: `${origin}/?checkout=cancel&quote={QUOTE_ID}`,
  };
}

export function register(app: App) {
  app.openapi(route, async (c) => {
    const input = c.req.valid("json");
    const nowMs = now();
    const stripe = stripeCheckoutConfig(c.env);
    const fallback = defaultReturnUrls(c.req.url);
    const createSession =
      stripe === null
        ? null
        : stripeCheckoutSessions(stripe, {
            successUrl: stripe.successUrl ?? fallback.successUrl,
            cancelUrl: stripe.cancelUrl ?? fallback.cancelUrl,
          });
    const outcome = orThrow(
      await createCheckoutQuote(
        c.get("db"),
        c.get("principal"),
        {
          accountId: input.accountId,
          usdMinor: minorOf("USD", input.amountUsd, "amountUsd"),
          idempotencyKey: c.req.valid("header")["idempotency-key"] ?? null,
        },
        { config: creditsConfig(c.env), createSession },
        nowMs,
      ),
    );
    if (outcome.replayed) c.header("idempotent-replayed", "true");
    return c.json(checkoutQuoteJson(outcome.quote, nowMs), 201);
  });
}
