import { createRoute, z } from "@hono/zod-openapi";
import { createApiKey } from "../../kit/auth";
import { dayMs, now } from "../../kit/clock";
import { roles } from "../../kit/db/schema";
import { ApiError } from "../../kit/http/errors";
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
import { apiKeyJson, createdKeySchema } from "./schemas";

/** Longest key lifetime an admin can set: 2 years. */
export const keyLifetimeDaysMax = 730;

const bodySchema = z.strictObject({
  ownerId: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/)
    .openapi({ example: "usr_alice" }),
  role: z.enum(roles),
  name: textField({ maxChars: nameCharsMax }).optional(),
  expiresInDays: z.number().int().min(1).max(keyLifetimeDaysMax).optional(),
});

const route = createRoute({
  method: "post",
  path: "/v1/keys",
  operationId: "createApiKey",
  tags: ["keys"],
  summary: "Create an API key for an owner and role (admin); the secret is returned once",
  description:
    "Any role but `node`: a node agent's key is bound to its node and created with `POST /v1/nodes/{id}/keys`.",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("admin")] as const,
  request: { query: noQuerySchema, body: jsonBody(bodySchema) },
  responses: {
    201: jsonResponse(createdKeySchema, "The key, with its secret"),
    ...problemResponses(401, 403, 413, 415, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const input = c.req.valid("json");
    if (input.role === "node") {
      throw new ApiError(
        "VALIDATION_FAILED",
        "A node key is bound to its node: create it with POST /v1/nodes/{id}/keys",
        [{ field: "role", detail: "node keys are created with POST /v1/nodes/{id}/keys" }],
      );
    }
    const nowMs = now();
    const { record, plaintext } = await createApiKey(
      c.get("db"),
      {
        ownerId: input.ownerId,
        role: input.role,
        name: input.name ?? null,
        expiresAtMs: input.expiresInDays === undefined ? null : nowMs + input.expiresInDays * dayMs,
      },
      nowMs,
    );
    return c.json({ ...apiKeyJson(record), key: plaintext }, 201);
  });
}
