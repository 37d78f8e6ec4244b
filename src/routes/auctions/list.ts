import { createRoute, z } from "@hono/zod-openapi";
import { now } from "../../kit/clock";
import { anyRole, requireRoles } from "../../kit/http/middleware";
import { jsonResponse, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { listRounds, roundStates, roundsPageSizeMax } from "../../pools/flows/auctions";
import { poolIdSchema } from "../pools/schemas";
import { roundJson, roundSchema } from "./schemas";

const querySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(roundsPageSizeMax).default(50),
  cursor: z
    .string()
    .regex(/^[0-9]{1,16}:auc_[A-Za-z0-9]{1,60}$/, "must be a cursor returned by the previous page")
    .optional(),
  poolId: poolIdSchema.optional(),
  state: z.enum(roundStates).optional(),
});

const route = createRoute({
  method: "get",
  path: "/v1/auctions",
  operationId: "listAuctions",
  tags: ["auctions"],
  summary: "Exit rounds, newest first, cursor-paginated; filter by pool or state (any role)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles(...anyRole)] as const,
  request: { query: querySchema },
  responses: {
    200: jsonResponse(
      z.object({ data: z.array(roundSchema), nextCursor: z.string().nullable() }).openapi("AuctionRoundPage"),
      "One page of rounds",
    ),
    ...problemResponses(401, 403, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const query = c.req.valid("query");
    const page = await listRounds(c.get("db"), {
      limit: query.limit,
      cursor: query.cursor ?? null,
      ...(query.poolId === undefined ? {} : { poolId: query.poolId }),
      ...(query.state === undefined ? {} : { state: query.state }),
    });
    const nowMs = now();
    return c.json(
      { data: page.rounds.map((round) => roundJson(round, null, nowMs)), nextCursor: page.nextCursor },
      200,
    );
  });
}
