/**
 * `GET /v1/accounts`: the caller's own accounts with their balances, oldest first,
 * cursor-paginated; an admin may name another owner with `ownerId`. Any role; one round trip.
 */
import { createRoute, z } from "@hono/zod-openapi";
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
import { ownerAccountsPageSizeMax, ownerAccountsQuery } from "../../ledger/accounts";
import { accountJson, accountSchema } from "./schemas";

const querySchema = z.strictObject({
  ownerId: ownerFilterSchema.optional(),
  limit: pageLimitSchema(ownerAccountsPageSizeMax),
  cursor: timeCursorSchema.optional(),
});

const route = createRoute({
  method: "get",
  path: "/v1/accounts",
  operationId: "listAccounts",
  tags: ["accounts"],
  summary: "Your accounts and their balances, oldest first, cursor-paginated (any role)",
  description: `The caller's own accounts (admins: \`ownerId\` names another owner), each as \`GET /v1/accounts/{id}\` shows it, balances as decimal strings in the asset's scale. At most ${ownerAccountsPageSizeMax} per page (default ${pageSizeDefault}); \`nextCursor\` is null on the last page.`,
  security: [{ apiKey: [] }],
  middleware: [requireRoles(...anyRole)] as const,
  request: { query: querySchema },
  responses: {
    200: jsonResponse(
      z.object({ data: z.array(accountSchema), nextCursor: z.string().nullable() }).openapi("AccountPage"),
      "One page of accounts",
    ),
    ...problemResponses(401, 403, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const query = c.req.valid("query");
    const ownerId = ownerToList(c.get("principal"), query.ownerId);
    const accounts = ownerAccountsQuery(ownerId, { limit: query.limit, cursor: timeCursorOf(query.cursor) });
    const page = accounts.read(await c.get("db").execute(accounts.statement));
    return c.json({ data: page.accounts.map(accountJson), nextCursor: timeCursorText(page.nextCursor) }, 200);
  });
}
