/** Conversion shapes as the API shows them. */
import { z } from "@hono/zod-openapi";
import type { ConversionQuote } from "../../credits/conversions";
import { formatAmount } from "../../ledger/core/money";

export const conversionQuoteSchema = z
  .object({
    id: z.string().openapi({ example: "cnv_3XkPq0fJ2m9Zb7Lr1sYtWc" }),
    pool: z.enum(["entry", "market"]),
    fromAccountId: z.string(),
    toAccountId: z.string(),
    fromAsset: z.enum(["CC", "TFP"]),
    toAsset: z.enum(["CC", "TFP"]),
    amountIn: z.string().openapi({ example: "1000.0000000", description: "Burned from fromAccountId." }),
    amountOut: z.string().openapi({ example: "500.000000", description: "Minted to toAccountId." }),
    ccUsd: z.string().openapi({ description: "USD per CC the quote is priced at." }),
    tftMarketUsd: z.string().openapi({ description: "USD per TFT the quote is priced at." }),
    priceRoundIds: z.object({ gold: z.string(), tft: z.string() }),
    status: z.enum(["open", "expired", "executed"]),
    expiresAt: z.string(),
    executedAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi("ConversionQuote");

export function conversionQuoteJson(
  quote: ConversionQuote,
  nowMs: number,
): z.infer<typeof conversionQuoteSchema> {
  return {
    id: quote.id,
    pool: quote.pool,
    fromAccountId: quote.fromAccountId,
    toAccountId: quote.toAccountId,
    fromAsset: quote.fromAsset,
    toAsset: quote.toAsset,
    amountIn: formatAmount(quote.fromAsset, quote.amountInMinor),
    amountOut: formatAmount(quote.toAsset, quote.amountOutMinor),
    ccUsd: quote.ccUsd,
    tftMarketUsd: quote.tftMarketUsd,
    priceRoundIds: { gold: quote.goldRoundId, tft: quote.tftRoundId },
    status: quote.executedAtMs !== null ? "executed" : nowMs < quote.expiresAtMs ? "open" : "expired",
    expiresAt: new Date(quote.expiresAtMs).toISOString(),
    executedAt: quote.executedAtMs === null ? null : new Date(quote.executedAtMs).toISOString(),
    createdAt: new Date(quote.createdAtMs).toISOString(),
  };
}
