import { createRoute, z } from "@hono/zod-openapi";
import { now } from "../../kit/clock";
import { effectRecordStatements } from "../../kit/db/idempotency";
import { ApiError, orThrow } from "../../kit/http/errors";
import { firstReads, idempotentBatched, recordedByEffect, recordFor } from "../../kit/http/idempotency";
import { requireRoles, transferIdFor } from "../../kit/http/middleware";
import {
  accountIdSchema,
  amountSchema,
  assetSchema,
  idempotencyHeaderSchema,
  jsonBody,
  jsonResponse,
  minorOf,
  noQuerySchema,
  problemResponses,
  textField,
} from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import type { AssetCode } from "../../ledger/core/money";
import type { TransferRequest } from "../../ledger/core/transfers";
import { linkedTransfersMax } from "../../ledger/core/transfers";
import {
  createTransfers,
  transferHoldsFrom,
  transferHoldsStatement,
  type UnnumberedTransfer,
} from "../../ledger/store";
import { transferJson, transferSchema } from "../accounts/schemas";

const idSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/)
  .optional()
  .openapi({
    description: "Client-chosen transfer id; default: derived from the Idempotency-Key and the position.",
  });
const codeSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_.]{0,63}$/)
  .openapi({ example: "manual_adjustment" });
const metadataSchema = z.record(z.string(), z.unknown()).optional();
/** Any transfer id (system ones included), so free text that must still be readable by the database. */
const pendingIdSchema = textField({ maxChars: 128 });

const transferInputSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("posted"),
    id: idSchema,
    debitAccountId: accountIdSchema,
    creditAccountId: accountIdSchema,
    asset: assetSchema,
    amount: amountSchema,
    code: codeSchema,
    metadata: metadataSchema,
  }),
  z.strictObject({
    type: z.literal("pending"),
    id: idSchema,
    debitAccountId: accountIdSchema,
    creditAccountId: accountIdSchema,
    asset: assetSchema,
    amount: amountSchema,
    timeoutSeconds: z
      .number()
      .int()
      .min(1)
      .max(366 * 86_400)
      .optional(),
    code: codeSchema,
    metadata: metadataSchema,
  }),
  z.strictObject({
    type: z.literal("post_pending"),
    id: idSchema,
    pendingId: pendingIdSchema,
    asset: assetSchema,
    amount: amountSchema.optional(),
    final: z.boolean().optional(),
    code: codeSchema,
    metadata: metadataSchema,
  }),
  z.strictObject({
    type: z.literal("void_pending"),
    id: idSchema,
    pendingId: pendingIdSchema,
    code: codeSchema,
    metadata: metadataSchema,
  }),
]);

const bodySchema = z.strictObject({
  transfers: z.array(transferInputSchema).min(1).max(linkedTransfersMax).openapi({
    description: "A linked group: every transfer applies, or none does.",
  }),
});

const route = createRoute({
  method: "post",
  path: "/v1/transfers",
  operationId: "createTransfers",
  tags: ["ledger"],
  summary: "Manual adjustment: a linked group of transfers (admin). Corrections are reversing transfers.",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("admin"), idempotentBatched] as const,
  request: { query: noQuerySchema, headers: idempotencyHeaderSchema, body: jsonBody(bodySchema) },
  responses: {
    201: jsonResponse(
      z.object({ transfers: z.array(transferSchema) }).openapi("TransferGroup"),
      "The transfers, as written",
    ),
    ...problemResponses(401, 403, 404, 409, 413, 415, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const principal = c.get("principal");
    const key = c.req.valid("header")["idempotency-key"];
    const input = c.req.valid("json").transfers;
    const requests: TransferRequest[] = [];
    for (const [index, item] of input.entries()) {
      const id = item.id ?? (await transferIdFor(principal.ownerId, key, `adj${index}`));
      const field = (name: string) => `transfers.${index}.${name}`;
      const metadata = item.metadata === undefined ? {} : { metadata: item.metadata };
      switch (item.type) {
        case "posted":
        case "pending": {
          const amountMinor = minorOf(item.asset, item.amount, field("amount"));
          requests.push(
            item.type === "posted"
              ? {
                  type: "posted",
                  id,
                  debitAccountId: item.debitAccountId,
                  creditAccountId: item.creditAccountId,
                  asset: item.asset,
                  amountMinor,
                  code: item.code,
                  ...metadata,
                }
              : {
                  type: "pending",
                  id,
                  debitAccountId: item.debitAccountId,
                  creditAccountId: item.creditAccountId,
                  asset: item.asset,
                  amountMinor,
                  timeoutMs: item.timeoutSeconds === undefined ? null : item.timeoutSeconds * 1000,
                  code: item.code,
                  ...metadata,
                },
          );
          break;
        }
        case "post_pending":
          requests.push({
            type: "post_pending",
            id,
            pendingId: item.pendingId,
            ...(item.amount === undefined
              ? {}
              : { amountMinor: minorOf(item.asset as AssetCode, item.amount, field("amount")) }),
            ...(item.final === undefined ? {} : { final: item.final }),
            code: item.code,
            ...metadata,
          });
          break;
        case "void_pending":
          requests.push({
            type: "void_pending",
            id,
            pendingId: item.pendingId,
            code: item.code,
            ...metadata,
          });
          break;
      }
    }
    // The Idempotency-Key's record and the holds the group posts or voids: one round trip.
    const holdsRead = transferHoldsStatement(requests);
    const [holds] = await firstReads(c, holdsRead === null ? [] : [holdsRead]);
    const nowMs = now();
    const render = (transfers: readonly UnnumberedTransfer[]) => ({ transfers: transfers.map(transferJson) });
    const record = recordFor(c, 201);
    // The transfers and the record of this 201: one atomic batch.
    const written = orThrow(
      await createTransfers(c.get("db"), requests, { nowMs, holds: transferHoldsFrom(holds) }, (transfers) =>
        effectRecordStatements({ response: record, render }, transfers, nowMs),
      ),
    );
    if (written.length !== requests.length) throw new ApiError("INTERNAL", "transfer count mismatch");
    // Written now (not the replay of an earlier group under the same ids): the record went with it.
    if (written[0]?.createdAtMs === nowMs) recordedByEffect(c);
    return c.json(render(written), 201);
  });
}
