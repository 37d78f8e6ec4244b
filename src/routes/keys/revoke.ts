/**
 * `DELETE /v1/keys/{id}`: revokes a key at once. Admins revoke any key; a farmer revokes the keys
 * of its nodes' agents (role `node`, its own), say one that leaked, reading the key first.
 */
import { createRoute } from "@hono/zod-openapi";
import { getApiKey, revokeApiKey } from "../../kit/auth";
import { ApiError } from "../../kit/http/errors";
import { requireRoles } from "../../kit/http/middleware";
import { jsonResponse, noQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { apiKeyJson, apiKeySchema, keyParamsSchema } from "./schemas";

const route = createRoute({
  method: "delete",
  path: "/v1/keys/{id}",
  operationId: "revokeApiKey",
  tags: ["keys"],
  summary: "Revoke an API key at once (admin; a farmer its nodes' agent keys)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("admin", "farmer")] as const,
  request: { query: noQuerySchema, params: keyParamsSchema },
  responses: { 200: jsonResponse(apiKeySchema, "The revoked key"), ...problemResponses(401, 403, 404, 422) },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const db = c.get("db");
    const id = c.req.valid("param").id;
    const principal = c.get("principal");
    if (principal.role !== "admin") {
      const key = await getApiKey(db, id);
      if (!key || key.ownerId !== principal.ownerId) throw new ApiError("NOT_FOUND", "No such key");
      if (key.role !== "node") throw new ApiError("FORBIDDEN", "A farmer revokes only its nodes' agent keys");
    }
    const record = await revokeApiKey(db, id);
    if (!record) throw new ApiError("NOT_FOUND", "No such key");
    return c.json(apiKeyJson(record), 200);
  });
}
