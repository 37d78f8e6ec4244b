/**
 * `GET /v1/leases/{id}/events`: a lease's event log from its node's bid book, oldest first — start,
 * pre-emption and pause notices (with the grace deadline when unpaid), resumptions, hourly
 * settlements with their split, top-ups, the end and the release of its holds — with the events of
 * the bid it came from. Cursor-paginated by sequence number.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { orThrow } from "../../kit/http/errors";
import { anyRole, requireRoles } from "../../kit/http/middleware";
import { jsonResponse, pageQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { bookOf } from "../../market/flows/books";
import { leaseParamsSchema, requireVisibleLease } from "./get";
import { eventJson, eventSchema } from "./schemas";

const pageSchema = z
  .object({ data: z.array(eventSchema), nextCursor: z.string().nullable() })
  .openapi("LeaseEventPage");

const route = createRoute({
  method: "get",
  path: "/v1/leases/{id}/events",
  operationId: "listLeaseEvents",
  tags: ["marketplace"],
  summary: "A lease's events, oldest first (its payer, the node's farmer, or an admin)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles(...anyRole)] as const,
  request: { params: leaseParamsSchema, query: pageQuerySchema },
  responses: { 200: jsonResponse(pageSchema, "One page of events"), ...problemResponses(401, 403, 404, 422) },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const db = c.get("db");
    const query = c.req.valid("query");
    const row = await requireVisibleLease(db, c.get("principal"), c.req.valid("param").id);
    const events = orThrow(
      await bookOf(c.env, row.nodeId).leaseEvents({
        nodeId: row.nodeId,
        leaseId: row.id,
        afterSeq: query.cursor === undefined ? 0 : Number(query.cursor),
        limit: query.limit,
      }),
    );
    const last = events.at(-1);
    return c.json(
      {
        data: events.map(eventJson),
        nextCursor: events.length === query.limit && last ? String(last.seq) : null,
      },
      200,
    );
  });
}
