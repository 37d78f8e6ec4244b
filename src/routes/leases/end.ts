/**
 * `DELETE /v1/leases/{id}`: ends a lease now. Its last, partial period is settled (80 / 10 / 10)
 * and what its holds have left goes back to the payer. Its payer's owner or an admin.
 */
import { createRoute } from "@hono/zod-openapi";
import { now } from "../../kit/clock";
import { ApiError, orThrow } from "../../kit/http/errors";
import { requireRoles } from "../../kit/http/middleware";
import { jsonResponse, noQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { bookOf } from "../../market/flows/books";
import { getLeaseRow, leaseRowFrom, leaseRowStatement } from "../../market/store/leases";
import { leaseEndQuery } from "../../market/store/settlement";
import { leaseParamsSchema, visibleLease } from "./get";
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
    const { id } = c.req.valid("param");
    // One read: the lease, and what its book needs to settle and release it in one write.
    const end = leaseEndQuery(id, now());
    const results = await db.batch([leaseRowStatement(id), ...end.statements], "read");
    const row = visibleLease(principal, id, leaseRowFrom(results[0]));
    if (principal.role !== "admin" && principal.ownerId !== row.ownerId) {
      throw new ApiError("FORBIDDEN", "Only the lease's payer ends it");
    }
    const facts = end.read(results.slice(1));
    const ended = orThrow(
      await bookOf(c.env, row.nodeId).endLease({ nodeId: row.nodeId, leaseId: row.id, facts }),
    );
    // Settled by the money pass instead (the write was refused): what it charged is read back.
    const charged =
      ended.chargedMinor === null
        ? ((await getLeaseRow(db, row.id))?.chargedMinor ?? row.chargedMinor)
        : row.chargedMinor + ended.chargedMinor;
    return c.json(leaseJson(ended, charged), 200);
  });
}
