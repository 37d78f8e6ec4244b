import { createRoute, z } from "@hono/zod-openapi";
import type { Principal } from "../../kit/auth";
import { now } from "../../kit/clock";
import { ApiError, orThrow } from "../../kit/http/errors";
import { firstReads, idempotentBatched, recordedByEffect, recordFor } from "../../kit/http/idempotency";
import { assertOwner, requireRoles, transferIdFor } from "../../kit/http/middleware";
import {
  amountSchema,
  idempotencyHeaderSchema,
  jsonBody,
  jsonResponse,
  minorOf,
  noQuerySchema,
  problemResponses,
} from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { type Account, accountFrom, accountStatement } from "../../ledger/accounts";
import {
  contributeWith,
  contributionFacts,
  contributionReads,
  poolAssets,
  poolFrom,
  poolStatement,
} from "../../pools/store/pools";
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
  operationId: "contributeToPool",
  tags: ["pools"],
  summary:
    "Contribute USDC or TFP to a pool: a permanent, non-transferable position valued now through the oracle (lp, user, farmer)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("lp", "user", "farmer"), idempotentBatched] as const,
  request: {
    query: noQuerySchema,
    params: poolParamsSchema,
    headers: idempotencyHeaderSchema,
    body: jsonBody(bodySchema),
  },
  responses: {
    201: jsonResponse(positionSchema, "The position, as recorded with its transfer"),
    ...problemResponses(401, 403, 404, 409, 413, 415, 422, 429, 503),
  },
});

/** The account named in `field`: it exists, belongs to the caller (or the caller is an admin) and holds `asset`. */
function checkedAccount(
  principal: Principal,
  account: Account | null,
  field: string,
  asset: string,
): Account {
  if (!account) throw new ApiError("ACCOUNT_NOT_FOUND", "No such account", [{ field, detail: "not found" }]);
  assertOwner(principal, account.ownerId);
  if (account.asset !== asset) {
    throw new ApiError("ASSET_MISMATCH", `Account ${account.id} holds ${account.asset}`, [
      { field, detail: `must hold ${asset}` },
    ]);
  }
  return account;
}

export function register(app: App) {
  app.openapi(route, async (c) => {
    const db = c.get("db");
    const principal = c.get("principal");
    const key = c.req.valid("header")["idempotency-key"];
    const input = c.req.valid("json");
    const amountMinor = minorOf(input.asset, input.amount, "amount");
    const rewardAccountId = input.rewardAccountId ?? (input.asset === "USDC" ? input.accountId : undefined);
    if (rewardAccountId === undefined) {
      throw new ApiError("VALIDATION_FAILED", "A TFP position needs a USDC account for its rewards", [
        { field: "rewardAccountId", detail: "required when the asset is TFP" },
      ]);
    }
    const poolId = c.req.valid("param").id;
    const positionId = await transferIdFor(principal.ownerId, key, "pos");
    const nowMs = now();
    // The Idempotency-Key's record, the pool, both accounts and what the contribution checks, in
    // one round trip.
    const [poolRead, sourceRead, rewardRead, ...contributionRead] = await firstReads(c, [
      poolStatement(poolId),
      accountStatement(input.accountId),
      accountStatement(rewardAccountId),
      ...contributionReads({ poolId, positionId }, nowMs),
    ]);
    const pool = poolFrom(poolRead);
    if (!pool) throw new ApiError("NOT_FOUND", "No such pool");
    const source = checkedAccount(principal, accountFrom(sourceRead), "accountId", input.asset);
    const reward = checkedAccount(principal, accountFrom(rewardRead), "rewardAccountId", "USDC");
    const position = orThrow(
      await contributeWith(
        db,
        {
          pool,
          positionId,
          transferId: await transferIdFor(principal.ownerId, key, "lpc"),
          ownerId: principal.ownerId,
          asset: input.asset,
          amountMinor,
          sourceAccountId: source.id,
          rewardAccountId: reward.id,
        },
        contributionFacts(contributionRead, nowMs),
        nowMs,
        // Stored with the transfer and the position: the response below, in the same batch.
        { response: recordFor(c, 201), render: positionJson },
      ),
    );
    if (position.recorded) recordedByEffect(c);
    return c.json(positionJson(position), 201);
  });
}
