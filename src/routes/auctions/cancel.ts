import { createRoute, z } from "@hono/zod-openapi";
import { ApiError, orThrow } from "../../kit/http/errors";
import { requireRoles } from "../../kit/http/middleware";
import { jsonResponse, noQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { holdStatesStatement, transferHoldsFrom } from "../../ledger/store";
import { legId } from "../../pools/core/settlement";
import { roundExistsStatement, roundStub } from "../../pools/flows/auctions";
import { bidJson, bidSchema, roundIdSchema } from "./schemas";

const paramsSchema = z.strictObject({
  id: roundIdSchema.openapi({ param: { name: "id", in: "path" } }),
  bidId: z
    .string()
    .regex(/^bid_[A-Za-z0-9]{1,60}$/, "must be a bid id (bid_…)")
    .openapi({ param: { name: "bidId", in: "path" } }),
});

const route = createRoute({
  method: "delete",
  path: "/v1/auctions/{id}/bids/{bidId}",
  operationId: "cancelAuctionBid",
  tags: ["auctions"],
  summary: "Cancel your bid before the cancellation deadline: its hold is released (owner or admin)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("lp", "user", "farmer", "admin")] as const,
  request: { query: noQuerySchema, params: paramsSchema },
  responses: {
    200: jsonResponse(bidSchema, "The bid, cancelled (again, for a repeated cancel)"),
    ...problemResponses(401, 403, 404, 409, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const principal = c.get("principal");
    const params = c.req.valid("param");
    // The round's row and the bid's hold in one round trip; the round's object voids the hold.
    const holdId = legId(params.id, params.bidId, "hold");
    const [round, holds] = await c
      .get("db")
      .batch([roundExistsStatement(params.id), holdStatesStatement([holdId])], "read");
    if (round!.rows.length === 0) throw new ApiError("NOT_FOUND", "No such round");
    const hold = transferHoldsFrom(holds).get(holdId);
    const bid = orThrow(
      await roundStub(c.env, params.id).cancelBid({
        bidId: params.bidId,
        ownerId: principal.ownerId,
        asAdmin: principal.role === "admin",
        ...(hold === undefined ? {} : { hold }),
      }),
    );
    return c.json(bidJson(bid), 200);
  });
}
