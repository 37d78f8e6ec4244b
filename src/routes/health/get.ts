import { createRoute, z } from "@hono/zod-openapi";
import { jsonResponse, noQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";

const healthSchema = z
  .object({ status: z.enum(["ok", "degraded"]), database: z.enum(["ok", "unreachable"]), time: z.string() })
  .openapi("Health");

const route = createRoute({
  method: "get",
  path: "/v1/health",
  operationId: "getHealth",
  security: [],
  tags: ["system"],
  summary: "Liveness and database reachability (no key needed)",
  request: { query: noQuerySchema },
  responses: {
    ...problemResponses(422),
    200: jsonResponse(healthSchema, "The service answers"),
    503: jsonResponse(healthSchema, "The database is unreachable"),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const reachable = await c
      .get("db")
      .execute("SELECT 1")
      .then(() => true)
      .catch(() => false);
    const body = {
      status: reachable ? "ok" : "degraded",
      database: reachable ? "ok" : "unreachable",
      time: new Date().toISOString(),
    } as const;
    return reachable ? c.json(body, 200) : c.json(body, 503);
  });
}
