// Proves that every catalogue row, pushed through the slice, band and income formulas, reproduces the spec's published per-slice resources, bands, incomes and hardware cost per month (§13.2, §13.3, Appendix A) within half a displayed unit, and documents the table cells that are typos (§20 Q8).
import { describe, expect, it } from "vitest";
import {
  buildNodeCatalogue,
  type CatalogueNodeId,
  catalogueNodeIds,
  findCatalogueNode,
  nodeCatalogue,
} from "../../../src/market/core/catalogue";
import { hardwareCostPerMonth, maxIncomePerMonth, minIncomePerMonth } from "../../../src/market/core/income";
import { defaultMarketParameters } from "../../../src/market/core/parameters";
import { priceBand } from "../../../src/market/core/pricing";
import { sliceResources } from "../../../src/market/core/slices";
import { differsBeyondHalfUnit, expectWithinHalfUnit, unwrap } from "./support";

/** A value as the spec prints it and the number of decimals it is printed with. */
type Shown = readonly [value: string, decimals: number];

type Expected = {
  readonly maxSlices: number;
  readonly n: number;
  readonly cores: Shown;
  readonly passmark: Shown;
  readonly memGb: Shown;
  readonly ssdGb: Shown;
  readonly aiGb: Shown;
  readonly tps: Shown;
  readonly minMonth: Shown;
  readonly maxMonth: Shown;
  readonly minHour: Shown;
  readonly maxHour: Shown;
  readonly minIncome: Shown;
  readonly maxIncome: Shown;
  readonly hwCostMonth: Shown;
};

// Published cells come from §13.2 (slice counts, HW cost/month, incomes) and §13.3 (per-slice
// resources and bands: Mini 1, Large TFGrid Node, 3Node Home, Mini AI 1). Cells marked "computed"
// have no published value in the spec; they were computed by hand from the §11–12 formulas and
// are written at a precision that pins the formula down. Where the spec prints a typo the
// corrected value is used here and the typo is checked in "known typos" below.
const expected: Record<CatalogueNodeId, Expected> = {
  "3node-home": {
    maxSlices: 25,
    n: 7,
    cores: ["2.3", 1],
    passmark: ["3143", 0], // §11.3; §13.3 prints 2,286 (sic, swapped with Mini 1)
    memGb: ["4", 1],
    ssdGb: ["143", 0],
    aiGb: ["0", 0], // computed
    tps: ["0", 0],
    minMonth: ["1.2", 1],
    maxMonth: ["12", 1],
    minHour: ["0.0033", 4],
    maxHour: ["0.0250", 4],
    minIncome: ["10.92", 2],
    maxIncome: ["126", 2],
    hwCostMonth: ["8", 0],
  },
  "large-tfgrid-node": {
    maxSlices: 100,
    n: 20,
    cores: ["1.8", 1],
    passmark: ["1000", 0],
    memGb: ["25.4", 1],
    ssdGb: ["200", 0],
    aiGb: ["0", 0], // computed
    tps: ["0", 0],
    minMonth: ["7.6", 1],
    maxMonth: ["76.2", 1],
    minHour: ["0.0212", 4],
    maxHour: ["0.1588", 4],
    minIncome: ["198.12", 2],
    maxIncome: ["2286", 2],
    hwCostMonth: ["33", 0],
  },
  "large-tfgrid-node-2": {
    // No published row beyond "n = 20" (§13.2 note); max slices assumed 100 (see catalogue.ts).
    maxSlices: 100,
    n: 20,
    cores: ["1.8", 6], // computed
    passmark: ["1000", 6], // computed
    memGb: ["6.2", 6], // computed: (128 − 4) / 20
    ssdGb: ["100", 6], // computed
    aiGb: ["0", 6], // computed
    tps: ["0", 6], // computed
    minMonth: ["1.86", 6], // computed
    maxMonth: ["18.6", 6], // computed
    minHour: ["0.005167", 6], // computed: 1.86 × 2 / 720
    maxHour: ["0.03875", 6], // computed
    minIncome: ["48.36", 6], // computed
    maxIncome: ["558", 6], // computed
    hwCostMonth: ["20", 6], // computed: 1,200 / 60
  },
  "mini-1": {
    maxSlices: 25,
    n: 7,
    cores: ["2.3", 1],
    passmark: ["2286", 0], // corrected: §13.3 prints 3,143 (sic); 16,000 / 7 = 2,285.7
    memGb: ["4", 1],
    ssdGb: ["143", 0],
    aiGb: ["0", 0], // computed
    tps: ["0", 0],
    minMonth: ["1.2", 1],
    maxMonth: ["12", 1],
    minHour: ["0.0033", 4],
    maxHour: ["0.0250", 4],
    minIncome: ["10.92", 2],
    maxIncome: ["126", 2],
    hwCostMonth: ["5.83", 2], // corrected: §13.2 prints 8 (sic, 3Node Home's 500 / 60); 350 / 60 = 5.83
  },
  "mini-2": {
    maxSlices: 25,
    n: 15,
    cores: ["1.6", 6], // computed
    passmark: ["1666.666667", 6], // computed
    memGb: ["4", 6], // computed: (64 − 4) / 15
    ssdGb: ["133.333333", 6], // computed
    aiGb: ["0", 6], // computed
    tps: ["0", 6], // computed
    minMonth: ["1.2", 6], // computed
    maxMonth: ["12", 6], // computed
    minHour: ["0.003333", 6], // computed
    maxHour: ["0.025", 6], // computed
    minIncome: ["23", 0], // published "23": 23.4 truncated (§2)
    maxIncome: ["270", 2],
    hwCostMonth: ["13", 0],
  },
  "mini-3": {
    maxSlices: 25,
    n: 25,
    cores: ["0.96", 6], // computed
    passmark: ["1000", 6], // computed
    memGb: ["4.96", 6], // computed: (128 − 4) / 25
    ssdGb: ["160", 6], // computed
    aiGb: ["0", 6], // computed
    tps: ["0", 6], // computed
    minMonth: ["1.488", 6], // computed (§2 shows it as "1.5")
    maxMonth: ["14.88", 6], // computed (§2 shows it as "14.9")
    minHour: ["0.004133", 6], // computed
    maxHour: ["0.031", 6], // computed
    minIncome: ["48.36", 2],
    maxIncome: ["558", 2],
    hwCostMonth: ["17", 0],
  },
  "mini-ai-1": {
    maxSlices: 4,
    n: 4,
    cores: ["8.0", 1],
    passmark: ["12500", 0],
    memGb: ["31", 1],
    ssdGb: ["1000", 0],
    aiGb: ["32", 6], // computed
    tps: ["5", 0],
    minMonth: ["10", 1],
    maxMonth: ["100", 1],
    minHour: ["0.0278", 4],
    maxHour: ["0.2083", 4],
    minIncome: ["52", 2],
    maxIncome: ["600", 2],
    hwCostMonth: ["33", 0],
  },
  "nvidia-6000-1x": {
    maxSlices: 1,
    n: 1,
    cores: ["24", 6], // computed
    passmark: ["35000", 6], // computed
    memGb: ["124", 6], // computed
    ssdGb: ["4000", 6], // computed
    aiGb: ["96", 6], // computed
    tps: ["350", 6], // computed
    minMonth: ["300", 6], // derived from incomes (§12.2)
    maxMonth: ["3000", 6], // derived from incomes (§12.2)
    minHour: ["0.833333", 6], // computed
    maxHour: ["6.25", 6], // computed
    minIncome: ["390", 2],
    maxIncome: ["4500", 2],
    hwCostMonth: ["250", 0],
  },
  "nvidia-6000-2x": {
    maxSlices: 2,
    n: 2,
    cores: ["12", 6], // computed
    passmark: ["17500", 6], // computed
    memGb: ["62", 6], // computed
    ssdGb: ["4000", 6], // computed
    aiGb: ["96", 6], // computed
    tps: ["350", 6], // computed
    minMonth: ["300", 6],
    maxMonth: ["3000", 6],
    minHour: ["0.833333", 6], // computed
    maxHour: ["6.25", 6], // computed
    minIncome: ["780", 2],
    maxIncome: ["9000", 2],
    hwCostMonth: ["500", 0],
  },
  "tenstorrent-8x": {
    maxSlices: 2,
    n: 2,
    cores: ["12", 6], // computed
    passmark: ["17500", 6], // computed
    memGb: ["62", 6], // computed
    ssdGb: ["4000", 6], // computed
    aiGb: ["96", 6], // computed
    tps: ["500", 6], // computed
    minMonth: ["300", 6],
    maxMonth: ["3000", 6],
    minHour: ["0.833333", 6], // computed
    maxHour: ["6.25", 6], // computed
    minIncome: ["780", 2],
    maxIncome: ["9000", 2],
    hwCostMonth: ["500", 0],
  },
};

/** Everything the formulas give for a catalogue row at its typical slice count. */
function computeRow(id: CatalogueNodeId) {
  const node = findCatalogueNode(id);
  if (node === undefined) throw new Error(`no catalogue node ${id}`);
  const slice = unwrap(sliceResources(node.hardware, node.typicalSlices));
  const band = unwrap(priceBand(slice, node.bandProfile));
  return {
    node,
    slice,
    band,
    minIncome: minIncomePerMonth(band, node.typicalSlices),
    maxIncome: maxIncomePerMonth(band, node.typicalSlices),
    hwCostMonth: hardwareCostPerMonth(node.hardwareCostUsd),
  };
}

describe("node catalogue against the spec's tables", () => {
  it.each(catalogueNodeIds.map((id) => [id]))("%s", (id) => {
    const want = expected[id];
    const { node, slice, band, minIncome, maxIncome, hwCostMonth } = computeRow(id);
    expect(node.hardware.maxSlices).toBe(want.maxSlices);
    expect(node.typicalSlices).toBe(want.n);
    const check = (actual: string, [shown, decimals]: Shown, column: string) =>
      expectWithinHalfUnit(actual, shown, decimals, `${id} ${column}`);
    check(slice.cores, want.cores, "cores");
    check(slice.passmark, want.passmark, "passmark");
    check(slice.memGb, want.memGb, "memGb");
    check(slice.ssdGb, want.ssdGb, "ssdGb");
    check(slice.aiGb, want.aiGb, "aiGb");
    check(slice.tps, want.tps, "tps");
    check(band.minPerSliceMonth, want.minMonth, "min/month");
    check(band.maxPerSliceMonth, want.maxMonth, "max/month");
    check(band.minPerSliceHour, want.minHour, "min/hour");
    check(band.maxPerSliceHour, want.maxHour, "max/hour");
    check(minIncome, want.minIncome, "min income");
    check(maxIncome, want.maxIncome, "max income");
    check(hwCostMonth, want.hwCostMonth, "HW cost/month");
  });

  it.each([
    // Appendix A: [node, cores, PM, RAM, SSD, min/mo, max/mo, min/h, max/h, min inc, max inc, HW/mo]
    [
      "3node-home",
      "2.286",
      "3142.9",
      "4.000",
      "142.9",
      "1.2000",
      "12.000",
      "0.00333",
      "0.02500",
      "10.92",
      "126",
      "8.33",
    ],
    [
      "large-tfgrid-node",
      "1.800",
      "1000",
      "25.400",
      "200",
      "7.6200",
      "76.200",
      "0.02117",
      "0.15875",
      "198.12",
      "2286",
      "33.33",
    ],
  ] as const)("Appendix A row %s at full published precision", (id, ...cells) => {
    const { slice, band, minIncome, maxIncome, hwCostMonth } = computeRow(id);
    const actual = [
      slice.cores,
      slice.passmark,
      slice.memGb,
      slice.ssdGb,
      band.minPerSliceMonth,
      band.maxPerSliceMonth,
      band.minPerSliceHour,
      band.maxPerSliceHour,
      minIncome,
      maxIncome,
      hwCostMonth,
    ];
    cells.forEach((shown, index) => {
      const decimals = shown.includes(".") ? (shown.split(".")[1] ?? "").length : 0;
      expectWithinHalfUnit(actual[index] ?? null, shown, decimals, `${id} column ${index}`);
    });
  });

  it("known typos (§20 Q8): the printed cells do not match the formulas, the corrected ones do", () => {
    // §13.3 prints Mini 1 per-slice Passmark 3,143 and 3Node Home 2,286: the two are swapped.
    expect(differsBeyondHalfUnit(computeRow("mini-1").slice.passmark, "3143", 0)).toBe(true);
    expect(differsBeyondHalfUnit(computeRow("3node-home").slice.passmark, "2286", 0)).toBe(true);
    // §13.2 prints Mini 1 HW cost/month 8 (3Node Home's 500 / 60); 350 / 60 = 5.83.
    expect(differsBeyondHalfUnit(computeRow("mini-1").hwCostMonth, "8", 0)).toBe(true);
    // Mini 2's min income 23.4 is printed "23" (§2): within half a unit of the integer shown.
    expect(computeRow("mini-2").minIncome).toBe("23.4");
  });
});

describe("catalogue data", () => {
  it("has the ten rows in the spec's order with unique ids", () => {
    expect(nodeCatalogue.map((node) => node.id)).toEqual([...catalogueNodeIds]);
    expect(new Set(nodeCatalogue.map((node) => node.name)).size).toBe(10);
  });

  it("groups and certifies per 244d0c: only the GPU batch is certified", () => {
    const certified = nodeCatalogue.filter((node) => node.certified).map((node) => node.id);
    expect(certified).toEqual(["nvidia-6000-1x", "nvidia-6000-2x", "tenstorrent-8x"]);
    for (const node of nodeCatalogue) {
      expect(node.certified).toBe(node.group === "Certified (new batch Q4 2025)");
    }
    expect(
      nodeCatalogue.filter((node) => node.group === "Example nodes (TFGrid)").map((node) => node.id),
    ).toEqual(["3node-home", "large-tfgrid-node", "large-tfgrid-node-2"]);
  });

  it("has typical slice counts within 1..max and valid hardware for every row", () => {
    for (const node of nodeCatalogue) {
      expect(node.typicalSlices).toBeGreaterThanOrEqual(1);
      expect(node.typicalSlices).toBeLessThanOrEqual(node.hardware.maxSlices);
      expect(sliceResources(node.hardware, node.hardware.maxSlices).ok).toBe(true);
    }
  });

  it("uses fixed bands for AI nodes only, taken from the parameters", () => {
    const fixed = nodeCatalogue.filter((node) => node.bandProfile !== "memory").map((node) => node.id);
    expect(fixed).toEqual(["mini-ai-1", "nvidia-6000-1x", "nvidia-6000-2x", "tenstorrent-8x"]);
    const params = {
      ...defaultMarketParameters,
      fixedBandGpu: { fixedMinMonthly: "200", fixedMaxMonthly: "2000" },
    };
    const custom = findCatalogueNode("tenstorrent-8x", buildNodeCatalogue(params));
    expect(custom?.bandProfile).toEqual({ fixedMinMonthly: "200", fixedMaxMonthly: "2000" });
  });

  it("is frozen and finds nodes by id", () => {
    expect(Object.isFrozen(nodeCatalogue)).toBe(true);
    expect(Object.isFrozen(nodeCatalogue[0]?.hardware)).toBe(true);
    expect(findCatalogueNode("mini-3")?.name).toBe("Mini 3");
    expect(findCatalogueNode("mini-4")).toBeUndefined();
  });
});
