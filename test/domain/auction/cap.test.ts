// Proves the round cap of ECONOMICS §8.3 (both lifetime readings, period cap, switches, rounding down, never negative) and the price ceiling of §8.4.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvariantError } from "../../../src/kit/errors";
import { amountMinorMax, Dec } from "../../../src/ledger/core/money";
import {
  priceCeiling,
  type RoundCapInput,
  roundCap,
  tfpMinorForUsdcMinor,
} from "../../../src/pools/core/auction/cap";
import { payoutUsdcMinor } from "../../../src/pools/core/auction/clearing";
import { defaultAuctionRules } from "../../../src/pools/core/auction/config";

const tfp = (whole: number): bigint => BigInt(whole) * 10_000_000n;

describe("roundCap: table", () => {
  it.each<[string, RoundCapInput, bigint, string, bigint | null, bigint | null]>([
    [
      "period binding (defaults: 0.5 × 1000 − 100 = 400 vs 0.05 × 4000 = 200)",
      { totalContributedMinor: tfp(1000), totalExitedMinor: tfp(100), poolLiquidityMinor: tfp(4000) },
      tfp(200),
      "period",
      tfp(400),
      tfp(200),
    ],
    [
      "lifetime binding (0.5 × 1000 − 450 = 50 vs 200)",
      { totalContributedMinor: tfp(1000), totalExitedMinor: tfp(450), poolLiquidityMinor: tfp(4000) },
      tfp(50),
      "lifetime",
      tfp(50),
      tfp(200),
    ],
    [
      "lifetime exhausted: 0.5 × 1000 − 700 is negative, floored at 0",
      { totalContributedMinor: tfp(1000), totalExitedMinor: tfp(700), poolLiquidityMinor: tfp(4000) },
      0n,
      "lifetime",
      0n,
      tfp(200),
    ],
    [
      "remainingTimesRatio reading: 0.5 × (1000 − 700) = 150",
      {
        totalContributedMinor: tfp(1000),
        totalExitedMinor: tfp(700),
        poolLiquidityMinor: tfp(4000),
        lifetimeRule: "remainingTimesRatio",
      },
      tfp(150),
      "lifetime",
      tfp(150),
      tfp(200),
    ],
    [
      "remainingTimesRatio with exits above contributions is 0, not negative",
      {
        totalContributedMinor: tfp(10),
        totalExitedMinor: tfp(20),
        poolLiquidityMinor: tfp(4000),
        lifetimeRule: "remainingTimesRatio",
      },
      0n,
      "lifetime",
      0n,
      tfp(200),
    ],
    [
      "tie between the limits reports lifetime",
      { totalContributedMinor: tfp(1000), totalExitedMinor: 0n, poolLiquidityMinor: tfp(10_000) },
      tfp(500),
      "lifetime",
      tfp(500),
      tfp(500),
    ],
    [
      "period only",
      {
        totalContributedMinor: tfp(1000),
        totalExitedMinor: tfp(450),
        poolLiquidityMinor: tfp(4000),
        lifetimeCapEnabled: false,
      },
      tfp(200),
      "period",
      null,
      tfp(200),
    ],
    [
      "lifetime only",
      {
        totalContributedMinor: tfp(1000),
        totalExitedMinor: tfp(100),
        poolLiquidityMinor: tfp(4000),
        periodCapEnabled: false,
      },
      tfp(400),
      "lifetime",
      tfp(400),
      null,
    ],
    [
      "both disabled: no cap beyond amountMinorMax",
      {
        totalContributedMinor: 0n,
        totalExitedMinor: 0n,
        poolLiquidityMinor: 0n,
        periodCapEnabled: false,
        lifetimeCapEnabled: false,
      },
      amountMinorMax,
      "none",
      null,
      null,
    ],
    [
      "rounding down: 0.5 × 3 = 1.5 → 1 and 0.05 × 19 = 0.95 → 0",
      { totalContributedMinor: 3n, totalExitedMinor: 0n, poolLiquidityMinor: 19n },
      0n,
      "period",
      1n,
      0n,
    ],
    [
      "custom ratios",
      {
        totalContributedMinor: 1000n,
        totalExitedMinor: 0n,
        poolLiquidityMinor: 1000n,
        lifetimeCapRatio: "0.333",
        periodCapRatio: "0.4",
      },
      333n,
      "lifetime",
      333n,
      400n,
    ],
    [
      "empty pool",
      { totalContributedMinor: 0n, totalExitedMinor: 0n, poolLiquidityMinor: 0n },
      0n,
      "lifetime",
      0n,
      0n,
    ],
  ])("%s", (_name, input, capMinor, binding, lifetimeAllowanceMinor, periodAllowanceMinor) => {
    expect(roundCap(input)).toEqual({ capMinor, binding, lifetimeAllowanceMinor, periodAllowanceMinor });
  });

  it.each<[string, Partial<RoundCapInput>]>([
    ["a ratio above 1", { periodCapRatio: "1.5" }],
    ["a negative ratio", { lifetimeCapRatio: "-0.1" }],
    ["a ratio that is not a number", { periodCapRatio: "five percent" }],
    ["a negative amount", { totalExitedMinor: -1n }],
    ["an amount above amountMinorMax", { poolLiquidityMinor: amountMinorMax + 1n }],
  ])("throws on %s", (_name, override) => {
    expect(() =>
      roundCap({ totalContributedMinor: 10n, totalExitedMinor: 0n, poolLiquidityMinor: 10n, ...override }),
    ).toThrow(InvariantError);
  });

  it("uses the V1 defaults of config.ts", () => {
    expect(defaultAuctionRules).toMatchObject({
      periodCapRatio: "0.05",
      lifetimeCapRatio: "0.5",
      minDiscount: "0.2",
    });
  });
});

describe("roundCap: properties", () => {
  const amount = fc.bigInt({ min: 0n, max: 10n ** 15n });
  const ratio = fc
    .integer({ min: 0, max: 10_000 })
    .map((basisPoints) => new Dec(basisPoints).div(10_000).toFixed());

  it("is never negative, never above an enabled allowance, each allowance the exact rule rounded down", () => {
    fc.assert(
      fc.property(
        amount,
        amount,
        amount,
        ratio,
        ratio,
        fc.constantFrom("contributedMinusExited" as const, "remainingTimesRatio" as const),
        fc.boolean(),
        fc.boolean(),
        (contributed, exited, liquidity, lifetimeRatio, periodRatio, lifetimeRule, lifetimeOn, periodOn) => {
          const result = roundCap({
            totalContributedMinor: contributed,
            totalExitedMinor: exited,
            poolLiquidityMinor: liquidity,
            lifetimeCapRatio: lifetimeRatio,
            periodCapRatio: periodRatio,
            lifetimeRule,
            lifetimeCapEnabled: lifetimeOn,
            periodCapEnabled: periodOn,
          });
          expect(result.capMinor >= 0n).toBe(true);
          const exactLifetime =
            lifetimeRule === "contributedMinusExited"
              ? new Dec(lifetimeRatio).mul(contributed.toString()).minus(exited.toString())
              : new Dec(lifetimeRatio).mul((contributed - exited).toString());
          const expectedLifetime = exactLifetime.lte(0) ? 0n : BigInt(exactLifetime.floor().toFixed());
          const expectedPeriod = BigInt(new Dec(periodRatio).mul(liquidity.toString()).floor().toFixed());
          expect(result.lifetimeAllowanceMinor).toBe(lifetimeOn ? expectedLifetime : null);
          expect(result.periodAllowanceMinor).toBe(periodOn ? expectedPeriod : null);
          const enabled = [lifetimeOn ? expectedLifetime : null, periodOn ? expectedPeriod : null].filter(
            (value): value is bigint => value !== null,
          );
          let smallest = amountMinorMax;
          for (const value of enabled) if (value < smallest) smallest = value;
          expect(result.capMinor).toBe(smallest);
        },
      ),
    );
  });
});

describe("priceCeiling", () => {
  it.each<[string, string | null, string | null]>([
    ["0.125", "0.2", "0.1"],
    ["0.1", "0.2", "0.08"],
    ["0.1", null, null],
    ["1", "0", "1"],
    ["1", "1", "0"],
    // 0.8 × 0.333333333333333 = 0.2666666666666664, rounded down to 12 decimals.
    ["0.333333333333333", "0.2", "0.266666666666"],
  ])("reference %s, discount %s → %s", (reference, discount, expected) => {
    expect(priceCeiling(reference, discount)).toBe(expected);
  });

  it.each([
    ["0", "0.2"],
    ["-1", "0.2"],
    ["abc", "0.2"],
    ["0.1", "1.2"],
    ["20000", "0.2"],
  ])("throws on reference %s, discount %s", (reference, discount) => {
    expect(() => priceCeiling(reference, discount)).toThrow(InvariantError);
  });

  it("is the exact ceiling rounded down to 10^-12", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 ** 15 }).map((units) => new Dec(units).div(1e13).toFixed()),
        fc.integer({ min: 0, max: 100 }).map((percent) => new Dec(percent).div(100).toFixed()),
        (reference, discount) => {
          const ceiling = new Dec(priceCeiling(reference, discount)!);
          const exact = new Dec(1).minus(discount).mul(reference);
          expect(ceiling.lte(exact)).toBe(true);
          expect(exact.minus(ceiling).lt("1e-12")).toBe(true);
        },
      ),
    );
  });
});

describe("tfpMinorForUsdcMinor", () => {
  it.each([
    [100_000_000n, "0.08", tfp(1250)],
    [1n, "0.3", 33n], // 0.000001 USDC / 0.3 = 33.3… TFP minor units, rounded down
    [0n, "0.08", 0n],
  ])("%s USDC minor at %s → %s TFP minor", (usdcMinor, price, expected) => {
    expect(tfpMinorForUsdcMinor(usdcMinor, price)).toBe(expected);
  });

  it("throws on a zero price", () => {
    expect(() => tfpMinorForUsdcMinor(1n, "0")).toThrow(InvariantError);
  });

  it("never buys more than the USDC pays for, and at most one TFP minor unit less (or amountMinorMax)", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 13n }),
        fc.integer({ min: 1, max: 10 ** 12 }).map((key) => new Dec(key).div(1e12).toFixed()),
        (usdcMinor, price) => {
          const tfpMinor = tfpMinorForUsdcMinor(usdcMinor, price);
          expect(payoutUsdcMinor(tfpMinor, price) <= usdcMinor).toBe(true);
          const exact = new Dec(usdcMinor.toString()).mul(10).div(price);
          const expected = exact.gte(amountMinorMax.toString())
            ? amountMinorMax
            : BigInt(exact.floor().toFixed());
          expect(tfpMinor).toBe(expected);
        },
      ),
    );
  });
});
