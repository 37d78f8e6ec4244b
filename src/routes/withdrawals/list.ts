import { createRoute, z } from "@hono/zod-openapi";
import { listWithdrawals } from "../../credits/withdrawals";
import { requireRoles } from "../../kit/http/middleware";
import { jsonResponse, pageQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { withdrawalJson, withdrawalSchema } from "./schemas";

const querySchema = pageQuerySchema.extend({
  status: z
    .enum(["pending", "paid", "failed"])
    .optional()
    .openapi({ description: "pending: the bridge's outbox." }),
});

const route = createRoute({
  method: "get",
  path: "/v1/withdrawals",
  operationId: "listWithdrawals",
  tags: ["withdrawals"],
  summary:
    "Withdrawals oldest first, cursor-paginated: with status=pending, the outbox the bridge pays from (admin)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("admin")] as const,
  request: { query: querySchema },
  responses: {
    200: jsonResponse(
      z
        .object({ data: z.array(withdrawalSchema), nextCursor: z.string().nullable() })
        .openapi("WithdrawalPage"),
      "One page of withdrawals",
    ),
    ...problemResponses(401, 403, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const query = c.req.valid("query");
    const page = await listWithdrawals(c.get("db"), {
      status: query.status ?? null,
      limit: query.limit,
      afterSeq: query.cursor === undefined ? null : BigInt(query.cursor),
    });
    return c.json(
      { data: page.withdrawals.map(withdrawalJson), nextCursor: page.nextCursor?.toString() ?? null },
      200,
    );
  });
}
