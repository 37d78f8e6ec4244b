/**
 * Money: integer amounts in an asset's minor unit, decimal rates, named rounding.
 *
 * Every amount that is stored or moved is a `bigint` count of the asset's minor unit
 * (1 CC = 1_000_000 minor units). Rates and prices are `Decimal`s from the project-local
 * `Dec` clone. Converting a decimal to minor units always names its rounding direction,
 * and splitting an amount hands out the remainder by a written rule so that the parts
 * always sum exactly to the whole.
 */

import Decimal from "decimal.js";
import { invariant } from "../../kit/errors";

/** Decimal arithmetic for rates and prices: 60 significant digits, no exponent notation in strings. */
export const Dec = Decimal.clone({
  precision: 60,
  rounding: Decimal.ROUND_HALF_EVEN,
  toExpNeg: -60,
  toExpPos: 60,
});
export type Dec = InstanceType<typeof Dec>;

/** The assets the ledger knows, with the number of decimal places of their minor unit. */
export const assets = {
  CC: { code: "CC", scale: 6, name: "Cloud Credit (1 mg of gold)" },
  TFT: { code: "TFT", scale: 7, name: "ThreeFold Token" },
  TFP: { code: "TFP", scale: 7, name: "ThreeFold Point" },
  USDC: { code: "USDC", scale: 6, name: "USD Coin" },
  USD: { code: "USD", scale: 2, name: "US dollar" },
} as const;

export type AssetCode = keyof typeof assets;
export const assetCodes = Object.keys(assets) as AssetCode[];

/** Largest amount of any asset, in minor units: the SQLite INTEGER maximum. */
export const amountMinorMax = 2n ** 63n - 1n;

/** Named rounding directions. `down`/`up` are toward/away from zero; `floor`/`ceil` toward −∞/+∞. */
export type Rounding = "down" | "up" | "floor" | "ceil" | "halfEven" | "halfUp";

const decimalRounding: Record<Rounding, Decimal.Rounding> = {
  down: Decimal.ROUND_DOWN,
  up: Decimal.ROUND_UP,
  floor: Decimal.ROUND_FLOOR,
  ceil: Decimal.ROUND_CEIL,
  halfEven: Decimal.ROUND_HALF_EVEN,
  halfUp: Decimal.ROUND_HALF_UP,
};

/** The scale (decimal places) of an asset's minor unit. */
export function scaleOf(asset: AssetCode): number {
  return assets[asset].scale;
}

const amountPattern = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;

/** Outcome of parsing a decimal string into minor units. */
export type ParseAmountResult =
  | { ok: true; minor: bigint }
  | { ok: false; reason: "format" | "precision" | "range" };

/**
 * Parses a decimal string (e.g. "12.5") into minor units of `asset` without rounding.
 * Fails with `precision` when the string has more decimals than the asset's scale,
 * `format` when it is not a plain decimal, `range` when it exceeds `amountMinorMax`.
 */
export function parseAmount(asset: AssetCode, text: string): ParseAmountResult {
  if (!amountPattern.test(text)) return { ok: false, reason: "format" };
  const negative = text.startsWith("-");
  const body = negative ? text.slice(1) : text;
  const [whole = "0", fraction = ""] = body.split(".");
  const scale = scaleOf(asset);
  if (fraction.length > scale) return { ok: false, reason: "precision" };
  const minor = BigInt(whole + fraction.padEnd(scale, "0"));
  if (minor > amountMinorMax) return { ok: false, reason: "range" };
  return { ok: true, minor: negative ? -minor : minor };
}

/** Formats minor units as a fixed decimal string with exactly the asset's scale ("1.500000"). */
export function formatAmount(asset: AssetCode, minor: bigint): string {
  const scale = scaleOf(asset);
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(scale + 1, "0");
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale);
  const text = scale === 0 ? whole : `${whole}.${fraction}`;
  return negative ? `-${text}` : text;
}

/** The exact decimal value of an amount in minor units. */
export function toDecimal(asset: AssetCode, minor: bigint): Dec {
  return new Dec(minor.toString()).div(new Dec(10).pow(scaleOf(asset)));
}

/** Converts a decimal quantity of `asset` to minor units, rounding in the named direction. */
export function toMinor(asset: AssetCode, value: Decimal.Value, rounding: Rounding): bigint {
  const scaled = new Dec(value).mul(new Dec(10).pow(scaleOf(asset)));
  return BigInt(scaled.toDecimalPlaces(0, decimalRounding[rounding]).toFixed(0));
}

/** Rounds a decimal to `places` decimals in the named direction. */
export function roundDecimal(value: Decimal.Value, places: number, rounding: Rounding): Dec {
  return new Dec(value).toDecimalPlaces(places, decimalRounding[rounding]);
}

/** An exact non-negative rate `numerator / denominator` (denominator > 0): units of one asset per unit of another. */
export type Rate = { readonly numerator: bigint; readonly denominator: bigint };

/** A finite decimal (string, number or Decimal) as an exact rate. */
export function rateOf(value: Decimal.Value, name = "rate"): Rate {
  const decimal = new Dec(value);
  invariant(decimal.isFinite() && !decimal.isNegative(), () => `${name} must be a finite decimal ≥ 0`);
  const places = decimal.decimalPlaces();
  return {
    numerator: BigInt(decimal.mul(new Dec(10).pow(places)).toFixed(0)),
    denominator: 10n ** BigInt(places),
  };
}

/** The product of two rates (chaining conversions: TFP → TFT → CC). */
export function rateTimes(left: Rate, right: Rate): Rate {
  return { numerator: left.numerator * right.numerator, denominator: left.denominator * right.denominator };
}

/** The inverse of a positive rate. */
export function rateInverse(rate: Rate): Rate {
  invariant(rate.numerator > 0n, "cannot invert a zero rate");
  return { numerator: rate.denominator, denominator: rate.numerator };
}

/** Negative, zero or positive as `left` is below, equal to or above `right`. */
export function rateCompare(left: Rate, right: Rate): number {
  const difference = left.numerator * right.denominator - right.numerator * left.denominator;
  return difference < 0n ? -1 : difference > 0n ? 1 : 0;
}

/**
 * The service's one currency conversion: `minor` units of `from` at `rate` (units of `to` per unit
 * of `from`, exact or a decimal), in minor units of `to`, computed exactly and rounded once in the
 * named direction. Every cross-asset conversion goes through it, so the scale difference between
 * assets is handled in one place.
 */
export function convertAmount(
  from: AssetCode,
  minor: bigint,
  to: AssetCode,
  rate: Rate | Decimal.Value,
  rounding: Rounding,
): bigint {
  const exact = typeof rate === "object" && "numerator" in rate ? rate : rateOf(rate);
  const scaleFrom = 10n ** BigInt(scaleOf(from));
  const scaleTo = 10n ** BigInt(scaleOf(to));
  return mulDiv(minor, exact.numerator * scaleTo, exact.denominator * scaleFrom, rounding);
}

/** Integer `a × numerator / denominator`, rounded in the named direction. Denominator must be positive. */
export function mulDiv(a: bigint, numerator: bigint, denominator: bigint, rounding: Rounding): bigint {
  invariant(denominator > 0n, "mulDiv: denominator must be positive");
  const product = a * numerator;
  const quotient = product / denominator; // truncates toward zero
  const remainder = product % denominator;
  if (remainder === 0n) return quotient;
  const positive = product > 0n;
  const awayFromZero = positive ? quotient + 1n : quotient - 1n;
  switch (rounding) {
    case "down":
      return quotient;
    case "up":
      return awayFromZero;
    case "floor":
      return positive ? quotient : awayFromZero;
    case "ceil":
      return positive ? awayFromZero : quotient;
    case "halfUp":
    case "halfEven": {
      const twice = (remainder < 0n ? -remainder : remainder) * 2n;
      if (twice > denominator) return awayFromZero;
      if (twice < denominator) return quotient;
      if (rounding === "halfUp") return awayFromZero;
      return quotient % 2n === 0n ? quotient : awayFromZero;
    }
  }
}

/**
 * Splits `total` (minor units, ≥ 0) into parts proportional to `weights` (integers ≥ 0,
 * at least one positive). Each part is first rounded down; the remainder left by rounding
 * goes one minor unit at a time to the part at `remainderIndex` (default: the last part).
 * The parts always sum exactly to `total`.
 */
export function allocate(total: bigint, weights: readonly bigint[], remainderIndex?: number): bigint[] {
  invariant(total >= 0n, "allocate: total must not be negative");
  invariant(weights.length > 0, "allocate: at least one weight");
  invariant(
    weights.every((weight) => weight >= 0n),
    "allocate: weights must not be negative",
  );
  const weightTotal = weights.reduce((sum, weight) => sum + weight, 0n);
  invariant(weightTotal > 0n, "allocate: at least one weight must be positive");
  const target = remainderIndex ?? weights.length - 1;
  invariant(target >= 0 && target < weights.length, "allocate: remainder index out of range");
  const parts = weights.map((weight) => (total * weight) / weightTotal);
  const remainder = total - parts.reduce((sum, part) => sum + part, 0n);
  parts[target] = (parts[target] ?? 0n) + remainder;
  invariant(parts.reduce((sum, part) => sum + part, 0n) === total, "allocate: parts must sum to the total");
  return parts;
}

/**
 * Converts decimal ratio strings (e.g. ["0.8", "0.1", "0.1"]) to integer weights with a common
 * denominator, for `allocate`. Ratios must be non-negative decimals.
 */
export function ratioWeights(ratios: readonly Decimal.Value[]): bigint[] {
  const decimals = ratios.map((ratio) => new Dec(ratio));
  invariant(
    decimals.every((ratio) => ratio.isFinite() && !ratio.isNegative()),
    "ratioWeights: ratios must be non-negative",
  );
  const places = Math.max(0, ...decimals.map((ratio) => ratio.decimalPlaces()));
  const factor = new Dec(10).pow(places);
  return decimals.map((ratio) => BigInt(ratio.mul(factor).toFixed(0)));
}
