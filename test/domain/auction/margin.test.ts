// Proves that the exit margin of ECONOMICS §8.6 is the discount versus the reference price in USDC minor units rounded down, and that its distribution to remaining positions hands out exactly the margin.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvariantError } from "../../../src/kit/errors";
import { Dec } from "../../../src/ledger/core/money";
import { clearRound } from "../../../src/pools/core/auction/clearing";
import { distributeMargin, exitMargin } from "../../../src/pools/core/auction/margin";
import {
  type Position,
  reducePosition,
  type WeightedPosition,
  weights,
} from "../../../src/pools/core/shares";

const tfp = (whole: number): bigint => BigInt(whole) * 10_000_000n;
const usdc = (whole: number): bigint => BigInt(whole) * 1_000_000n;
const dayMs = 86_400_000;
const atMs = Date.UTC(2026, 2, 1);

describe("exitMargin", () => {
  it.each<[string, bigint, string | null, string, bigint]>([
    ["1,000 TFP exiting at 0.08 against 0.10", tfp(1000), "0.08", "0.1", usdc(20)],
    ["nothing cleared", 0n, null, "0.1", 0n],
    ["cleared at the reference: no discount", tfp(10), "0.1", "0.1", 0n],
    ["cleared above the reference (no ceiling): no margin, never negative", tfp(10), "0.12", "0.1", 0n],
    // 0.0012345 TFP × (0.1234567 − 0.1) = 0.00002895729615 USDC → 28 minor units, rounded down.
    ["rounded down", 12_345n, "0.1", "0.1234567", 28n],
    ["one TFP minor unit: 2e-9 USDC rounds down to 0", 1n, "0.08", "0.1", 0n],
  ])("%s", (_name, filledMinor, clearingPrice, referencePrice, expected) => {
    expect(exitMargin({ filledMinor, clearingPrice, referencePrice })).toBe(expected);
  });

  it.each<[string, bigint, string | null, string]>([
    ["a filled amount without a clearing price", 5n, null, "0.1"],
    ["a negative filled amount", -1n, "0.08", "0.1"],
    ["a zero reference price", 5n, "0.08", "0"],
    ["an invalid clearing price", 5n, "0.08.1", "0.1"],
  ])("throws on %s", (_name, filledMinor, clearingPrice, referencePrice) => {
    expect(() => exitMargin({ filledMinor, clearingPrice, referencePrice })).toThrow(InvariantError);
  });

  it("is the exact discount value rounded down to the USDC minor unit", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 14n }),
        fc.integer({ min: 0, max: 10 ** 7 }),
        fc.integer({ min: 1, max: 10 ** 7 }),
        (filledMinor, clearingMicro, referenceMicro) => {
          const clearingPrice = new Dec(clearingMicro).div(1e6).toFixed();
          const referencePrice = new Dec(referenceMicro).div(1e6).toFixed();
          const margin = exitMargin({ filledMinor, clearingPrice, referencePrice });
          const exactUsdcMinor = new Dec(filledMinor.toString())
            .div(1e7)
            .mul(new Dec(referencePrice).minus(clearingPrice))
            .mul(1e6);
          const expected = exactUsdcMinor.lte(0) ? 0n : BigInt(exactUsdcMinor.floor().toFixed());
          expect(margin).toBe(expected);
        },
      ),
    );
  });
});

describe("distributeMargin", () => {
  const position = (id: string, valueMinor: bigint, daysAgo: number): WeightedPosition => ({
    id,
    valueMinor,
    contributedAtMs: atMs - daysAgo * dayMs,
  });

  it("splits by value when contributions are equally old (1 : 3)", () => {
    const result = distributeMargin({
      marginMinor: 100n,
      positions: [position("A", 1000n, 5), position("B", 3000n, 5)],
      atMs,
    });
    expect(result).toEqual({
      credits: [
        { id: "A", creditMinor: 25n },
        { id: "B", creditMinor: 75n },
      ],
      distributedMinor: 100n,
      undistributedMinor: 0n,
    });
  });

  it("weights by time in the pool: 30 days vs 10 days of equal value is 3 : 1", () => {
    const result = distributeMargin({
      marginMinor: usdc(1),
      positions: [position("early", 1000n, 30), position("late", 1000n, 10)],
      atMs,
    });
    expect(result.credits.map((credit) => credit.creditMinor)).toEqual([750_000n, 250_000n]);
    const byValue = distributeMargin({
      marginMinor: usdc(1),
      positions: [position("early", 1000n, 30), position("late", 1000n, 10)],
      atMs,
      rule: "valueOnly",
    });
    expect(byValue.credits.map((credit) => credit.creditMinor)).toEqual([500_000n, 500_000n]);
  });

  it("gives the rounding remainder to the largest weight, the first one on ties", () => {
    const result = distributeMargin({
      marginMinor: 10n,
      positions: [position("A", 7n, 1), position("B", 7n, 1), position("C", 7n, 1)],
      atMs,
    });
    expect(result.credits.map((credit) => credit.creditMinor)).toEqual([4n, 3n, 3n]);
    const larger = distributeMargin({
      marginMinor: 10n,
      positions: [position("A", 1n, 1), position("B", 1n, 1), position("C", 2n, 1)],
      atMs,
    });
    expect(larger.credits.map((credit) => credit.creditMinor)).toEqual([2n, 2n, 6n]);
  });

  it("gives nothing to positions with zero weight (contributed now, or emptied)", () => {
    const result = distributeMargin({
      marginMinor: 9n,
      positions: [position("now", 1000n, 0), position("empty", 0n, 10), position("old", 1n, 10)],
      atMs,
    });
    expect(result.credits.map((credit) => credit.creditMinor)).toEqual([0n, 0n, 9n]);
  });

  it("reports the whole margin undistributed when no position remains", () => {
    expect(distributeMargin({ marginMinor: 42n, positions: [], atMs })).toEqual({
      credits: [],
      distributedMinor: 0n,
      undistributedMinor: 42n,
    });
    const onlyNew = distributeMargin({ marginMinor: 42n, positions: [position("new", 5n, 0)], atMs });
    expect(onlyNew.credits).toEqual([{ id: "new", creditMinor: 0n }]);
    expect(onlyNew.undistributedMinor).toBe(42n);
  });

  it("throws on a negative margin", () => {
    expect(() => distributeMargin({ marginMinor: -1n, positions: [], atMs })).toThrow(InvariantError);
  });

  it("always distributes exactly the margin created, zero weights get zero, each credit near its exact share", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 12n }),
        fc.array(
          fc.record({
            valueMinor: fc.bigInt({ min: 0n, max: 10n ** 12n }),
            ageMs: fc.integer({ min: -dayMs, max: 400 * dayMs }),
          }),
          { maxLength: 30 },
        ),
        fc.constantFrom("valueTimesTime" as const, "valueOnly" as const),
        (marginMinor, rows, rule) => {
          const positions = rows.map((row, index) => ({
            id: `pos_${index}`,
            valueMinor: row.valueMinor,
            contributedAtMs: atMs - row.ageMs,
          }));
          const result = distributeMargin({ marginMinor, positions, atMs, rule });
          const creditSum = result.credits.reduce((sum, credit) => sum + credit.creditMinor, 0n);
          expect(creditSum).toBe(result.distributedMinor);
          expect(result.distributedMinor + result.undistributedMinor).toBe(marginMinor);
          const weightList = weights(positions, atMs, rule);
          const weightTotal = weightList.reduce((sum, weight) => sum + weight, 0n);
          if (weightTotal === 0n) expect(result.undistributedMinor).toBe(marginMinor);
          else expect(result.undistributedMinor).toBe(0n);
          result.credits.forEach((credit, index) => {
            const weight = weightList[index]!;
            if (weight === 0n) {
              expect(credit.creditMinor).toBe(0n);
              return;
            }
            const floorShare = (marginMinor * weight) / weightTotal;
            expect(credit.creditMinor >= floorShare).toBe(true);
            expect(credit.creditMinor - floorShare < BigInt(positions.length)).toBe(true);
          });
        },
      ),
    );
  });
});

describe("margin end to end: §8.7 round, reference 0.10", () => {
  it("the margin of the discounted exits reaches the positions that stay, to the minor unit", () => {
    const positions: Position[] = [
      { id: "P", amountMinor: tfp(300), valueMinor: 300_000n, contributedAtMs: atMs - 40 * dayMs },
      { id: "R", amountMinor: tfp(500), valueMinor: 500_000n, contributedAtMs: atMs - 20 * dayMs },
      { id: "T", amountMinor: tfp(400), valueMinor: 400_000n, contributedAtMs: atMs - 10 * dayMs },
    ];
    const round = clearRound({
      bids: [
        { id: "P", amountMinor: tfp(300), minPrice: "0.07", submitSeq: 1 },
        { id: "R", amountMinor: tfp(500), minPrice: "0.08", submitSeq: 2 },
      ],
      capMinor: tfp(600),
      priceCeiling: "0.08",
    });
    expect(round.clearingPrice).toBe("0.08");
    const margin = exitMargin({
      filledMinor: round.filledMinor,
      clearingPrice: round.clearingPrice,
      referencePrice: "0.1",
    });
    expect(margin).toBe(usdc(12)); // 600 TFP × 0.02 USDC
    const remaining = positions.map((held) => {
      const fill = round.fills.find((candidate) => candidate.id === held.id);
      return reducePosition(held, fill?.acceptedMinor ?? 0n);
    });
    // P left entirely; R keeps 200 of 500 TFP (value 200,000) for 20 days; T keeps 400,000 for 10 days.
    expect(remaining.map((held) => held.valueMinor)).toEqual([0n, 200_000n, 400_000n]);
    const distribution = distributeMargin({ marginMinor: margin, positions: remaining, atMs });
    expect(distribution.credits.map((credit) => credit.creditMinor)).toEqual([0n, usdc(6), usdc(6)]);
    expect(distribution.distributedMinor).toBe(margin);
  });
});
