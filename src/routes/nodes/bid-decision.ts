/**
 * `POST /v1/nodes/{id}/bids/{bidId}/accept` and `…/reject`: the node's farmer (or an admin) decides
 * an open bid by hand. Accepting turns it into an interruptible lease at the bid's price,
 * pre-empting cheaper interruptible leases if it must (their events say so); rejecting returns
 * its hold to the bidder. One endpoint per decision, built from this one definition.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { orThrow } from "../../kit/http/errors";
import { requireRoles } from "../../kit/http/middleware";
import { jsonResponse, noQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { bookOf } from "../../market/flows/books";
import { bidJson, bidSchema } from "../leases/schemas";
import { nodeIdParamSchema } from "./schemas";

export const bidParamsSchema = z.strictObject({
  id: nodeIdParamSchema,
  bidId: z
    .string()
    .regex(/^bid_[A-Za-z0-9_]{1,100}$/, "must look like bid_…")
    .openapi({ param: { name: "bidId", in: "path" } }),
});

function decisionModule(action: "accept" | "reject", summary: string) {
  const route = createRoute({
    method: "post",
    path: `/v1/nodes/{id}/bids/{bidId}/${action}`,
    operationId: `${action}NodeBid`,
    tags: ["marketplace"],
    summary,
    security: [{ apiKey: [] }],
    middleware: [requireRoles("farmer", "admin")] as const,
    request: { query: noQuerySchema, params: bidParamsSchema },
    responses: { 200: jsonResponse(bidSchema, "The bid"), ...problemResponses(401, 403, 404, 409, 422, 429) },
  });
  return {
    register(app: App) {
      app.openapi(route, async (c) => {
        const { id, bidId } = c.req.valid("param");
        const principal = c.get("principal");
        // The book knows its farmer (and answers 404 for no such node): no node row is read here.
        const bid = orThrow(
          await bookOf(c.env, id).bidAction({
            nodeId: id,
            bidId,
            action,
            ownerId: principal.ownerId,
            asAdmin: principal.role === "admin",
            asFarmer: principal.role === "admin" ? null : principal.ownerId,
          }),
        );
        return c.json(bidJson(bid), 200);
      });
    },
  };
}

export const acceptBid = decisionModule("accept", "Accept an open bid (the node's farmer or an admin)");
export const rejectBid = decisionModule("reject", "Reject an open bid (the node's farmer or an admin)");
