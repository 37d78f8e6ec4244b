/**
 * `GET /v1/nodes/{id}/projection`: for a registered node, what the calculator projects it earns
 * against what the ledger actually paid its farmer, per calendar month (UTC). Projected: the
 * farmer's 80 % share at the node's listed monthly price with every slice rented, and at the
 * band's minimum and maximum incomes (§12.4), each pro rata to the hours of the month the node
 * existed (up to now). Actual: the farmer parts of the node's settlements (`settlements`, written
 * in the same ledger batch as the transfers they describe) whose period ended in the month.
 * The node's farmer or an admin. Reads the marketplace's `nodes` and `settlements` tables.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { InStatement } from "@libsql/client";
import { hourMs, now } from "../../kit/clock";
import { ApiError } from "../../kit/http/errors";
import { requireRoles } from "../../kit/http/middleware";
import { jsonResponse, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { Dec, formatAmount } from "../../ledger/core/money";
import { marketConfig } from "../../market/config";
import { incomeProjection } from "../../market/core/income";
import { nodeStatement } from "../../market/store/nodes";
import { readWithPeg } from "../../oracle/prices";
import { nodeParamsSchema, ownNodeFrom } from "../nodes/schemas";
import { figure, type Money, moneyFigure, moneyOf, moneySchema } from "./figures";

/** Most calendar months one projection covers (one query each, in one batch). */
export const projectionMonthsMax = 24;
const projectionMonthsDefault = 6;

const querySchema = z.strictObject({
  months: z.coerce
    .number()
    .int()
    .min(1)
    .max(projectionMonthsMax)
    .default(projectionMonthsDefault)
    .openapi({
      description: `Calendar months up to and including the current one (1–${projectionMonthsMax}).`,
    }),
});

const projectedSchema = z.object({
  listed: moneySchema.openapi({ description: "Farmer share at the listed price, every slice rented." }),
  min: moneySchema.openapi({ description: "Farmer share of the §12.4 minimum income." }),
  max: moneySchema.openapi({ description: "Farmer share of the §12.4 maximum income." }),
});

const projectionSchema = z
  .object({
    nodeId: z.string(),
    name: z.string(),
    currency: z.enum(["USD", "CC"]).openapi({ description: "The node's band currency." }),
    sliceCount: z.number().int(),
    pricePerSliceMonth: z.string().openapi({ description: "The listed monthly price, band currency." }),
    perMonth: projectedSchema.openapi({ description: "A whole month (720 h) of the node." }),
    months: z.array(
      z.object({
        month: z.string().openapi({ example: "2026-11" }),
        from: z.string(),
        to: z.string(),
        hours: z.string().openapi({ description: "Hours of the month the node existed, up to now." }),
        projected: projectedSchema,
        actual: z.object({
          farmerCc: z.string().openapi({ description: "CC paid to the farmer (80 % of what was charged)." }),
          chargedCc: z.string().openapi({ description: "CC charged to users for the node's slices." }),
          farmerUsd: z
            .string()
            .nullable()
            .openapi({ description: "farmerCc at the current peg; null without a gold price." }),
          settlements: z.number().int(),
        }),
        utilisation: z.string().nullable().openapi({
          description: "Actual farmer CC ÷ projected-at-listed-price CC; null when either is unknown.",
        }),
      }),
    ),
    peg: z.object({ ccUsd: z.string().nullable(), note: z.string().nullable() }),
  })
  .openapi("NodeProjection");

const route = createRoute({
  method: "get",
  path: "/v1/nodes/{id}/projection",
  operationId: "getNodeProjection",
  tags: ["calculator"],
  summary: "Projected versus actual earnings of a node, per month (its farmer, or an admin)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("farmer", "admin")] as const,
  request: { params: nodeParamsSchema, query: querySchema },
  responses: {
    200: jsonResponse(projectionSchema, "One row per calendar month, oldest first"),
    ...problemResponses(401, 403, 404, 422),
  },
});

/** Start of the UTC calendar month `offset` months after the one containing `ms`. */
function monthStart(ms: number, offset = 0): number {
  const date = new Date(ms);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + offset, 1);
}

/** The farmer's share, the charges and the count of a node's settlements whose period ended in `range`. */
function monthSumsStatement(nodeId: string, range: { start: number; end: number }): InStatement {
  return {
    sql: `SELECT coalesce(sum(farmer_minor), 0) AS farmer, coalesce(sum(charge_minor), 0) AS charged, count(*) AS settlements
          FROM settlements WHERE node_id = ? AND period_end > ? AND period_end <= ?`,
    args: [nodeId, range.start, range.end],
  };
}

function monthLabel(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}

export function register(app: App) {
  app.openapi(route, async (c) => {
    const db = c.get("db");
    const { id } = c.req.valid("param");
    const { months } = c.req.valid("query");
    const params = marketConfig(c.env).parameters;
    const nowMs = now();
    const firstMonth = monthStart(nowMs, 1 - months);
    const ranges = Array.from({ length: months }, (_, index) => ({
      start: monthStart(firstMonth, index),
      end: monthStart(firstMonth, index + 1),
    }));
    // The node, each month's settlement sums and the peg: one round trip.
    const {
      results: [nodeRead, ...sums],
      peg,
    } = await readWithPeg(
      db,
      [nodeStatement(id), ...ranges.map((range) => monthSumsStatement(id, range))],
      nowMs,
    );
    const node = ownNodeFrom(nodeRead, c.get("principal"), id);
    const ccUsd = peg.gold === null ? null : peg.ccUsd;
    const currency = node.band.currency;

    // The node's stored band is the one its price was checked against.
    const projection = incomeProjection(
      {
        hardwareCostUsd: node.hardwareCostUsd,
        sliceCount: node.sliceCount,
        band: node.band,
        chosenPricePerSliceMonth: node.pricePerSliceMonth,
        usdPerPriceUnit: currency === "USD" ? "1" : (ccUsd ?? "1"),
      },
      params,
    );
    if (!projection.ok) throw ApiError.from(projection);
    const monthly = {
      listed: new Dec(projection.value.chosen?.farmerPerMonth ?? "0"),
      min: new Dec(projection.value.min.farmerPerMonth),
      max: new Dec(projection.value.max.farmerPerMonth),
    };
    const ccPerUnit = currency === "CC" ? new Dec(1) : ccUsd === null ? null : new Dec(1).div(ccUsd);
    const money = (amount: Dec): Money => moneyOf(amount.toString(), currency, ccUsd);
    const projected = (fraction: Dec) => ({
      listed: money(monthly.listed.mul(fraction)),
      min: money(monthly.min.mul(fraction)),
      max: money(monthly.max.mul(fraction)),
    });

    const rows = ranges.map((range, index) => {
      const row = sums[index]?.rows[0];
      const farmerMinor = BigInt((row?.farmer as bigint | number | undefined) ?? 0);
      const chargedMinor = BigInt((row?.charged as bigint | number | undefined) ?? 0);
      const coveredFrom = Math.max(range.start, node.createdAtMs);
      const coveredTo = Math.min(range.end, nowMs);
      const hours = new Dec(Math.max(0, coveredTo - coveredFrom)).div(hourMs);
      const fraction = hours.div(params.hoursPerMonth);
      const projectedListedCc = ccPerUnit === null ? null : monthly.listed.mul(fraction).mul(ccPerUnit);
      const farmerCc = formatAmount("CC", farmerMinor);
      return {
        month: monthLabel(range.start),
        from: new Date(range.start).toISOString(),
        to: new Date(range.end).toISOString(),
        hours: figure(hours),
        projected: projected(fraction),
        actual: {
          farmerCc,
          chargedCc: formatAmount("CC", chargedMinor),
          farmerUsd: ccUsd === null ? null : moneyFigure(new Dec(farmerCc).mul(ccUsd), "USD"),
          settlements: Number(row?.settlements ?? 0),
        },
        utilisation:
          projectedListedCc === null || projectedListedCc.isZero()
            ? null
            : figure(new Dec(farmerCc).div(projectedListedCc)),
      };
    });

    return c.json(
      {
        nodeId: node.id,
        name: node.name,
        currency,
        sliceCount: node.sliceCount,
        pricePerSliceMonth: node.pricePerSliceMonth,
        perMonth: projected(new Dec(1)),
        months: rows,
        peg: {
          ccUsd,
          note:
            ccUsd === null
              ? "The price oracle has no gold price: projections are in the band currency only."
              : null,
        },
      },
      200,
    );
  });
}
