/**
 * The one place that knows the names of `GET /v1/market/slices`'s query parameters: the CLI's
 * flags stay the same when the API renames a filter, and a rename fails type-checking here
 * (each `query` must be a parameter of the generated route).
 */
import type { paths } from "../schema.js";
import { UsageError } from "./errors.js";

/** The query of `GET /v1/market/slices` as the generated types describe it. */
export type SliceQuery = NonNullable<paths["/v1/market/slices"]["get"]["parameters"]["query"]>;

type Filter = {
  /** The API's query parameter. */
  readonly query: keyof SliceQuery;
  readonly kind: "decimal" | "integer" | "text" | "boolean";
  readonly description: string;
};

/** CLI flag → query parameter. Booleans take `--gpu` / `--no-gpu`. */
export const marketFilters = {
  "min-mem": { query: "minMemGb", kind: "decimal", description: "GB of memory per slice, at least" },
  "min-cores": { query: "minCores", kind: "decimal", description: "CPU cores per slice, at least" },
  "min-ssd": { query: "minSsdGb", kind: "decimal", description: "GB of SSD per slice, at least" },
  "min-passmark": { query: "minPassmark", kind: "decimal", description: "Passmark per slice, at least" },
  "min-ai": { query: "minAiGb", kind: "decimal", description: "GB of AI/GPU memory per slice, at least" },
  "min-tps": { query: "minTps", kind: "decimal", description: "tokens per second per slice, at least" },
  "max-price": {
    query: "maxPricePerSliceHour",
    kind: "decimal",
    description: "price per slice-hour in the band currency (USD), at most",
  },
  "max-price-cc": {
    query: "maxPriceCcPerSliceHour",
    kind: "decimal",
    description: "price per slice-hour in CC at the live peg, at most",
  },
  "min-reliability": { query: "minReliability", kind: "decimal", description: "uptime 0–1, at least" },
  "min-free": { query: "minFreeSlices", kind: "integer", description: "free slices, at least (default 1)" },
  region: { query: "region", kind: "text", description: "region, e.g. eu-west" },
  state: { query: "state", kind: "text", description: "online (default), offline or maintenance" },
  sort: {
    query: "sort",
    kind: "text",
    description: "price (default), reliability, memory, cores, passmark; a leading - reverses",
  },
  gpu: { query: "gpu", kind: "boolean", description: "only slices with (--gpu) or without (--no-gpu) GPU" },
  certified: {
    query: "certified",
    kind: "boolean",
    description: "only certified (--no-certified: uncertified)",
  },
} as const satisfies Record<string, Filter>;

export type MarketFlag = keyof typeof marketFilters;

/** The parseArgs options of the filters. */
export function marketFilterOptions(): Record<string, { type: "string" | "boolean" }> {
  return Object.fromEntries(
    Object.entries(marketFilters).map(([flag, filter]) => [
      flag,
      { type: filter.kind === "boolean" ? "boolean" : "string" },
    ]),
  );
}

/** The query for the flags given; an integer flag that is not one is a usage error. */
export function marketQuery(values: Readonly<Record<string, string | boolean | undefined>>): SliceQuery {
  const query: Record<string, string | number> = {};
  for (const [flag, filter] of Object.entries(marketFilters) as [MarketFlag, Filter][]) {
    const value = values[flag];
    if (value === undefined) continue;
    if (filter.kind === "boolean") query[filter.query] = value === true ? "true" : "false";
    else if (filter.kind === "integer") {
      if (typeof value !== "string" || !/^[0-9]{1,6}$/.test(value)) {
        throw new UsageError(`--${flag} takes a whole number`);
      }
      query[filter.query] = Number(value);
    } else query[filter.query] = String(value);
  }
  return query as SliceQuery;
}

/** The flag a refused query field came from (`query.minMemGb` → `--min-mem`), for messages. */
export function marketFlagOf(field: string): string | undefined {
  const name = field.startsWith("query.") ? field.slice("query.".length) : field;
  const found = Object.entries(marketFilters).find(([, filter]) => filter.query === name);
  return found === undefined ? undefined : `--${found[0]}`;
}
