/**
 * `POST /v1/nodes/{id}/heartbeat`: the node is alive this hour. The reliability score the market
 * shows is the share of hours with a heartbeat over the last 30 days (since registration, if
 * younger). Sent by the node's agent with a key of its farmer (role farmer), or by an admin.
 * A node the cron took offline for silence (MARKET_HEARTBEAT_TIMEOUT_HOURS) comes back online
 * with its first heartbeat; a state its farmer set by hand stays.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { hourMs, now } from "../../kit/clock";
import { orThrow } from "../../kit/http/errors";
import { requireRoles } from "../../kit/http/middleware";
import { jsonResponse, noQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { nodeStates } from "../../market/core/bidbook/model";
import { bookOf } from "../../market/flows/books";
import { recordHeartbeat, setAutoOffline } from "../../market/store/nodes";
import { nodeParamsSchema, reliabilityText, requireOwnNode } from "./schemas";

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
  })
  .openapi("NodeHeartbeat");

const route = createRoute({
  method: "post",
  path: "/v1/nodes/{id}/heartbeat",
  operationId: "recordNodeHeartbeat",
  tags: ["marketplace"],
  summary: "Record that a node is up this hour (its farmer's key, or an admin)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("farmer", "admin")] as const,
  request: { query: noQuerySchema, params: nodeParamsSchema },
  responses: {
    200: jsonResponse(responseSchema, "The hour recorded and the node's reliability"),
    ...problemResponses(401, 403, 404, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const db = c.get("db");
    const id = c.req.valid("param").id;
    const node = await requireOwnNode(db, c.get("principal"), id);
    const recorded = await recordHeartbeat(db, id, now());
    let state = node.state;
    if (node.autoOfflineAtMs !== null) {
      if (state === "offline")
        state = orThrow(await bookOf(c.env, id).setState({ nodeId: id, state: "online" })).state;
      await setAutoOffline(db, id, null);
    }
    return c.json(
      {
        nodeId: id,
        hour: new Date(recorded.hour * hourMs).toISOString(),
        reliability: reliabilityText(recorded.reliabilityBp),
        state,
      },
      200,
    );
  });
}
