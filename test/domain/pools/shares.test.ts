// Proves the position shares of ECONOMICS §9.2: weight = frozen value × whole seconds in the pool, shares that sum to exactly 1, and partial exits that shrink value proportionally while keeping the contribution time.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvariantError } from "../../../src/kit/errors";
import { Dec } from "../../../src/ledger/core/money";
import {
  type Position,
  positionsPerPoolMax,
  reducePosition,
  shares,
  type WeightedPosition,
  weights,
} from "../../../src/pools/core/shares";

const atMs = Date.UTC(2026, 0, 1);

describe("weights", () => {
  it.each<[string, bigint, number, bigint, bigint]>([
    ["10 s in the pool", 1000n, 10_000, 10_000n, 1000n],
    ["1.5 s counts as 1 whole second", 1000n, 1500, 1000n, 1000n],
    ["0.999 s counts as 0 seconds, but is in the pool by value", 1000n, 999, 0n, 1000n],
    ["contributed at atMs: not in the pool yet", 1000n, 0, 0n, 0n],
    ["contributed after atMs", 1000n, -5000, 0n, 0n],
    ["zero value", 0n, 10_000, 0n, 0n],
    ["one year of a large position", 10n ** 15n, 365 * 86_400_000, 10n ** 15n * 31_536_000n, 10n ** 15n],
  ])("%s", (_name, valueMinor, ageMs, byTime, byValue) => {
    const positions = [{ id: "pos_1", valueMinor, contributedAtMs: atMs - ageMs }];
    expect(weights(positions, atMs)).toEqual([byTime]);
    expect(weights(positions, atMs, "valueOnly")).toEqual([byValue]);
  });

  it.each<[string, WeightedPosition[], number]>([
    ["a negative value", [{ id: "a", valueMinor: -1n, contributedAtMs: 0 }], atMs],
    ["a fractional time", [{ id: "a", valueMinor: 1n, contributedAtMs: 0.5 }], atMs],
    ["a negative atMs", [], -1],
    ["an empty id", [{ id: "", valueMinor: 1n, contributedAtMs: 0 }], atMs],
    [
      "more than positionsPerPoolMax positions",
      new Array<WeightedPosition>(positionsPerPoolMax + 1).fill({
        id: "a",
        valueMinor: 1n,
        contributedAtMs: 0,
      }),
      atMs,
    ],
  ])("throws on %s", (_name, positions, at) => {
    expect(() => weights(positions, at)).toThrow(InvariantError);
  });
});

describe("shares", () => {
  const held = (id: string, valueMinor: bigint, ageMs: number): WeightedPosition => ({
    id,
    valueMinor,
    contributedAtMs: atMs - ageMs,
  });

  it("splits 1 : 3 into 0.25 and 0.75", () => {
    expect(shares([held("a", 1n, 4000), held("b", 3n, 4000)], atMs)).toEqual([
      { id: "a", weight: 4n, share: "0.25" },
      { id: "b", weight: 12n, share: "0.75" },
    ]);
  });

  it("an earlier contribution of equal value weighs more: 30 s vs 10 s is 0.75 : 0.25", () => {
    const result = shares([held("early", 5n, 30_000), held("late", 5n, 10_000)], atMs);
    expect(result.map((entry) => entry.share)).toEqual(["0.75", "0.25"]);
  });

  it("thirds round down to 18 decimals, the largest (first on ties) takes the remainder", () => {
    const result = shares([held("a", 1n, 1000), held("b", 1n, 1000), held("c", 1n, 1000)], atMs);
    expect(result.map((entry) => entry.share)).toEqual([
      "0.333333333333333334",
      "0.333333333333333333",
      "0.333333333333333333",
    ]);
  });

  it("a single position holds everything; no weighted position means all zero", () => {
    expect(shares([held("only", 7n, 1000)], atMs)[0]?.share).toBe("1");
    expect(shares([held("new", 7n, 0), held("empty", 0n, 1000)], atMs)).toEqual([
      { id: "new", weight: 0n, share: "0" },
      { id: "empty", weight: 0n, share: "0" },
    ]);
    expect(shares([], atMs)).toEqual([]);
  });

  it("sum to exactly 1 (or are all zero) and stay within 10^-18 × n of the exact ratio", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            valueMinor: fc.bigInt({ min: 0n, max: 10n ** 15n }),
            ageMs: fc.integer({ min: -1000, max: 10 * 365 * 86_400_000 }),
          }),
          { maxLength: 25 },
        ),
        fc.constantFrom("valueTimesTime" as const, "valueOnly" as const),
        (rows, rule) => {
          const positions = rows.map((row, index) => held(`pos_${index}`, row.valueMinor, row.ageMs));
          const result = shares(positions, atMs, rule);
          const total = result.reduce((sum, entry) => sum + entry.weight, 0n);
          const shareSum = result.reduce((sum, entry) => sum.plus(entry.share), new Dec(0));
          if (total === 0n) {
            expect(result.every((entry) => entry.share === "0")).toBe(true);
            return;
          }
          expect(shareSum.eq(1)).toBe(true);
          const tolerance = new Dec(positions.length).mul("1e-18");
          for (const entry of result) {
            const exact = new Dec(entry.weight.toString()).div(total.toString());
            expect(new Dec(entry.share).minus(exact).abs().lte(tolerance)).toBe(true);
            if (entry.weight === 0n) expect(entry.share).toBe("0");
          }
        },
      ),
    );
  });
});

describe("reducePosition", () => {
  const position: Position = {
    id: "pos_1",
    amountMinor: 1000n,
    valueMinor: 500n,
    contributedAtMs: 1_700_000_000_000,
  };

  it.each<[string, bigint, bigint, bigint]>([
    ["a quarter exits: value 500 → 375", 250n, 750n, 375n],
    ["nothing exits", 0n, 1000n, 500n],
    ["everything exits", 1000n, 0n, 0n],
    ["one minor unit exits: 500 × 999 / 1000 = 499.5 → 499 (down)", 1n, 999n, 499n],
  ])("%s", (_name, exitedMinor, amountMinor, valueMinor) => {
    expect(reducePosition(position, exitedMinor)).toEqual({ ...position, amountMinor, valueMinor });
  });

  it.each([
    ["more than the amount", 1001n],
    ["a negative exit", -1n],
  ])("throws on %s", (_name, exitedMinor) => {
    expect(() => reducePosition(position, exitedMinor)).toThrow(InvariantError);
  });

  it("keeps the time and shrinks the value proportionally, rounded down", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 15n }),
        fc.bigInt({ min: 0n, max: 10n ** 15n }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (amountMinor, valueMinor, fraction) => {
          const exitedMinor = BigInt(Math.floor(Number(amountMinor) * fraction));
          const start: Position = { id: "p", amountMinor, valueMinor, contributedAtMs: 1000 };
          const after = reducePosition(start, exitedMinor > amountMinor ? amountMinor : exitedMinor);
          const remaining = after.amountMinor;
          expect(after.contributedAtMs).toBe(1000);
          expect(after.id).toBe("p");
          // value' = floor(value × remaining / amount)
          expect(after.valueMinor * amountMinor <= valueMinor * remaining).toBe(true);
          expect((after.valueMinor + 1n) * amountMinor > valueMinor * remaining).toBe(true);
        },
      ),
    );
  });
});
