/**
 * `PUT /v1/nodes/{id}/assignments/{leaseId}/status`: the node's agent reports a lease:
 * `provisioning` (starting it), `running`, `failed` or `stopped`. On a node whose leases are
 * charged from `running` (MARKET_CHARGE_FROM), the lease is charged from its `running` report; a
 * lease reported `failed` is not charged while it is; `stopped` ends the lease as its payer's end
 * would (its last period settled, what its holds have left released). The same status again changes
 * nothing. The node's key, its farmer's, or an admin's.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { now } from "../../kit/clock";
import { orThrow } from "../../kit/http/errors";
import { requireRoles } from "../../kit/http/middleware";
import { jsonBody, jsonResponse, noQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { agentReports, agentStatuses, pausedReasons } from "../../market/core/bidbook/model";
import { bookOf } from "../../market/flows/books";
import { leaseEndQuery } from "../../market/store/settlement";
import { leaseIdParamSchema } from "../leases/schemas";
import { agentCaller, nodeIdParamSchema } from "./schemas";

const paramsSchema = z.strictObject({
  id: nodeIdParamSchema,
  leaseId: leaseIdParamSchema.openapi({ param: { name: "leaseId", in: "path" } }),
});

const bodySchema = z
  .strictObject({
    status: z.enum(agentReports as [string, ...string[]]).openapi({
      description: "provisioning (starting it), running, failed, or stopped (the lease ends).",
      example: "running",
    }),
  })
  .openapi("LeaseReport");

export const reportedLeaseSchema = z
  .object({
    leaseId: z.string(),
    status: z.enum(["running", "paused", "ended"]),
    pausedReason: z.enum(pausedReasons as [string, ...string[]]).nullable(),
    agentStatus: z.enum(agentStatuses as [string, ...string[]]).nullable(),
  })
  .openapi("ReportedLease");

const route = createRoute({
  method: "put",
  path: "/v1/nodes/{id}/assignments/{leaseId}/status",
  operationId: "reportLeaseStatus",
  tags: ["agents"],
  summary: "The node's agent reports a lease provisioning, running, failed or stopped",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("node", "farmer", "admin")] as const,
  request: { query: noQuerySchema, params: paramsSchema, body: jsonBody(bodySchema) },
  responses: {
    200: jsonResponse(reportedLeaseSchema, "The lease after the report"),
    ...problemResponses(401, 403, 404, 409, 413, 415, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { id, leaseId } = c.req.valid("param");
    const asFarmer = agentCaller(c.get("principal"), id);
    const status = c.req.valid("json").status as (typeof agentReports)[number];
    // A stopped lease ends: its book settles and releases it in one write from these facts.
    const end = status === "stopped" ? leaseEndQuery(leaseId, now()) : null;
    const facts = end === null ? undefined : end.read(await c.get("db").batch(end.statements, "read"));
    const reported = orThrow(
      await bookOf(c.env, id).reportLeases({
        nodeId: id,
        asFarmer,
        strict: true,
        reports: [{ leaseId, status }],
        ...(facts === undefined ? {} : { facts }),
      }),
    );
    const lease = reported.leases[0];
    // A lease reported stopped may have been compacted away by the money pass meanwhile: it ended.
    return c.json(lease ?? { leaseId, status: "ended" as const, pausedReason: null, agentStatus: null }, 200);
  });
}
