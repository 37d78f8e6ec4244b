import { createRoute, z } from "@hono/zod-openapi";
import { orThrow } from "../../kit/http/errors";
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
import { newId } from "../../kit/ids";
import { createPool } from "../../pools/store/pools";
import { poolSummaryJson, poolSummarySchema, weightRuleSchema } from "./schemas";

const bodySchema = z.strictObject({
  name: textField({ maxChars: nameCharsMax }).openapi({ example: "TFP ↔ USDC exit pool" }),
  weightRule: weightRuleSchema.optional(),
});

const route = createRoute({
  method: "post",
  path: "/v1/pools",
  operationId: "createPool",
  tags: ["pools"],
  summary: "Create a position-based liquidity pool with its USDC and TFP accounts (admin)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("admin")] as const,
  request: { query: noQuerySchema, body: jsonBody(bodySchema) },
  responses: {
    201: jsonResponse(poolSummarySchema, "The new pool, empty"),
    ...problemResponses(401, 403, 409, 413, 415, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const input = c.req.valid("json");
    const pool = orThrow(
      await createPool(c.get("db"), {
        id: newId("pol"),
        name: input.name,
        weightRule: input.weightRule ?? "valueTimesTime",
        createdBy: c.get("principal").ownerId,
      }),
    );
    return c.json(poolSummaryJson(pool), 201);
  });
}
