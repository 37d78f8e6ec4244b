/**
 * `GET /v1/catalog/nodes`: the node catalogue of ECONOMICS.md §13 (example, Q4 2025 and certified
 * nodes) as calculator presets, with the marketplace's configured AI bands. Public, like the spec it
 * publishes: prospective farmers compare hardware before they have a key. Reads no database.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { jsonResponse, noQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { marketConfig } from "../../market/config";
import { buildNodeCatalogue, type CatalogueNode } from "../../market/core/catalogue";
import type { MarketParameters } from "../../market/core/parameters";

/** The hardware of a node, as decimal strings (AI memory and TPS are "0" on CPU-only nodes). */
export const hardwareSchema = z
  .object({
    cores: z.string().openapi({ example: "16" }),
    passmark: z.string().openapi({ example: "22000" }),
    memGb: z.string().openapi({ example: "32" }),
    ssdGb: z.string().openapi({ example: "1000" }),
    aiGb: z.string().openapi({ example: "0", description: "AI/GPU memory in GB." }),
    tps: z.string().openapi({ example: "0", description: "Tokens per second." }),
  })
  .openapi("NodeHardware");

const bandProfileSchema = z
  .discriminatedUnion("kind", [
    z.object({ kind: z.literal("memory") }),
    z.object({
      kind: z.literal("fixed"),
      minPerSliceMonth: z.string().openapi({ example: "300" }),
      maxPerSliceMonth: z.string().openapi({ example: "3000" }),
    }),
  ])
  .openapi("BandProfile", {
    description:
      "How the price band is derived: from slice memory (0.3 × GB per slice-month, max 10 × min), or fixed per slice-month (AI nodes).",
  });

const catalogueNodeSchema = z
  .object({
    id: z.string().openapi({ example: "3node-home" }),
    name: z.string().openapi({ example: "3Node Home" }),
    group: z.string().openapi({ example: "Example nodes (TFGrid)" }),
    certified: z.boolean(),
    hardwareCostUsd: z.string().openapi({ example: "500" }),
    hardware: hardwareSchema,
    maxSlices: z.number().int().openapi({ example: 25 }),
    typicalSlices: z
      .number()
      .int()
      .openapi({ example: 7, description: "The slice count the spec's incomes use (“Nr slices”)." }),
    bandProfile: bandProfileSchema,
  })
  .openapi("CatalogueNode");

const catalogueSchema = z
  .object({
    bandCurrency: z.enum(["USD", "CC"]).openapi({ description: "Currency the price bands are quoted in." }),
    amortisationMonths: z.number().int().openapi({ example: 60 }),
    nodes: z.array(catalogueNodeSchema),
  })
  .openapi("NodeCatalogue");

const catalogues = new WeakMap<MarketParameters, readonly CatalogueNode[]>();

/** The catalogue with the fixed AI bands of `params` (built once per parameter set). */
export function catalogueFor(params: MarketParameters): readonly CatalogueNode[] {
  let catalogue = catalogues.get(params);
  if (catalogue === undefined) {
    catalogue = buildNodeCatalogue(params);
    catalogues.set(params, catalogue);
  }
  return catalogue;
}

/** A catalogue node as the API shows it. */
export function catalogueNodeJson(node: CatalogueNode): z.infer<typeof catalogueNodeSchema> {
  const { maxSlices, ...hardware } = node.hardware;
  return {
    id: node.id,
    name: node.name,
    group: node.group,
    certified: node.certified,
    hardwareCostUsd: node.hardwareCostUsd,
    hardware,
    maxSlices,
    typicalSlices: node.typicalSlices,
    bandProfile:
      node.bandProfile === "memory"
        ? { kind: "memory" }
        : {
            kind: "fixed",
            minPerSliceMonth: node.bandProfile.fixedMinMonthly,
            maxPerSliceMonth: node.bandProfile.fixedMaxMonthly,
          },
  };
}

const route = createRoute({
  method: "get",
  path: "/v1/catalog/nodes",
  operationId: "listCatalogNodes",
  security: [],
  tags: ["calculator"],
  summary: "The node catalogue of Q4 2025 as calculator presets (no key needed)",
  request: { query: noQuerySchema },
  responses: {
    200: jsonResponse(catalogueSchema, "Every catalogue node, in the spec's order"),
    ...problemResponses(422),
  },
});

export function register(app: App) {
  app.openapi(route, (c) => {
    // The marketplace's parameters (wrangler.toml MARKET_*): the same bands nodes are registered with.
    const params = marketConfig(c.env).parameters;
    return c.json(
      {
        bandCurrency: params.bandCurrency,
        amortisationMonths: params.amortisationMonths,
        nodes: catalogueFor(params).map(catalogueNodeJson),
      },
      200,
    );
  });
}
