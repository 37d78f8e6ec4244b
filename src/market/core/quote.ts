/**
 * A node's slices, price band and prices as the market uses them, and the one rule that turns a
 * listed price into what a lease pays (ECONOMICS §11–§12, §15, §20 Q7).
 *
 * Listed prices are per slice, in the band currency (USD by default), monthly and hourly, each
 * inside its band. A lease pays CC per slice-hour, fixed when the lease starts:
 * - the listed price it starts from is the monthly price ÷ hoursPerMonth when the lease is booked
 *   for at least a month, otherwise the hourly price (shorter or open-ended use pays the hourly
 *   rate, whose band sits higher: §12.3 "shorter reservations may cost more per hour");
 * - in a USD band it is divided by the live peg (USD per CC) at that moment;
 * - the lease is charged that price exactly (`exactPriceCcPerSliceHour`, a fraction such as
 *   `10/720` CC or `10/36` for 10 USD a month at 0.05 USD per CC, src/market/core/bidbook/rate.ts), so a
 *   month of use costs the monthly price to the minor unit; the book orders claims by the price
 *   rounded DOWN to `priceDecimalsMax` (12) decimals (`priceCcPerSliceHour`).
 * A later listed-price change or peg move applies to new leases only.
 */

import { hourMs } from "../../kit/clock";
import { fail, ok, type Result } from "../../kit/result";
import { Dec } from "../../ledger/core/money";
import { priceDecimalsMax } from "./bidbook/model";
import { exactPriceText, floorPriceText, parseExactPrice } from "./bidbook/rate";
import type { BandCurrency, MarketParameters } from "./parameters";
import { type BandProfile, checkPriceInBand, type PriceBand, priceBand } from "./pricing";
import { type NodeHardware, type SliceResources, sliceResources } from "./slices";

/** How a node's band is derived (stored on the node): memory-driven, or one of the fixed AI bands. */
export const bandProfileNames = ["memory", "fixedMiniAi", "fixedGpu"] as const;
export type BandProfileName = (typeof bandProfileNames)[number];

/** Most decimals a farmer's listed price may carry (so `price × 10^9` is exact for SQL ordering). */
export const listedPriceDecimalsMax = 9;

/** The band profile a name stands for, with the fixed bands of `parameters`. */
export function bandProfileOf(name: BandProfileName, parameters: MarketParameters): BandProfile {
  if (name === "fixedMiniAi") return parameters.fixedBandMiniAi;
  if (name === "fixedGpu") return parameters.fixedBandGpu;
  return "memory";
}

/**
 * The default band profile for hardware: memory-driven without AI memory; with AI memory the GPU
 * band for certified nodes and the Mini AI band otherwise (§12.2).
 */
export function defaultBandProfile(
  hardware: Pick<NodeHardware, "aiGb">,
  certified: boolean,
): BandProfileName {
  if (!new Dec(hardware.aiGb).gt(0)) return "memory";
  return certified ? "fixedGpu" : "fixedMiniAi";
}

/** One slice of a node and its price band. */
export type NodeSlicing = { readonly slice: SliceResources; readonly band: PriceBand };

/** Slices a node into `sliceCount` and derives the band; failures name the field (§11.3, §12.2). */
export function sliceNode(
  hardware: NodeHardware,
  sliceCount: number,
  profile: BandProfileName,
  parameters: MarketParameters,
): Result<NodeSlicing> {
  const slice = sliceResources(hardware, sliceCount, parameters);
  if (!slice.ok) return slice;
  const band = priceBand(slice.value, bandProfileOf(profile, parameters), parameters);
  if (!band.ok) return band;
  return ok({ slice: slice.value, band: band.value });
}

/**
 * Checks a farmer's monthly and hourly prices against the band (both ends inclusive). Failures are
 * PRICE_OUTSIDE_BAND naming the band, with the field `pricePerSliceMonth` or `pricePerSliceHour`.
 */
export function checkListedPrices(
  band: PriceBand,
  pricePerSliceMonth: string,
  pricePerSliceHour: string,
): Result<{ month: string; hour: string }> {
  const month = checkPriceInBand(pricePerSliceMonth, band, "month");
  if (!month.ok) return { ...month, field: "pricePerSliceMonth" };
  const hour = checkPriceInBand(pricePerSliceHour, band, "hour");
  if (!hour.ok) return { ...hour, field: "pricePerSliceHour" };
  return ok({ month: month.value, hour: hour.value });
}

/** `floor(value × 10^places)` as a bigint, for exact integer filtering and ordering in SQL. */
export function scaledFloor(value: string, places: number): bigint {
  return BigInt(new Dec(value).mul(new Dec(10).pow(places)).toDecimalPlaces(0, Dec.ROUND_FLOOR).toFixed(0));
}

/** A CC price per slice-hour from a decimal, rounded down to `priceDecimalsMax` decimals. */
export function ccPriceText(value: Dec): string {
  return value.toDecimalPlaces(priceDecimalsMax, Dec.ROUND_DOWN).toFixed();
}

/** A node's listed prices as the lease pricing needs them. */
export type ListedPrices = {
  readonly currency: BandCurrency;
  readonly pricePerSliceMonth: string;
  readonly pricePerSliceHour: string;
};

/** How a lease's CC price was found: the listed price used, its currency and the peg. */
export type LeaseQuote = {
  /** The exact price rounded down to 12 decimals: what the book orders claims by. */
  readonly priceCcPerSliceHour: string;
  /** The exact price the lease is charged (rate.ts text: a decimal or a fraction of two). */
  readonly exactPriceCcPerSliceHour: string;
  readonly quotedPrice: string;
  readonly quotedCurrency: BandCurrency;
  readonly quotedCcUsd: string | null;
};

/**
 * The CC per slice-hour a new lease pays (see the module comment). `durationMs` null is an
 * open-ended lease. `ccUsd` (USD per CC) is required for a USD band: ORACLE_HALTED without it.
 * A price that rounds to zero CC fails VALIDATION_FAILED.
 */
export function quoteLease(
  listed: ListedPrices,
  durationMs: number | null,
  ccUsd: string | null,
  parameters: MarketParameters,
): Result<LeaseQuote> {
  const monthMs = parameters.hoursPerMonth * hourMs;
  const monthly = durationMs !== null && durationMs >= monthMs;
  const quoted = monthly
    ? new Dec(listed.pricePerSliceMonth).div(parameters.hoursPerMonth)
    : new Dec(listed.pricePerSliceHour);
  // The exact CC per slice-hour as listed price / (hours it covers × USD per CC), kept a fraction.
  const numerator = new Dec(monthly ? listed.pricePerSliceMonth : listed.pricePerSliceHour);
  let denominator = new Dec(monthly ? parameters.hoursPerMonth : 1);
  let cc = quoted;
  if (listed.currency === "USD") {
    if (ccUsd === null) {
      return fail("ORACLE_HALTED", "No live CC price: USD-listed capacity cannot be priced in CC right now");
    }
    cc = quoted.div(ccUsd);
    denominator = denominator.mul(ccUsd);
  }
  const exactText = exactPriceText(numerator.toFixed(), denominator.toFixed());
  const exact = exactText === undefined ? undefined : parseExactPrice(exactText);
  // A peg too long to write as a fraction (never seen: prices carry a few decimals) falls back to
  // the rounded-down price, which then is the exact price: never more than listed.
  const priceCcPerSliceHour = exact === undefined ? ccPriceText(cc) : floorPriceText(exact);
  if (!new Dec(priceCcPerSliceHour).gt(0)) {
    return fail("VALIDATION_FAILED", "The listed price is below the smallest CC price", "pricePerSliceHour");
  }
  return ok({
    priceCcPerSliceHour,
    exactPriceCcPerSliceHour: exactText ?? priceCcPerSliceHour,
    quotedPrice: quoted.toFixed(),
    quotedCurrency: listed.currency,
    quotedCcUsd: listed.currency === "USD" ? ccUsd : null,
  });
}

/** A price in band currency shown in CC at the peg (rounded down to 12 decimals), or null without a peg. */
export function inCc(price: string, currency: BandCurrency, ccUsd: string | null): string | null {
  if (currency === "CC") return new Dec(price).toFixed();
  if (ccUsd === null) return null;
  return ccPriceText(new Dec(price).div(ccUsd));
}

/** The CC equivalent of a band-currency amount per slice-hour, rounded UP (a floor must not drop). */
export function ccFloorPrice(price: string, currency: BandCurrency, ccUsd: string | null): string | null {
  if (currency === "CC") return new Dec(price).toDecimalPlaces(priceDecimalsMax, Dec.ROUND_UP).toFixed();
  if (ccUsd === null) return null;
  return new Dec(price).div(ccUsd).toDecimalPlaces(priceDecimalsMax, Dec.ROUND_UP).toFixed();
}
