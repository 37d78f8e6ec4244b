/**
 * `GET /v1/keys`: API keys, newest first, cursor-paginated, never their secrets or hashes: the
 * caller's own (any role), or every owner's for an admin (`ownerId` narrows). One round trip.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { type ApiKeyListed, apiKeysPageSizeMax, apiKeysQuery } from "../../kit/auth";
import { anyRole, ownerToList, requireRoles } from "../../kit/http/middleware";
import {
  jsonResponse,
  ownerFilterSchema,
  pageLimitSchema,
  pageSizeDefault,
  problemResponses,
  timeCursorOf,
  timeCursorSchema,
  timeCursorText,
} from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { apiKeyJson, apiKeySchema } from "./schemas";

const listedKeySchema = apiKeySchema
  .extend({
    rotatedToId: z.string().nullable().openapi({ description: "The key this one was rotated into." }),
    rotatedAt: z.string().nullable().openapi({ description: "When it was rotated; null: never." }),
  })
  .openapi("ListedApiKey");

const querySchema = z.strictObject({
  ownerId: ownerFilterSchema.optional(),
  limit: pageLimitSchema(apiKeysPageSizeMax),
  cursor: timeCursorSchema.optional(),
});

const route = createRoute({
  method: "get",
  path: "/v1/keys",
  operationId: "listApiKeys",
  tags: ["keys"],
  summary: "API keys, newest first, cursor-paginated: your own, or everyone's for an admin",
  description: `Each key's id, public prefix, owner, role, name, creation, expiry, retirement and rotation; never its secret or hash. Admins see every owner's keys unless \`ownerId\` narrows; others only their own. At most ${apiKeysPageSizeMax} per page (default ${pageSizeDefault}).`,
  security: [{ apiKey: [] }],
  middleware: [requireRoles(...anyRole)] as const,
  request: { query: querySchema },
  responses: {
    200: jsonResponse(
      z.object({ data: z.array(listedKeySchema), nextCursor: z.string().nullable() }).openapi("ApiKeyPage"),
      "One page of keys",
    ),
    ...problemResponses(401, 403, 422),
  },
});

function listedKeyJson(key: ApiKeyListed): z.infer<typeof listedKeySchema> {
  return {
    ...apiKeyJson(key),
    rotatedToId: key.rotatedToId,
    rotatedAt: key.rotatedAtMs === null ? null : new Date(key.rotatedAtMs).toISOString(),
  };
}

export function register(app: App) {
  app.openapi(route, async (c) => {
    const principal = c.get("principal");
    const query = c.req.valid("query");
    const ownerId =
      principal.role === "admin" ? (query.ownerId ?? null) : ownerToList(principal, query.ownerId);
    const keys = apiKeysQuery(ownerId, { limit: query.limit, cursor: timeCursorOf(query.cursor) });
    const page = keys.read(await c.get("db").execute(keys.statement));
    return c.json({ data: page.keys.map(listedKeyJson), nextCursor: timeCursorText(page.nextCursor) }, 200);
  });
}
