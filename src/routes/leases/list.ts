/**
 * `GET /v1/leases`: leases from the libSQL mirror, newest first, cursor-paginated, each as
 * `GET /v1/leases/{id}` answers from the mirror row (`leaseRowJson`: no live holds). The caller's
 * own (the leases they pay for); with `nodeId` of a node they farm, that node's leases whoever
 * pays; admins every lease (`ownerId` narrows). Any role; one round trip.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { leaseStatuses } from "../../kit/db/schema";
import { anyRole, ownerToList, requireRoles } from "../../kit/http/middleware";
import {
  commaListSchema,
  jsonResponse,
  nodeIdSchema,
  ownerFilterSchema,
  pageLimitSchema,
  pageSizeDefault,
  problemResponses,
  timeCursorOf,
  timeCursorSchema,
  timeCursorText,
} from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { leasesPageSizeMax, leasesQuery } from "../../market/store/leases";
import { leaseRowJson, leaseSchema } from "./schemas";

const querySchema = z.strictObject({
  status: commaListSchema(leaseStatuses).optional().openapi({
    description: "One or more of running, paused, ended, comma-separated.",
    example: "running,paused",
  }),
  nodeId: nodeIdSchema
    .optional()
    .openapi({ description: "Only this node's leases; all of them if you farm it." }),
  ownerId: ownerFilterSchema.optional(),
  limit: pageLimitSchema(leasesPageSizeMax),
  cursor: timeCursorSchema.optional(),
});

const route = createRoute({
  method: "get",
  path: "/v1/leases",
  operationId: "listLeases",
  tags: ["marketplace"],
  summary: "Your leases, newest first, cursor-paginated; a farmer's node's leases with nodeId (any role)",
  description: `Leases from the libSQL mirror (no live holds: \`holdIds\` is empty; \`GET /v1/leases/{id}\` asks the node's book). Yours (the leases you pay for); with \`nodeId\` of a node you farm, all its leases whoever pays; admins see every lease (\`ownerId\` narrows to one payer). \`status\` is one comma-separated list (repeating the parameter is a 422). At most ${leasesPageSizeMax} per page (default ${pageSizeDefault}), newest first.`,
  security: [{ apiKey: [] }],
  middleware: [requireRoles(...anyRole)] as const,
  request: { query: querySchema },
  responses: {
    200: jsonResponse(
      z.object({ data: z.array(leaseSchema), nextCursor: z.string().nullable() }).openapi("LeasePage"),
      "One page of leases",
    ),
    ...problemResponses(401, 403, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const principal = c.get("principal");
    const query = c.req.valid("query");
    const admin = principal.role === "admin";
    if (!admin) ownerToList(principal, query.ownerId); // another owner's id is a 403
    const leases = leasesQuery(
      {
        viewerId: admin ? null : principal.ownerId,
        ownerId: query.ownerId ?? null,
        nodeId: query.nodeId ?? null,
        statuses: query.status ?? [],
      },
      { limit: query.limit, cursor: timeCursorOf(query.cursor) },
    );
    const page = leases.read(await c.get("db").execute(leases.statement));
    return c.json({ data: page.leases.map(leaseRowJson), nextCursor: timeCursorText(page.nextCursor) }, 200);
  });
}
