import { createRoute, z } from "@hono/zod-openapi";
import { dayMs, now } from "../../kit/clock";
import { ApiError } from "../../kit/http/errors";
import { anyRole, requireRoles } from "../../kit/http/middleware";
import { jsonResponse, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { historyIntervalsMs, historyPointsMax, priceHistory } from "../../oracle/rounds";

const intervals = Object.keys(historyIntervalsMs) as [
  keyof typeof historyIntervalsMs,
  ...(keyof typeof historyIntervalsMs)[],
];

const querySchema = z.strictObject({
  kind: z.enum(["gold", "tft", "cc"]).openapi({ example: "cc", description: "cc is gold ÷ 1000." }),
  interval: z.enum(intervals).default("1h").openapi({ example: "1h" }),
  from: z.iso.datetime({ offset: true }).optional().openapi({ description: "Default: `to` minus 24 hours." }),
  to: z.iso.datetime({ offset: true }).optional().openapi({ description: "Exclusive; default: now." }),
});

const historySchema = z
  .object({
    kind: z.enum(["gold", "tft", "cc"]),
    interval: z.enum(intervals),
    from: z.string(),
    to: z.string(),
    points: z.array(
      z.object({
        start: z.string(),
        open: z.string().openapi({ description: "First accepted price in the interval, USD." }),
        close: z.string().openapi({ description: "Last accepted price in the interval, USD." }),
        rounds: z.number().int(),
      }),
    ),
  })
  .openapi("PriceHistory");

const route = createRoute({
  method: "get",
  path: "/v1/prices/history",
  operationId: "getPriceHistory",
  tags: ["prices"],
  summary: `Accepted prices per interval for charts, at most ${historyPointsMax} intervals (any key)`,
  security: [{ apiKey: [] }],
  middleware: [requireRoles(...anyRole)] as const,
  request: { query: querySchema },
  responses: {
    200: jsonResponse(historySchema, "One point per interval with a price"),
    ...problemResponses(401, 403, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const query = c.req.valid("query");
    const toMs = query.to === undefined ? now() : Date.parse(query.to);
    const fromMs = query.from === undefined ? toMs - dayMs : Date.parse(query.from);
    const intervalMs = historyIntervalsMs[query.interval];
    if (fromMs >= toMs) {
      throw new ApiError("VALIDATION_FAILED", "`from` must be before `to`", [
        { field: "query.from", detail: "must be before to" },
      ]);
    }
    if (Math.ceil((toMs - fromMs) / intervalMs) > historyPointsMax) {
      throw new ApiError(
        "VALIDATION_FAILED",
        `At most ${historyPointsMax} intervals per request: widen the interval`,
        [{ field: "query.interval", detail: `range / interval must be at most ${historyPointsMax}` }],
      );
    }
    const points = await priceHistory(c.get("db"), query.kind, fromMs, toMs, query.interval);
    return c.json(
      {
        kind: query.kind,
        interval: query.interval,
        from: new Date(fromMs).toISOString(),
        to: new Date(toMs).toISOString(),
        points: points.map((point) => ({
          start: new Date(point.startMs).toISOString(),
          open: point.open,
          close: point.close,
          rounds: point.rounds,
        })),
      },
      200,
    );
  });
}
