/**
 * `POST /v1/dev/nodes/{id}/settle` (development only, admin): runs the node's money pass now — what
 * its hourly alarm does: settle every lease period due at the service's clock (80 % farmer, 10 %
 * burned, 10 % ThreeFold), release, top up. With `POST /v1/dev/clock` this shows a day of a lease
 * in seconds. Each period settles once (its transfer ids derive from lease and period), so calling
 * it again, or the alarm firing later, moves nothing twice.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { now } from "../../kit/clock";
import { developmentOnly } from "../../kit/http/development";
import { orThrow } from "../../kit/http/errors";
import { requireRoles } from "../../kit/http/middleware";
import { jsonResponse, noQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { bookOf } from "../../market/flows/books";
import { nodeParamsSchema } from "../nodes/schemas";

const responseSchema = z
  .object({
    nodeId: z.string(),
    periodsSettled: z.number().int().openapi({ description: "Lease-hours settled by this pass." }),
    leasesFailed: z
      .number()
      .int()
      .openapi({ description: "Leases whose settlement failed and will be retried (see their events)." }),
    now: z.string().openapi({ description: "The service's time the pass settled up to." }),
    nextWakeAt: z
      .string()
      .nullable()
      .openapi({ description: "When the node's book next has work, on the service's clock." }),
  })
  .openapi("DevSettlement");

const route = createRoute({
  method: "post",
  path: "/v1/dev/nodes/{id}/settle",
  operationId: "settleNodeNow",
  tags: ["development"],
  summary: "Settle a node's due lease hours now, as its hourly alarm would (development only, admin)",
  description:
    "Development only: where ENVIRONMENT is not development or test this answers 404 NOT_FOUND, before any key is checked.",
  security: [{ apiKey: [] }],
  middleware: [developmentOnly, requireRoles("admin")] as const,
  request: { params: nodeParamsSchema, query: noQuerySchema },
  responses: {
    200: jsonResponse(responseSchema, "What the pass settled"),
    ...problemResponses(401, 403, 404, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const nodeId = c.req.valid("param").id;
    const summary = orThrow(await bookOf(c.env, nodeId).settleNow({ nodeId }));
    return c.json(
      {
        nodeId: summary.nodeId,
        periodsSettled: summary.periodsSettled,
        leasesFailed: summary.leasesFailed,
        now: new Date(now()).toISOString(),
        nextWakeAt: summary.nextWakeMs === null ? null : new Date(summary.nextWakeMs).toISOString(),
      },
      200,
    );
  });
}
