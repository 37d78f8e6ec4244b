/**
 * The node catalogue of Q4 2025 (ECONOMICS.md §13.1–13.2, grouping and certification per the
 * 244d0c node overview, §14). Hardware figures are copied from the spec; per-slice values, bands
 * and incomes are never stored here but computed with slices.ts / pricing.ts / income.ts, which
 * reproduce the published tables (the Mini 1 cells of §20 Q8 are typos and are not copied).
 */
import { defaultMarketParameters, type MarketParameters } from "./parameters";
import type { BandProfile } from "./pricing";
import type { NodeHardware } from "./slices";

/** The three groups of the 244d0c node overview. */
export type CatalogueGroup =
  | "Example nodes (TFGrid)"
  | "New nodes (market Q4 2025)"
  | "Certified (new batch Q4 2025)";

/**
 * One catalogue node. `hardwareCostUsd` is the purchase price in USD; `typicalSlices` is the slice
 * count the spec uses for resources and income ("Nr slices", 1 ≤ typicalSlices ≤ maxSlices);
 * `certified` follows the 244d0c grouping (only the "Certified" group); `bandProfile` says how the
 * price band is derived.
 */
export type CatalogueNode = {
  readonly id: CatalogueNodeId;
  readonly group: CatalogueGroup;
  readonly name: string;
  readonly hardwareCostUsd: string;
  readonly hardware: NodeHardware;
  readonly typicalSlices: number;
  readonly certified: boolean;
  readonly bandProfile: BandProfile;
};

/** The catalogue's node ids (slugs), in the spec's table order. */
export const catalogueNodeIds = [
  "3node-home",
  "large-tfgrid-node",
  "large-tfgrid-node-2",
  "mini-1",
  "mini-2",
  "mini-3",
  "mini-ai-1",
  "nvidia-6000-1x",
  "nvidia-6000-2x",
  "tenstorrent-8x",
] as const;

/** A catalogue node id. */
export type CatalogueNodeId = (typeof catalogueNodeIds)[number];

const example = "Example nodes (TFGrid)";
const newNodes = "New nodes (market Q4 2025)";
const certifiedGroup = "Certified (new batch Q4 2025)";

/**
 * Builds the catalogue with the fixed AI bands of `params` (Mini AI 1 → `fixedBandMiniAi`,
 * GPU nodes → `fixedBandGpu`); every other node uses the memory-driven band. Ten rows in the
 * spec's order, ids as in `catalogueNodeIds`.
 *
 * Large TFGrid Node 2 has no "Max slices" in the spec; 100 is assumed (its sibling Large TFGrid
 * Node's value, same CPU), and `typicalSlices` = 20 follows from its published slice-price row.
 */
export function buildNodeCatalogue(
  params: MarketParameters = defaultMarketParameters,
): readonly CatalogueNode[] {
  const cpu = (
    cores: string,
    passmark: string,
    memGb: string,
    ssdGb: string,
    maxSlices: number,
  ): NodeHardware => ({ cores, passmark, memGb, ssdGb, aiGb: "0", tps: "0", maxSlices });
  const ai = (
    cores: string,
    passmark: string,
    memGb: string,
    ssdGb: string,
    aiGb: string,
    tps: string,
    maxSlices: number,
  ): NodeHardware => ({ cores, passmark, memGb, ssdGb, aiGb, tps, maxSlices });
  const rows: CatalogueNode[] = [
    {
      id: "3node-home",
      group: example,
      name: "3Node Home",
      hardwareCostUsd: "500",
      hardware: cpu("16", "22000", "32", "1000", 25),
      typicalSlices: 7,
      certified: false,
      bandProfile: "memory",
    },
    {
      id: "large-tfgrid-node",
      group: example,
      name: "Large TFGrid Node",
      hardwareCostUsd: "2000",
      hardware: cpu("36", "20000", "512", "4000", 100),
      typicalSlices: 20,
      certified: false,
      bandProfile: "memory",
    },
    {
      id: "large-tfgrid-node-2",
      group: example,
      name: "Large TFGrid Node 2",
      hardwareCostUsd: "1200",
      hardware: cpu("36", "20000", "128", "2000", 100),
      typicalSlices: 20,
      certified: false,
      bandProfile: "memory",
    },
    {
      id: "mini-1",
      group: newNodes,
      name: "Mini 1",
      hardwareCostUsd: "350",
      hardware: cpu("16", "16000", "32", "1000", 25),
      typicalSlices: 7,
      certified: false,
      bandProfile: "memory",
    },
    {
      id: "mini-2",
      group: newNodes,
      name: "Mini 2",
      hardwareCostUsd: "800",
      hardware: cpu("24", "25000", "64", "2000", 25),
      typicalSlices: 15,
      certified: false,
      bandProfile: "memory",
    },
    {
      id: "mini-3",
      group: newNodes,
      name: "Mini 3",
      hardwareCostUsd: "1000",
      hardware: cpu("24", "25000", "128", "4000", 25),
      typicalSlices: 25,
      certified: false,
      bandProfile: "memory",
    },
    {
      id: "mini-ai-1",
      group: newNodes,
      name: "Mini AI 1",
      hardwareCostUsd: "2000",
      hardware: ai("32", "50000", "128", "4000", "128", "20", 4),
      typicalSlices: 4,
      certified: false,
      bandProfile: params.fixedBandMiniAi,
    },
    {
      id: "nvidia-6000-1x",
      group: certifiedGroup,
      name: "Nvidia 6000 (1x)",
      hardwareCostUsd: "15000",
      hardware: ai("24", "35000", "128", "4000", "96", "350", 1),
      typicalSlices: 1,
      certified: true,
      bandProfile: params.fixedBandGpu,
    },
    {
      id: "nvidia-6000-2x",
      group: certifiedGroup,
      name: "Nvidia 6000 (2x)",
      hardwareCostUsd: "30000",
      hardware: ai("24", "35000", "128", "8000", "192", "700", 2),
      typicalSlices: 2,
      certified: true,
      bandProfile: params.fixedBandGpu,
    },
    {
      id: "tenstorrent-8x",
      group: certifiedGroup,
      name: "Tenstorrent 8x",
      hardwareCostUsd: "30000",
      hardware: ai("24", "35000", "128", "8000", "192", "1000", 2),
      typicalSlices: 2,
      certified: true,
      bandProfile: params.fixedBandGpu,
    },
  ];
  return Object.freeze(rows.map((row) => Object.freeze({ ...row, hardware: Object.freeze(row.hardware) })));
}

/** The catalogue with the default parameters. */
export const nodeCatalogue: readonly CatalogueNode[] = buildNodeCatalogue();

/** The catalogue node with this id, or undefined when there is none. */
export function findCatalogueNode(
  id: string,
  catalogue: readonly CatalogueNode[] = nodeCatalogue,
): CatalogueNode | undefined {
  return catalogue.find((node) => node.id === id);
}
