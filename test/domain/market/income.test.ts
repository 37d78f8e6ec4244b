// Proves the income projections of §12.4–12.5: min/max gross income and hardware cost per month match the spec's figures, break-even and ROI follow cost ÷ income (null at zero income) and agree with the spec's break-even prose, the farmer share is 80 %, and min income ≤ max income always.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Dec } from "../../../src/ledger/core/money";
import { findCatalogueNode } from "../../../src/market/core/catalogue";
import {
  breakEvenMonths,
  farmerShare,
  hardwareCostPerMonth,
  incomeAtPricePerMonth,
  incomeProjection,
  maxIncomePerMonth,
  minIncomePerMonth,
  returnOnInvestment,
} from "../../../src/market/core/income";
import { defaultMarketParameters } from "../../../src/market/core/parameters";
import { type PriceBand, priceBand } from "../../../src/market/core/pricing";
import { sliceResources } from "../../../src/market/core/slices";
import { expectWithinHalfUnit, unwrap } from "./support";

function projectionFor(id: string, extra: { chosenPricePerSliceMonth?: string; utilisation?: string } = {}) {
  const node = findCatalogueNode(id);
  if (node === undefined) throw new Error(id);
  const slice = unwrap(sliceResources(node.hardware, node.typicalSlices));
  const band = unwrap(priceBand(slice, node.bandProfile));
  return unwrap(
    incomeProjection({
      hardwareCostUsd: node.hardwareCostUsd,
      sliceCount: node.typicalSlices,
      band,
      ...extra,
    }),
  );
}

describe("§12.4 incomes and §12.5 hardware cost per month", () => {
  it.each([
    // [node, min income, decimals shown, max income, HW cost/month shown, decimals]
    ["3node-home", "10.92", 2, "126", "8", 0],
    ["large-tfgrid-node", "198.12", 2, "2286", "33", 0],
    ["mini-2", "23", 0, "270", "13", 0], // min 23.4 printed as "23"
    ["mini-3", "48.36", 2, "558", "17", 0],
    ["mini-ai-1", "52", 2, "600", "33", 0],
    ["nvidia-6000-1x", "390", 2, "4500", "250", 0],
    ["nvidia-6000-2x", "780", 2, "9000", "500", 0],
    ["tenstorrent-8x", "780", 2, "9000", "500", 0],
  ] as const)("%s: min %s, max %s, HW %s per month", (id, min, minDecimals, max, hw, hwDecimals) => {
    const projection = projectionFor(id);
    expectWithinHalfUnit(projection.min.grossPerMonth, min, minDecimals, "min income");
    expectWithinHalfUnit(projection.max.grossPerMonth, max, 2, "max income");
    expectWithinHalfUnit(projection.hardwareCostUsdPerMonth, hw, hwDecimals, "HW cost/month");
    expect(projection.currency).toBe("USD");
  });

  it("computes the worked examples exactly", () => {
    const band: PriceBand = unwrap(priceBand({ memGb: "4" }, "memory"));
    expect(minIncomePerMonth(band, 7)).toBe("10.92");
    expect(maxIncomePerMonth(band, 7)).toBe("126");
    expect(hardwareCostPerMonth("2000")).toBe(new Dec(2000).div(60).toString());
    expect(hardwareCostPerMonth("15000")).toBe("250");
  });

  it("gives the farmer 80 % of gross", () => {
    expect(farmerShare("10.92")).toBe("8.736");
    expect(farmerShare("0")).toBe("0");
    const projection = projectionFor("large-tfgrid-node");
    expect(projection.min.farmerPerMonth).toBe("158.496");
    expect(projection.max.farmerPerMonth).toBe("1828.8");
  });
});

describe("§12.5 break-even and ROI", () => {
  it("matches the spec's prose: 3Node Home ~3–4 years at minimum income", () => {
    const months = new Dec(projectionFor("3node-home").min.breakEvenMonths ?? "0");
    expect(months.div(12).gte(3) && months.div(12).lte(4)).toBe(true); // 45.8 months ≈ 3.8 years
  });

  it("matches the spec's prose: Large TFGrid Node ~10–12 months at minimum, 1 month at maximum", () => {
    const projection = projectionFor("large-tfgrid-node");
    const atMin = new Dec(projection.min.breakEvenMonths ?? "0"); // 2,000 / 198.12 = 10.09
    expect(atMin.gte(10) && atMin.lte(12)).toBe(true);
    const atMax = new Dec(projection.max.breakEvenMonths ?? "0"); // 2,000 / 2,286 = 0.87
    expect(atMax.toDecimalPlaces(0, Dec.ROUND_CEIL).toString()).toBe("1");
  });

  it("computes break-even on the farmer share too (cost ÷ 0.8 × gross)", () => {
    const projection = projectionFor("nvidia-6000-1x");
    expect(projection.min.breakEvenMonths).toBe(new Dec(15000).div(390).toString());
    expect(projection.min.farmerBreakEvenMonths).toBe(new Dec(15000).div(312).toString());
  });

  it("returns null break-even at zero income and ROI −1", () => {
    expect(breakEvenMonths("500", "0")).toBeNull();
    expect(returnOnInvestment("500", "0")).toBe("-1");
    const projection = projectionFor("mini-1", { chosenPricePerSliceMonth: "5", utilisation: "0" });
    expect(projection.chosen).toMatchObject({
      grossPerMonth: "0",
      breakEvenMonths: null,
      farmerBreakEvenMonths: null,
      returnOnInvestment: "-1",
    });
  });

  it("ROI over 60 months is (income × 60 − cost) / cost", () => {
    expect(returnOnInvestment("500", "10.92")).toBe("0.3104");
    expect(returnOnInvestment("2000", "2286")).toBe("67.58");
    expect(returnOnInvestment("600", "10")).toBe("0"); // exactly repays in 60 months
  });

  it("projects a chosen price at a utilisation", () => {
    expect(incomeAtPricePerMonth("6", 7, "0.5")).toBe("21");
    const projection = projectionFor("3node-home", { chosenPricePerSliceMonth: "6", utilisation: "0.5" });
    expect(projection.chosen?.grossPerMonth).toBe("21");
    expect(projection.chosen?.farmerPerMonth).toBe("16.8");
    expect(projection.chosen?.breakEvenMonths).toBe(new Dec(500).div(21).toString());
    expect(projectionFor("3node-home", { chosenPricePerSliceMonth: "6" }).chosen?.grossPerMonth).toBe("42");
    expect(projectionFor("3node-home").chosen).toBeNull();
  });
});

describe("incomeProjection: edges", () => {
  const band = unwrap(priceBand({ memGb: "4" }, "memory"));
  const base = { hardwareCostUsd: "500", sliceCount: 7, band };

  it.each([
    ["zero cost", { hardwareCostUsd: "0" }, "VALIDATION_FAILED", "hardwareCostUsd"],
    ["negative cost", { hardwareCostUsd: "-500" }, "VALIDATION_FAILED", "hardwareCostUsd"],
    ["zero slices", { sliceCount: 0 }, "VALIDATION_FAILED", "sliceCount"],
    ["negative slices", { sliceCount: -7 }, "VALIDATION_FAILED", "sliceCount"],
    ["too many slices", { sliceCount: 10_001 }, "VALIDATION_FAILED", "sliceCount"],
    ["utilisation above 1", { utilisation: "1.01" }, "VALIDATION_FAILED", "utilisation"],
    ["negative utilisation", { utilisation: "-0.1" }, "VALIDATION_FAILED", "utilisation"],
    ["malformed utilisation", { utilisation: "50%" }, "VALIDATION_FAILED", "utilisation"],
    [
      "chosen price below the band",
      { chosenPricePerSliceMonth: "1" },
      "PRICE_OUTSIDE_BAND",
      "chosenPricePerSliceMonth",
    ],
    [
      "chosen price above the band",
      { chosenPricePerSliceMonth: "12.5" },
      "PRICE_OUTSIDE_BAND",
      "chosenPricePerSliceMonth",
    ],
    ["zero USD rate", { usdPerPriceUnit: "0" }, "VALIDATION_FAILED", "usdPerPriceUnit"],
  ] as const)("%s → %s", (_name, change, code, field) => {
    expect(incomeProjection({ ...base, ...change })).toMatchObject({ ok: false, code, field });
  });

  it("requires a USD rate for a CC band and converts income to USD for break-even", () => {
    const ccBand = { ...band, currency: "CC" as const };
    expect(incomeProjection({ ...base, band: ccBand })).toMatchObject({
      ok: false,
      field: "usdPerPriceUnit",
    });
    const projection = unwrap(incomeProjection({ ...base, band: ccBand, usdPerPriceUnit: "0.128" }));
    expect(projection.currency).toBe("CC");
    expect(projection.min.grossPerMonth).toBe("10.92");
    expect(projection.min.breakEvenMonths).toBe(new Dec(500).div("1.39776").toString()); // 10.92 CC × 0.128
  });

  it("accepts utilisation 0 and 1 and the extreme slice count", () => {
    expect(incomeProjection({ ...base, chosenPricePerSliceMonth: "12", utilisation: "1" }).ok).toBe(true);
    expect(incomeProjection({ ...base, sliceCount: 10_000 }).ok).toBe(true);
  });

  it("rejects a hand-made band with min above max", () => {
    const inverted = { ...band, minPerSliceMonth: "100" };
    expect(incomeProjection({ ...base, band: inverted })).toMatchObject({
      ok: false,
      code: "VALIDATION_FAILED",
    });
  });
});

describe("incomeProjection: properties", () => {
  it("min income ≤ max income, farmer share ≤ gross, and break-even shrinks as income grows", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 100_000_000 }),
        fc.boolean(),
        (memMilliGb, sliceCount, costCents, fixed) => {
          const profile = fixed ? defaultMarketParameters.fixedBandGpu : "memory";
          const band = unwrap(priceBand({ memGb: new Dec(memMilliGb).div(1000).toString() }, profile));
          const hardwareCostUsd = new Dec(costCents).div(100).toString();
          const projection = unwrap(incomeProjection({ hardwareCostUsd, sliceCount, band }));
          expect(new Dec(projection.min.grossPerMonth).lte(projection.max.grossPerMonth)).toBe(true);
          expect(new Dec(projection.min.farmerPerMonth).lte(projection.min.grossPerMonth)).toBe(true);
          expect(
            new Dec(projection.max.breakEvenMonths ?? "0").lte(projection.min.breakEvenMonths ?? "0"),
          ).toBe(true);
        },
      ),
    );
  });
});
