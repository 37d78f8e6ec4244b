/**
 * How much may leave one exit round (ECONOMICS §8.3, §20 Q2, Q13) and the highest price it may
 * pay (§8.4).
 *
 * Units (§20 Q5): the engine is unit-agnostic, so `roundCap` takes every amount in the auction's
 * accounting unit, the one bids are expressed in: TFP minor units (scale 7). The period rule is
 * stated on the pool's USDC liquidity; convert that with `tfpMinorForUsdcMinor` at the round's
 * price ceiling first, so that paying at most the ceiling per TFP never pays out more USDC than
 * the period allows.
 */

import { invariant } from "../../../kit/errors";
import { amountMinorMax, Dec, mulDiv, ratioWeights, roundDecimal } from "../../../ledger/core/money";
import { formatPriceKey, parsePriceKey, payoutDivisor, priceDecimalsMax } from "./clearing";
import { defaultAuctionRules, type LifetimeRule } from "./config";

export type { LifetimeRule } from "./config";

/** Input of `roundCap`; all amounts in the auction unit (TFP minor units), 0 ≤ amount ≤ `amountMinorMax`. */
export type RoundCapInput = {
  /** Liquidity ever contributed to the pool (C). */
  readonly totalContributedMinor: bigint;
  /** Liquidity that has left through past auctions (E). */
  readonly totalExitedMinor: bigint;
  /** The pool's liquidity at round start (L), converted to the auction unit. */
  readonly poolLiquidityMinor: bigint;
  /** Lifetime ratio, decimal string in [0, 1]; default "0.5". */
  readonly lifetimeCapRatio?: string;
  /** Period ratio, decimal string in [0, 1]; default "0.05". */
  readonly periodCapRatio?: string;
  /** Lifetime arithmetic; default `contributedMinusExited` (ratio × C − E). */
  readonly lifetimeRule?: LifetimeRule;
  /** Default true. */
  readonly lifetimeCapEnabled?: boolean;
  /** Default true. */
  readonly periodCapEnabled?: boolean;
};

/** Which limit set the cap; `none` when both limits are disabled. */
export type CapBinding = "lifetime" | "period" | "none";

/** Result of `roundCap`; every amount ≥ 0, in the auction unit. */
export type RoundCap = {
  /** Most the round may accept: the smaller enabled allowance, or `amountMinorMax` when none is enabled. */
  readonly capMinor: bigint;
  /** The limit that set `capMinor`; on a tie, `lifetime` (the limit that does not reset next period). */
  readonly binding: CapBinding;
  /** Lifetime allowance, rounded down and floored at 0; `null` when that limit is disabled. */
  readonly lifetimeAllowanceMinor: bigint | null;
  /** Period allowance, rounded down and floored at 0; `null` when that limit is disabled. */
  readonly periodAllowanceMinor: bigint | null;
};

/** Ratio string in [0, 1] as an exact fraction numerator / denominator (denominator > 0). */
function ratioFraction(ratio: string, name: string): { numerator: bigint; denominator: bigint } {
  let value: Dec;
  try {
    value = new Dec(ratio);
  } catch {
    invariant(false, `${name} must be a decimal string`);
  }
  invariant(value.isFinite() && value.gte(0) && value.lte(1), `${name} must be within [0, 1]`);
  const [numerator, denominator] = ratioWeights([value, 1]);
  invariant(numerator !== undefined && denominator !== undefined, `${name}: ratioWeights lost a part`);
  return { numerator, denominator };
}

function assertAmount(amount: bigint, name: string): void {
  invariant(amount >= 0n && amount <= amountMinorMax, `roundCap: ${name} must be within [0, amountMinorMax]`);
}

/**
 * The round cap of §8.3:
 * - lifetime (`contributedMinusExited`): `ratio × C − E`; (`remainingTimesRatio`): `ratio × (C − E)`;
 * - period: `ratio × L`;
 * - cap = `max(0, min(enabled allowances))`.
 * Each product is rounded down to a whole minor unit (the cap never exceeds the exact rule), and
 * each allowance is floored at 0. With both limits disabled the cap is `amountMinorMax`.
 */
export function roundCap(input: RoundCapInput): RoundCap {
  const contributed = input.totalContributedMinor;
  const exited = input.totalExitedMinor;
  const liquidity = input.poolLiquidityMinor;
  assertAmount(contributed, "totalContributedMinor");
  assertAmount(exited, "totalExitedMinor");
  assertAmount(liquidity, "poolLiquidityMinor");
  const lifetimeEnabled = input.lifetimeCapEnabled ?? defaultAuctionRules.lifetimeCapEnabled;
  const periodEnabled = input.periodCapEnabled ?? defaultAuctionRules.periodCapEnabled;
  const rule = input.lifetimeRule ?? defaultAuctionRules.lifetimeRule;

  let lifetimeAllowance: bigint | null = null;
  if (lifetimeEnabled) {
    const lifetime = ratioFraction(
      input.lifetimeCapRatio ?? defaultAuctionRules.lifetimeCapRatio,
      "lifetimeCapRatio",
    );
    const raw =
      rule === "contributedMinusExited"
        ? mulDiv(contributed, lifetime.numerator, lifetime.denominator, "floor") - exited
        : mulDiv(
            contributed > exited ? contributed - exited : 0n,
            lifetime.numerator,
            lifetime.denominator,
            "floor",
          );
    lifetimeAllowance = raw > 0n ? raw : 0n;
  }
  let periodAllowance: bigint | null = null;
  if (periodEnabled) {
    const period = ratioFraction(
      input.periodCapRatio ?? defaultAuctionRules.periodCapRatio,
      "periodCapRatio",
    );
    periodAllowance = mulDiv(liquidity, period.numerator, period.denominator, "floor");
  }

  let capMinor = amountMinorMax;
  let binding: CapBinding = "none";
  if (lifetimeAllowance !== null && (periodAllowance === null || lifetimeAllowance <= periodAllowance)) {
    capMinor = lifetimeAllowance;
    binding = "lifetime";
  } else if (periodAllowance !== null) {
    capMinor = periodAllowance;
    binding = "period";
  }
  invariant(capMinor >= 0n && capMinor <= amountMinorMax, "roundCap: cap out of range");
  return {
    capMinor,
    binding,
    lifetimeAllowanceMinor: lifetimeAllowance,
    periodAllowanceMinor: periodAllowance,
  };
}

/**
 * The price ceiling of §8.4: `(1 − minDiscount) × referencePrice`, in USDC per TFP, rounded DOWN
 * to `priceDecimalsMax` decimals (the pool never pays above the exact rule), as a canonical
 * decimal string. `minDiscount: null` means the discount rule is disabled: returns `null` (no
 * ceiling). `referencePrice` is a positive decimal string (the TFT market price at close, §20
 * Q14) of any precision; `minDiscount` a decimal string in [0, 1]. The ceiling must not exceed
 * `priceUsdcPerTfpMax` (asserted).
 */
export function priceCeiling(referencePrice: string, minDiscount: string | null): string | null {
  if (minDiscount === null) return null;
  let reference: Dec;
  let discount: Dec;
  try {
    reference = new Dec(referencePrice);
    discount = new Dec(minDiscount);
  } catch {
    invariant(false, "priceCeiling: reference price and discount must be decimal strings");
  }
  invariant(reference.isFinite() && reference.gt(0), "priceCeiling: reference price must be positive");
  invariant(
    discount.isFinite() && discount.gte(0) && discount.lte(1),
    "priceCeiling: discount must be in [0, 1]",
  );
  const ceiling = roundDecimal(new Dec(1).minus(discount).mul(reference), priceDecimalsMax, "down");
  const key = parsePriceKey(ceiling.toFixed());
  if (key === undefined) invariant(false, "priceCeiling: ceiling above priceUsdcPerTfpMax");
  return formatPriceKey(key);
}

/**
 * TFP minor units worth `usdcMinor` USDC minor units at `price` (USDC per TFP, a valid price
 * > 0), rounded DOWN: `usdcMinor × payoutDivisor / key`. Used to express the pool's USDC
 * liquidity in the auction unit for the period cap; with the round's price ceiling as `price`,
 * `tfp × ceiling ≤ usdc`, so the round's payouts stay within the USDC allowance. Results above
 * `amountMinorMax` are clamped to it (still a rounding down).
 */
export function tfpMinorForUsdcMinor(usdcMinor: bigint, price: string): bigint {
  invariant(usdcMinor >= 0n, "tfpMinorForUsdcMinor: amount must not be negative");
  const key = parsePriceKey(price);
  if (key === undefined || key === 0)
    invariant(false, "tfpMinorForUsdcMinor: price must be valid and positive");
  const tfp = mulDiv(usdcMinor, payoutDivisor, BigInt(key), "down");
  if (tfp > amountMinorMax) return amountMinorMax;
  return tfp;
}
