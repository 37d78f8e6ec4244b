/**
 * Charging for slice usage and splitting what was charged (ECONOMICS.md §10).
 *
 * Amounts are `bigint` minor units (CC: 1 CC = 1_000_000 minor units). The charge for a settlement
 * period is rounded DOWN to the minor unit: the system never charges a user more than the exact
 * price × slices × time, and the sub-minor-unit remainder (< 1 minor unit per call) is forgiven,
 * not carried to the next period. The split hands out every minor unit charged: farmer and burn
 * parts are rounded down and the rounding remainder goes to ThreeFold.
 */
import { allocate, amountMinorMax, Dec, invariant, mulDiv, ratioWeights, scaleOf } from "../money";
import { defaultMarketParameters, type MarketParameters, parseNonNegativeDecimal } from "./parameters";

/** Milliseconds in one hour. */
export const msPerHour = 3_600_000;

/** How one charge is divided (minor units of the charged asset). Parts sum exactly to the charge. */
export type RevenueSplit = {
  readonly farmerMinor: bigint;
  readonly burnMinor: bigint;
  readonly threefoldMinor: bigint;
};

/**
 * Splits a charge by `params.revenueSplit` (default 80 % farmer / 10 % burn / 10 % ThreeFold) with
 * money.ts `allocate`: each part is rounded down, and the remainder left by rounding (at most
 * 2 minor units with three parts) goes to ThreeFold. Invariants (asserted, throw
 * `InvariantError`): `chargeMinor ≥ 0`; every part ≥ 0; parts sum exactly to `chargeMinor`.
 */
export function splitRevenue(
  chargeMinor: bigint,
  params: MarketParameters = defaultMarketParameters,
): RevenueSplit {
  invariant(chargeMinor >= 0n, "splitRevenue: charge must not be negative");
  const { farmer, burn, threefold } = params.revenueSplit;
  const [farmerMinor, burnMinor, threefoldMinor] = allocate(
    chargeMinor,
    ratioWeights([farmer, burn, threefold]),
    2,
  );
  invariant(
    farmerMinor !== undefined && burnMinor !== undefined && threefoldMinor !== undefined,
    "splitRevenue: three parts",
  );
  invariant(farmerMinor >= 0n && burnMinor >= 0n && threefoldMinor >= 0n, "splitRevenue: parts not negative");
  invariant(
    farmerMinor + burnMinor + threefoldMinor === chargeMinor,
    "splitRevenue: parts sum to the charge",
  );
  return { farmerMinor, burnMinor, threefoldMinor };
}

/**
 * The CC charge, in CC minor units, for `slices` slices used for `durationMs` milliseconds at
 * `priceCcPerSliceHour` (a plain decimal string, CC per slice per hour):
 * `floor(price × slices × durationMs / msPerHour × 10^6)`, computed exactly in integers and
 * rounded DOWN (toward zero) once per call, i.e. once per settlement period: the user is never
 * overcharged and loses at most one minor unit per period to rounding in their favour.
 *
 * Inputs come from validated reservations, so a bad one is a bug: the price must be a
 * non-negative plain decimal, `slices` and `durationMs` non-negative safe integers, and the
 * result at most `amountMinorMax`; otherwise `InvariantError` is thrown.
 */
export function chargeForUsage(priceCcPerSliceHour: string, slices: number, durationMs: number): bigint {
  const price = parseNonNegativeDecimal(priceCcPerSliceHour, "priceCcPerSliceHour");
  invariant(price.ok, `chargeForUsage: price must be a non-negative decimal, got ${priceCcPerSliceHour}`);
  invariant(
    Number.isSafeInteger(slices) && slices >= 0,
    "chargeForUsage: slices must be a non-negative integer",
  );
  invariant(
    Number.isSafeInteger(durationMs) && durationMs >= 0,
    "chargeForUsage: durationMs must be a non-negative integer",
  );
  const priceDecimals = price.value.decimalPlaces();
  const priceScaled = BigInt(price.value.mul(new Dec(10).pow(priceDecimals)).toFixed(0));
  const numerator = priceScaled * BigInt(slices) * BigInt(durationMs) * 10n ** BigInt(scaleOf("CC"));
  const denominator = 10n ** BigInt(priceDecimals) * BigInt(msPerHour);
  const chargeMinor = mulDiv(numerator, 1n, denominator, "down");
  invariant(chargeMinor <= amountMinorMax, "chargeForUsage: charge exceeds the largest amount");
  return chargeMinor;
}
