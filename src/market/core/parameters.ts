/**
 * Market parameters: every factor of the slice, price-band, income and revenue-split formulas
 * (ECONOMICS.md §1, §11–§12, §10), with the spec's V1 (244d0c) values as defaults.
 *
 * Decimal factors are plain decimal strings (never JS floats); whole counts (hours, months)
 * are integers. Domain functions assume parameters that passed `validateMarketParameters`;
 * `defaultMarketParameters` does (a test proves it).
 */

import { fail, ok, type Result } from "../../kit/result";
import { Dec } from "../../ledger/core/money";

/** The currency a price band is quoted in (§20 Q7: USD per 244d0c, CC in the V0 pages). */
export type BandCurrency = "USD" | "CC";

/**
 * A fixed per-slice price band, in band-currency units per slice-month, used for AI nodes whose
 * band does not follow from memory (§12.2). Invariant: 0 < fixedMinMonthly ≤ fixedMaxMonthly.
 */
export type FixedBand = {
  readonly fixedMinMonthly: string;
  readonly fixedMaxMonthly: string;
};

/** The revenue split ratios of §10.1; each in [0, 1], summing to exactly 1. */
export type RevenueSplitRatios = {
  readonly farmer: string;
  readonly burn: string;
  readonly threefold: string;
};

/** All tunable factors of the capacity market. See `defaultMarketParameters` for the spec values. */
export type MarketParameters = {
  /** RAM kept back per node before slicing, in GB (§20 Q12; default 4). SSD is not reserved. */
  readonly nodeReservedMemoryGb: string;
  /** Minimum monthly slice price per GB of slice RAM, in band-currency units (default 0.3). */
  readonly priceMinPerGbMonth: string;
  /** Maximum monthly price as a multiple of the minimum (default 10); at least 1. */
  readonly priceMaxFactor: string;
  /** Hourly minimum = monthly minimum × this / hoursPerMonth (default 2.0). */
  readonly hourlyMinFactor: string;
  /** Hourly maximum = monthly maximum × this / hoursPerMonth (default 1.5). */
  readonly hourlyMaxFactor: string;
  /** Hours in a billing month (default 720 = 30 days). */
  readonly hoursPerMonth: number;
  /** Minimum income = slices × monthly minimum × this (default 1.3). */
  readonly incomeMinFactor: string;
  /** Maximum income = slices × monthly maximum × this (default 1.5). */
  readonly incomeMaxFactor: string;
  /** Hardware life for amortisation and ROI, in months (default 60 = 5 years). */
  readonly amortisationMonths: number;
  /** Revenue split farmer / burn / ThreeFold (default 0.80 / 0.10 / 0.10). */
  readonly revenueSplit: RevenueSplitRatios;
  /** Currency price bands are quoted in (default "USD"). */
  readonly bandCurrency: BandCurrency;
  /** Fixed band of the Mini AI 1 profile (default 10–100 per slice-month, §12.2 [DOC]). */
  readonly fixedBandMiniAi: FixedBand;
  /** Fixed band of the GPU nodes: Nvidia 6000 1x/2x, Tenstorrent 8x (default 300–3000, [DERIVED]). */
  readonly fixedBandGpu: FixedBand;
};

/** The spec's defaults (ECONOMICS.md §1, V1 / 244d0c). Deeply frozen. */
export const defaultMarketParameters: MarketParameters = Object.freeze({
  nodeReservedMemoryGb: "4",
  priceMinPerGbMonth: "0.3",
  priceMaxFactor: "10",
  hourlyMinFactor: "2.0",
  hourlyMaxFactor: "1.5",
  hoursPerMonth: 720,
  incomeMinFactor: "1.3",
  incomeMaxFactor: "1.5",
  amortisationMonths: 60,
  revenueSplit: Object.freeze({ farmer: "0.80", burn: "0.10", threefold: "0.10" }),
  bandCurrency: "USD",
  fixedBandMiniAi: Object.freeze({ fixedMinMonthly: "10", fixedMaxMonthly: "100" }),
  fixedBandGpu: Object.freeze({ fixedMinMonthly: "300", fixedMaxMonthly: "3000" }),
});

/** Longest decimal string accepted as input, in characters: bounds parsing work. */
export const decimalInputLengthMax = 40;

const plainDecimalPattern = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;

/**
 * Parses a plain decimal string ("12", "0.3", "-1.5"; no exponent, no leading zeros, at most
 * `decimalInputLengthMax` characters) into a `Dec`, exactly (no rounding). Fails with
 * `VALIDATION_FAILED` naming `field` otherwise.
 */
export function parseDecimalInput(
  text: string,
  field: string,
  lengthMax = decimalInputLengthMax,
): Result<Dec> {
  if (text.length > lengthMax || !plainDecimalPattern.test(text)) {
    return fail(
      "VALIDATION_FAILED",
      `${field} must be a plain decimal string, got ${JSON.stringify(text)}`,
      field,
    );
  }
  return ok(new Dec(text));
}

/**
 * Longest decimal string this module produces itself (60 significant digits, a sign, a point and
 * leading zeros): values computed here, such as a slice's memory, are read back under this bound
 * rather than the user-input one.
 */
export const computedDecimalLengthMax = 100;

/** Parses a decimal input that must be strictly positive (> 0). */
export function parsePositiveDecimal(
  text: string,
  field: string,
  lengthMax = decimalInputLengthMax,
): Result<Dec> {
  const parsed = parseDecimalInput(text, field, lengthMax);
  if (!parsed.ok) return parsed;
  if (!parsed.value.gt(0)) {
    return fail("VALIDATION_FAILED", `${field} must be greater than 0, got ${text}`, field);
  }
  return parsed;
}

/** Parses a decimal input that must not be negative (≥ 0). */
export function parseNonNegativeDecimal(text: string, field: string): Result<Dec> {
  const parsed = parseDecimalInput(text, field);
  if (!parsed.ok) return parsed;
  if (parsed.value.lt(0)) {
    return fail("VALIDATION_FAILED", `${field} must not be negative, got ${text}`, field);
  }
  return parsed;
}

/**
 * Validates a fixed band against the hourly factors of `params`: both ends positive decimals,
 * min ≤ max per month, and min × hourlyMinFactor ≤ max × hourlyMaxFactor so that the hourly band
 * does not invert either. Failures name `field` (e.g. "bandProfile").
 */
export function validateFixedBand(
  band: FixedBand,
  field: string,
  params: Pick<MarketParameters, "hourlyMinFactor" | "hourlyMaxFactor">,
): Result<{ min: Dec; max: Dec }> {
  const min = parsePositiveDecimal(band.fixedMinMonthly, `${field}.fixedMinMonthly`);
  if (!min.ok) return min;
  const max = parsePositiveDecimal(band.fixedMaxMonthly, `${field}.fixedMaxMonthly`);
  if (!max.ok) return max;
  if (min.value.gt(max.value)) {
    return fail(
      "VALIDATION_FAILED",
      `${field}: minimum ${band.fixedMinMonthly} exceeds maximum ${band.fixedMaxMonthly}`,
      field,
    );
  }
  if (min.value.mul(params.hourlyMinFactor).gt(max.value.mul(params.hourlyMaxFactor))) {
    return fail(
      "VALIDATION_FAILED",
      `${field}: with hourly factors ${params.hourlyMinFactor} / ${params.hourlyMaxFactor} the hourly minimum would exceed the hourly maximum`,
      field,
    );
  }
  return ok({ min: min.value, max: max.value });
}

/**
 * Checks a parameter set, e.g. one loaded from configuration. Rules: every factor is a positive
 * decimal (the reserve may be 0); `priceMaxFactor ≥ 1`; `incomeMinFactor ≤ incomeMaxFactor`;
 * `priceMaxFactor × hourlyMaxFactor ≥ hourlyMinFactor` (so a memory band's hourly maximum is never
 * below its hourly minimum); hours and months are positive integers; the split ratios are in
 * [0, 1] and sum to exactly 1; fixed bands pass `validateFixedBand`. Returns the same object on success.
 */
export function validateMarketParameters(params: MarketParameters): Result<MarketParameters> {
  const reserve = parseNonNegativeDecimal(params.nodeReservedMemoryGb, "nodeReservedMemoryGb");
  if (!reserve.ok) return reserve;
  const positives: Array<[string, string]> = [
    ["priceMinPerGbMonth", params.priceMinPerGbMonth],
    ["priceMaxFactor", params.priceMaxFactor],
    ["hourlyMinFactor", params.hourlyMinFactor],
    ["hourlyMaxFactor", params.hourlyMaxFactor],
    ["incomeMinFactor", params.incomeMinFactor],
    ["incomeMaxFactor", params.incomeMaxFactor],
  ];
  const values = new Map<string, Dec>();
  for (const [field, text] of positives) {
    const parsed = parsePositiveDecimal(text, field);
    if (!parsed.ok) return parsed;
    values.set(field, parsed.value);
  }
  const get = (field: string): Dec => values.get(field) ?? new Dec(0);
  if (get("priceMaxFactor").lt(1)) {
    return fail("VALIDATION_FAILED", "priceMaxFactor must be at least 1", "priceMaxFactor");
  }
  if (get("incomeMinFactor").gt(get("incomeMaxFactor"))) {
    return fail("VALIDATION_FAILED", "incomeMinFactor must not exceed incomeMaxFactor", "incomeMinFactor");
  }
  if (get("priceMaxFactor").mul(get("hourlyMaxFactor")).lt(get("hourlyMinFactor"))) {
    return fail(
      "VALIDATION_FAILED",
      "priceMaxFactor × hourlyMaxFactor must be at least hourlyMinFactor, or hourly bands invert",
      "hourlyMinFactor",
    );
  }
  for (const [field, count] of [
    ["hoursPerMonth", params.hoursPerMonth],
    ["amortisationMonths", params.amortisationMonths],
  ] as const) {
    if (!Number.isSafeInteger(count) || count < 1) {
      return fail("VALIDATION_FAILED", `${field} must be a positive integer`, field);
    }
  }
  let ratioSum = new Dec(0);
  for (const key of ["farmer", "burn", "threefold"] as const) {
    const field = `revenueSplit.${key}`;
    const ratio = parseNonNegativeDecimal(params.revenueSplit[key], field);
    if (!ratio.ok) return ratio;
    if (ratio.value.gt(1)) return fail("VALIDATION_FAILED", `${field} must not exceed 1`, field);
    ratioSum = ratioSum.add(ratio.value);
  }
  if (!ratioSum.eq(1)) {
    return fail("VALIDATION_FAILED", "revenueSplit ratios must sum to exactly 1", "revenueSplit");
  }
  if (params.bandCurrency !== "USD" && params.bandCurrency !== "CC") {
    return fail("VALIDATION_FAILED", "bandCurrency must be USD or CC", "bandCurrency");
  }
  const miniAi = validateFixedBand(params.fixedBandMiniAi, "fixedBandMiniAi", params);
  if (!miniAi.ok) return miniAi;
  const gpu = validateFixedBand(params.fixedBandGpu, "fixedBandGpu", params);
  if (!gpu.ok) return gpu;
  return ok(params);
}
