/**
 * `GET /v1/leases/{id}`: a lease as its node's bid book holds it now (state, pauses, holds) with
 * what it has been charged. Its payer's owner, the node's farmer, or an admin.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Client } from "@libsql/client";
import type { Principal } from "../../kit/auth";
import { ApiError } from "../../kit/http/errors";
import { anyRole, requireRoles } from "../../kit/http/middleware";
import { jsonResponse, noQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { bookOf } from "../../market/flows/books";
import { getLeaseRow, type LeaseRow } from "../../market/store/leases";
import { leaseIdParamSchema, leaseJson, leaseRowJson, leaseSchema } from "./schemas";

export const leaseParamsSchema = z.strictObject({ id: leaseIdParamSchema });

/** The lease's mirror row, or 404; 403 unless the principal pays for it, farms it, or is an admin. */
export async function requireVisibleLease(db: Client, principal: Principal, id: string): Promise<LeaseRow> {
  return visibleLease(principal, id, await getLeaseRow(db, id));
}

/** `row` (lease `id`'s, as read), or 404; 403 unless the principal pays for it, farms it, or is an admin. */
export function visibleLease(principal: Principal, id: string, row: LeaseRow | null): LeaseRow {
  if (!row) throw new ApiError("NOT_FOUND", `No lease ${id}`);
  if (principal.role !== "admin" && principal.ownerId !== row.ownerId && principal.ownerId !== row.farmerId) {
    throw new ApiError("FORBIDDEN", "This lease belongs to another owner");
  }
  return row;
}

const route = createRoute({
  method: "get",
  path: "/v1/leases/{id}",
  operationId: "getLease",
  tags: ["marketplace"],
  summary: "A lease (its payer, the node's farmer, or an admin)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles(...anyRole)] as const,
  request: { query: noQuerySchema, params: leaseParamsSchema },
  responses: { 200: jsonResponse(leaseSchema, "The lease"), ...problemResponses(401, 403, 404, 422) },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const db = c.get("db");
    const row = await requireVisibleLease(db, c.get("principal"), c.req.valid("param").id);
    const live = await bookOf(c.env, row.nodeId).getLease({ nodeId: row.nodeId, leaseId: row.id });
    return c.json(live.ok ? leaseJson(live.value, row.chargedMinor) : leaseRowJson(row), 200);
  });
}
