/**
 * Exact lease prices and the cumulative charge (ECONOMICS §10.2, §12.3, §16).
 *
 * A monthly price is not a terminating decimal per hour: a bid package's 1.2 CC per slice-month
 * is 0.001666… CC per slice-hour. Rounded to 12 decimals (0.001666666666) and charged hour by
 * hour, a month came to 1.199999 CC, or 1.19952 CC with each hour rounded down on its own. So a
 * lease keeps its price exact, as a fraction of two plain decimals, `numerator/denominator` CC
 * per slice-hour (`1.2/720`: 1.2 CC per 720 slice-hours; `10/36`: 10 USD per slice-month at
 * 0.05 USD per CC). A plain decimal is the fraction over 1.
 *
 * The charge is cumulative. For R milliseconds of running time counted from the lease's start,
 * C(R) = floor(price × slices × R / 1 h), in CC minor units (rounded DOWN, the README's and
 * ECONOMICS' direction for charges), and a settlement period charges C(R_after) − C(R_before).
 * Both terms use the same rule, so any run of periods sums to exactly C(R_end) − C(R_start):
 * 720 running hours at 1.2/720 charge exactly 1.2 CC. Every prefix of a lease's charges is at
 * most the exact price and less than one minor unit below it; a single period charges the floor
 * or the ceiling of its own exact price, never less than 0.
 */

import { hourMs } from "../../../kit/clock";
import { invariant } from "../../../kit/errors";
import { scaleOf } from "../../../ledger/core/money";

/** Milliseconds in one hour: prices are per slice-hour. */
/** Most characters of each side of an exact price's fraction. */
export const exactPricePartCharsMax = 64;
/** Most characters of an exact price's text (`numerator/denominator`). */
export const exactPriceCharsMax = 2 * exactPricePartCharsMax + 1;
/** Decimals of the rounded price the book orders claims by (model.ts `priceDecimalsMax`). */
const floorPriceDecimals = 12;

const plainDecimalPattern = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/;

/** A price as an exact fraction of integers: `numerator / denominator` CC per slice-hour. */
export type ExactPrice = { readonly numerator: bigint; readonly denominator: bigint };

/** A plain non-negative decimal as an integer over a power of ten; undefined when malformed. */
function decimalFraction(text: string): ExactPrice | undefined {
  if (text.length > exactPricePartCharsMax || !plainDecimalPattern.test(text)) return undefined;
  const [whole = "0", fraction = ""] = text.split(".");
  return { numerator: BigInt(whole + fraction), denominator: 10n ** BigInt(fraction.length) };
}

/**
 * Parses an exact price text: a plain non-negative decimal (`0.0025`) or a fraction of two of
 * them with a positive denominator (`1.2/720`), each side at most `exactPricePartCharsMax`
 * characters. Undefined when the text is anything else.
 */
export function parseExactPrice(text: string): ExactPrice | undefined {
  if (text.length > exactPriceCharsMax) return undefined;
  const slash = text.indexOf("/");
  if (slash < 0) return decimalFraction(text);
  const top = decimalFraction(text.slice(0, slash));
  const bottom = decimalFraction(text.slice(slash + 1));
  if (top === undefined || bottom === undefined || bottom.numerator === 0n) return undefined;
  return {
    numerator: top.numerator * bottom.denominator,
    denominator: top.denominator * bottom.numerator,
  };
}

/**
 * The text of the exact price `numerator / denominator` (plain decimals; the denominator
 * positive): just the numerator when the denominator is 1. Undefined when either side is not a
 * plain decimal of at most `exactPricePartCharsMax` characters, or the denominator is 0.
 */
export function exactPriceText(numerator: string, denominator: string): string | undefined {
  const bottom = decimalFraction(denominator);
  if (decimalFraction(numerator) === undefined || bottom === undefined || bottom.numerator === 0n) {
    return undefined;
  }
  return bottom.numerator === bottom.denominator ? numerator : `${numerator}/${denominator}`;
}

/**
 * The price rounded DOWN to 12 decimals, as the plain decimal text the book orders claims by and
 * shows (`1.2/720` → `0.001666666666`; `0.5` → `0.5`).
 */
export function floorPriceText(price: ExactPrice): string {
  invariant(price.denominator > 0n && price.numerator >= 0n, "floorPriceText: not a price");
  const units = (price.numerator * 10n ** BigInt(floorPriceDecimals)) / price.denominator;
  const digits = units.toString().padStart(floorPriceDecimals + 1, "0");
  const whole = digits.slice(0, -floorPriceDecimals);
  const fraction = digits.slice(-floorPriceDecimals).replace(/0+$/, "");
  return fraction === "" ? whole : `${whole}.${fraction}`;
}

/**
 * C(R): the cumulative charge, in CC minor units, of `slices` slices running `runningMs`
 * milliseconds at `price`, counted from the lease's start: floor(price × slices × runningMs /
 * 1 h × 10^6), exact in integers. Monotone in `runningMs`, so C(b) − C(a) ≥ 0 for b ≥ a.
 */
export function cumulativeChargeMinor(price: ExactPrice, slices: number, runningMs: number): bigint {
  invariant(price.denominator > 0n && price.numerator >= 0n, "cumulativeChargeMinor: not a price");
  invariant(Number.isSafeInteger(slices) && slices >= 0, "cumulativeChargeMinor: slices");
  invariant(Number.isSafeInteger(runningMs) && runningMs >= 0, "cumulativeChargeMinor: runningMs");
  const numerator = price.numerator * BigInt(slices) * BigInt(runningMs) * 10n ** BigInt(scaleOf("CC"));
  // Both sides are non-negative, so bigint division (toward zero) is the floor.
  return numerator / (price.denominator * BigInt(hourMs));
}

/**
 * What `runningMs` more milliseconds cost after `fromRunningMs` already charged:
 * C(fromRunningMs + runningMs) − C(fromRunningMs), never negative.
 */
export function chargeBetweenMinor(
  price: ExactPrice,
  slices: number,
  fromRunningMs: number,
  runningMs: number,
): bigint {
  const charge =
    cumulativeChargeMinor(price, slices, fromRunningMs + runningMs) -
    cumulativeChargeMinor(price, slices, fromRunningMs);
  invariant(charge >= 0n, "chargeBetweenMinor: negative charge");
  return charge;
}
