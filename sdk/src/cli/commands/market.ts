/** `tfgrid market search`: free capacity, filtered and sorted (public, no key needed). */
import { pages, type Schemas, unwrap } from "../../index.js";
import { type Command, integerFlag, type OptionSpec, stringFlag } from "../command.js";
import { marketFilterOptions, marketFilters, marketFlagOf, marketQuery } from "../market-filters.js";
import { shortDecimal, table } from "../table.js";

/** Pages `--all` follows at most (200 offers each). */
const allPagesMax = 50;

type Node = Schemas["MarketNode"];

function offerRow(node: Node): string[] {
  const prices = node.prices;
  return [
    node.id,
    node.name,
    node.region,
    `${node.freeSlices}/${node.sliceCount}`,
    shortDecimal(node.slice.cores),
    shortDecimal(node.slice.memGb),
    shortDecimal(node.slice.ssdGb),
    shortDecimal(node.slice.aiGb),
    `${prices.perSliceHour} ${prices.currency}`,
    prices.inCc?.perSliceHour ?? "-",
    node.reliability,
  ];
}

const filterOptions: Record<string, OptionSpec> = Object.fromEntries(
  Object.entries(marketFilterOptions()).map(([flag, option]) => [
    flag,
    {
      ...option,
      ...(option.type === "string" ? { placeholder: "VALUE" } : {}),
      description: marketFilters[flag as keyof typeof marketFilters].description,
    },
  ]),
);

export const marketSearch: Command = {
  words: ["market", "search"],
  arguments: [],
  summary: "Find nodes with free slices (filters, sort, pages)",
  needsKey: false,
  options: {
    ...filterOptions,
    limit: { type: "string", placeholder: "N", description: "offers per page, 1–200 (default 50)" },
    cursor: { type: "string", placeholder: "CURSOR", description: "the page after a previous one" },
    all: { type: "boolean", description: `follow every page (at most ${allPagesMax})` },
  },
  flagOf: (field) =>
    field === "query.limit" ? "--limit" : field === "query.cursor" ? "--cursor" : marketFlagOf(field),
  async run({ client, values }) {
    const limit = integerFlag(values, "limit", 1, 200);
    const cursor = stringFlag(values, "cursor");
    const query = { ...marketQuery(values), ...(limit === undefined ? {} : { limit }) };
    const offers: Node[] = [];
    let last: Schemas["SliceListing"] | undefined;
    for await (const page of pages(
      (next) => unwrap(client.GET("/v1/market/slices", { params: { query: { ...query, ...next } } })),
      {
        pagesMax: values.all === true ? allPagesMax : 1,
        ...(cursor === undefined ? {} : { start: { cursor } }),
      },
    )) {
      offers.push(...page.data);
      last = page;
    }
    const nextCursor = last?.nextCursor ?? null;
    const json = { data: offers, nextCursor, ccUsd: last?.ccUsd ?? null };
    const headers = [
      "NODE",
      "NAME",
      "REGION",
      "FREE",
      "CORES",
      "MEM GB",
      "SSD GB",
      "AI GB",
      "PRICE/H",
      "CC/H",
      "RELIABILITY",
    ];
    const text = offers.length === 0 ? "No offers match." : table(headers, offers.map(offerRow));
    return {
      json,
      text,
      notes: nextCursor === null ? [] : [`more offers: add --cursor ${nextCursor} (or --all)`],
    };
  },
};
