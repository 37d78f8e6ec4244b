/**
 * `GET /v1/nodes/{id}/assignments`: the leases the node must run, each with its slice indices,
 * resources, status and deployment document, and a change cursor: `after=<cursor>` returns only
 * what changed since (ended leases under `removed`). Answered by the node's book from its own
 * state: with a cached key, no database round trip. The node's key, its farmer's, or an admin's.
 */
import { createRoute } from "@hono/zod-openapi";
import { orThrow } from "../../kit/http/errors";
import { requireRoles } from "../../kit/http/middleware";
import { jsonResponse, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { bookOf } from "../../market/flows/books";
import { assignmentsPageJson } from "../../market/object/contract";
import { assignmentQuerySchema, assignmentsPageSchema } from "./agent-schemas";
import { agentCaller, nodeParamsSchema } from "./schemas";

const route = createRoute({
  method: "get",
  path: "/v1/nodes/{id}/assignments",
  operationId: "listNodeAssignments",
  tags: ["agents"],
  summary: "The leases the node must run, with a change cursor (the node's key, its farmer, or an admin)",
  description:
    "Without `after` (or with `after=0`) every lease the node holds, from scratch (`reset: true`); with the previous answer's `cursor`, only the leases that changed since, ended ones under `removed`. While `more` is true, ask again with the new cursor. The same pages arrive over the live feed (`GET /v1/nodes/{id}/agent`).",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("node", "farmer", "admin")] as const,
  request: { query: assignmentQuerySchema, params: nodeParamsSchema },
  responses: {
    200: jsonResponse(assignmentsPageSchema, "A page of assignment changes"),
    ...problemResponses(401, 403, 404, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const id = c.req.valid("param").id;
    const query = c.req.valid("query");
    const asFarmer = agentCaller(c.get("principal"), id);
    const after = query.after === undefined || query.after === "0" ? null : Number(query.after);
    const page = orThrow(
      await bookOf(c.env, id).assignments({ nodeId: id, asFarmer, after, limit: query.limit }),
    );
    return c.json(assignmentsPageJson(page), 200);
  });
}
