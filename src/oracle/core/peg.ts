/**
 * The Cloud Credit peg and the conversions that hang on it (ECONOMICS §4, §6, §7).
 *
 * 1 CC is 1 mg of gold, so its USD value follows the gold price the oracle accepts. Every
 * conversion below is done on exact fractions (decimal prices become integer ratios, amounts
 * stay integers of their minor unit) and rounds once, at the end, in a named direction. The
 * direction always favours the system: the holder receives at most one minor unit less than
 * the exact value, never more, so no conversion and no round trip creates value.
 *
 * Pure: imports only the money helpers.
 */

import { invariant } from "../../kit/errors";
import { fail, ok, type Result } from "../../kit/result";
import {
  convertAmount,
  Dec,
  type Rate,
  type Rounding,
  rateCompare,
  rateInverse,
  rateOf,
  rateTimes,
} from "../../ledger/core/money";

/** A price or ratio as a decimal string ("0.128") or a `Dec`; never a float. */
export type DecimalInput = string | Dec;

/**
 * Which price the TFP → TFT return must exceed (§6.3, §20 Q3): `fixed_rate` is the implied TFT
 * price of the fixed rate, `ccUsd / tftPerCcFixed` (the spec's recommendation); `cc_usd` is the
 * paraphrase "higher than 1 CC in USD value". They agree only when `tftPerCcFixed` is 1.
 */
export type UnlockThresholdRule = "fixed_rate" | "cc_usd";

/** The peg's configuration (ECONOMICS §1). Decimal strings, never floats. */
export type PegParameters = {
  /** TFT (or TFP) per CC at the fixed entry rate: "2" (V1), alternative "1" (V2 open question). */
  readonly tftPerCcFixed: string;
  /** TFP minted per TFT locked: "1". */
  readonly tfpPerTft: string;
  /** Grams of gold per CC: "0.001" (1 mg). */
  readonly ccGoldGrams: string;
  /**
   * USD per CC "as of Oct 2024" (0.128). A test fixture and documentation value only (§20 Q9):
   * live conversions take `ccUsd` from the oracle's gold price, never from this field.
   */
  readonly ccUsdReference: string;
  /** Whether CC may be converted into TFP. Off by default: entry is one-way (§6.1 V0 rule). */
  readonly ccToTfpEnabled: boolean;
  /** Which threshold TFP → TFT returns must exceed (§20 Q3). */
  readonly unlockThreshold: UnlockThresholdRule;
};

/** The V1 (244d0c) defaults of ECONOMICS §1. */
export const defaultPegParameters: PegParameters = {
  tftPerCcFixed: "2",
  tfpPerTft: "1",
  ccGoldGrams: "0.001",
  ccUsdReference: "0.128",
  ccToTfpEnabled: false,
  unlockThreshold: "fixed_rate",
};

/** The two market inputs of a conversion, named so they cannot be swapped by position. */
export type PegPrices = {
  /** USD per CC, from the accepted gold price (see `ccUsd`). */
  readonly ccUsd: DecimalInput;
  /** USD per TFT on the market, from the accepted TFT price. */
  readonly tftMarketUsd: DecimalInput;
};

/** Where a CC balance came from (§20 Q15): only CC earned as revenue may enter Pool 2. */
export type CcOrigin = "earned" | "purchased";

/** A decimal price as an exact rate; it must be positive. */
function positiveRateOf(value: DecimalInput, name: string): Rate {
  const rate = rateOf(value, name);
  invariant(rate.numerator > 0n, `${name} must be positive`);
  return rate;
}

/**
 * USD value of 1 CC (§4): `goldUsdPerGram × ccGoldGrams`, i.e. the gold price per gram / 1000.
 * Exact (a product of two decimals). Gold price must be positive.
 *
 * @param goldUsdPerGram USD per gram of gold, as accepted by the oracle.
 * @param ccGoldGrams grams of gold per CC (default "0.001").
 * @returns USD per CC.
 */
export function ccUsd(
  goldUsdPerGram: DecimalInput,
  ccGoldGrams: DecimalInput = defaultPegParameters.ccGoldGrams,
): Dec {
  positiveRateOf(goldUsdPerGram, "goldUsdPerGram");
  positiveRateOf(ccGoldGrams, "ccGoldGrams");
  return new Dec(goldUsdPerGram).mul(new Dec(ccGoldGrams));
}

/**
 * USD (cents, scale 2) to CC (minor units, scale 6) at `ccUsdPrice` USD per CC: `usd / ccUsd`.
 *
 * @param rounding the direction, named by the caller: minting for a payment rounds `floor`.
 */
export function usdToCc(usdMinor: bigint, ccUsdPrice: DecimalInput, rounding: Rounding): bigint {
  return convertAmount("USD", usdMinor, "CC", rateInverse(positiveRateOf(ccUsdPrice, "ccUsd")), rounding);
}

/**
 * CC (minor units, scale 6) to USD (cents, scale 2) at `ccUsdPrice` USD per CC: `cc × ccUsd`.
 *
 * @param rounding the direction, named by the caller (a USD payout from the system rounds `floor`).
 */
export function ccToUsd(ccMinor: bigint, ccUsdPrice: DecimalInput, rounding: Rounding): bigint {
  return convertAmount("CC", ccMinor, "USD", positiveRateOf(ccUsdPrice, "ccUsd"), rounding);
}

/**
 * CC minted for a card / fiat payment (§6.2 "fiat entry"): `usd / ccUsd`, rounded down, so the
 * system never mints more than the payment is worth.
 *
 * @param usdMinor the payment in cents.
 * @returns CC minor units to mint.
 */
export function ccForUsd(usdMinor: bigint, ccUsdPrice: DecimalInput): bigint {
  invariant(usdMinor >= 0n, "ccForUsd: payment must not be negative");
  return usdToCc(usdMinor, ccUsdPrice, "floor");
}

/**
 * Implied TFT price of the fixed rate (§6.2): `ccUsd / tftPerCcFixed` USD per TFT
 * (0.128 / 2 = 0.064). Rounded half-even to 60 significant digits when not exact (e.g. a rate of 3).
 */
export function tftFixedUsd(
  ccUsdPrice: DecimalInput,
  tftPerCcFixed: DecimalInput = defaultPegParameters.tftPerCcFixed,
): Dec {
  positiveRateOf(ccUsdPrice, "ccUsd");
  positiveRateOf(tftPerCcFixed, "tftPerCcFixed");
  return new Dec(ccUsdPrice).div(new Dec(tftPerCcFixed));
}

/**
 * TFT valuation at entry (§6.2, §20 Q16): `max(ccUsd / tftPerCcFixed, tftMarketUsd)` USD per TFT.
 * The fixed rate is a floor: until the market price of TFT surpasses it, entry is at the fixed rate.
 */
export function tftEntryUsd(
  prices: PegPrices,
  tftPerCcFixed: DecimalInput = defaultPegParameters.tftPerCcFixed,
): Dec {
  const fixed = tftFixedUsd(prices.ccUsd, tftPerCcFixed);
  positiveRateOf(prices.tftMarketUsd, "tftMarketUsd");
  const market = new Dec(prices.tftMarketUsd);
  return market.greaterThan(fixed) ? market : fixed;
}

/**
 * CC minted when `tfpMinor` TFP (scale 7) enters Pool 1 (§6.2), in CC minor units (scale 6):
 * the TFP's TFT equivalent (`tfp / tfpPerTft`) valued at `tftEntryUsd`, divided by `ccUsd`.
 * While the market is at or below the fixed rate this is exactly `tfp / (tfpPerTft × tftPerCcFixed)`
 * (1,000 TFP → 500 CC at 2:1); above it, `tfp × tftMarketUsd / (tfpPerTft × ccUsd)`.
 * Computed on exact fractions and rounded DOWN: the system never over-mints.
 */
export function ccMintedForTfp(
  tfpMinor: bigint,
  prices: PegPrices,
  parameters: PegParameters = defaultPegParameters,
): bigint {
  invariant(tfpMinor >= 0n, "ccMintedForTfp: amount must not be negative");
  const cc = positiveRateOf(prices.ccUsd, "ccUsd");
  const market = positiveRateOf(prices.tftMarketUsd, "tftMarketUsd");
  const fixedRate = positiveRateOf(parameters.tftPerCcFixed, "tftPerCcFixed");
  const tftPerTfp = rateInverse(positiveRateOf(parameters.tfpPerTft, "tfpPerTft"));
  // market ≤ ccUsd / fixedRate  ⇔  market × fixedRate ≤ ccUsd
  const atFixedRate = rateCompare(rateTimes(market, fixedRate), cc) <= 0;
  const ccPerTft = atFixedRate ? rateInverse(fixedRate) : rateTimes(market, rateInverse(cc));
  return convertAmount("TFP", tfpMinor, "CC", rateTimes(tftPerTfp, ccPerTft), "floor");
}

/**
 * TFP minted when `tftMinor` TFT is locked (§6.1 V1, §18): `tft × tfpPerTft`, rounded down
 * (exact at the default 1:1).
 */
export function tfpMintedForTft(tftMinor: bigint, parameters: PegParameters = defaultPegParameters): bigint {
  invariant(tftMinor >= 0n, "tfpMintedForTft: amount must not be negative");
  return convertAmount("TFT", tftMinor, "TFP", positiveRateOf(parameters.tfpPerTft, "tfpPerTft"), "floor");
}

/**
 * The TFT market price (USD per TFT) that TFP → TFT returns must exceed (§6.3, §20 Q3):
 * `ccUsd / tftPerCcFixed` (0.064 at 2:1) under the default `fixed_rate` rule, `ccUsd` (0.128)
 * under `cc_usd`.
 */
export function unlockThresholdUsd(
  ccUsdPrice: DecimalInput,
  parameters: PegParameters = defaultPegParameters,
): Dec {
  return parameters.unlockThreshold === "fixed_rate"
    ? tftFixedUsd(ccUsdPrice, parameters.tftPerCcFixed)
    : new Dec(ccUsdPrice);
}

/** Whether TFP may be returned for TFT now: the market price strictly exceeds the threshold (§6.3). */
export function canUnlock(prices: PegPrices, parameters: PegParameters = defaultPegParameters): boolean {
  positiveRateOf(prices.tftMarketUsd, "tftMarketUsd");
  return new Dec(prices.tftMarketUsd).greaterThan(unlockThresholdUsd(prices.ccUsd, parameters));
}

/**
 * TFT unlocked for `tfpMinor` TFP returned (§6.3): `tfp / tfpPerTft`, rounded down, or
 * `UNLOCK_THRESHOLD_NOT_MET` while the market price does not exceed the threshold.
 */
export function tftUnlockedForTfp(
  tfpMinor: bigint,
  prices: PegPrices,
  parameters: PegParameters = defaultPegParameters,
): Result<bigint> {
  invariant(tfpMinor >= 0n, "tftUnlockedForTfp: amount must not be negative");
  if (!canUnlock(prices, parameters)) {
    const threshold = unlockThresholdUsd(prices.ccUsd, parameters).toFixed();
    return fail(
      "UNLOCK_THRESHOLD_NOT_MET",
      `TFT market price ${new Dec(prices.tftMarketUsd).toFixed()} USD does not exceed ${threshold} USD`,
    );
  }
  const tftPerTfp = rateInverse(positiveRateOf(parameters.tfpPerTft, "tfpPerTft"));
  return ok(convertAmount("TFP", tfpMinor, "TFT", tftPerTfp, "floor"));
}

/**
 * Pool 2, CC → TFP at the TFT market price (§7.2, peg-consistent):
 * `tfp = cc × ccUsd / tftMarketUsd`, CC scale 6 → TFP scale 7, rounded DOWN, so the holder gets at
 * most one TFP minor unit less than the exact value. 500 CC at 0.128 / 0.10 → 640 TFP (§20 Q4).
 */
export function tfpForCc(ccMinor: bigint, prices: PegPrices): bigint {
  invariant(ccMinor >= 0n, "tfpForCc: amount must not be negative");
  const cc = positiveRateOf(prices.ccUsd, "ccUsd");
  const market = positiveRateOf(prices.tftMarketUsd, "tftMarketUsd");
  return convertAmount("CC", ccMinor, "TFP", rateTimes(cc, rateInverse(market)), "floor");
}

/**
 * Pool 2, TFP → CC at the TFT market price (§7.2, peg-consistent):
 * `cc = tfp × tftMarketUsd / ccUsd`, TFP scale 7 → CC scale 6, rounded DOWN (at most one CC minor
 * unit less than exact). A round trip CC → TFP → CC never returns more than it started with.
 */
export function ccForTfp(tfpMinor: bigint, prices: PegPrices): bigint {
  invariant(tfpMinor >= 0n, "ccForTfp: amount must not be negative");
  const cc = positiveRateOf(prices.ccUsd, "ccUsd");
  const market = positiveRateOf(prices.tftMarketUsd, "tftMarketUsd");
  return convertAmount("TFP", tfpMinor, "CC", rateTimes(market, rateInverse(cc)), "floor");
}

/**
 * Pool 2 CC → TFP with its admission rules: `CONVERSION_DISABLED` unless `ccToTfpEnabled`
 * (one-way by default), `ORIGIN_NOT_CONVERTIBLE` unless the CC was earned as revenue (§7.1 V1,
 * §20 Q15); otherwise `tfpForCc`.
 */
export function convertCcToTfp(
  ccMinor: bigint,
  origin: CcOrigin,
  prices: PegPrices,
  parameters: PegParameters = defaultPegParameters,
): Result<bigint> {
  if (!parameters.ccToTfpEnabled) return fail("CONVERSION_DISABLED", "CC to TFP conversion is disabled");
  if (origin !== "earned") {
    return fail("ORIGIN_NOT_CONVERTIBLE", "only CC earned as revenue can be converted to TFP");
  }
  return ok(tfpForCc(ccMinor, prices));
}
