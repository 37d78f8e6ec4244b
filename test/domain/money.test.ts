// Proves the money primitives: exact parsing/formatting per asset scale, named rounding,
// and that allocation always hands out the whole amount.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  allocate,
  formatAmount,
  mulDiv,
  parseAmount,
  ratioWeights,
  toMinor,
} from "../../src/ledger/core/money";

describe("parseAmount / formatAmount", () => {
  it.each([
    ["CC", "1", 1_000_000n],
    ["CC", "0.000001", 1n],
    ["CC", "0", 0n],
    ["USD", "12.34", 1234n],
    ["TFT", "1.2345678", 12_345_678n],
    ["CC", "-2.5", -2_500_000n],
  ] as const)("%s %s → %s minor units", (asset, text, minor) => {
    expect(parseAmount(asset, text)).toEqual({ ok: true, minor });
  });

  it.each([
    ["CC", "1.0000001", "precision"],
    ["USD", "0.001", "precision"],
    ["CC", "1e3", "format"],
    ["CC", "01", "format"],
    ["CC", "", "format"],
    ["CC", " 1", "format"],
    ["CC", "9223372036854.775808", "range"],
  ] as const)("%s %j fails with %s", (asset, text, reason) => {
    expect(parseAmount(asset, text)).toEqual({ ok: false, reason });
  });

  it("formats with the asset's full scale and round-trips", () => {
    expect(formatAmount("CC", 1_500_000n)).toBe("1.500000");
    expect(formatAmount("USD", 5n)).toBe("0.05");
    expect(formatAmount("TFT", -1n)).toBe("-0.0000001");
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n) + 1n, max: 2n ** 63n - 1n }), (minor) => {
        expect(parseAmount("CC", formatAmount("CC", minor))).toEqual({ ok: true, minor });
      }),
    );
  });
});

describe("rounding", () => {
  it.each([
    ["down", 2n],
    ["up", 3n],
    ["floor", 2n],
    ["ceil", 3n],
    ["halfEven", 2n],
    ["halfUp", 3n],
  ] as const)("mulDiv(5, 1, 2) rounds %s to %s", (rounding, expected) => {
    expect(mulDiv(5n, 1n, 2n, rounding)).toBe(expected);
  });

  it("rounds negatives by direction", () => {
    expect(mulDiv(-5n, 1n, 2n, "floor")).toBe(-3n);
    expect(mulDiv(-5n, 1n, 2n, "ceil")).toBe(-2n);
    expect(mulDiv(-5n, 1n, 2n, "down")).toBe(-2n);
    expect(toMinor("CC", "0.0000015", "halfEven")).toBe(2n);
    expect(toMinor("CC", "0.0000025", "halfEven")).toBe(2n);
    expect(toMinor("CC", "0.0000019", "down")).toBe(1n);
  });
});

describe("allocate", () => {
  it("splits 80/10/10 with the remainder to the named part", () => {
    expect(allocate(101n, ratioWeights(["0.8", "0.1", "0.1"]))).toEqual([80n, 10n, 11n]);
    expect(allocate(0n, [1n, 1n])).toEqual([0n, 0n]);
    expect(allocate(7n, [1n, 1n, 1n], 0)).toEqual([3n, 2n, 2n]);
  });

  it("rejects impossible inputs as broken invariants", () => {
    expect(() => allocate(-1n, [1n])).toThrow(/negative/);
    expect(() => allocate(1n, [])).toThrow(/weight/);
    expect(() => allocate(1n, [0n, 0n])).toThrow(/positive/);
  });

  it("always sums to the whole (property)", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 2n ** 62n }),
        fc.array(fc.bigInt({ min: 0n, max: 10n ** 12n }), { minLength: 1, maxLength: 20 }),
        (total, weights) => {
          fc.pre(weights.some((weight) => weight > 0n));
          const parts = allocate(total, weights);
          expect(parts.reduce((sum, part) => sum + part, 0n)).toBe(total);
          expect(parts.every((part) => part >= 0n)).toBe(true);
        },
      ),
    );
  });
});
