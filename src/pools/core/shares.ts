/**
 * Position-based, time-weighted pool shares (ECONOMICS §9.2, §20 Q14).
 *
 * A position is a permanent record of one contribution: its value at contribution time (frozen,
 * in the pool's value unit, e.g. CC or USD minor units) and when it was made. No LP tokens: a
 * position's share is its weight over the sum of all weights at distribution time, where the
 * weight is value × whole seconds in the pool (or value alone, as an alternative rule).
 */

import { invariant } from "../../kit/errors";
import { allocate, amountMinorMax, Dec, mulDiv } from "../../ledger/core/money";

/** Most positions one pool may hold. */
export const positionsPerPoolMax = 1_000_000;
/** Longest position id, in UTF-16 code units. */
export const positionIdCharsMax = 128;
/** Decimals of a share string: shares are handed out in units of 10^-18. */
export const shareDecimals = 18;

const millisecondsPerSecond = 1000;
const shareUnitTotal = 10n ** BigInt(shareDecimals);

/** `valueTimesTime`: value × whole seconds in the pool (§9.2, default); `valueOnly`: value alone. */
export type PositionWeightRule = "valueTimesTime" | "valueOnly";

/** What a weight needs: the frozen value and the contribution time. */
export type WeightedPosition = {
  /** Unique id within the pool (non-empty, at most `positionIdCharsMax` chars). */
  readonly id: string;
  /** Value at contribution, minor units of the pool's value unit, 0 ≤ value ≤ `amountMinorMax`. */
  readonly valueMinor: bigint;
  /** Contribution time, Unix epoch milliseconds (safe integer ≥ 0). */
  readonly contributedAtMs: number;
};

/** A full position: also the contributed amount, which partial exits reduce (`reducePosition`). */
export type Position = WeightedPosition & {
  /** Contributed amount still in the pool, minor units of the contributed token, 0 ≤ amount ≤ `amountMinorMax`. */
  readonly amountMinor: bigint;
};

/** One position's weight and share. */
export type PositionShare = {
  readonly id: string;
  /** `valueMinor × seconds` (or `valueMinor`), an exact integer. */
  readonly weight: bigint;
  /** Decimal string, at most `shareDecimals` decimals, no trailing zeros ("0.25", "1", "0"). */
  readonly share: string;
};

function assertTime(ms: number, name: string): void {
  invariant(Number.isSafeInteger(ms) && ms >= 0, `${name} must be a safe integer of milliseconds ≥ 0`);
}

/**
 * Weights of `positions` at time `atMs` (epoch ms), one per position in input order:
 * - `valueTimesTime`: `valueMinor × floor((atMs − contributedAtMs) / 1000)`, the whole seconds in
 *   the pool rounded down;
 * - `valueOnly`: `valueMinor`.
 * A position contributed at `atMs` or later weighs 0 under both rules (it is not in the pool yet).
 * Weights are exact bigints ≥ 0. Asserts at most `positionsPerPoolMax` positions, valid ids,
 * values and times.
 */
export function weights(
  positions: readonly WeightedPosition[],
  atMs: number,
  rule: PositionWeightRule = "valueTimesTime",
): bigint[] {
  invariant(positions.length <= positionsPerPoolMax, "weights: more positions than positionsPerPoolMax");
  assertTime(atMs, "weights: atMs");
  return positions.map((position) => {
    invariant(
      position.id.length > 0 && position.id.length <= positionIdCharsMax,
      "weights: position id must be non-empty and bounded",
    );
    invariant(
      position.valueMinor >= 0n && position.valueMinor <= amountMinorMax,
      `weights: position ${position.id} value out of range`,
    );
    assertTime(position.contributedAtMs, `weights: position ${position.id} contributedAtMs`);
    if (position.contributedAtMs >= atMs) return 0n;
    if (rule === "valueOnly") return position.valueMinor;
    const seconds = Math.floor((atMs - position.contributedAtMs) / millisecondsPerSecond);
    return position.valueMinor * BigInt(seconds);
  });
}

/** Index of the largest weight, the first one on ties; -1 when every weight is zero. */
export function largestWeightIndex(weightList: readonly bigint[]): number {
  let best = -1;
  let bestWeight = 0n;
  weightList.forEach((weight, index) => {
    if (weight > bestWeight) {
      best = index;
      bestWeight = weight;
    }
  });
  return best;
}

/**
 * Shares of `positions` at `atMs`: `weight_i / Σ weight`, as decimal strings that sum to exactly 1.
 * The 10^18 share units are split with `allocate`: each share rounded down to `shareDecimals`
 * decimals, the units left by rounding (fewer than the number of positions) to the position with
 * the largest weight (the first one on ties). When every weight is zero (no positions in the pool yet), every share is "0".
 */
export function shares(
  positions: readonly WeightedPosition[],
  atMs: number,
  rule: PositionWeightRule = "valueTimesTime",
): PositionShare[] {
  const weightList = weights(positions, atMs, rule);
  const target = largestWeightIndex(weightList);
  if (target < 0) return positions.map((position) => ({ id: position.id, weight: 0n, share: "0" }));
  const units = allocate(shareUnitTotal, weightList, target);
  return positions.map((position, index) => ({
    id: position.id,
    weight: weightList[index]!,
    share: new Dec(units[index]!.toString()).div(new Dec(10).pow(shareDecimals)).toFixed(),
  }));
}

/**
 * A position after `exitedMinor` of its amount left the pool (§9.2): the amount drops by
 * `exitedMinor`, the value drops proportionally, `value × remaining / amount` rounded DOWN (the
 * position never keeps more value than its remaining part is worth), and the contribution time is
 * kept. Exiting everything leaves amount and value 0. Asserts 0 ≤ exitedMinor ≤ amountMinor.
 */
export function reducePosition(position: Position, exitedMinor: bigint): Position {
  const { amountMinor, valueMinor } = position;
  invariant(amountMinor >= 0n && amountMinor <= amountMinorMax, "reducePosition: amount out of range");
  invariant(valueMinor >= 0n && valueMinor <= amountMinorMax, "reducePosition: value out of range");
  invariant(
    exitedMinor >= 0n && exitedMinor <= amountMinor,
    "reducePosition: exit must be within [0, amount]",
  );
  if (exitedMinor === 0n) return position;
  const remaining = amountMinor - exitedMinor;
  const value = mulDiv(valueMinor, remaining, amountMinor, "down");
  return { ...position, amountMinor: remaining, valueMinor: value };
}
