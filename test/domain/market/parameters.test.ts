// Proves that the default market parameters are the spec's values and valid, and that invalid parameter sets and decimal inputs are rejected with the offending field.
import { describe, expect, it } from "vitest";
import {
  defaultMarketParameters,
  type MarketParameters,
  parseDecimalInput,
  parseNonNegativeDecimal,
  parsePositiveDecimal,
  validateMarketParameters,
} from "../../../src/market/core/parameters";

describe("defaultMarketParameters", () => {
  it("holds the spec's §1 defaults", () => {
    expect(defaultMarketParameters).toEqual({
      nodeReservedMemoryGb: "4",
      priceMinPerGbMonth: "0.3",
      priceMaxFactor: "10",
      hourlyMinFactor: "2.0",
      hourlyMaxFactor: "1.5",
      hoursPerMonth: 720,
      incomeMinFactor: "1.3",
      incomeMaxFactor: "1.5",
      amortisationMonths: 60,
      revenueSplit: { farmer: "0.80", burn: "0.10", threefold: "0.10" },
      bandCurrency: "USD",
      fixedBandMiniAi: { fixedMinMonthly: "10", fixedMaxMonthly: "100" },
      fixedBandGpu: { fixedMinMonthly: "300", fixedMaxMonthly: "3000" },
    });
  });

  it("is valid and frozen", () => {
    expect(validateMarketParameters(defaultMarketParameters).ok).toBe(true);
    expect(Object.isFrozen(defaultMarketParameters)).toBe(true);
    expect(Object.isFrozen(defaultMarketParameters.revenueSplit)).toBe(true);
  });

  it("accepts the CC band currency and a zero reserve", () => {
    const params = { ...defaultMarketParameters, bandCurrency: "CC", nodeReservedMemoryGb: "0" } as const;
    expect(validateMarketParameters(params).ok).toBe(true);
  });
});

describe("validateMarketParameters rejects", () => {
  const d = defaultMarketParameters;
  it.each<[string, Partial<MarketParameters>, string]>([
    ["a negative reserve", { nodeReservedMemoryGb: "-1" }, "nodeReservedMemoryGb"],
    ["a zero minimum price", { priceMinPerGbMonth: "0" }, "priceMinPerGbMonth"],
    ["a float-formatted factor", { priceMaxFactor: "1e1" }, "priceMaxFactor"],
    ["a max factor below 1", { priceMaxFactor: "0.5" }, "priceMaxFactor"],
    ["a negative hourly factor", { hourlyMaxFactor: "-1.5" }, "hourlyMaxFactor"],
    ["income factors in the wrong order", { incomeMinFactor: "1.6" }, "incomeMinFactor"],
    [
      "factors that invert the hourly band",
      { priceMaxFactor: "1", hourlyMaxFactor: "1.5" },
      "hourlyMinFactor",
    ],
    ["zero hours per month", { hoursPerMonth: 0 }, "hoursPerMonth"],
    ["fractional hours per month", { hoursPerMonth: 720.5 }, "hoursPerMonth"],
    ["zero amortisation months", { amortisationMonths: 0 }, "amortisationMonths"],
    [
      "a split that sums to 0.99",
      { revenueSplit: { farmer: "0.79", burn: "0.10", threefold: "0.10" } },
      "revenueSplit",
    ],
    [
      "a split that sums to 1.01",
      { revenueSplit: { farmer: "0.81", burn: "0.10", threefold: "0.10" } },
      "revenueSplit",
    ],
    [
      "a negative split ratio",
      { revenueSplit: { farmer: "1.1", burn: "-0.1", threefold: "0" } },
      "revenueSplit.farmer",
    ],
    [
      "an inverted fixed band",
      { fixedBandGpu: { fixedMinMonthly: "3000", fixedMaxMonthly: "300" } },
      "fixedBandGpu",
    ],
    [
      "a zero fixed minimum",
      { fixedBandMiniAi: { fixedMinMonthly: "0", fixedMaxMonthly: "100" } },
      "fixedBandMiniAi.fixedMinMonthly",
    ],
    [
      "a fixed band whose hourly band inverts",
      { fixedBandMiniAi: { fixedMinMonthly: "10", fixedMaxMonthly: "10" } },
      "fixedBandMiniAi",
    ],
  ])("%s", (_name, change, field) => {
    const result = validateMarketParameters({ ...d, ...change });
    expect(result).toMatchObject({ ok: false, code: "VALIDATION_FAILED", field });
  });

  it("an unknown band currency", () => {
    const params = { ...d, bandCurrency: "EUR" } as unknown as MarketParameters;
    expect(validateMarketParameters(params)).toMatchObject({ ok: false, field: "bandCurrency" });
  });
});

describe("decimal inputs", () => {
  it.each(["0", "12", "0.3", "-1.5", "1234567890.0123456789"])("parses %j exactly", (text) => {
    const parsed = parseDecimalInput(text, "x");
    expect(parsed.ok && parsed.value.toString()).toBe(text);
  });

  it.each(["", " 1", "1e3", "01", "1.", ".5", "NaN", "Infinity", "0x10", "1".repeat(41)])(
    "rejects %j",
    (text) => {
      expect(parseDecimalInput(text, "x")).toMatchObject({
        ok: false,
        code: "VALIDATION_FAILED",
        field: "x",
      });
    },
  );

  it("separates positive from non-negative", () => {
    expect(parsePositiveDecimal("0", "x").ok).toBe(false);
    expect(parsePositiveDecimal("0.0001", "x").ok).toBe(true);
    expect(parseNonNegativeDecimal("0", "x").ok).toBe(true);
    expect(parseNonNegativeDecimal("-0.0001", "x").ok).toBe(false);
  });
});
