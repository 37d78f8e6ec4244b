/**
 * The exit margin (ECONOMICS §8.6, §20 Q6) and its distribution to the positions that stay.
 *
 * Exiting LPs sell TFP to the pool at the clearing price, below the reference (market) price. The
 * pool thus keeps `Σ accepted × (reference − clearing)` of value: that discount versus the market
 * is the margin, and it belongs to the remaining positions by share (§9.2). The winners' own
 * surplus (clearing − their min price) stays with them (§20 Q6).
 *
 * Unit decision: the margin is measured in USDC minor units (scale 6), the pool's paired asset,
 * rounded DOWN, so no more is ever credited than the discount created. The spec's formula in the
 * auction unit (TFP) is this value divided by the reference price.
 */

import { invariant } from "../../../kit/errors";
import { allocate, convertAmount, Dec } from "../../../ledger/core/money";
import { largestWeightIndex, type PositionWeightRule, type WeightedPosition, weights } from "../shares";
import { isValidPrice } from "./clearing";

/** Input of `exitMargin`. */
export type ExitMarginInput = {
  /** TFP minor units accepted in the round (`clearRound(...).filledMinor`), ≥ 0. */
  readonly filledMinor: bigint;
  /** The round's clearing price, USDC per TFP; `null` when nothing cleared (then filled must be 0). */
  readonly clearingPrice: string | null;
  /** Reference (market) price at close, USDC per TFP, a positive decimal string of any precision. */
  readonly referencePrice: string;
};

/**
 * The margin left in the pool by a round's discounted exits, in USDC minor units:
 * `filledMinor × (referencePrice − clearingPrice)` converted from TFP to USDC, rounded DOWN.
 * Since every accepted bid is paid the same clearing price, this equals the per-bid sum
 * `Σ accepted_i × (reference − clearing)` computed exactly and rounded once.
 * A round with nothing cleared, or cleared at or above the reference price (possible only with
 * the discount rule disabled), creates no margin: 0. Not included: the sub-minor-unit dust the
 * payouts' own rounding leaves in the pool (< 1 USDC minor unit per accepted bid).
 */
export function exitMargin(input: ExitMarginInput): bigint {
  const { filledMinor, clearingPrice, referencePrice } = input;
  invariant(filledMinor >= 0n, "exitMargin: filled amount must not be negative");
  let reference: Dec;
  try {
    reference = new Dec(referencePrice);
  } catch {
    invariant(false, "exitMargin: reference price must be a decimal string");
  }
  invariant(reference.isFinite() && reference.gt(0), "exitMargin: reference price must be positive");
  if (clearingPrice === null) {
    invariant(filledMinor === 0n, "exitMargin: a round without clearing price filled nothing");
    return 0n;
  }
  invariant(isValidPrice(clearingPrice), "exitMargin: invalid clearing price");
  const discount = reference.minus(new Dec(clearingPrice));
  if (discount.lte(0) || filledMinor === 0n) return 0n;
  return convertAmount("TFP", filledMinor, "USDC", discount, "down");
}

/** One remaining position's credit from the margin. */
export type MarginCredit = {
  readonly id: string;
  /** USDC minor units credited to the position. */
  readonly creditMinor: bigint;
};

/** Result of `distributeMargin`; `distributedMinor + undistributedMinor = marginMinor`. */
export type MarginDistribution = {
  /** One entry per position, in input order (zero-weight positions get 0). */
  readonly credits: readonly MarginCredit[];
  /** USDC minor units credited to positions: the sum of `creditMinor`. */
  readonly distributedMinor: bigint;
  /** USDC minor units with no position to receive them (every weight 0): for the treasury. */
  readonly undistributedMinor: bigint;
};

/** Input of `distributeMargin`. */
export type DistributeMarginInput = {
  /** USDC minor units to distribute (`exitMargin(...)`), ≥ 0. */
  readonly marginMinor: bigint;
  /** The positions that remain in the pool after the round's exits (see `reducePosition`). */
  readonly positions: readonly WeightedPosition[];
  /** Distribution time, epoch ms: the weights are taken at this instant. */
  readonly atMs: number;
  /** Weight rule (default `valueTimesTime`, §9.2). */
  readonly rule?: PositionWeightRule;
};

/**
 * Splits `marginMinor` among the remaining positions by share (§8.6 with §9.2 weights at `atMs`).
 * Split with `allocate`: each credit is `margin × weight / Σ weight` rounded down, and the
 * minor units left by rounding (fewer than the number of positions) go to the position with the
 * largest weight, the first one in input order on ties. Credits sum exactly to the margin.
 * Positions with zero weight get zero. With no positions or only zero weights, nothing is
 * credited and the whole margin is reported as `undistributedMinor` for the treasury.
 */
export function distributeMargin(input: DistributeMarginInput): MarginDistribution {
  const { marginMinor, positions, atMs } = input;
  invariant(marginMinor >= 0n, "distributeMargin: margin must not be negative");
  const weightList = weights(positions, atMs, input.rule ?? "valueTimesTime");
  const target = largestWeightIndex(weightList);
  if (target < 0) {
    return {
      credits: positions.map((position) => ({ id: position.id, creditMinor: 0n })),
      distributedMinor: 0n,
      undistributedMinor: marginMinor,
    };
  }
  const parts = allocate(marginMinor, weightList, target);
  const credits = positions.map((position, index) => ({ id: position.id, creditMinor: parts[index]! }));
  const distributed = parts.reduce((sum, part) => sum + part, 0n);
  invariant(distributed === marginMinor, "distributeMargin: credits must sum to the margin");
  return { credits, distributedMinor: distributed, undistributedMinor: 0n };
}
