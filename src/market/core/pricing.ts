/**
 * Farmer price bands (ECONOMICS.md §12.1–12.2, §15): a farmer's per-slice price must lie in
 * [min, max] of the node's band, monthly and hourly.
 *
 * Memory-driven band: `minPerSliceMonth = priceMinPerGbMonth × memGb`, `max = priceMaxFactor × min`.
 * Fixed band (AI nodes): the profile's own min and max. Hourly: `min × hourlyMinFactor / hoursPerMonth`
 * and `max × hourlyMaxFactor / hoursPerMonth`. All values are band-currency units per slice, as
 * full-precision decimal strings (quotients carry 60 significant digits, last digit rounded
 * half-even); comparisons are exact, nothing is rounded for display here.
 */

import { fail, ok, type Result } from "../../kit/result";
import { Dec } from "../../ledger/core/money";
import {
  type BandCurrency,
  computedDecimalLengthMax,
  defaultMarketParameters,
  type FixedBand,
  type MarketParameters,
  parseDecimalInput,
  parsePositiveDecimal,
  validateFixedBand,
} from "./parameters";
import type { SliceResources } from "./slices";

/** How a node's band is derived: from slice memory, or fixed per slice-month (AI nodes). */
export type BandProfile = "memory" | FixedBand;

/** The period a price is quoted per: one slice for a month, or one slice for an hour. */
export type PricePeriod = "month" | "hour";

/**
 * A per-slice price band in `currency` units. Invariants: 0 < minPerSliceMonth ≤ maxPerSliceMonth
 * and 0 < minPerSliceHour ≤ maxPerSliceHour.
 */
export type PriceBand = {
  readonly currency: BandCurrency;
  readonly profile: "memory" | "fixed";
  readonly minPerSliceMonth: string;
  readonly maxPerSliceMonth: string;
  readonly minPerSliceHour: string;
  readonly maxPerSliceHour: string;
};

/**
 * Converts a per-slice-month price to per-slice-hour: `priceMonthly × factor / hoursPerMonth`.
 * `factor` is 1 for a plain pro-rata conversion, or `hourlyMinFactor` / `hourlyMaxFactor` for the
 * band ends. Full precision (60 significant digits, half-even in the last one). Inputs must be
 * valid decimals (a malformed string is a caller bug and throws).
 */
export function monthlyToHourly(
  priceMonthly: string,
  factor = "1",
  params: MarketParameters = defaultMarketParameters,
): string {
  return new Dec(priceMonthly).mul(factor).div(params.hoursPerMonth).toString();
}

/**
 * Inverse of `monthlyToHourly`: `priceHourly × hoursPerMonth / factor`. `factor` must be > 0.
 * Full precision (60 significant digits, half-even in the last one).
 */
export function hourlyToMonthly(
  priceHourly: string,
  factor = "1",
  params: MarketParameters = defaultMarketParameters,
): string {
  return new Dec(priceHourly).mul(params.hoursPerMonth).div(factor).toString();
}

/**
 * The price band of one slice (§12.2). For the `"memory"` profile `slice.memGb` (GB of slice RAM)
 * must be > 0; a fixed profile ignores memory and must pass `validateFixedBand` (field
 * `bandProfile`). Fails with `VALIDATION_FAILED` otherwise. Quoted in `params.bandCurrency`.
 */
export function priceBand(
  slice: Pick<SliceResources, "memGb">,
  profile: BandProfile,
  params: MarketParameters = defaultMarketParameters,
): Result<PriceBand> {
  let min: Dec;
  let max: Dec;
  if (profile === "memory") {
    const memGb = parsePositiveDecimal(slice.memGb, "memGb", computedDecimalLengthMax);
    if (!memGb.ok) return memGb;
    min = memGb.value.mul(params.priceMinPerGbMonth);
    max = min.mul(params.priceMaxFactor);
  } else {
    const fixed = validateFixedBand(profile, "bandProfile", params);
    if (!fixed.ok) return fixed;
    min = fixed.value.min;
    max = fixed.value.max;
  }
  const minPerSliceHour = min.mul(params.hourlyMinFactor).div(params.hoursPerMonth);
  const maxPerSliceHour = max.mul(params.hourlyMaxFactor).div(params.hoursPerMonth);
  if (minPerSliceHour.gt(maxPerSliceHour)) {
    // Reachable only with parameters that fail validateMarketParameters.
    return fail(
      "VALIDATION_FAILED",
      "hourly band inverts: priceMaxFactor × hourlyMaxFactor is below hourlyMinFactor",
      "hourlyMinFactor",
    );
  }
  return ok({
    currency: params.bandCurrency,
    profile: profile === "memory" ? "memory" : "fixed",
    minPerSliceMonth: min.toString(),
    maxPerSliceMonth: max.toString(),
    minPerSliceHour: minPerSliceHour.toString(),
    maxPerSliceHour: maxPerSliceHour.toString(),
  });
}

/** The band's [min, max] for one period, as decimal strings. */
export function bandEnds(band: PriceBand, period: PricePeriod): { min: string; max: string } {
  return period === "month"
    ? { min: band.minPerSliceMonth, max: band.maxPerSliceMonth }
    : { min: band.minPerSliceHour, max: band.maxPerSliceHour };
}

/** Significant digits of the band ends quoted in a `PRICE_OUTSIDE_BAND` detail. */
export const bandDetailDigits = 10;

/**
 * Checks a farmer's per-slice price against the band (§15: rejected outside [min, max], both ends
 * inclusive, compared exactly). `price` is in band-currency units per slice per `period`.
 * Fails with `VALIDATION_FAILED` (field `price`) for a malformed decimal, and with
 * `PRICE_OUTSIDE_BAND` whose `detail` names the band, its currency, period and ends. The ends are
 * shown to `bandDetailDigits` significant digits, the minimum rounded up and the maximum rounded
 * down, so the range shown never includes a rejected price. Returns the normalised price.
 */
export function checkPriceInBand(
  price: string,
  band: PriceBand,
  period: PricePeriod = "month",
): Result<string> {
  const parsed = parseDecimalInput(price, "price");
  if (!parsed.ok) return parsed;
  const { min, max } = bandEnds(band, period);
  if (parsed.value.lt(min) || parsed.value.gt(max)) {
    const unit = `${band.currency} per slice-${period}`;
    const shownMin = new Dec(min).toSignificantDigits(bandDetailDigits, Dec.ROUND_CEIL).toString();
    const shownMax = new Dec(max).toSignificantDigits(bandDetailDigits, Dec.ROUND_FLOOR).toString();
    return fail(
      "PRICE_OUTSIDE_BAND",
      `price ${price} ${unit} is outside the ${band.profile} band [${shownMin}, ${shownMax}] ${unit}`,
      "price",
    );
  }
  return ok(parsed.value.toString());
}
