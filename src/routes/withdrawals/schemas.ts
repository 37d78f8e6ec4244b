/** Withdrawal shapes as the API shows them. */
import { z } from "@hono/zod-openapi";
import type { RequestedWithdrawal } from "../../credits/withdrawals";
import { formatAmount } from "../../ledger/core/money";

export const withdrawalSchema = z
  .object({
    id: z.string().openapi({ example: "wdr_0f1e2d3c4b5a69788796a5b4c3d2e1f0" }),
    ownerId: z.string(),
    accountId: z.string(),
    amountTfp: z.string().openapi({ description: "Held now; burned when the bridge confirms the payment." }),
    amountTft: z.string().openapi({ description: "What the bridge pays to `destination`." }),
    destination: z.string(),
    status: z.enum(["pending", "paid", "failed"]).openapi({
      description: "pending: waiting for the bridge (TFP and vault TFT held); paid / failed: final.",
    }),
    tftMarketUsd: z.string().openapi({ description: "The TFT price that allowed the withdrawal." }),
    txHash: z.string().nullable(),
    failureReason: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Withdrawal");

export function withdrawalJson(withdrawal: RequestedWithdrawal): z.infer<typeof withdrawalSchema> {
  return {
    id: withdrawal.id,
    ownerId: withdrawal.ownerId,
    accountId: withdrawal.accountId,
    amountTfp: formatAmount("TFP", withdrawal.tfpMinor),
    amountTft: formatAmount("TFT", withdrawal.tftMinor),
    destination: withdrawal.destination,
    status: withdrawal.status,
    tftMarketUsd: withdrawal.tftMarketUsd,
    txHash: withdrawal.txHash,
    failureReason: withdrawal.failureReason,
    createdAt: new Date(withdrawal.createdAtMs).toISOString(),
    updatedAt: new Date(withdrawal.updatedAtMs).toISOString(),
  };
}

export const withdrawalParamsSchema = z.strictObject({
  id: z
    .string()
    .regex(/^wdr_[0-9a-f]{32}$/)
    .openapi({ param: { name: "id", in: "path" }, example: "wdr_0f1e2d3c4b5a69788796a5b4c3d2e1f0" }),
});
