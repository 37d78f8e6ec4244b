/**
 * `POST /v1/nodes/{id}/heartbeat`: the node is alive this hour. The reliability score the market
 * shows is the share of hours with a heartbeat over the last 30 days (since registration, if
 * younger). Sent by the node's agent with its node key (or its farmer's key), or by an admin.
 * A node the cron took offline for silence (MARKET_HEARTBEAT_TIMEOUT_HOURS) comes back online
 * with its first heartbeat; a state its farmer set by hand stays. The body may carry the agent's
 * view of its leases (`leases`: each one's status), applied after the node is back online as its
 * reports would be (a lease the book no longer has, or that ended, is skipped); the answer says
 * where each reported lease stands.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { hourMs, now } from "../../kit/clock";
import { orThrow } from "../../kit/http/errors";
import { requireRoles } from "../../kit/http/middleware";
import { jsonBody, jsonResponse, noQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { idMessages, idPatterns } from "../../kit/ids";
import {
  type AgentReport,
  agentReports,
  leasesPerBookMax,
  nodeStates,
} from "../../market/core/bidbook/model";
import { bookOf } from "../../market/flows/books";
import { recordHeartbeat, setAutoOffline } from "../../market/store/nodes";
import { reportedLeaseSchema } from "./report";
import { agentCaller, nodeParamsSchema, reliabilityText, requireAgentNode } from "./schemas";

const responseSchema = z
  .object({
    nodeId: z.string(),
    hour: z
      .string()
      .openapi({ description: "The hour the heartbeat counts for.", example: "2026-11-24T12:00:00.000Z" }),
    reliability: z.string().openapi({ example: "0.9875" }),
    state: z.enum(nodeStates as ["online", "offline", "maintenance"]).openapi({
      description:
        "The node's state after the heartbeat: online again if the market had taken it offline for silence.",
    }),
    leases: z
      .array(reportedLeaseSchema)
      .openapi({ description: "Each lease of the agent's view the book has, after the view was applied." }),
  })
  .openapi("NodeHeartbeat");

const bodySchema = z
  .strictObject({
    leases: z
      .array(
        z.strictObject({
          leaseId: z.string().regex(idPatterns.lease, idMessages.lease),
          status: z.enum(agentReports as [string, ...string[]]),
        }),
      )
      .max(leasesPerBookMax)
      .optional()
      .openapi({
        description: "The agent's view: each lease it runs and its status (as `PUT …/status` reports one).",
      }),
  })
  .openapi("NodeHeartbeatBody");

const route = createRoute({
  method: "post",
  path: "/v1/nodes/{id}/heartbeat",
  operationId: "recordNodeHeartbeat",
  tags: ["marketplace"],
  summary:
    "Record that a node is up this hour, with its agent's view of its leases (the node's key, its farmer's, or an admin's)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("node", "farmer", "admin")] as const,
  request: {
    query: noQuerySchema,
    params: nodeParamsSchema,
    body: { ...jsonBody(bodySchema, "Optional: the agent's view of its leases"), required: false },
  },
  responses: {
    200: jsonResponse(responseSchema, "The hour recorded and the node's reliability"),
    ...problemResponses(401, 403, 404, 413, 415, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const db = c.get("db");
    const id = c.req.valid("param").id;
    const view = (c.req.valid("json") as z.infer<typeof bodySchema> | undefined)?.leases ?? [];
    const principal = c.get("principal");
    // A node's own key is bound to an existing node: no read first (the heartbeat's write reads
    // back the node's state). A farmer's key must be the node's farmer's before anything is written.
    if (principal.role === "node") agentCaller(principal, id);
    else await requireAgentNode(db, principal, id);
    const recorded = await recordHeartbeat(db, id, now());
    let state = recorded.state;
    if (recorded.autoOfflineAtMs !== null) {
      if (state === "offline")
        state = orThrow(await bookOf(c.env, id).setState({ nodeId: id, state: "online" })).state;
      await setAutoOffline(db, id, null);
    }
    const reports = view.map((lease) => ({ leaseId: lease.leaseId, status: lease.status as AgentReport }));
    const leases =
      reports.length === 0
        ? []
        : orThrow(
            await bookOf(c.env, id).reportLeases({ nodeId: id, asFarmer: null, strict: false, reports }),
          ).leases;
    return c.json(
      {
        nodeId: id,
        hour: new Date(recorded.hour * hourMs).toISOString(),
        reliability: reliabilityText(recorded.reliabilityBp),
        state,
        leases,
      },
      200,
    );
  });
}
