import { z } from "@hono/zod-openapi";
import type { ApiKeyRecord } from "../../kit/auth";
import { roles } from "../../kit/db/schema";

export const apiKeySchema = z
  .object({
    id: z.string().openapi({ example: "key_3XkPq0fJ2m9Zb7Lr1sYtWc" }),
    prefix: z.string(),
    ownerId: z.string(),
    role: z.enum(roles),
    name: z.string().nullable(),
    createdAt: z.string(),
    expiresAt: z.string().nullable(),
    revokedAt: z.string().nullable().openapi({ description: "When the key stops (or stopped) working." }),
    rotatedFromId: z.string().nullable(),
    nodeId: z
      .string()
      .nullable()
      .openapi({ description: "The node a `node` key is bound to (its agent's key); null for other roles." }),
  })
  .openapi("ApiKey");

export const createdKeySchema = apiKeySchema
  .extend({
    key: z.string().openapi({
      description: "The secret. Shown once: store it now.",
      example: "tfm_AbCdEfGhIjKl_0123456789abcdefghijABCDEFGHIJkl",
    }),
  })
  .openapi("CreatedApiKey");

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function apiKeyJson(record: ApiKeyRecord): z.infer<typeof apiKeySchema> {
  return {
    id: record.id,
    prefix: record.prefix,
    ownerId: record.ownerId,
    role: record.role,
    name: record.name,
    createdAt: new Date(record.createdAtMs).toISOString(),
    expiresAt: iso(record.expiresAtMs),
    revokedAt: iso(record.revokedAtMs),
    rotatedFromId: record.rotatedFromId,
    nodeId: record.nodeId,
  };
}

export const keyParamsSchema = z.strictObject({
  id: z
    .string()
    .regex(/^key_[A-Za-z0-9]{1,60}$/)
    .openapi({ param: { name: "id", in: "path" } }),
});
