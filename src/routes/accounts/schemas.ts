/** Account and transfer shapes as the API shows them. */
import { z } from "@hono/zod-openapi";
import { accountKinds } from "../../kit/db/schema";
import { assetSchema } from "../../kit/http/schemas";
import type { Account } from "../../ledger/accounts";
import { formatAmount } from "../../ledger/core/money";
import type { UnnumberedTransfer } from "../../ledger/store";

export const accountSchema = z
  .object({
    id: z.string().openapi({ example: "acc_3XkPq0fJ2m9Zb7Lr1sYtWc" }),
    ownerId: z.string().nullable(),
    asset: assetSchema,
    kind: z.enum(accountKinds),
    name: z.string().nullable(),
    closed: z.boolean(),
    balance: z.object({
      posted: z
        .string()
        .openapi({ description: "Credits minus debits that have posted.", example: "100.000000" }),
      available: z.string().openapi({ description: "Posted minus funds held by pending transfers." }),
      pendingDebits: z.string(),
      pendingCredits: z.string(),
    }),
    createdAt: z.string().openapi({ example: "2026-11-24T12:00:00.000Z" }),
  })
  .openapi("Account");

export function accountJson(account: Account): z.infer<typeof accountSchema> {
  return {
    id: account.id,
    ownerId: account.ownerId,
    asset: account.asset,
    kind: account.kind,
    name: account.name,
    closed: account.closed,
    balance: {
      posted: formatAmount(account.asset, account.postedMinor),
      available: formatAmount(account.asset, account.availableMinor),
      pendingDebits: formatAmount(account.asset, account.pendingDebitsMinor),
      pendingCredits: formatAmount(account.asset, account.pendingCreditsMinor),
    },
    createdAt: new Date(account.createdAtMs).toISOString(),
  };
}

export const transferSchema = z
  .object({
    id: z.string(),
    type: z.enum(["posted", "pending", "post_pending", "void_pending"]),
    debitAccountId: z.string(),
    creditAccountId: z.string(),
    asset: assetSchema,
    amount: z.string(),
    pendingId: z.string().nullable(),
    code: z.string(),
    metadata: z.record(z.string(), z.unknown()).nullable(),
    linkId: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi("Transfer");

export function transferJson(transfer: UnnumberedTransfer): z.infer<typeof transferSchema> {
  const asset = transfer.asset as Account["asset"];
  return {
    id: transfer.id,
    type: transfer.type,
    debitAccountId: transfer.debitAccountId,
    creditAccountId: transfer.creditAccountId,
    asset,
    amount: formatAmount(asset, transfer.amountMinor),
    pendingId: transfer.pendingId,
    code: transfer.code,
    metadata: transfer.metadata,
    linkId: transfer.linkId,
    createdAt: new Date(transfer.createdAtMs).toISOString(),
  };
}
