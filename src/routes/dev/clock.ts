/**
 * `GET|POST /v1/dev/clock` (development only, admin): reads or advances the service's clock
 * (src/kit/clock.ts), so an hour of leases can be settled in seconds. The clock is one module of
 * the isolate: the Worker and every Durable Object in it (`wrangler dev` runs them in one) read the
 * moved time at once. It only moves forward, lives in memory, and is back to real time when the
 * isolate restarts (wrangler reloads on a code change). Webhooks are verified against this clock,
 * so `npm run webhook` signs at its time.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { clockOffsetMs, now, shiftClock } from "../../kit/clock";
import { developmentOnly } from "../../kit/http/development";
import { requireRoles } from "../../kit/http/middleware";
import { jsonBody, jsonResponse, noQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";

/** Longest single advance: 366 days, in seconds. */
export const clockAdvanceSecondsMax = 366 * 86_400;

const bodySchema = z.strictObject({
  advanceSeconds: z
    .number()
    .int()
    .min(1)
    .max(clockAdvanceSecondsMax)
    .openapi({ example: 3600, description: "Seconds to move the clock forward: 1 … 31622400 (366 days)." }),
});

const clockSchema = z
  .object({
    now: z.string().openapi({ example: "2026-12-04T19:00:00.000Z", description: "The service's time." }),
    offsetSeconds: z
      .number()
      .openapi({ description: "How far the service's clock runs ahead of real time." }),
  })
  .openapi("DevClock");

const description =
  "Development only: where ENVIRONMENT is not development or test this answers 404 NOT_FOUND, before any key is checked.";

const readRoute = createRoute({
  method: "get",
  path: "/v1/dev/clock",
  operationId: "getDevClock",
  tags: ["development"],
  summary: "The service's clock and how far it runs ahead of real time (development only, admin)",
  description,
  security: [{ apiKey: [] }],
  middleware: [developmentOnly, requireRoles("admin")] as const,
  request: { query: noQuerySchema },
  responses: { 200: jsonResponse(clockSchema, "The clock"), ...problemResponses(401, 403, 404, 422) },
});

const advanceRoute = createRoute({
  method: "post",
  path: "/v1/dev/clock",
  operationId: "advanceDevClock",
  tags: ["development"],
  summary: "Move the service's clock forward (development only, admin)",
  description: `${description} Leases are charged when their node settles: follow with POST /v1/dev/nodes/{id}/settle.`,
  security: [{ apiKey: [] }],
  middleware: [developmentOnly, requireRoles("admin")] as const,
  request: { query: noQuerySchema, body: jsonBody(bodySchema) },
  responses: {
    200: jsonResponse(clockSchema, "The clock after the move"),
    ...problemResponses(401, 403, 404, 413, 415, 422),
  },
});

function clockJson() {
  return { now: new Date(now()).toISOString(), offsetSeconds: clockOffsetMs() / 1000 };
}

export function register(app: App) {
  app.openapi(readRoute, (c) => c.json(clockJson(), 200));
  app.openapi(advanceRoute, (c) => {
    shiftClock(c.req.valid("json").advanceSeconds * 1000);
    return c.json(clockJson(), 200);
  });
}
