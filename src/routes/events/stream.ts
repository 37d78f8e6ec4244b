/**
 * `GET /v1/events/stream`: the caller's events as Server-Sent Events, live. Each event is one SSE
 * message (`id`: its seq, `event`: its type, `data`: the event as `GET /v1/events` shows it).
 *
 * How it learns of new events: it polls the events table (one round trip per poll, at most
 * `eventsPageSizeMax` events each) every `EVENTS_STREAM_POLL_MS` (default 2 s), so an event is sent
 * at most one poll interval after it is written. A comment line every `heartbeatMs` keeps proxies
 * from closing an idle stream, and the stream ends after `streamDurationMsMax`; the client then
 * reconnects with `Last-Event-ID` (or `after`) and misses nothing. `follow=false` sends what there is
 * and ends at once.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { streamSSE } from "hono/streaming";
import { eventJson, eventsPageSizeMax, eventsQuery } from "../../events/store";
import { now } from "../../kit/clock";
import { eventTypes } from "../../kit/db/events";
import { anyRole, ownerToList, requireRoles } from "../../kit/http/middleware";
import { commaListSchema, ownerFilterSchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { eventCursorSchema } from "./schemas";

/** Longest life of one stream: 5 minutes (then the client reconnects from its last id). */
export const streamDurationMsMax = 5 * 60_000;
/** A comment line this often keeps an idle stream open: 15 s. */
export const heartbeatMs = 15_000;
/** Default time between two polls of the events table: 2 s. */
export const pollMsDefault = 2_000;

const querySchema = z.strictObject({
  ownerId: ownerFilterSchema.optional(),
  type: commaListSchema(eventTypes)
    .optional()
    .openapi({ description: "Only these types, comma-separated.", example: "lease.started,lease.ended" }),
  after: eventCursorSchema.optional(),
  follow: z
    .enum(["true", "false"])
    .default("true")
    .openapi({ description: "false: send the events there are now, then end the stream." }),
});

const route = createRoute({
  method: "get",
  path: "/v1/events/stream",
  operationId: "streamEvents",
  tags: ["events"],
  summary: "Your events, live, as Server-Sent Events (resume with Last-Event-ID)",
  description: `The same events as \`GET /v1/events\`, oldest first after \`after\` or the \`Last-Event-ID\` header, then new ones as they are written: polled every 2 s by default, a heartbeat comment every ${heartbeatMs / 1000} s, the stream ending after ${streamDurationMsMax / 60_000} minutes (reconnect with \`Last-Event-ID\`). Authenticate with the Authorization header (an EventSource polyfill or fetch-based client; the browser's own EventSource cannot send it).`,
  security: [{ apiKey: [] }],
  middleware: [requireRoles(...anyRole)] as const,
  request: {
    query: querySchema,
    headers: z.object({
      "last-event-id": eventCursorSchema
        .optional()
        .openapi({ description: "The last event's id (its seq) seen: the stream resumes after it." }),
    }),
  },
  responses: {
    200: {
      description: "A stream of events: `id` is the seq, `event` the type, `data` the event's JSON",
      content: { "text/event-stream": { schema: z.string() } },
    },
    ...problemResponses(401, 403, 422),
  },
});

function pollMsOf(env: Env): number {
  const configured = Number(env.EVENTS_STREAM_POLL_MS);
  return Number.isSafeInteger(configured) && configured > 0 ? configured : pollMsDefault;
}

export function register(app: App) {
  app.openapi(route, async (c) => {
    const principal = c.get("principal");
    const query = c.req.valid("query");
    const ownerId =
      principal.role === "admin" ? (query.ownerId ?? null) : ownerToList(principal, query.ownerId);
    const resume = c.req.valid("header")["last-event-id"] ?? query.after ?? "0";
    const db = c.get("db");
    const pollMs = pollMsOf(c.env);
    const startedMs = now();
    return streamSSE(c, async (stream) => {
      let afterSeq = Number(resume);
      let lastWriteMs = now();
      await stream.writeln(`retry: ${pollMs}\n`);
      while (!stream.aborted) {
        const reading = eventsQuery({
          ownerId,
          types: query.type ?? null,
          afterSeq,
          limit: eventsPageSizeMax,
        });
        const page = reading.read(await db.execute(reading.statement));
        for (const event of page.events) {
          await stream.writeSSE({
            id: String(event.seq),
            event: event.type,
            data: JSON.stringify(eventJson(event)),
          });
          afterSeq = event.seq;
          lastWriteMs = now();
        }
        if (page.more) continue;
        if (query.follow === "false" || now() - startedMs >= streamDurationMsMax) break;
        if (now() - lastWriteMs >= heartbeatMs) {
          await stream.writeln(": heartbeat\n");
          lastWriteMs = now();
        }
        await stream.sleep(pollMs);
      }
    }) as never;
  });
}
