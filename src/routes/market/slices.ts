/**
 * `GET /v1/market/slices`: find capacity. Nodes with free slices, filtered by minimum per-slice
 * resources, GPU, certification, region, maximum price and minimum reliability, sorted by price,
 * reliability or resources, cursor-paginated. Each row is a node's slice offer: its resources,
 * free slice count and prices in the band currency and in CC at the live peg. Public: prices are
 * public (§15). Served from the nodes mirror with one index per sort order (migrations/0004).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { now } from "../../kit/clock";
import { ApiError } from "../../kit/http/errors";
import { jsonResponse, pageSizeDefault, pageSizeMax, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { Dec } from "../../ledger/core/money";
import { hourMs, marketConfig } from "../../market/config";
import { nodeStates } from "../../market/core/bidbook/model";
import { scaledFloor } from "../../market/core/quote";
import { ccUsdOf, lastListingCcUsdRead, rememberListingCcUsd } from "../../market/flows/books";
import {
  type ListingCursor,
  type ListingFilters,
  type ListingPage,
  type ListingSort,
  listingSorts,
  listMarketQuery,
} from "../../market/store/nodes";
import { currentPeg, readWithPeg } from "../../oracle/prices";
import { nodeJson, nodeSchema } from "../nodes/schemas";

/** A minimum with at most 3 decimals: compared exactly against the milli-unit columns. */
const minimumSchema = z
  .string()
  .max(20)
  .regex(/^(0|[1-9][0-9]{0,11})(\.[0-9]{1,3})?$/, "must be a decimal with at most 3 decimals")
  .optional();
const booleanSchema = z.enum(["true", "false"]).optional();

const querySchema = z.strictObject({
  minCores: minimumSchema.openapi({ description: "Per slice.", example: "2" }),
  minPassmark: minimumSchema.openapi({ description: "Per slice." }),
  minMemGb: minimumSchema.openapi({ description: "Per slice.", example: "4" }),
  minSsdGb: minimumSchema.openapi({ description: "Per slice." }),
  minAiGb: minimumSchema.openapi({ description: "AI/GPU memory per slice." }),
  minTps: minimumSchema.openapi({ description: "Tokens per second per slice." }),
  gpu: booleanSchema.openapi({ description: "true: only slices with AI/GPU memory; false: only without." }),
  certified: booleanSchema,
  region: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/)
    .optional(),
  maxPricePerSliceHour: z
    .string()
    .max(30)
    .regex(/^(0|[1-9][0-9]{0,8})(\.[0-9]{1,9})?$/, "must be a decimal with at most 9 decimals")
    .optional()
    .openapi({ description: "In the band currency (USD by default)." }),
  maxPriceCcPerSliceHour: z
    .string()
    .max(30)
    .regex(/^(0|[1-9][0-9]{0,6})(\.[0-9]{1,12})?$/, "must be a decimal with at most 12 decimals")
    .optional()
    .openapi({ description: "In CC, converted to the band currency at the live peg (rounded down)." }),
  minReliability: z
    .string()
    .regex(/^(0(\.[0-9]{1,4})?|1(\.0{1,4})?)$/, "must be a decimal from 0 to 1 with at most 4 decimals")
    .optional()
    .openapi({ example: "0.95" }),
  minFreeSlices: z.coerce.number().int().min(1).max(1024).default(1),
  state: z.enum(nodeStates as ["online", "offline", "maintenance"]).default("online"),
  sort: z
    .enum(Object.keys(listingSorts) as [ListingSort, ...ListingSort[]])
    .default("price")
    .openapi({
      description:
        "price (cheapest first), reliability, memory, cores, passmark (most first); a leading - reverses.",
    }),
  limit: z.coerce.number().int().min(1).max(pageSizeMax).default(pageSizeDefault),
  cursor: z
    .string()
    .regex(/^-?[0-9]{1,19}\.node_[A-Za-z0-9_]{1,60}$/, "must be a cursor returned by the previous page")
    .optional(),
});

const pageSchema = z
  .object({
    data: z.array(nodeSchema),
    nextCursor: z.string().nullable(),
    ccUsd: z
      .string()
      .nullable()
      .openapi({ description: "The peg the CC prices were computed at (USD per CC)." }),
    prepaidHours: z.number().openapi({
      description:
        "Hours of use a new lease or bid holds up front (MARKET_PREPAID_HOURS): a reservation holds its price × slices × these hours (or its whole duration when shorter), a bid its price × slices × these hours.",
    }),
  })
  .openapi("SliceListing");

const route = createRoute({
  method: "get",
  path: "/v1/market/slices",
  operationId: "listMarketSlices",
  security: [],
  tags: ["marketplace"],
  summary: "Find capacity: nodes with free slices, filtered, sorted and paginated (public)",
  request: { query: querySchema },
  responses: { 200: jsonResponse(pageSchema, "One page of offers"), ...problemResponses(422, 503) },
});

const milli = (text: string | undefined) => (text === undefined ? undefined : scaledFloor(text, 3));

type Query = z.infer<typeof querySchema>;

/** The most a slice-hour may cost in the band currency, in nano-units, from both price filters. */
function maxPriceHourNanoOf(query: Query, currency: "USD" | "CC", ccUsd: string | null): bigint | undefined {
  let maxPriceHourNano =
    query.maxPricePerSliceHour === undefined ? undefined : scaledFloor(query.maxPricePerSliceHour, 9);
  if (query.maxPriceCcPerSliceHour !== undefined) {
    if (currency === "USD" && ccUsd === null) {
      throw new ApiError("ORACLE_HALTED", "No live CC price to convert maxPriceCcPerSliceHour with");
    }
    const inBand =
      currency === "CC"
        ? new Dec(query.maxPriceCcPerSliceHour)
        : new Dec(query.maxPriceCcPerSliceHour).mul(ccUsd ?? "0");
    const nano = scaledFloor(inBand.toFixed(), 9);
    maxPriceHourNano = maxPriceHourNano === undefined || nano < maxPriceHourNano ? nano : maxPriceHourNano;
  }
  return maxPriceHourNano;
}

function filtersOf(query: Query, maxPriceHourNano: bigint | undefined): ListingFilters {
  return {
    state: query.state,
    minFreeSlices: query.minFreeSlices,
    ...(query.minCores === undefined ? {} : { minCoresMilli: milli(query.minCores)! }),
    ...(query.minPassmark === undefined ? {} : { minPassmarkMilli: milli(query.minPassmark)! }),
    ...(query.minMemGb === undefined ? {} : { minMemMilli: milli(query.minMemGb)! }),
    ...(query.minSsdGb === undefined ? {} : { minSsdMilli: milli(query.minSsdGb)! }),
    ...(query.minAiGb === undefined ? {} : { minAiMilli: milli(query.minAiGb)! }),
    ...(query.minTps === undefined ? {} : { minTpsMilli: milli(query.minTps)! }),
    ...(query.gpu === undefined ? {} : { gpu: query.gpu === "true" }),
    ...(query.certified === undefined ? {} : { certified: query.certified === "true" }),
    ...(query.region === undefined ? {} : { region: query.region }),
    ...(maxPriceHourNano === undefined ? {} : { maxPriceHourNano }),
    ...(query.minReliability === undefined
      ? {}
      : { minReliabilityBp: Number(scaledFloor(query.minReliability, 4)) }),
  };
}

function cursorOf(text: string | undefined): ListingCursor | null {
  if (text === undefined) return null;
  const dot = text.indexOf(".");
  return { value: BigInt(text.slice(0, dot)), id: text.slice(dot + 1) };
}

export function register(app: App) {
  app.openapi(route, async (c) => {
    const db = c.get("db");
    const query = c.req.valid("query");
    const nowMs = now();
    const currency = marketConfig(c.env).parameters.bandCurrency;
    const read = (ccUsd: string | null) =>
      listMarketQuery(
        filtersOf(query, maxPriceHourNanoOf(query, currency, ccUsd)),
        query.sort,
        cursorOf(query.cursor),
        query.limit,
      );
    // A CC price limit in a USD band is converted at the peg. The listing is read at the peg the
    // last listing of this isolate read, with the peg itself in the same batch: if the peg moved
    // since, it is read again at the new one (two round trips). An isolate that never read the
    // peg, or last read it halted, reads it first (two). Every other listing: one.
    const converts = query.maxPriceCcPerSliceHour !== undefined && currency === "USD";
    const last = converts ? lastListingCcUsdRead() : undefined;
    const guess = !converts ? null : last?.value ? last.value : ccUsdOf(await currentPeg(db, nowMs));
    const listing = read(guess);
    const { results, peg } = await readWithPeg(db, [listing.statement], nowMs);
    const ccUsd = ccUsdOf(peg);
    let page: ListingPage = listing.read(results[0]!);
    if (converts && ccUsd !== guess) {
      const again = read(ccUsd);
      page = again.read(await db.execute(again.statement));
    }
    rememberListingCcUsd(ccUsd);
    return c.json(
      {
        data: page.nodes.map((node) => nodeJson(node, ccUsd)),
        nextCursor: page.nextCursor === null ? null : `${page.nextCursor.value}.${page.nextCursor.id}`,
        ccUsd,
        prepaidHours: marketConfig(c.env).prepaidWindowMs / hourMs,
      },
      200,
    );
  });
}
