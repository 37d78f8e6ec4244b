import { createRoute, z } from "@hono/zod-openapi";
import { ApiError } from "../../kit/http/errors";
import { anyRole, requireRoles } from "../../kit/http/middleware";
import { jsonResponse, noQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { getRound } from "../../oracle/rounds";
import { quoteJson, quoteSchema, roundJson, roundSchema } from "./schemas";

const paramsSchema = z.strictObject({
  id: z
    .string()
    .regex(/^prc_[A-Za-z0-9]{1,40}$/)
    .openapi({ param: { name: "id", in: "path" }, example: "prc_3XkPq0fJ2m9Zb7Lr1sYtWc" }),
});

const route = createRoute({
  method: "get",
  path: "/v1/prices/rounds/{id}",
  operationId: "getPriceRound",
  tags: ["prices"],
  summary: "One price round with every source's quote and why it was accepted or dropped (any key)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles(...anyRole)] as const,
  request: { query: noQuerySchema, params: paramsSchema },
  responses: {
    200: jsonResponse(
      roundSchema.extend({ quotes: z.array(quoteSchema) }).openapi("PriceRoundDetail"),
      "The round",
    ),
    ...problemResponses(401, 403, 404, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const round = await getRound(c.get("db"), c.req.valid("param").id);
    if (!round) throw new ApiError("NOT_FOUND", "No such price round");
    return c.json({ ...roundJson(round), quotes: round.quotes.map(quoteJson) }, 200);
  });
}
