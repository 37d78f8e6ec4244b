/**
 * `DELETE /v1/leases/{id}`: ends a lease now. Its last, partial period is settled (80 / 10 / 10)
 * and what its holds have left goes back to the payer. Its payer's owner or an admin.
 */
import { createRoute } from "@hono/zod-openapi";
import { ApiError, orThrow } from "../../kit/http/errors";
import { requireRoles } from "../../kit/http/middleware";
import { jsonResponse, noQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { bookOf } from "../../market/flows/books";
import { getLeaseRow } from "../../market/store/leases";
import { leaseParamsSchema, requireVisibleLease } from "./get";
import { leaseJson, leaseSchema } from "./schemas";

const route = createRoute({
  method: "delete",
  path: "/v1/leases/{id}",
  operationId: "endLease",
  tags: ["marketplace"],
  summary: "End a lease and release what was not used (its payer or an admin)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("user", "admin")] as const,
  request: { query: noQuerySchema, params: leaseParamsSchema },
  responses: {
    200: jsonResponse(leaseSchema, "The ended lease"),
    ...problemResponses(401, 403, 404, 409, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const db = c.get("db");
    const principal = c.get("principal");
    const row = await requireVisibleLease(db, principal, c.req.valid("param").id);
    if (principal.role !== "admin" && principal.ownerId !== row.ownerId) {
      throw new ApiError("FORBIDDEN", "Only the lease's payer ends it");
    }
    const ended = orThrow(await bookOf(c.env, row.nodeId).endLease({ nodeId: row.nodeId, leaseId: row.id }));
    const after = await getLeaseRow(db, row.id);
    return c.json(leaseJson(ended, after?.chargedMinor ?? row.chargedMinor), 200);
  });
}
