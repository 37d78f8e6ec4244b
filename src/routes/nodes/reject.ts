/** `POST /v1/nodes/{id}/bids/{bidId}/reject`: The farmer rejects an open bid; its hold goes back to the bidder. */
import { createRoute } from "@hono/zod-openapi";
import { orThrow } from "../../http/errors";
import { requireRoles } from "../../http/middleware";
import { jsonResponse, problemResponses } from "../../http/schemas";
import type { App } from "../../http/types";
import { bookOf } from "../../market/books";
import { bidJson, bidSchema } from "../leases/schemas";
import { bidParamsSchema } from "./accept";
import { requireOwnNode } from "./schemas";

const route = createRoute({
  method: "post",
  path: "/v1/nodes/{id}/bids/{bidId}/reject",
  tags: ["marketplace"],
  summary: "Reject an open bid (the node's farmer or an admin)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("farmer", "admin")] as const,
  request: { params: bidParamsSchema },
  responses: { 200: jsonResponse(bidSchema, "The bid"), ...problemResponses(401, 403, 404, 409, 422, 429) },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { id, bidId } = c.req.valid("param");
    const principal = c.get("principal");
    await requireOwnNode(c.get("db"), principal, id);
    const bid = orThrow(
      await bookOf(c.env, id).bidAction({
        nodeId: id,
        bidId,
        action: "reject",
        ownerId: principal.ownerId,
        asAdmin: principal.role === "admin",
      }),
    );
    return c.json(bidJson(bid), 200);
  });
}
