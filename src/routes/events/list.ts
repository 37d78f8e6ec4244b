/**
 * `GET /v1/events`: the caller's events, oldest first after a cursor, optionally of some types
 * only; an admin reads every owner's (or one's, with `ownerId`). One round trip.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { eventJson, eventsPageSizeMax, eventsQuery } from "../../events/store";
import { eventTypes } from "../../kit/db/events";
import { anyRole, ownerToList, requireRoles } from "../../kit/http/middleware";
import {
  commaListSchema,
  jsonResponse,
  ownerFilterSchema,
  pageLimitSchema,
  problemResponses,
} from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { eventCursorSchema, eventSchema } from "./schemas";

const querySchema = z.strictObject({
  ownerId: ownerFilterSchema.optional(),
  type: commaListSchema(eventTypes)
    .optional()
    .openapi({ description: "Only these types, comma-separated.", example: "lease.started,lease.ended" }),
  after: eventCursorSchema.optional(),
  limit: pageLimitSchema(eventsPageSizeMax),
});

const route = createRoute({
  method: "get",
  path: "/v1/events",
  operationId: "listEvents",
  tags: ["events"],
  summary: "Your events, oldest first after a cursor: leases, bids, payments, withdrawals, auctions",
  description: `Each event has an id, a type, its time, its owner, its subject and structured fields. Pass the page's \`nextCursor\` as \`after\` to read on (it is also the place to resume polling when \`hasMore\` is false). Admins see every owner's events unless \`ownerId\` narrows. At most ${eventsPageSizeMax} per page.`,
  security: [{ apiKey: [] }],
  middleware: [requireRoles(...anyRole)] as const,
  request: { query: querySchema },
  responses: {
    200: jsonResponse(
      z
        .object({
          data: z.array(eventSchema),
          nextCursor: z.string().openapi({ description: "The `after` of the next read." }),
          hasMore: z.boolean().openapi({ description: "Whether more events follow now." }),
        })
        .openapi("EventPage"),
      "One page of events",
    ),
    ...problemResponses(401, 403, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const principal = c.get("principal");
    const query = c.req.valid("query");
    const ownerId =
      principal.role === "admin" ? (query.ownerId ?? null) : ownerToList(principal, query.ownerId);
    const afterSeq = Number(query.after ?? "0");
    const reading = eventsQuery({ ownerId, types: query.type ?? null, afterSeq, limit: query.limit });
    const page = reading.read(await c.get("db").execute(reading.statement));
    const last = page.events.at(-1);
    return c.json(
      {
        data: page.events.map(eventJson),
        nextCursor: String(last?.seq ?? afterSeq),
        hasMore: page.more,
      },
      200,
    );
  });
}
