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
    stripe: z
      .object({
        clientReferenceId: z.string(),
        metadata: z.record(z.string(), z.string()),
      })
      .openapi({
        description:
          "Put these on the Stripe Checkout Session (client_reference_id, and metadata on the session and on payment_intent_data). A payment after expiresAt, or of another amount, is minted at the peg when it arrives.",
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
    stripe: { clientReferenceId: quote.id, metadata: { [quoteReferenceKey]: quote.id } },
  };
}
