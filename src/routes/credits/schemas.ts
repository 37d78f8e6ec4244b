/** Checkout quote shapes as the API shows them. */
import { z } from "@hono/zod-openapi";
import { type CheckoutQuote, checkoutQuoteStatus } from "../../credits/checkout";
import { quoteReferenceKey } from "../../credits/stripe";
import { formatAmount } from "../../ledger/core/money";

export const checkoutQuoteSchema = z
  .object({
    id: z.string().openapi({ example: "chk_3XkPq0fJ2m9Zb7Lr1sYtWc" }),
    reference: z.string().openapi({ description: "Attach to the payment: see `stripe`." }),
    accountId: z.string(),
    amountUsd: z.string().openapi({ example: "25.00" }),
    amountCc: z
      .string()
      .openapi({ example: "195.312500", description: "CC minted if paid before expiresAt." }),
    ccUsd: z.string().openapi({ example: "0.128", description: "USD per CC the quote is priced at." }),
    priceRoundId: z.string(),
    status: z.enum(["open", "expired", "paid"]),
    paymentId: z.string().nullable(),
    expiresAt: z.string(),
    createdAt: z.string(),
    checkoutUrl: z.string().nullable().openapi({
      example: "https://checkout.stripe.com/c/pay/cs_test_a1B2c3",
      description:
        "The Stripe Checkout page to send the payer to, created by this service; null when the service has no Stripe key (`stripe.checkoutSession` is then `not_configured`: create the session yourself with `stripe`).",
    }),
    checkoutSessionId: z.string().nullable().openapi({ example: "cs_test_a1B2c3" }),
    stripe: z
      .object({
        checkoutSession: z.enum(["created", "not_configured"]).openapi({
          description:
            "`created`: this service created the Checkout Session (checkoutUrl); `not_configured`: it had no Stripe key (STRIPE_SECRET_KEY) when the quote was made.",
        }),
        clientReferenceId: z.string(),
        metadata: z.record(z.string(), z.string()),
      })
      .openapi({
        description:
          "The reference on the payment: set on the session this service created, or put these on your own Checkout Session (client_reference_id, and metadata on the session and on payment_intent_data). A payment after expiresAt, or of another amount, is minted at the peg when it arrives.",
      }),
  })
  .openapi("CheckoutQuote");

export function checkoutQuoteJson(quote: CheckoutQuote, nowMs: number): z.infer<typeof checkoutQuoteSchema> {
  return {
    id: quote.id,
    reference: quote.id,
    accountId: quote.accountId,
    amountUsd: formatAmount("USD", quote.usdMinor),
    amountCc: formatAmount("CC", quote.ccMinor),
    ccUsd: quote.ccUsd,
    priceRoundId: quote.goldRoundId,
    status: checkoutQuoteStatus(quote, nowMs),
    paymentId: quote.paymentId,
    expiresAt: new Date(quote.expiresAtMs).toISOString(),
    createdAt: new Date(quote.createdAtMs).toISOString(),
    checkoutUrl: quote.checkoutUrl,
    checkoutSessionId: quote.checkoutSessionId,
    stripe: {
      checkoutSession: quote.checkoutSessionId === null ? "not_configured" : "created",
      clientReferenceId: quote.id,
      metadata: { [quoteReferenceKey]: quote.id },
    },
  };
}
