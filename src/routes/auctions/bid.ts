import { createRoute, z } from "@hono/zod-openapi";
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
import { accountFrom, accountStatement } from "../../ledger/accounts";
import { roundExistsStatement, roundStub } from "../../pools/flows/auctions";
import { bidJson, bidSchema, priceSchema, roundParamsSchema } from "./schemas";

const accountIdSchema = z.string().regex(/^acc_[A-Za-z0-9_]{1,60}$/, "must be an account id (acc_…)");

const bodySchema = z.strictObject({
  amount: amountSchema.openapi({ example: "5000", description: "TFP to sell." }),
  minPrice: priceSchema.openapi({ description: "Lowest acceptable price, USDC per TFP." }),
  accountId: accountIdSchema.openapi({ description: "Your TFP account: the amount is held from it." }),
  payoutAccountId: accountIdSchema.openapi({ description: "Your USDC account: receives the payout." }),
});

const route = createRoute({
  method: "post",
  path: "/v1/auctions/{id}/bids",
  operationId: "placeAuctionBid",
  tags: ["auctions"],
  summary: "Place a sealed exit bid: TFP held until the round settles (lp, user, farmer)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("lp", "user", "farmer"), idempotentBatched] as const,
  request: {
    query: noQuerySchema,
    params: roundParamsSchema,
    headers: idempotencyHeaderSchema,
    body: jsonBody(bodySchema),
  },
  responses: {
    201: jsonResponse(bidSchema, "The bid, its TFP held"),
    ...problemResponses(401, 403, 404, 409, 413, 415, 422, 429),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const principal = c.get("principal");
    const input = c.req.valid("json");
    const amountMinor = minorOf("TFP", input.amount, "amount");
    const roundId = c.req.valid("param").id;

    // The Idempotency-Key's record, the round and both accounts in one round trip.
    const [round, sourceRead, payoutRead] = await firstReads(c, [
      roundExistsStatement(roundId),
      accountStatement(input.accountId),
      accountStatement(input.payoutAccountId),
    ]);
    const [source, payout] = [accountFrom(sourceRead), accountFrom(payoutRead)];
    if (round?.rows.length !== 1) throw new ApiError("NOT_FOUND", "No such round");
    for (const [field, account, asset] of [
      ["accountId", source, "TFP"],
      ["payoutAccountId", payout, "USDC"],
    ] as const) {
      if (!account)
        throw new ApiError("ACCOUNT_NOT_FOUND", "No such account", [{ field, detail: "not found" }]);
      assertOwner(principal, account.ownerId);
      if (account.asset !== asset) {
        throw new ApiError("ASSET_MISMATCH", `Account ${account.id} holds ${account.asset}`, [
          { field, detail: `must hold ${asset}` },
        ]);
      }
    }

    const bid = orThrow(
      await roundStub(c.env, roundId).placeBid({
        bidId: await transferIdFor(principal.ownerId, c.req.valid("header")["idempotency-key"], "bid"),
        ownerId: principal.ownerId,
        accountId: input.accountId,
        payoutAccountId: input.payoutAccountId,
        amountMinor: amountMinor.toString(),
        minPrice: input.minPrice,
        // Stored with the hold: the response below, in the same ledger batch.
        record: recordFor(c, 201),
      }),
    );
    if (bid.recorded) recordedByEffect(c);
    return c.json(bidJson(bid), 201);
  });
}
