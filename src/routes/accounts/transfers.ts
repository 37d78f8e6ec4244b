import { createRoute, z } from "@hono/zod-openapi";
import { ApiError } from "../../kit/http/errors";
import { anyRole, assertOwner, requireRoles } from "../../kit/http/middleware";
import { jsonResponse, pageQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { accountFrom, accountStatement, accountTransfersQuery } from "../../ledger/accounts";
import { accountParamsSchema } from "./get";
import { transferJson, transferSchema } from "./schemas";

const pageSchema = z
  .object({ data: z.array(transferSchema), nextCursor: z.string().nullable() })
  .openapi("TransferPage");

const route = createRoute({
  method: "get",
  path: "/v1/accounts/{id}/transfers",
  operationId: "listAccountTransfers",
  tags: ["accounts"],
  summary: "An account's transfers, newest first, cursor-paginated (owner or admin)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles(...anyRole)] as const,
  request: { params: accountParamsSchema, query: pageQuerySchema },
  responses: {
    200: jsonResponse(pageSchema, "One page of transfers"),
    ...problemResponses(401, 403, 404, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const db = c.get("db");
    const { id } = c.req.valid("param");
    const query = c.req.valid("query");
    const transfers = accountTransfersQuery(id, {
      limit: query.limit,
      cursor: query.cursor === undefined ? null : BigInt(query.cursor),
    });
    // The account and the page in one round trip; the page is shown only to the account's owner.
    const [accountRead, pageRead] = await db.batch([accountStatement(id), transfers.statement], "read");
    const account = accountFrom(accountRead);
    if (!account) throw new ApiError("NOT_FOUND", "No such account");
    assertOwner(c.get("principal"), account.ownerId);
    const page = transfers.read(pageRead!);
    return c.json(
      { data: page.transfers.map(transferJson), nextCursor: page.nextCursor?.toString() ?? null },
      200,
    );
  });
}
