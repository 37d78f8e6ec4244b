/**
 * `GET /v1/farmers/{id}/earnings?from=…&to=…`: what a farmer's nodes earned in settled periods
 * ending in (from, to] (default: the last 30 days): gross charged, the farmer's 80 %, the 10 %
 * burned, ThreeFold's 10 % (with the rounding remainder) and any unpaid charge, in total, per node
 * and per lease (largest first, at most 200 each). The farmer or an admin.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { dayMs, now } from "../../kit/clock";
import { ApiError } from "../../kit/http/errors";
import { assertOwner, requireRoles } from "../../kit/http/middleware";
import { jsonResponse, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { formatAmount } from "../../ledger/core/money";
import { type EarningsFigures, farmerEarnings } from "../../market/store/earnings";
import { farmerParamsSchema } from "./schemas";

const figuresSchema = z.object({
  gross: z.string().openapi({ example: "12.500000" }),
  farmer: z.string(),
  burned: z.string(),
  threefold: z.string(),
  unpaid: z.string(),
  periods: z.number().int(),
});

const responseSchema = z
  .object({
    farmerId: z.string(),
    from: z.string(),
    to: z.string(),
    currency: z.literal("CC"),
    total: figuresSchema,
    nodes: z.array(figuresSchema.extend({ nodeId: z.string() })),
    leases: z.array(figuresSchema.extend({ leaseId: z.string(), nodeId: z.string() })),
    truncated: z
      .boolean()
      .openapi({ description: "More than 200 nodes or leases: the smallest are left out." }),
  })
  .openapi("FarmerEarnings");

const querySchema = z.strictObject({
  from: z.iso.datetime().optional().openapi({ example: "2026-11-01T00:00:00Z" }),
  to: z.iso.datetime().optional(),
});

const route = createRoute({
  method: "get",
  path: "/v1/farmers/{id}/earnings",
  operationId: "getFarmerEarnings",
  tags: ["marketplace"],
  summary: "A farmer's earnings: gross, farmer share, burned, ThreeFold share (the farmer or an admin)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("farmer", "admin")] as const,
  request: {
    params: farmerParamsSchema,
    query: querySchema,
  },
  responses: { 200: jsonResponse(responseSchema, "The earnings"), ...problemResponses(401, 403, 422) },
});

function json(figures: EarningsFigures): z.infer<typeof figuresSchema> {
  return {
    gross: formatAmount("CC", figures.grossMinor),
    farmer: formatAmount("CC", figures.farmerMinor),
    burned: formatAmount("CC", figures.burnedMinor),
    threefold: formatAmount("CC", figures.threefoldMinor),
    unpaid: formatAmount("CC", figures.unpaidMinor),
    periods: figures.periods,
  };
}

export function register(app: App) {
  app.openapi(route, async (c) => {
    const farmerId = c.req.valid("param").id;
    assertOwner(c.get("principal"), farmerId);
    const query = c.req.valid("query");
    const toMs = query.to === undefined ? now() : Date.parse(query.to);
    const fromMs = query.from === undefined ? toMs - 30 * dayMs : Date.parse(query.from);
    if (fromMs >= toMs) {
      throw new ApiError("VALIDATION_FAILED", "from must be before to", [
        { field: "query.from", detail: "after to" },
      ]);
    }
    const report = await farmerEarnings(c.get("db"), farmerId, fromMs, toMs);
    return c.json(
      {
        farmerId,
        from: new Date(fromMs).toISOString(),
        to: new Date(toMs).toISOString(),
        currency: "CC" as const,
        total: json(report.total),
        nodes: report.nodes.map((row) => ({ nodeId: row.nodeId, ...json(row) })),
        leases: report.leases.map((row) => ({ leaseId: row.leaseId, nodeId: row.nodeId, ...json(row) })),
        truncated: report.truncated,
      },
      200,
    );
  });
}
