// Proves that a charge is split 80/10/10 with the rounding remainder to ThreeFold and parts that always sum exactly to the charge, and that usage is charged exactly, rounded down to the CC minor unit (never overcharged).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvariantError } from "../../../src/kit/errors";
import { amountMinorMax, Dec } from "../../../src/ledger/core/money";
import { defaultMarketParameters } from "../../../src/market/core/parameters";
import { chargeForUsage, msPerHour, splitRevenue } from "../../../src/market/core/revenue";

describe("splitRevenue", () => {
  it.each([
    [0n, 0n, 0n, 0n],
    [1n, 0n, 0n, 1n], // everything below 10 minor units rounds down to 0 for burn: remainder to ThreeFold
    [9n, 7n, 0n, 2n],
    [10n, 8n, 1n, 1n],
    [100n, 80n, 10n, 10n],
    [1_000_001n, 800_000n, 100_000n, 100_001n],
    [amountMinorMax, 7378697629483820645n, 922337203685477580n, 922337203685477582n],
  ])("%s → farmer %s, burn %s, ThreeFold %s", (charge, farmer, burn, threefold) => {
    expect(splitRevenue(charge)).toEqual({ farmerMinor: farmer, burnMinor: burn, threefoldMinor: threefold });
  });

  it("follows configured ratios", () => {
    const params = {
      ...defaultMarketParameters,
      revenueSplit: { farmer: "0.7", burn: "0.2", threefold: "0.1" },
    };
    expect(splitRevenue(1_000n, params)).toEqual({
      farmerMinor: 700n,
      burnMinor: 200n,
      threefoldMinor: 100n,
    });
  });

  it("throws on a negative charge (an invariant, not an expected outcome)", () => {
    expect(() => splitRevenue(-1n)).toThrow(InvariantError);
  });

  it("always sums exactly to the charge with non-negative parts, farmer and burn rounded down", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: amountMinorMax }),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 100 }),
        (charge, farmerPercent, burnPercentRaw) => {
          const burnPercent = Math.min(burnPercentRaw, 100 - farmerPercent);
          const revenueSplit = {
            farmer: new Dec(farmerPercent).div(100).toString(),
            burn: new Dec(burnPercent).div(100).toString(),
            threefold: new Dec(100 - farmerPercent - burnPercent).div(100).toString(),
          };
          const split = splitRevenue(charge, { ...defaultMarketParameters, revenueSplit });
          expect(split.farmerMinor + split.burnMinor + split.threefoldMinor).toBe(charge);
          expect(split.farmerMinor >= 0n && split.burnMinor >= 0n && split.threefoldMinor >= 0n).toBe(true);
          expect(split.farmerMinor).toBe((charge * BigInt(farmerPercent)) / 100n);
          expect(split.burnMinor).toBe((charge * BigInt(burnPercent)) / 100n);
        },
      ),
    );
  });
});

describe("chargeForUsage", () => {
  it.each([
    ["1", 1, msPerHour, 1_000_000n],
    ["0.5", 2, msPerHour, 1_000_000n],
    ["1", 1, 3_600, 1_000n],
    ["1", 1, 3_601, 1_000n], // 1,000.28 minor units: rounded down
    ["1", 1, 3_599, 999n], // 999.72: rounded down, never up
    ["1", 1, 1, 0n], // 0.28 of a minor unit is forgiven
    ["0.0033", 7, 720 * msPerHour, 16_632_000n], // 0.0033 × 7 slices × 720 h = 16.632 CC
    ["0.000001", 1, msPerHour, 1n],
    ["0", 25, msPerHour, 0n],
    ["12", 0, msPerHour, 0n],
    ["12", 3, 0, 0n],
  ] as const)(
    "%s CC/slice-hour × %s slices × %s ms → %s minor units",
    (price, slices, durationMs, expected) => {
      expect(chargeForUsage(price, slices, durationMs)).toBe(expected);
    },
  );

  it.each([
    ["negative price", "-1", 1, 1],
    ["malformed price", "1e-3", 1, 1],
    ["fractional slices", "1", 1.5, 1],
    ["negative slices", "1", -1, 1],
    ["fractional duration", "1", 1, 0.5],
    ["negative duration", "1", 1, -1],
    ["unsafe duration", "1", 1, Number.MAX_SAFE_INTEGER + 1],
    ["a charge beyond the largest amount", "1000000000000", 10_000, 365 * 24 * msPerHour],
  ] as const)("throws on %s", (_name, price, slices, durationMs) => {
    expect(() => chargeForUsage(price, slices, durationMs)).toThrow(InvariantError);
  });

  it("never overcharges and loses less than one minor unit to rounding", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }), // ≤ 1e6 CC/slice-hour keeps the charge below amountMinorMax
        fc.integer({ min: 0, max: 9 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 31 * 24 * msPerHour }),
        (priceUnits, priceDecimals, slices, durationMs) => {
          const price = new Dec(priceUnits).div(new Dec(10).pow(priceDecimals)).toString();
          const charged = new Dec(chargeForUsage(price, slices, durationMs).toString());
          const exactMinor = new Dec(price).mul(slices).mul(durationMs).div(msPerHour).mul(1_000_000);
          expect(charged.lte(exactMinor)).toBe(true);
          expect(exactMinor.sub(charged).lt(1)).toBe(true);
        },
      ),
    );
  });
});
