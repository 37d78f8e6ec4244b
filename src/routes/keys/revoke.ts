import { createRoute } from "@hono/zod-openapi";
import { revokeApiKey } from "../../kit/auth";
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
  summary: "Revoke an API key at once (admin)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("admin")] as const,
  request: { query: noQuerySchema, params: keyParamsSchema },
  responses: { 200: jsonResponse(apiKeySchema, "The revoked key"), ...problemResponses(401, 403, 404, 422) },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const record = await revokeApiKey(c.get("db"), c.req.valid("param").id);
    if (!record) throw new ApiError("NOT_FOUND", "No such key");
    return c.json(apiKeyJson(record), 200);
  });
}
