/** `DELETE /v1/nodes/{id}/bids/{bidId}`: the bidder withdraws an open bid; its hold goes back. */
import { createRoute } from "@hono/zod-openapi";
import { orThrow } from "../../kit/http/errors";
import { requireRoles } from "../../kit/http/middleware";
import { jsonResponse, noQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { bookOf } from "../../market/flows/books";
import { bidJson, bidSchema } from "../leases/schemas";
import { bidParamsSchema } from "./bid-decision";

const route = createRoute({
  method: "delete",
  path: "/v1/nodes/{id}/bids/{bidId}",
  operationId: "cancelNodeBid",
  tags: ["marketplace"],
  summary: "Cancel your open bid (the bidder or an admin)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("user", "admin")] as const,
  request: { query: noQuerySchema, params: bidParamsSchema },
  responses: {
    200: jsonResponse(bidSchema, "The cancelled bid"),
    ...problemResponses(401, 403, 404, 409, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { id, bidId } = c.req.valid("param");
    const principal = c.get("principal");
    // The book answers 404 for no such node: no node row is read here.
    const bid = orThrow(
      await bookOf(c.env, id).bidAction({
        nodeId: id,
        bidId,
        action: "cancel",
        ownerId: principal.ownerId,
        asAdmin: principal.role === "admin",
      }),
    );
    return c.json(bidJson(bid), 200);
  });
}
