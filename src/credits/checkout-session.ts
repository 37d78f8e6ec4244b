/**
 * Stripe Checkout for card checkout quotes: creates the Checkout Session that charges a quote's
 * USD, through the official `stripe` library (its fetch client, as Workers need), carrying the
 * quote's reference where the Stripe webhook (./stripe.ts) reads it: `client_reference_id`, and
 * `metadata.cc_quote_id` on the session and on its PaymentIntent (`payment_intent_data.metadata`).
 *
 * The request is idempotent at Stripe: its Idempotency-Key is derived from the quote's id, and a
 * quote id is derived from the caller's own Idempotency-Key when one is sent (./checkout.ts), so a
 * retry of the same checkout gets the same session back instead of a second one. Nothing in the
 * request depends on the price of the moment (only the USD amount, the account and the quote id),
 * so such a retry sends the same parameters even if the peg moved meanwhile, as Stripe requires.
 */
import Stripe from "stripe";
import { z } from "zod";
import { fail, ok, type Result } from "../kit/result";
import type { CheckoutQuote, CreateCheckoutSession } from "./checkout";
import type { StripeCheckoutConfig } from "./config";
import { quoteReferenceKey } from "./stripe";

/** Retries of one request by the library (same Idempotency-Key), on a network error or a 5xx. */
export const stripeNetworkRetriesMax = 1;
/** How long one attempt may take before it counts as a network error. */
export const stripeTimeoutMs = 10_000;

/** Stripe's Idempotency-Key for the session of a quote. */
export function checkoutSessionIdempotencyKey(quoteId: string): string {
  return `cc_checkout_${quoteId}`;
}

/** What Stripe answered, as far as this service uses it. */
const sessionSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_]{1,255}$/),
  url: z
    .string()
    .max(5_000)
    .regex(/^https?:\/\//),
});

/** The parameters of `POST /v1/checkout/sessions` for a quote (form-encoded by the library). */
export function checkoutSessionParams(
  quote: CheckoutQuote,
  urls: { readonly successUrl: string; readonly cancelUrl: string },
): Stripe.Checkout.SessionCreateParams {
  const metadata = { [quoteReferenceKey]: quote.id, cc_account_id: quote.accountId };
  const withQuote = (url: string) => url.replaceAll("{QUOTE_ID}", encodeURIComponent(quote.id));
  return {
    mode: "payment",
    client_reference_id: quote.id,
    metadata,
    payment_intent_data: { metadata },
    line_items: [
      {
        quantity: 1,
        price_data: {
          currency: "usd",
          unit_amount: Number(quote.usdMinor),
          product_data: {
            name: "Cloud Credits",
            description: `Credited to ${quote.accountId} (quote ${quote.id})`,
          },
        },
      },
    ],
    success_url: withQuote(urls.successUrl),
    cancel_url: withQuote(urls.cancelUrl),
  };
}

/** Reads a failure of the library: Stripe unreachable or failing (503), or refusing us (502). */
function failureOf(error: unknown): Result<never> {
  if (!(error instanceof Stripe.errors.StripeError)) throw error;
  const transient =
    error instanceof Stripe.errors.StripeConnectionError ||
    error instanceof Stripe.errors.StripeRateLimitError ||
    error instanceof Stripe.errors.StripeAPIError ||
    (error.statusCode ?? 0) >= 500;
  console.warn(
    JSON.stringify({
      level: "warn",
      event: "stripe_checkout_session",
      type: error.rawType ?? error.type,
      code: error.code ?? null,
      status: error.statusCode ?? null,
      requestId: error.requestId ?? null,
      message: error.message,
    }),
  );
  if (transient) {
    return fail(
      "PAYMENT_PROVIDER_UNAVAILABLE",
      "Stripe could not be reached to create the Checkout Session; nothing was recorded, retry shortly",
    );
  }
  // Stripe's message is logged, not echoed: it may describe our configuration (a key's suffix).
  return fail(
    "PAYMENT_PROVIDER_REFUSED",
    `Stripe refused to create the Checkout Session (${error.rawType ?? error.type}${error.code ? `: ${error.code}` : ""}); nothing was recorded`,
  );
}

/**
 * The session maker for `config`, sending the payer back to `urls` (`{QUOTE_ID}` is replaced by
 * the quote's id, `{CHECKOUT_SESSION_ID}` is left for Stripe).
 */
export function stripeCheckoutSessions(
  config: StripeCheckoutConfig,
  urls: { readonly successUrl: string; readonly cancelUrl: string },
): CreateCheckoutSession {
  const stripe = new Stripe(config.secretKey, {
    httpClient: Stripe.createFetchHttpClient(),
    maxNetworkRetries: stripeNetworkRetriesMax,
    timeout: stripeTimeoutMs,
    telemetry: false,
    ...(config.api === null ? {} : config.api),
  });
  return async (quote) => {
    let answer: unknown;
    try {
      answer = await stripe.checkout.sessions.create(checkoutSessionParams(quote, urls), {
        idempotencyKey: checkoutSessionIdempotencyKey(quote.id),
      });
    } catch (error) {
      return failureOf(error);
    }
    const session = sessionSchema.safeParse(answer);
    if (!session.success) {
      return fail(
        "PAYMENT_PROVIDER_REFUSED",
        "Stripe answered without a Checkout Session id and payment URL",
      );
    }
    return ok({ id: session.data.id, url: session.data.url });
  };
}
