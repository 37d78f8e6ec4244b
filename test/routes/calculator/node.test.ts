// Proves that the calculator route, for every catalogue preset, returns the spec's published per-slice resources, price bands, minimum and maximum incomes and hardware cost per month within display rounding (§13, Appendix A), converts them to CC through the live peg or says the peg is missing, and answers bad input with 422 problem details naming the field.
import { beforeAll, describe, expect, it } from "vitest";
import { Dec } from "../../../src/ledger/core/money";
import { type CatalogueNodeId, catalogueNodeIds } from "../../../src/market/core/catalogue";
import { recordRound } from "../../../src/oracle/prices";
import { call, database, withoutPrice } from "../../support/harness";

/** A value as the spec prints it and the number of decimals it is printed with. */
type Shown = readonly [value: string, decimals: number];

type Published = {
  readonly n: number;
  readonly cores: Shown;
  readonly memGb: Shown;
  readonly minMonth: Shown;
  readonly maxMonth: Shown;
  readonly minHour: Shown;
  readonly maxHour: Shown;
  readonly minIncome: Shown;
  readonly maxIncome: Shown;
  readonly hwCostMonth: Shown;
};

// §13.2 (slice counts, incomes, HW cost/month) and §13.3 / §11.3 / §12.2 (per-slice resources and
// bands) as printed. Large TFGrid Node 2 has no income row in the spec; its cells are the §11–12
// formulas at its published n = 20 (Appendix A says they were checked the same way). Mini 1's HW
// cost is 350/60 (the spec's "8" is the §20 Q8 typo).
const published: Record<CatalogueNodeId, Published> = {
  "3node-home": {
    n: 7,
    cores: ["2.3", 1],
    memGb: ["4", 1],
    minMonth: ["1.2", 1],
    maxMonth: ["12", 1],
    minHour: ["0.0033", 4],
    maxHour: ["0.0250", 4],
    minIncome: ["10.92", 2],
    maxIncome: ["126", 2],
    hwCostMonth: ["8", 0],
  },
  "large-tfgrid-node": {
    n: 20,
    cores: ["1.8", 1],
    memGb: ["25.4", 1],
    minMonth: ["7.6", 1],
    maxMonth: ["76.2", 1],
    minHour: ["0.0212", 4],
    maxHour: ["0.1588", 4],
    minIncome: ["198.12", 2],
    maxIncome: ["2286", 2],
    hwCostMonth: ["33", 0],
  },
  "large-tfgrid-node-2": {
    n: 20,
    cores: ["1.8", 1],
    memGb: ["6.2", 1],
    minMonth: ["1.86", 2],
    maxMonth: ["18.6", 1],
    minHour: ["0.0052", 4],
    maxHour: ["0.0388", 4],
    minIncome: ["48.36", 2],
    maxIncome: ["558", 2],
    hwCostMonth: ["20", 0],
  },
  "mini-1": {
    n: 7,
    cores: ["2.3", 1],
    memGb: ["4", 1],
    minMonth: ["1.2", 1],
    maxMonth: ["12", 1],
    minHour: ["0.0033", 4],
    maxHour: ["0.0250", 4],
    minIncome: ["10.92", 2],
    maxIncome: ["126", 2],
    hwCostMonth: ["5.83", 2],
  },
  "mini-2": {
    n: 15,
    cores: ["1.6", 1],
    memGb: ["4", 1],
    minMonth: ["1.2", 1],
    maxMonth: ["12", 1],
    minHour: ["0.0033", 4],
    maxHour: ["0.0250", 4],
    minIncome: ["23", 0], // 23.4, printed as "23"
    maxIncome: ["270", 2],
    hwCostMonth: ["13", 0],
  },
  "mini-3": {
    n: 25,
    cores: ["1.0", 1],
    memGb: ["5.0", 1],
    minMonth: ["1.5", 1],
    maxMonth: ["14.9", 1],
    minHour: ["0.0041", 4],
    maxHour: ["0.0310", 4],
    minIncome: ["48.36", 2],
    maxIncome: ["558", 2],
    hwCostMonth: ["17", 0],
  },
  "mini-ai-1": {
    n: 4,
    cores: ["8.0", 1],
    memGb: ["31", 1],
    minMonth: ["10", 1],
    maxMonth: ["100", 1],
    minHour: ["0.0278", 4],
    maxHour: ["0.2083", 4],
    minIncome: ["52", 2],
    maxIncome: ["600", 2],
    hwCostMonth: ["33", 0],
  },
  "nvidia-6000-1x": {
    n: 1,
    cores: ["24", 1],
    memGb: ["124", 1],
    minMonth: ["300", 1],
    maxMonth: ["3000", 1],
    minHour: ["0.8333", 4],
    maxHour: ["6.2500", 4],
    minIncome: ["390", 2],
    maxIncome: ["4500", 2],
    hwCostMonth: ["250", 0],
  },
  "nvidia-6000-2x": {
    n: 2,
    cores: ["12", 1],
    memGb: ["62", 1],
    minMonth: ["300", 1],
    maxMonth: ["3000", 1],
    minHour: ["0.8333", 4],
    maxHour: ["6.2500", 4],
    minIncome: ["780", 2],
    maxIncome: ["9000", 2],
    hwCostMonth: ["500", 0],
  },
  "tenstorrent-8x": {
    n: 2,
    cores: ["12", 1],
    memGb: ["62", 1],
    minMonth: ["300", 1],
    maxMonth: ["3000", 1],
    minHour: ["0.8333", 4],
    maxHour: ["6.2500", 4],
    minIncome: ["780", 2],
    maxIncome: ["9000", 2],
    hwCostMonth: ["500", 0],
  },
};

type Money = { USD: string | null; CC: string | null };
type Scenario = {
  grossPerMonth: Money;
  farmerPerMonth: Money;
  breakEvenMonths: string | null;
  farmerBreakEvenMonths: string | null;
  utilisation: string | null;
};
type CalculatorResult = {
  node: { preset: string | null; maxSlices: number };
  sliceCount: number;
  slice: Record<"cores" | "passmark" | "memGb" | "ssdGb" | "aiGb" | "tps", string>;
  band: Record<"minPerSliceMonth" | "maxPerSliceMonth" | "minPerSliceHour" | "maxPerSliceHour", Money> & {
    currency: string;
  };
  hardware: { costUsd: string; amortisationMonths: number; costPerMonth: Money };
  income: { min: Scenario; max: Scenario; chosen: Scenario | null };
  paybackPricePerSliceMonth: { gross: Money | null; farmer: Money | null };
  curve: { pricePerSliceMonth: string; grossPerMonth: string; farmerPerMonth: string }[];
  peg: { ccUsd: string | null; health: string; note: string | null };
};
type Problem = { status: number; code: string; title: string; errors?: { field: string; detail: string }[] };

/** |actual − shown| ≤ ½ × 10^−decimals. */
function expectShown(actual: string | null | undefined, [shown, decimals]: Shown, label: string): void {
  expect(actual, label).toBeTypeOf("string");
  const halfUnit = new Dec("0.5").mul(new Dec(10).pow(-decimals));
  const difference = new Dec(actual ?? "NaN").sub(shown).abs();
  expect(difference.lte(halfUnit), `${label}: ${actual} vs printed ${shown} (±${halfUnit})`).toBe(true);
}

async function calculate(body: unknown) {
  return call<CalculatorResult>("POST", "/v1/calculator/node", { body });
}

async function expectProblem(body: unknown, field: string, code = "VALIDATION_FAILED") {
  const response = await call<Problem>("POST", "/v1/calculator/node", { body });
  expect(response.status, JSON.stringify(response.body)).toBe(422);
  expect(response.headers.get("content-type")).toContain("application/problem+json");
  expect(response.body.code).toBe(code);
  expect(response.body.errors?.map((error) => error.field)).toContain(field);
}

beforeAll(async () => {
  // 128 USD per gram of gold → 1 CC = 0.128 USD (the spec's reference), newest round in force.
  await recordRound(database(), {
    kind: "gold",
    priceUsd: "128",
    quorumMet: true,
    source: "manual",
    reason: "calculator route test",
    expiresAtMs: Date.now() + 3_600_000,
    createdBy: "test_calculator",
  });
});

describe("GET /v1/catalog/nodes", () => {
  it("lists every catalogue node with hardware, cost and slice counts, without a key", async () => {
    const response = await call<{
      bandCurrency: string;
      nodes: { id: string; hardwareCostUsd: string; maxSlices: number; typicalSlices: number }[];
    }>("GET", "/v1/catalog/nodes");
    expect(response.status).toBe(200);
    expect(response.body.bandCurrency).toBe("USD");
    expect(response.body.nodes.map((node) => node.id)).toEqual([...catalogueNodeIds]);
    expect(response.body.nodes[0]).toMatchObject({
      id: "3node-home",
      name: "3Node Home",
      group: "Example nodes (TFGrid)",
      certified: false,
      hardwareCostUsd: "500",
      hardware: { cores: "16", passmark: "22000", memGb: "32", ssdGb: "1000", aiGb: "0", tps: "0" },
      maxSlices: 25,
      typicalSlices: 7,
      bandProfile: { kind: "memory" },
    });
    expect(response.body.nodes.find((node) => node.id === "nvidia-6000-1x")).toMatchObject({
      certified: true,
      bandProfile: { kind: "fixed", minPerSliceMonth: "300", maxPerSliceMonth: "3000" },
    });
  });
});

describe("POST /v1/calculator/node: every catalogue preset", () => {
  it.each(catalogueNodeIds)("%s gives the published band, incomes and hardware cost", async (id) => {
    const row = published[id];
    const response = await calculate({ preset: id });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const result = response.body;
    expect(result.node.preset).toBe(id);
    expect(result.sliceCount).toBe(row.n);
    expect(result.band.currency).toBe("USD");
    expectShown(result.slice.cores, row.cores, "cores per slice");
    expectShown(result.slice.memGb, row.memGb, "RAM per slice");
    expectShown(result.band.minPerSliceMonth.USD, row.minMonth, "band min / month");
    expectShown(result.band.maxPerSliceMonth.USD, row.maxMonth, "band max / month");
    expectShown(result.band.minPerSliceHour.USD, row.minHour, "band min / hour");
    expectShown(result.band.maxPerSliceHour.USD, row.maxHour, "band max / hour");
    expectShown(result.income.min.grossPerMonth.USD, row.minIncome, "min income");
    expectShown(result.income.max.grossPerMonth.USD, row.maxIncome, "max income");
    expectShown(result.hardware.costPerMonth.USD, row.hwCostMonth, "HW cost / month");
    expect(result.hardware.amortisationMonths).toBe(60);
    // The farmer keeps 80 % (§10.1); break-even is hardware cost ÷ income.
    // USD figures are to the cent (half-even), so the checks allow the rounding of the figures shown.
    const minGross = new Dec(result.income.min.grossPerMonth.USD ?? "0");
    expect(
      new Dec(result.income.min.farmerPerMonth.USD ?? "0").sub(minGross.mul("0.8")).abs().lte("0.009"),
    ).toBe(true);
    const breakEven = new Dec(result.hardware.costUsd).div(minGross);
    expect(
      new Dec(result.income.min.breakEvenMonths ?? "0").sub(breakEven).abs().lte(breakEven.mul("0.001")),
    ).toBe(true);
    expect(result.income.chosen).toBeNull();
    expect(result.curve).toHaveLength(21);
    expect(result.curve[0]?.pricePerSliceMonth).toBe(result.band.minPerSliceMonth.USD);
  });

  it("matches the spec's break-even prose for the Large TFGrid Node (~10 months at minimum, ~1 at maximum)", async () => {
    const { body } = await calculate({ preset: "large-tfgrid-node" });
    expectShown(body.income.min.breakEvenMonths, ["10", 0], "break-even at minimum");
    expectShown(body.income.max.breakEvenMonths, ["1", 0], "break-even at maximum");
  });
});

describe("POST /v1/calculator/node: inputs", () => {
  it("projects a chosen price and utilisation, with the payback price and the curve", async () => {
    const { status, body } = await calculate({
      preset: "3node-home",
      chosenPricePerSliceMonth: "6",
      utilisation: "0.5",
    });
    expect(status).toBe(200);
    // 7 slices × 6 × 0.5 = 21 gross, 16.8 to the farmer; 500 USD ÷ 21 and ÷ 16.8 months.
    expect(body.income.chosen).toMatchObject({
      utilisation: "0.5",
      grossPerMonth: { USD: "21" },
      farmerPerMonth: { USD: "16.8" },
      breakEvenMonths: "23.809524",
      farmerBreakEvenMonths: "29.761905",
    });
    // 500/60 per month = 7 × 0.5 × 0.8 × p  →  p = 2.976190…
    expect(body.paybackPricePerSliceMonth.farmer?.USD).toBe("2.98"); // to the cent
    expect(body.curve.at(-1)).toMatchObject({
      pricePerSliceMonth: "12",
      grossPerMonth: "42",
      farmerPerMonth: "33.6",
    });
  });

  it("takes custom hardware, slice count and cost", async () => {
    const { status, body } = await calculate({
      hardware: { cores: "8", passmark: "12000", memGb: "20", ssdGb: "500", maxSlices: 8 },
      sliceCount: 4,
      hardwareCostUsd: "300",
    });
    expect(status).toBe(200);
    expect(body.node.preset).toBeNull();
    expect(body.slice).toMatchObject({ cores: "2", memGb: "4", ssdGb: "125", aiGb: "0" });
    expect(body.band.minPerSliceMonth.USD).toBe("1.2");
    expect(body.income.min.grossPerMonth.USD).toBe("6.24"); // 4 × 1.2 × 1.3
    expect(body.hardware.costPerMonth.USD).toBe("5");
  });

  it("accepts hardware whose slice memory does not divide evenly ((36 − 4) / 7 GB)", async () => {
    const { status, body } = await calculate({
      hardware: { cores: "16", passmark: "22000", memGb: "36", ssdGb: "1000", maxSlices: 25 },
      sliceCount: 7,
      hardwareCostUsd: "500",
    });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.slice.memGb).toBe("4.57"); // 32 / 7 = 4.5714…, rounded down like the market shows it
    expect(body.band.minPerSliceMonth.USD).toBe("1.38"); // 0.3 × 32 / 7 = 1.3714…, rounded up to the cent
    expect(body.band.maxPerSliceMonth.USD).toBe("13.71"); // 3 × 32 / 7 = 13.714…, rounded down to the cent
  });

  it("converts to CC through the live peg (0.128 USD per CC)", async () => {
    const { body } = await calculate({ preset: "3node-home" });
    expect(body.peg).toMatchObject({ ccUsd: "0.128", health: "healthy", note: null });
    expect(body.income.max.grossPerMonth).toEqual({ USD: "126", CC: "984.375" });
    expect(body.band.minPerSliceMonth).toEqual({ USD: "1.2", CC: "9.375" });
  });
});

describe("POST /v1/calculator/node: without a gold price", () => {
  it("still answers, with CC figures null and a note saying why", async () => {
    const { status, body } = await withoutPrice("gold", () => calculate({ preset: "mini-3" }));
    expect(status).toBe(200);
    expect(body.peg.ccUsd).toBeNull();
    expect(body.peg.health).toBe("halted");
    expect(body.peg.note).toMatch(/no gold price/);
    expect(body.income.max.grossPerMonth).toEqual({ USD: "558", CC: null });
  });
});

describe("POST /v1/calculator/node: bad input is a 422 naming the field", () => {
  const custom = { cores: "8", passmark: "12000", memGb: "20", ssdGb: "500", maxSlices: 8 };
  it.each([
    ["unknown preset", { preset: "mini-9" }, "preset"],
    ["neither preset nor hardware", { sliceCount: 3 }, "preset"],
    ["both preset and hardware", { preset: "mini-1", hardware: custom }, "hardware"],
    ["more slices than the maximum", { preset: "3node-home", sliceCount: 26 }, "sliceCount"],
    ["zero slices", { preset: "3node-home", sliceCount: 0 }, "sliceCount"],
    ["fractional slices", { preset: "3node-home", sliceCount: 2.5 }, "sliceCount"],
    [
      "zero cores",
      { hardware: { ...custom, cores: "0" }, sliceCount: 4, hardwareCostUsd: "1" },
      "hardware.cores",
    ],
    [
      "negative RAM",
      { hardware: { ...custom, memGb: "-8" }, sliceCount: 4, hardwareCostUsd: "1" },
      "hardware.memGb",
    ],
    [
      "RAM not above the 4 GB reserve",
      { hardware: { ...custom, memGb: "4" }, sliceCount: 4, hardwareCostUsd: "1" },
      "hardware.memGb",
    ],
    ["slices above custom maximum", { hardware: custom, sliceCount: 9, hardwareCostUsd: "1" }, "sliceCount"],
    ["custom without slice count", { hardware: custom, hardwareCostUsd: "1" }, "sliceCount"],
    ["custom without cost", { hardware: custom, sliceCount: 4 }, "hardwareCostUsd"],
    ["zero hardware cost", { preset: "mini-2", hardwareCostUsd: "0" }, "hardwareCostUsd"],
    ["cost as a number", { preset: "mini-2", hardwareCostUsd: 800 }, "hardwareCostUsd"],
    ["utilisation above 1", { preset: "mini-2", utilisation: "1.5" }, "utilisation"],
    [
      "preset with a fixed band",
      { preset: "mini-2", fixedBand: { minPerSliceMonth: "1", maxPerSliceMonth: "2" } },
      "fixedBand",
    ],
    [
      "inverted fixed band",
      {
        hardware: custom,
        sliceCount: 4,
        hardwareCostUsd: "1",
        fixedBand: { minPerSliceMonth: "20", maxPerSliceMonth: "10" },
      },
      "fixedBand",
    ],
    ["unknown field", { preset: "mini-2", discount: "0.1" }, "discount"],
  ])("%s", async (_name, body, field) => {
    await expectProblem(body, field);
  });

  it("refuses a chosen price outside the band with PRICE_OUTSIDE_BAND naming the field", async () => {
    await expectProblem(
      { preset: "3node-home", chosenPricePerSliceMonth: "12.5" },
      "chosenPricePerSliceMonth",
      "PRICE_OUTSIDE_BAND",
    );
    await expectProblem(
      { preset: "3node-home", chosenPricePerSliceMonth: "1.1" },
      "chosenPricePerSliceMonth",
      "PRICE_OUTSIDE_BAND",
    );
  });
});
