/**
 * Charging for slice usage and splitting what was charged (ECONOMICS.md §10).
 *
 * Amounts are `bigint` minor units (CC: 1 CC = 1_000_000 minor units). A charge for some use is
 * rounded DOWN to the minor unit, so nobody is charged more than the exact price × slices × time.
 * A lease's settlement periods are charged cumulatively (src/market/core/bidbook/rate.ts): each period
 * is the difference of two such rounded-down cumulative charges, so the sub-minor-unit remainders
 * carry from period to period and whole hours sum to the exact price. The split hands out every
 * minor unit charged: farmer and burn parts are rounded down and the rounding remainder goes to
 * ThreeFold, so the three parts of each period's charge sum to it exactly.
 */

import { hourMs } from "../../kit/clock";
import { invariant } from "../../kit/errors";
import { allocate, amountMinorMax, ratioWeights } from "../../ledger/core/money";
import { cumulativeChargeMinor, parseExactPrice } from "./bidbook/rate";
import { defaultMarketParameters, type MarketParameters } from "./parameters";

/** Milliseconds in one hour. */
export const msPerHour = hourMs;

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
 * `priceCcPerSliceHour`, an exact price text (rate.ts: a plain decimal such as `0.0025`, or a
 * fraction of two such as `1.2/720` for 1.2 CC per slice-month): `floor(price × slices ×
 * durationMs / msPerHour × 10^6)`, computed exactly in integers and rounded DOWN once per call.
 * It is the cumulative charge C(durationMs) of a lease from its start, used to size holds; the
 * settlement of a lease's periods is `chargeFor` (src/market/core/bidbook/settlement.ts).
 *
 * Inputs come from validated reservations, so a bad one is a bug: the price must be a
 * non-negative exact price, `slices` and `durationMs` non-negative safe integers, and the
 * result at most `amountMinorMax`; otherwise `InvariantError` is thrown.
 */
export function chargeForUsage(priceCcPerSliceHour: string, slices: number, durationMs: number): bigint {
  const price = parseExactPrice(priceCcPerSliceHour);
  invariant(
    price !== undefined,
    `chargeForUsage: price must be a non-negative exact price, got ${priceCcPerSliceHour}`,
  );
  invariant(
    Number.isSafeInteger(slices) && slices >= 0,
    "chargeForUsage: slices must be a non-negative integer",
  );
  invariant(
    Number.isSafeInteger(durationMs) && durationMs >= 0,
    "chargeForUsage: durationMs must be a non-negative integer",
  );
  const chargeMinor = cumulativeChargeMinor(price, slices, durationMs);
  invariant(chargeMinor <= amountMinorMax, "chargeForUsage: charge exceeds the largest amount");
  return chargeMinor;
}
