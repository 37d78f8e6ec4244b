/**
 * `POST /v1/nodes/{id}/heartbeat`: the node is alive this hour. The reliability score the market
 * shows is the share of hours with a heartbeat over the last 30 days (since registration, if
 * younger). Sent by the node's agent with a key of its farmer (role farmer), or by an admin.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { requireRoles } from "../../http/middleware";
import { jsonResponse, problemResponses } from "../../http/schemas";
import type { App } from "../../http/types";
import { recordHeartbeat } from "../../market/nodes";
import { nodeParamsSchema, reliabilityText, requireOwnNode } from "./schemas";

const responseSchema = z
  .object({
    nodeId: z.string(),
    hour: z
      .string()
      .openapi({ description: "The hour the heartbeat counts for.", example: "2026-11-24T12:00:00.000Z" }),
    reliability: z.string().openapi({ example: "0.9875" }),
  })
  .openapi("NodeHeartbeat");

const route = createRoute({
  method: "post",
  path: "/v1/nodes/{id}/heartbeat",
  tags: ["marketplace"],
  summary: "Record that a node is up this hour (its farmer's key, or an admin)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("farmer", "admin")] as const,
  request: { params: nodeParamsSchema },
  responses: {
    200: jsonResponse(responseSchema, "The hour recorded and the node's reliability"),
    ...problemResponses(401, 403, 404, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const db = c.get("db");
    const id = c.req.valid("param").id;
    await requireOwnNode(db, c.get("principal"), id);
    const recorded = await recordHeartbeat(db, id, Date.now());
    return c.json(
      {
        nodeId: id,
        hour: new Date(recorded.hour * 3_600_000).toISOString(),
        reliability: reliabilityText(recorded.reliabilityBp),
      },
      200,
    );
  });
}
