import { createRoute, z } from "@hono/zod-openapi";
import { ApiError } from "../../kit/http/errors";
import { anyRole, assertOwner, requireRoles } from "../../kit/http/middleware";
import { accountIdSchema, jsonResponse, noQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { getAccount } from "../../ledger/accounts";
import { accountJson, accountSchema } from "./schemas";

export const accountParamsSchema = z.strictObject({
  id: accountIdSchema.openapi({ param: { name: "id", in: "path" }, example: "acc_3XkPq0fJ2m9Zb7Lr1sYtWc" }),
});

const route = createRoute({
  method: "get",
  path: "/v1/accounts/{id}",
  operationId: "getAccount",
  tags: ["accounts"],
  summary: "An account and its balances (owner or admin)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles(...anyRole)] as const,
  request: { query: noQuerySchema, params: accountParamsSchema },
  responses: { 200: jsonResponse(accountSchema, "The account"), ...problemResponses(401, 403, 404, 422) },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const account = await getAccount(c.get("db"), c.req.valid("param").id);
    if (!account) throw new ApiError("NOT_FOUND", "No such account");
    assertOwner(c.get("principal"), account.ownerId);
    return c.json(accountJson(account), 200);
  });
}
