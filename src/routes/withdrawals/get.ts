import { createRoute } from "@hono/zod-openapi";
import { getWithdrawal } from "../../credits/withdrawals";
import { ApiError } from "../../kit/http/errors";
import { anyRole, assertOwner, requireRoles } from "../../kit/http/middleware";
import { jsonResponse, noQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { withdrawalJson, withdrawalParamsSchema, withdrawalSchema } from "./schemas";

const route = createRoute({
  method: "get",
  path: "/v1/withdrawals/{id}",
  operationId: "getWithdrawal",
  tags: ["withdrawals"],
  summary: "A withdrawal and its state (owner or admin)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles(...anyRole)] as const,
  request: { query: noQuerySchema, params: withdrawalParamsSchema },
  responses: {
    200: jsonResponse(withdrawalSchema, "The withdrawal"),
    ...problemResponses(401, 403, 404, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const withdrawal = await getWithdrawal(c.get("db"), c.req.valid("param").id);
    if (!withdrawal) throw new ApiError("NOT_FOUND", "No such withdrawal");
    assertOwner(c.get("principal"), withdrawal.ownerId);
    return c.json(withdrawalJson(withdrawal), 200);
  });
}
