import { createRoute, z } from "@hono/zod-openapi";
import { rotateApiKey, rotationGraceMsMax } from "../../kit/auth";
import { ApiError } from "../../kit/http/errors";
import { requireRoles } from "../../kit/http/middleware";
import { jsonBody, jsonResponse, noQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { apiKeyJson, apiKeySchema, createdKeySchema, keyParamsSchema } from "./schemas";

const bodySchema = z.strictObject({
  graceSeconds: z
    .number()
    .int()
    .min(0)
    .max(rotationGraceMsMax / 1000)
    .default(86_400)
    .openapi({ description: "How long the old key keeps working (default one day, at most 7 days)." }),
});

const route = createRoute({
  method: "post",
  path: "/v1/keys/{id}/rotate",
  operationId: "rotateApiKey",
  tags: ["keys"],
  summary: "Rotate an API key (admin): a new secret now, the old one retired after a grace period",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("admin")] as const,
  request: { query: noQuerySchema, params: keyParamsSchema, body: jsonBody(bodySchema) },
  responses: {
    201: jsonResponse(
      z.object({ key: createdKeySchema, previous: apiKeySchema }),
      "The new key and the retiring one",
    ),
    ...problemResponses(401, 403, 404, 409, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const rotated = await rotateApiKey(
      c.get("db"),
      c.req.valid("param").id,
      c.req.valid("json").graceSeconds * 1000,
    );
    if (!rotated.ok) {
      throw rotated.reason === "not_found"
        ? new ApiError("NOT_FOUND", "No such key")
        : new ApiError("CONFLICT", "This key was already rotated or revoked: rotate its successor instead");
    }
    return c.json(
      {
        key: { ...apiKeyJson(rotated.record), key: rotated.plaintext },
        previous: apiKeyJson(rotated.previous),
      },
      201,
    );
  });
}
