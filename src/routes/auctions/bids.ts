import { createRoute, z } from "@hono/zod-openapi";
import { ApiError } from "../../kit/http/errors";
import { anyRole, requireRoles } from "../../kit/http/middleware";
import { jsonResponse, noQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { roundExistsStatement } from "../../pools/flows/auctions";
import { ownBidsFrom, ownBidsStatement } from "../../pools/store/bids";
import { roundParamsSchema } from "./schemas";

const ownBidSchema = z
  .object({
    id: z.string(),
    roundId: z.string(),
    accountId: z.string(),
    payoutAccountId: z.string(),
    amount: z.string().openapi({ description: "TFP offered." }),
    minPrice: z.string(),
    submitSeq: z.number().int(),
    status: z.enum(["held", "cancelled", "filled", "partial", "rejected", "ineligible"]),
    accepted: z.string().nullable().openapi({ description: "TFP sold, once settled." }),
    payout: z.string().nullable().openapi({ description: "USDC received, once settled." }),
    createdAt: z.string(),
  })
  .openapi("OwnAuctionBid");

const route = createRoute({
  method: "get",
  path: "/v1/auctions/{id}/bids",
  operationId: "listOwnAuctionBids",
  tags: ["auctions"],
  summary: "Your own bids in a round and how they settled (bids are sealed: never anyone else's)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles(...anyRole)] as const,
  request: { query: noQuerySchema, params: roundParamsSchema },
  responses: {
    200: jsonResponse(z.object({ data: z.array(ownBidSchema) }).openapi("OwnAuctionBidList"), "Your bids"),
    ...problemResponses(401, 403, 404, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const roundId = c.req.valid("param").id;
    const [round, bids] = await c
      .get("db")
      .batch([roundExistsStatement(roundId), ownBidsStatement(roundId, c.get("principal").ownerId)], "read");
    if (round!.rows.length === 0) throw new ApiError("NOT_FOUND", "No such round");
    return c.json({ data: ownBidsFrom(bids!) }, 200);
  });
}
