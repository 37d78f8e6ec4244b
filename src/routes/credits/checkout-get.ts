import { createRoute, z } from "@hono/zod-openapi";
import { getCheckoutQuote } from "../../credits/checkout";
import { now } from "../../kit/clock";
import { ApiError } from "../../kit/http/errors";
import { anyRole, assertOwner, requireRoles } from "../../kit/http/middleware";
import { jsonResponse, noQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { checkoutQuoteJson, checkoutQuoteSchema } from "./schemas";

const paramsSchema = z.strictObject({
  id: z
    .string()
    .regex(/^chk_[A-Za-z0-9]{1,40}$/)
    .openapi({ param: { name: "id", in: "path" }, example: "chk_3XkPq0fJ2m9Zb7Lr1sYtWc" }),
});

const route = createRoute({
  method: "get",
  path: "/v1/credits/checkout/{id}",
  operationId: "getCheckoutQuote",
  tags: ["credits"],
  summary: "A checkout quote and whether a payment used it (owner or admin)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles(...anyRole)] as const,
  request: { query: noQuerySchema, params: paramsSchema },
  responses: { 200: jsonResponse(checkoutQuoteSchema, "The quote"), ...problemResponses(401, 403, 404, 422) },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const quote = await getCheckoutQuote(c.get("db"), c.req.valid("param").id);
    if (!quote) throw new ApiError("NOT_FOUND", "No such checkout quote");
    assertOwner(c.get("principal"), quote.ownerId);
    return c.json(checkoutQuoteJson(quote, now()), 200);
  });
}
