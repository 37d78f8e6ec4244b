/**
 * `GET /v1/me`: who the caller's key says they are: owner, role, the key's id, name and expiry, and
 * the node the key is bound to (a node agent's key). Any role, a node's key too (an agent learns its
 * node here); one round trip (the key's row, read fresh rather than from the isolate's cache).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { apiKeyFrom, apiKeyStatement } from "../../kit/auth";
import { roles } from "../../kit/db/schema";
import { ApiError } from "../../kit/http/errors";
import { anyRole, requireRoles } from "../../kit/http/middleware";
import { jsonResponse, noQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";

const meSchema = z
  .object({
    ownerId: z.string().openapi({ example: "usr_alice" }),
    role: z.enum(roles),
    keyId: z.string().openapi({ example: "key_3XkPq0fJ2m9Zb7Lr1sYtWc" }),
    keyName: z.string().nullable(),
    keyExpiresAt: z.string().nullable().openapi({ description: "null: the key does not expire." }),
    keyRetiresAt: z
      .string()
      .nullable()
      .openapi({ description: "When a rotated or revoked key stops working; null while it is current." }),
    nodeId: z.string().nullable().openapi({
      description: "The node a `node` key is bound to (its agent's key); null for every other role.",
    }),
  })
  .openapi("Me");

const route = createRoute({
  method: "get",
  path: "/v1/me",
  operationId: "getMe",
  tags: ["keys"],
  summary: "The caller: owner, role and the key in use (any role, a node's agent too)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles(...anyRole, "node")] as const,
  request: { query: noQuerySchema },
  responses: { 200: jsonResponse(meSchema, "The caller"), ...problemResponses(401, 422) },
});

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function register(app: App) {
  app.openapi(route, async (c) => {
    const principal = c.get("principal");
    const key = apiKeyFrom(await c.get("db").execute(apiKeyStatement(principal.keyId)));
    // The key was verified moments ago (or within the cache's 30 s); gone now means deleted since.
    if (!key) throw new ApiError("UNAUTHENTICATED", "The API key is no longer known");
    return c.json(
      {
        ownerId: principal.ownerId,
        role: principal.role,
        keyId: key.id,
        keyName: key.name,
        keyExpiresAt: iso(key.expiresAtMs),
        keyRetiresAt: iso(key.revokedAtMs),
        nodeId: key.nodeId,
      },
      200,
    );
  });
}
