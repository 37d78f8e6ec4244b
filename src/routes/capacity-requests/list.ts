/**
 * `GET /v1/capacity-requests`: users see their own requests; farmers (and admins) see the open
 * ones they can offer on. Newest first; `cursor` is the previous page's last creation time.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { anyRole, requireRoles } from "../../kit/http/middleware";
import { jsonResponse, pageSizeDefault, pageSizeMax, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { listRequests } from "../../market/flows/capacity-requests";
import { requestJson, requestSchema } from "./schemas";

const querySchema = z.strictObject({
  status: z.enum(["open", "accepting", "accepted", "expired", "cancelled"]).optional(),
  limit: z.coerce.number().int().min(1).max(pageSizeMax).default(pageSizeDefault),
  cursor: z
    .string()
    .regex(/^[0-9]{1,16}$/, "must be a cursor returned by the previous page")
    .optional(),
});

const route = createRoute({
  method: "get",
  path: "/v1/capacity-requests",
  operationId: "listCapacityRequests",
  tags: ["marketplace"],
  summary: "Capacity requests: your own (users), or the open ones (farmers, admins)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles(...anyRole)] as const,
  request: { query: querySchema },
  responses: {
    200: jsonResponse(
      z
        .object({ data: z.array(requestSchema), nextCursor: z.string().nullable() })
        .openapi("CapacityRequestPage"),
      "One page of requests",
    ),
    ...problemResponses(401, 403, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const principal = c.get("principal");
    const query = c.req.valid("query");
    const market = principal.role === "farmer" || principal.role === "admin";
    const requests = await listRequests(c.get("db"), {
      ownerId: market ? null : principal.ownerId,
      status: market && principal.role === "farmer" ? "open" : (query.status ?? null),
      limit: query.limit,
      beforeMs: query.cursor === undefined ? null : Number(query.cursor),
    });
    const last = requests.at(-1);
    return c.json(
      {
        data: requests.map((request) => requestJson(request, [])),
        nextCursor: requests.length === query.limit && last ? String(last.createdAtMs) : null,
      },
      200,
    );
  });
}
