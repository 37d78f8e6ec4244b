/**
 * `POST /v1/nodes/{id}/keys`: a key for the node's agent (role `node`), bound to this node and owned
 * by its farmer. It is allowed only the agent's calls on this node (heartbeat, assignments and their
 * live feed, reporting their states, `GET /v1/me`); the farmer's own key keeps working for all of
 * them. From the first such key on, the node's book hands every new lease to the agent first
 * (`provisioning`; with MARKET_CHARGE_FROM=running it is charged from the agent's `running` report).
 * The node's farmer or an admin; the secret is returned once.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { newApiKey } from "../../kit/auth";
import { dayMs, now } from "../../kit/clock";
import { orThrow } from "../../kit/http/errors";
import { requireRoles } from "../../kit/http/middleware";
import {
  jsonBody,
  jsonResponse,
  nameCharsMax,
  noQuerySchema,
  problemResponses,
  textField,
} from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { bookOf } from "../../market/flows/books";
import { keyLifetimeDaysMax } from "../keys/create";
import { apiKeyJson, createdKeySchema } from "../keys/schemas";
import { nodeParamsSchema, requireOwnNode } from "./schemas";

const bodySchema = z
  .strictObject({
    name: textField({ maxChars: nameCharsMax }).optional().openapi({ example: "agent on rack 3" }),
    expiresInDays: z.number().int().min(1).max(keyLifetimeDaysMax).optional(),
  })
  .openapi("NodeKeyRequest");

const route = createRoute({
  method: "post",
  path: "/v1/nodes/{id}/keys",
  operationId: "createNodeKey",
  tags: ["agents"],
  summary:
    "Create the node agent's key, bound to this node (its farmer, or an admin); the secret is returned once",
  description:
    "The key has role `node` and its farmer as owner. It may call only this node's agent routes: heartbeat, assignments (and their WebSocket feed) and lease reports. The node's book hands every lease accepted from now on to the agent first (see `GET /v1/nodes/{id}/assignments`).",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("farmer", "admin")] as const,
  request: { query: noQuerySchema, params: nodeParamsSchema, body: jsonBody(bodySchema) },
  responses: {
    201: jsonResponse(createdKeySchema, "The node's key, with its secret"),
    ...problemResponses(401, 403, 404, 413, 415, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const db = c.get("db");
    const id = c.req.valid("param").id;
    const input = c.req.valid("json");
    const node = await requireOwnNode(db, c.get("principal"), id);
    // The book first: a key is never usable on a node whose book does not hand leases to its agent
    // (binding twice changes nothing, so a retry after a failed write is safe).
    orThrow(await bookOf(c.env, id).bindAgent({ nodeId: id }));
    const nowMs = now();
    const { statement, record, plaintext } = await newApiKey(
      {
        ownerId: node.farmerId,
        role: "node",
        nodeId: id,
        name: input.name ?? null,
        expiresAtMs: input.expiresInDays === undefined ? null : nowMs + input.expiresInDays * dayMs,
      },
      nowMs,
    );
    await db.execute(statement);
    return c.json({ ...apiKeyJson(record), key: plaintext }, 201);
  });
}
