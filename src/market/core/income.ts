/**
 * Income projections, hardware amortisation and ROI of a node (ECONOMICS.md §12.4–12.5).
 *
 * Incomes are per month in the band currency, gross (before the revenue split) as in the spec's
 * tables; the farmer's share after the split is given beside them. Hardware costs are USD. All
 * values are full-precision decimal strings (quotients carry 60 significant digits, last digit
 * rounded half-even); nothing is rounded for display here.
 */

import { fail, ok, type Result } from "../../kit/result";
import { Dec } from "../../ledger/core/money";
import {
  type BandCurrency,
  defaultMarketParameters,
  type MarketParameters,
  parseDecimalInput,
  parsePositiveDecimal,
} from "./parameters";
import { checkPriceInBand, type PriceBand } from "./pricing";
import { slicesPerNodeMax } from "./slices";

/** Hardware cost per month of its life: `hardwareCostUsd / amortisationMonths` (USD per month). */
export function hardwareCostPerMonth(
  hardwareCostUsd: string,
  params: MarketParameters = defaultMarketParameters,
): string {
  return new Dec(hardwareCostUsd).div(params.amortisationMonths).toString();
}

/** Minimum gross income per month: `sliceCount × band minimum per month × incomeMinFactor`. */
export function minIncomePerMonth(
  band: PriceBand,
  sliceCount: number,
  params: MarketParameters = defaultMarketParameters,
): string {
  return new Dec(band.minPerSliceMonth).mul(sliceCount).mul(params.incomeMinFactor).toString();
}

/** Maximum gross income per month: `sliceCount × band maximum per month × incomeMaxFactor`. */
export function maxIncomePerMonth(
  band: PriceBand,
  sliceCount: number,
  params: MarketParameters = defaultMarketParameters,
): string {
  return new Dec(band.maxPerSliceMonth).mul(sliceCount).mul(params.incomeMaxFactor).toString();
}

/**
 * Gross income per month at a chosen price: `sliceCount × pricePerSliceMonth × utilisation`, where
 * utilisation is the rented fraction of slice-time in [0, 1].
 */
export function incomeAtPricePerMonth(
  pricePerSliceMonth: string,
  sliceCount: number,
  utilisation = "1",
): string {
  return new Dec(pricePerSliceMonth).mul(sliceCount).mul(utilisation).toString();
}

/** The farmer's part of a gross amount: `gross × revenueSplit.farmer` (§10.1). */
export function farmerShare(gross: string, params: MarketParameters = defaultMarketParameters): string {
  return new Dec(gross).mul(params.revenueSplit.farmer).toString();
}

/**
 * Months until income repays the hardware: `hardwareCost / incomePerMonth`, both in the same
 * currency. `null` when the income is 0 (never breaks even). Income must not be negative.
 */
export function breakEvenMonths(hardwareCost: string, incomePerMonth: string): string | null {
  const income = new Dec(incomePerMonth);
  if (income.isZero()) return null;
  return new Dec(hardwareCost).div(income).toString();
}

/**
 * Return on investment over the amortisation period, as a ratio (0.31 = 31 %):
 * `(incomePerMonth × amortisationMonths − hardwareCost) / hardwareCost`, same currency for both.
 * −1 when the income is 0. hardwareCost must be > 0.
 */
export function returnOnInvestment(
  hardwareCost: string,
  incomePerMonth: string,
  params: MarketParameters = defaultMarketParameters,
): string {
  const cost = new Dec(hardwareCost);
  return new Dec(incomePerMonth).mul(params.amortisationMonths).sub(cost).div(cost).toString();
}

/**
 * One income scenario. Incomes are band-currency units per month; break-even months and ROI are
 * computed in USD (income × usdPerPriceUnit against the USD hardware cost).
 */
export type IncomeScenario = {
  readonly grossPerMonth: string;
  readonly farmerPerMonth: string;
  /** Hardware cost ÷ gross income (the basis of the spec's break-even prose); null at 0 income. */
  readonly breakEvenMonths: string | null;
  /** Hardware cost ÷ the farmer's share; null at 0 income. */
  readonly farmerBreakEvenMonths: string | null;
  /** ROI ratio on gross income over the amortisation period. */
  readonly returnOnInvestment: string;
  /** ROI ratio on the farmer's share over the amortisation period. */
  readonly farmerReturnOnInvestment: string;
};

/** A node's projection: hardware cost per month and the min, max and (optional) chosen-price scenarios. */
export type IncomeProjection = {
  readonly currency: BandCurrency;
  readonly sliceCount: number;
  readonly hardwareCostUsd: string;
  readonly hardwareCostUsdPerMonth: string;
  readonly min: IncomeScenario;
  readonly max: IncomeScenario;
  /** Present when a chosen price was given: income = slices × price × utilisation. */
  readonly chosen: IncomeScenario | null;
};

/** Input of `incomeProjection`. Decimal strings throughout. */
export type IncomeProjectionInput = {
  /** Purchase price of the node, USD, > 0. */
  readonly hardwareCostUsd: string;
  /** Slices rented out, integer in 1..slicesPerNodeMax (normally the node's typical count). */
  readonly sliceCount: number;
  /** The slice's price band (its currency is the income currency). */
  readonly band: PriceBand;
  /** A farmer's monthly per-slice price; must lie in the band. */
  readonly chosenPricePerSliceMonth?: string;
  /** Rented fraction in [0, 1] applied to the chosen-price scenario only (default 1); the min and
   * max scenarios already embed the spec's income factors. */
  readonly utilisation?: string;
  /** USD value of one band-currency unit, > 0. Defaults to 1 for USD bands; required for CC bands. */
  readonly usdPerPriceUnit?: string;
};

/**
 * Projects income, break-even and ROI for a node (§12.4–12.5). Fails with `VALIDATION_FAILED`
 * (with `field`) on a malformed or out-of-range input, a CC band without `usdPerPriceUnit`, and
 * with `PRICE_OUTSIDE_BAND` when the chosen price is outside the band. Invariant on success:
 * min.grossPerMonth ≤ max.grossPerMonth.
 */
export function incomeProjection(
  input: IncomeProjectionInput,
  params: MarketParameters = defaultMarketParameters,
): Result<IncomeProjection> {
  const cost = parsePositiveDecimal(input.hardwareCostUsd, "hardwareCostUsd");
  if (!cost.ok) return cost;
  const { sliceCount, band } = input;
  if (!Number.isSafeInteger(sliceCount) || sliceCount < 1 || sliceCount > slicesPerNodeMax) {
    return fail(
      "VALIDATION_FAILED",
      `sliceCount must be an integer from 1 to ${slicesPerNodeMax}, got ${sliceCount}`,
      "sliceCount",
    );
  }
  let usdPerPriceUnit = new Dec(1);
  if (input.usdPerPriceUnit !== undefined) {
    const rate = parsePositiveDecimal(input.usdPerPriceUnit, "usdPerPriceUnit");
    if (!rate.ok) return rate;
    usdPerPriceUnit = rate.value;
  } else if (band.currency !== "USD") {
    return fail(
      "VALIDATION_FAILED",
      `usdPerPriceUnit is required to compare ${band.currency} income with the USD hardware cost`,
      "usdPerPriceUnit",
    );
  }
  let utilisation = new Dec(1);
  if (input.utilisation !== undefined) {
    const parsed = parseDecimalInput(input.utilisation, "utilisation");
    if (!parsed.ok) return parsed;
    if (parsed.value.lt(0) || parsed.value.gt(1)) {
      return fail("VALIDATION_FAILED", "utilisation must be between 0 and 1", "utilisation");
    }
    utilisation = parsed.value;
  }

  const costUsd = cost.value.toString();
  const scenario = (grossPerMonth: string): IncomeScenario => {
    const farmerPerMonth = farmerShare(grossPerMonth, params);
    const grossUsd = new Dec(grossPerMonth).mul(usdPerPriceUnit).toString();
    const farmerUsd = new Dec(farmerPerMonth).mul(usdPerPriceUnit).toString();
    return {
      grossPerMonth,
      farmerPerMonth,
      breakEvenMonths: breakEvenMonths(costUsd, grossUsd),
      farmerBreakEvenMonths: breakEvenMonths(costUsd, farmerUsd),
      returnOnInvestment: returnOnInvestment(costUsd, grossUsd, params),
      farmerReturnOnInvestment: returnOnInvestment(costUsd, farmerUsd, params),
    };
  };

  let chosen: IncomeScenario | null = null;
  if (input.chosenPricePerSliceMonth !== undefined) {
    const price = checkPriceInBand(input.chosenPricePerSliceMonth, band, "month");
    if (!price.ok) return { ...price, field: "chosenPricePerSliceMonth" };
    chosen = scenario(incomeAtPricePerMonth(price.value, sliceCount, utilisation.toString()));
  }
  const min = scenario(minIncomePerMonth(band, sliceCount, params));
  const max = scenario(maxIncomePerMonth(band, sliceCount, params));
  if (new Dec(min.grossPerMonth).gt(max.grossPerMonth)) {
    return fail(
      "VALIDATION_FAILED",
      "minimum income exceeds maximum: check the income factors",
      "incomeMinFactor",
    );
  }
  return ok({
    currency: band.currency,
    sliceCount,
    hardwareCostUsd: costUsd,
    hardwareCostUsdPerMonth: hardwareCostPerMonth(costUsd, params),
    min,
    max,
    chosen,
  });
}
