import { createRoute, z } from "@hono/zod-openapi";
import { ApiError, orThrow } from "../../kit/http/errors";
import { assertOwner, idempotent, requireRoles, transferIdFor } from "../../kit/http/middleware";
import {
  amountSchema,
  idempotencyHeaderSchema,
  jsonBody,
  jsonResponse,
  minorOf,
  problemResponses,
} from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { getAccount } from "../../ledger/accounts";
import { contribute, getPool, poolAssets } from "../../pools/store/pools";
import { poolParamsSchema, positionJson, positionSchema } from "./schemas";

const accountIdSchema = z.string().regex(/^acc_[A-Za-z0-9_]{1,60}$/, "must be an account id (acc_…)");

const bodySchema = z.strictObject({
  asset: z.enum(poolAssets).openapi({ example: "USDC" }),
  amount: amountSchema.openapi({ example: "1000" }),
  accountId: accountIdSchema.openapi({
    description: "Your account of `asset` the contribution is taken from.",
  }),
  rewardAccountId: accountIdSchema.optional().openapi({
    description:
      "Your USDC account that receives this position's exit margins; default `accountId` when the asset is USDC (required for TFP).",
  }),
});

const route = createRoute({
  method: "post",
  path: "/v1/pools/{id}/positions",
  tags: ["pools"],
  summary:
    "Contribute USDC or TFP to a pool: a permanent, non-transferable position valued now through the oracle (lp, user, farmer)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("lp", "user", "farmer"), idempotent] as const,
  request: { params: poolParamsSchema, headers: idempotencyHeaderSchema, body: jsonBody(bodySchema) },
  responses: {
    201: jsonResponse(positionSchema, "The position, as recorded with its transfer"),
    ...problemResponses(401, 403, 404, 409, 413, 415, 422, 429, 503),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const db = c.get("db");
    const principal = c.get("principal");
    const key = c.req.valid("header")["idempotency-key"];
    const input = c.req.valid("json");
    const amountMinor = minorOf(input.asset, input.amount, "amount");
    const pool = await getPool(db, c.req.valid("param").id);
    if (!pool) throw new ApiError("NOT_FOUND", "No such pool");

    const source = await getAccount(db, input.accountId);
    if (!source)
      throw new ApiError("ACCOUNT_NOT_FOUND", "No such account", [
        { field: "accountId", detail: "not found" },
      ]);
    assertOwner(principal, source.ownerId);
    if (source.asset !== input.asset) {
      throw new ApiError("ASSET_MISMATCH", `Account ${source.id} holds ${source.asset}`, [
        { field: "accountId", detail: `must hold ${input.asset}` },
      ]);
    }
    const rewardAccountId = input.rewardAccountId ?? (input.asset === "USDC" ? input.accountId : undefined);
    if (rewardAccountId === undefined) {
      throw new ApiError("VALIDATION_FAILED", "A TFP position needs a USDC account for its rewards", [
        { field: "rewardAccountId", detail: "required when the asset is TFP" },
      ]);
    }
    const reward = rewardAccountId === source.id ? source : await getAccount(db, rewardAccountId);
    if (!reward) {
      throw new ApiError("ACCOUNT_NOT_FOUND", "No such account", [
        { field: "rewardAccountId", detail: "not found" },
      ]);
    }
    assertOwner(principal, reward.ownerId);
    if (reward.asset !== "USDC") {
      throw new ApiError("ASSET_MISMATCH", `Account ${reward.id} holds ${reward.asset}`, [
        { field: "rewardAccountId", detail: "must hold USDC" },
      ]);
    }

    const position = orThrow(
      await contribute(db, {
        pool,
        positionId: await transferIdFor(principal.ownerId, key, "pos"),
        transferId: await transferIdFor(principal.ownerId, key, "lpc"),
        ownerId: principal.ownerId,
        asset: input.asset,
        amountMinor,
        sourceAccountId: source.id,
        rewardAccountId: reward.id,
      }),
    );
    return c.json(positionJson(position), 201);
  });
}
