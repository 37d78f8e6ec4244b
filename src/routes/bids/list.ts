/**
 * `GET /v1/bids`: the caller's interruptible bids across nodes, newest first, cursor-paginated.
 * One round trip reads a page of the holds placed from the caller's accounts for bids (at most
 * 200), then the books of the nodes they name answer for those bids in parallel
 * (src/market/flows/owner-bids.ts). Any role; admins may name another owner.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { anyRole, ownerToList, requireRoles } from "../../kit/http/middleware";
import {
  commaListSchema,
  jsonResponse,
  ownerFilterSchema,
  pageLimitSchema,
  pageSizeDefault,
  problemResponses,
} from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { ownerBidHoldsPageSizeMax, ownerBidHoldsQuery } from "../../ledger/holds";
import { bidsOfHolds } from "../../market/flows/owner-bids";
import { bidJson, bidSchema } from "../leases/schemas";

const bidStatuses = ["open", "accepted", "rejected", "expired", "cancelled"] as const;

const querySchema = z.strictObject({
  status: commaListSchema(bidStatuses).optional().openapi({
    description: "One or more of open, accepted, rejected, expired, cancelled, comma-separated.",
    example: "open",
  }),
  ownerId: ownerFilterSchema.optional(),
  limit: pageLimitSchema(
    ownerBidHoldsPageSizeMax,
    `How many bids a page looks at, at most ${ownerBidHoldsPageSizeMax}.`,
  ),
  cursor: z
    .string()
    .regex(/^[0-9]{1,19}$/, "must be a cursor returned by the previous page")
    .optional()
    .openapi({ description: "The previous page's `nextCursor`; omit it for the first page." }),
});

const route = createRoute({
  method: "get",
  path: "/v1/bids",
  operationId: "listBids",
  tags: ["marketplace"],
  summary: "Your interruptible bids across nodes, newest first, cursor-paginated (any role)",
  description: `The bids paid from your accounts (admins: \`ownerId\` names another owner), each as \`GET /v1/nodes/{id}/bids\` shows a bid, as its node's book holds it now. A page looks at \`limit\` bids, newest first (at most ${ownerBidHoldsPageSizeMax}; default ${pageSizeDefault}), found from the ledger holds behind them in one database read, and asks only those bids' nodes; \`status\` (one comma-separated list) then keeps the matching ones, so a page can hold fewer than \`limit\` bids while \`nextCursor\` is not null. A bid its node's book has compacted away is not listed.`,
  security: [{ apiKey: [] }],
  middleware: [requireRoles(...anyRole)] as const,
  request: { query: querySchema },
  responses: {
    200: jsonResponse(
      z.object({ data: z.array(bidSchema), nextCursor: z.string().nullable() }).openapi("BidPage"),
      "One page of bids",
    ),
    ...problemResponses(401, 403, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const query = c.req.valid("query");
    const ownerId = ownerToList(c.get("principal"), query.ownerId);
    const holds = ownerBidHoldsQuery(ownerId, {
      limit: query.limit,
      beforeSeq: query.cursor === undefined ? null : BigInt(query.cursor),
    });
    const page = holds.read(await c.get("db").execute(holds.statement));
    const bids = await bidsOfHolds(c.env, page.holds);
    const statuses = query.status;
    return c.json(
      {
        data: bids.filter((bid) => statuses === undefined || statuses.includes(bid.status)).map(bidJson),
        nextCursor: page.nextSeq?.toString() ?? null,
      },
      200,
    );
  });
}
