// Proves that price bands follow §12.2 (0.3 × slice GB, ×10, hourly ×2.0 / ×1.5 over 720 h; fixed AI bands) and reproduce the spec's examples, that prices outside a band are rejected naming the band, and that min ≤ max always.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Dec } from "../../../src/ledger/core/money";
import { defaultMarketParameters } from "../../../src/market/core/parameters";
import {
  bandDetailDigits,
  checkPriceInBand,
  hourlyToMonthly,
  monthlyToHourly,
  type PriceBand,
  priceBand,
} from "../../../src/market/core/pricing";
import { sliceResources } from "../../../src/market/core/slices";
import { expectWithinHalfUnit, unwrap } from "./support";

describe("priceBand: §12.2 examples", () => {
  it.each([
    // [name, slice GB or fixed band, min/month, max/month, min/hour, max/hour] as printed in §12.2
    ["3Node Home / Mini 1 slice", { memGb: "4" }, "memory", "1.2", "12", "0.0033", "0.0250"],
    ["Large TFGrid Node slice", { memGb: "25.4" }, "memory", "7.62", "76.2", "0.0212", "0.1588"],
    [
      "Mini AI 1 slice",
      { memGb: "31" },
      defaultMarketParameters.fixedBandMiniAi,
      "10",
      "100",
      "0.0278",
      "0.2083",
    ],
  ] as const)("%s", (_name, slice, profile, minMonth, maxMonth, minHour, maxHour) => {
    const band = unwrap(priceBand(slice, profile));
    expectWithinHalfUnit(band.minPerSliceMonth, minMonth, 2, "min/month");
    expectWithinHalfUnit(band.maxPerSliceMonth, maxMonth, 1, "max/month");
    expectWithinHalfUnit(band.minPerSliceHour, minHour, 4, "min/hour");
    expectWithinHalfUnit(band.maxPerSliceHour, maxHour, 4, "max/hour");
  });

  it("is exact where the decimal terminates", () => {
    expect(unwrap(priceBand({ memGb: "25.4" }, "memory"))).toEqual({
      currency: "USD",
      profile: "memory",
      minPerSliceMonth: "7.62",
      maxPerSliceMonth: "76.2",
      minPerSliceHour: `0.0211${"6".repeat(56)}7`, // 60 significant digits, last rounded half-even
      maxPerSliceHour: "0.15875",
    });
  });

  it("derives the GPU band 300–3,000 with hourly 0.8333… – 6.25", () => {
    const band = unwrap(priceBand({ memGb: "124" }, defaultMarketParameters.fixedBandGpu));
    expect(band).toMatchObject({ profile: "fixed", minPerSliceMonth: "300", maxPerSliceMonth: "3000" });
    expect(band.maxPerSliceHour).toBe("6.25");
    expectWithinHalfUnit(band.minPerSliceHour, "0.833333", 6);
  });

  it("quotes in the configured currency and uses the configured factors", () => {
    const params = { ...defaultMarketParameters, bandCurrency: "CC", priceMinPerGbMonth: "0.5" } as const;
    const band = unwrap(priceBand({ memGb: "4" }, "memory", params));
    expect(band).toMatchObject({ currency: "CC", minPerSliceMonth: "2", maxPerSliceMonth: "20" });
  });
});

describe("priceBand: edges", () => {
  it.each([
    ["zero memory", { memGb: "0" }, "memory", "memGb"],
    ["negative memory", { memGb: "-4" }, "memory", "memGb"],
    ["malformed memory", { memGb: "four" }, "memory", "memGb"],
    ["inverted fixed band", { memGb: "4" }, { fixedMinMonthly: "100", fixedMaxMonthly: "10" }, "bandProfile"],
    [
      "zero fixed minimum",
      { memGb: "4" },
      { fixedMinMonthly: "0", fixedMaxMonthly: "10" },
      "bandProfile.fixedMinMonthly",
    ],
    [
      "fixed band whose hourly band inverts",
      { memGb: "4" },
      { fixedMinMonthly: "10", fixedMaxMonthly: "12" },
      "bandProfile",
    ],
  ] as const)("%s → VALIDATION_FAILED", (_name, slice, profile, field) => {
    expect(priceBand(slice, profile)).toMatchObject({ ok: false, code: "VALIDATION_FAILED", field });
  });

  it("a fixed band ignores memory, so a memoryless slice is fine", () => {
    expect(priceBand({ memGb: "0" }, { fixedMinMonthly: "10", fixedMaxMonthly: "100" }).ok).toBe(true);
  });

  it("rejects parameters whose memory band would invert hourly", () => {
    const params = { ...defaultMarketParameters, priceMaxFactor: "1" };
    expect(priceBand({ memGb: "4" }, "memory", params)).toMatchObject({
      ok: false,
      field: "hourlyMinFactor",
    });
  });

  it("handles large memory exactly", () => {
    const band = unwrap(priceBand({ memGb: "1000000000000" }, "memory"));
    expect(band.maxPerSliceMonth).toBe("3000000000000");
  });
});

describe("checkPriceInBand", () => {
  const band: PriceBand = unwrap(priceBand({ memGb: "4" }, "memory")); // 1.2–12 / 0.00333…–0.025

  it.each([
    ["1.2", "month"],
    ["12", "month"],
    ["5.55", "month"],
    ["0.0034", "hour"],
    ["0.025", "hour"],
  ] as const)("accepts %s per %s (ends inclusive)", (price, period) => {
    expect(checkPriceInBand(price, band, period)).toEqual({ ok: true, value: new Dec(price).toString() });
  });

  it.each([
    ["1.19", "month"],
    ["12.0001", "month"],
    ["0", "month"],
    ["-5", "month"],
    ["0.0033", "hour"], // the displayed minimum is below the exact 0.00333…
    ["0.0251", "hour"],
    ["12", "hour"],
  ] as const)("rejects %s per %s with PRICE_OUTSIDE_BAND", (price, period) => {
    const result = checkPriceInBand(price, band, period);
    expect(result).toMatchObject({ ok: false, code: "PRICE_OUTSIDE_BAND", field: "price" });
  });

  it("names the band, its currency, period and ends in the detail", () => {
    const monthly = checkPriceInBand("13", band);
    expect(!monthly.ok && monthly.detail).toBe(
      "price 13 USD per slice-month is outside the memory band [1.2, 12] USD per slice-month",
    );
    const hourly = checkPriceInBand("1", band, "hour");
    expect(!hourly.ok && hourly.detail).toBe(
      `price 1 USD per slice-hour is outside the memory band [0.00${"3".repeat(bandDetailDigits - 1)}4, 0.025] USD per slice-hour`,
    );
  });

  it("rejects a malformed price as VALIDATION_FAILED", () => {
    expect(checkPriceInBand("1,5", band)).toMatchObject({
      ok: false,
      code: "VALIDATION_FAILED",
      field: "price",
    });
    expect(checkPriceInBand("1e1", band)).toMatchObject({ ok: false, code: "VALIDATION_FAILED" });
  });
});

describe("hourly ↔ monthly", () => {
  it("converts pro rata by default and with a factor", () => {
    expect(monthlyToHourly("72")).toBe("0.1");
    expect(hourlyToMonthly("0.1")).toBe("72");
    expect(monthlyToHourly("12", "1.5")).toBe("0.025");
    expect(hourlyToMonthly("0.025", "1.5")).toBe("12");
    expect(monthlyToHourly("0")).toBe("0");
  });

  it("round-trips within the last of 60 significant digits", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.integer({ min: 1, max: 40 }),
        (cents, tenths) => {
          const monthly = new Dec(cents).div(100).toString();
          const factor = new Dec(tenths).div(10).toString();
          const back = hourlyToMonthly(monthlyToHourly(monthly, factor), factor);
          expect(new Dec(back).sub(monthly).abs().lte("1e-50")).toBe(true);
        },
      ),
    );
  });
});

describe("priceBand: properties", () => {
  it("min ≤ max, monthly and hourly, for any slice memory and any valid fixed band", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000_000 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 2, max: 100 }),
        (memMilliGb, fixedMin, spread) => {
          const memGb = new Dec(memMilliGb).div(1000).toString();
          const fixed = { fixedMinMonthly: String(fixedMin), fixedMaxMonthly: String(fixedMin * spread) };
          for (const profile of ["memory", fixed] as const) {
            const band = unwrap(priceBand({ memGb }, profile));
            expect(new Dec(band.minPerSliceMonth).lte(band.maxPerSliceMonth)).toBe(true);
            expect(new Dec(band.minPerSliceHour).lte(band.maxPerSliceHour)).toBe(true);
            expect(new Dec(band.minPerSliceMonth).gt(0)).toBe(true);
          }
        },
      ),
    );
  });
});

describe("bands of computed slices", () => {
  it("accepts a slice whose memory does not divide evenly (36 GB on 7 slices)", () => {
    const slice = unwrap(
      sliceResources(
        { cores: "8", passmark: "10000", memGb: "36", ssdGb: "700", aiGb: "0", tps: "0", maxSlices: 25 },
        7,
      ),
    );
    expect(slice.memGb.length).toBeGreaterThan(40);
    const band = unwrap(priceBand(slice, "memory"));
    // (36 − 4) / 7 = 4.571428… GB → 0.3 × that per month
    expectWithinHalfUnit(band.minPerSliceMonth, "1.3714285714", 10);
    expectWithinHalfUnit(band.maxPerSliceMonth, "13.714285714", 9);
  });
});
