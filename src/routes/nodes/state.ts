/**
 * `PUT /v1/nodes/{id}/state`: online, offline or maintenance. Leaving `online` pauses every
 * running lease (on-demand and package leases keep their slices); coming back resumes them. Paused
 * time is never charged. A state set here is the farmer's: it clears the mark of a node the cron
 * took offline for silence, so no heartbeat undoes it.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { now } from "../../kit/clock";
import { orThrow } from "../../kit/http/errors";
import { requireRoles } from "../../kit/http/middleware";
import { jsonBody, jsonResponse, noQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { nodeStates } from "../../market/core/bidbook/model";
import { bookOf, ccUsdOf } from "../../market/flows/books";
import { nodeStatement, setAutoOffline } from "../../market/store/nodes";
import { readWithPeg } from "../../oracle/prices";
import { nodeJson, nodeParamsSchema, nodeSchema, ownNodeFrom } from "./schemas";

const bodySchema = z
  .strictObject({ state: z.enum(nodeStates as ["online", "offline", "maintenance"]) })
  .openapi("NodeStateChange");

const route = createRoute({
  method: "put",
  path: "/v1/nodes/{id}/state",
  operationId: "setNodeState",
  tags: ["marketplace"],
  summary: "Set a node online, offline or in maintenance (its farmer, or an admin)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("farmer", "admin")] as const,
  request: { query: noQuerySchema, params: nodeParamsSchema, body: jsonBody(bodySchema) },
  responses: {
    200: jsonResponse(nodeSchema, "The node in its new state"),
    ...problemResponses(401, 403, 404, 413, 415, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const db = c.get("db");
    const id = c.req.valid("param").id;
    // The node and the peg: one round trip; the answer is that row with what the book now says.
    const {
      results: [nodeRead],
      peg,
    } = await readWithPeg(db, [nodeStatement(id)], now());
    const node = ownNodeFrom(nodeRead, c.get("principal"), id);
    const book = orThrow(await bookOf(c.env, id).setState({ nodeId: id, state: c.req.valid("json").state }));
    if (node.autoOfflineAtMs !== null) await setAutoOffline(db, id, null);
    const updated = { ...node, state: book.state, freeSlices: book.freeSlices, autoOfflineAtMs: null };
    return c.json(nodeJson(updated, ccUsdOf(peg)), 200);
  });
}
