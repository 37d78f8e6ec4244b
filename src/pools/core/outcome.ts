/**
 * The outcome of one exit round, computed from its bids and the pool's figures: the cap, the
 * price ceiling, the clearing (§8.5), the exit margin and its split among positions (§8.6, §9.2).
 * Pure: the Durable Object feeds it what it read at the close, the simulate route feeds it the
 * caller's numbers, and both publish the same shape (`RoundOutcome`).
 *
 * Units: bids and the cap in TFP minor units (the auction unit, §20 Q5); prices in USDC per TFP;
 * the pool's liquidity, allowances, payouts and margin in USDC minor units (1 USDC = 1 USD).
 *
 * The allowance is `roundCap` (src/pools/core/auction/cap.ts) applied to USDC amounts. Under the
 * default rule (`capUnit: "usdcAtClearing"`) it bounds the USDC paid at the clearing price, so a
 * round clearing below the ceiling buys as much TFP as the allowance pays for at that price; the
 * result shows the cap in both units, the allowance in USDC and the TFP it buys at the clearing
 * price. Under `tfpAtCeiling` it is converted to TFP at the most the round can pay per TFP (the
 * price ceiling, or the highest eligible bid price when the discount rule is off), rounded down,
 * and the round accepts at most that. A third limit, in TFP, keeps the round solvent: the pool's
 * USDC must cover payouts plus the margin paid to the remaining positions, which together are at
 * most `filled × max(reference, clearing)`.
 */

import { invariant } from "../../kit/errors";
import { amountMinorMax, Dec, formatAmount, roundDecimal } from "../../ledger/core/money";
import { priceCeiling, roundCap, tfpMinorForUsdcMinor } from "./auction/cap";
import {
  type ClearRoundResult,
  clearRound,
  type ExitBid,
  formatPriceKey,
  parsePriceKey,
  priceDecimalsMax,
} from "./auction/clearing";
import type { AuctionRules, CapUnit } from "./auction/config";
import { distributeMargin, exitMargin } from "./auction/margin";
import type { PositionWeightRule, WeightedPosition } from "./shares";

/** Which limit set a round's cap: the two rules of §8.3, the pool's solvency, or the caller. */
export type CapSource = "lifetime" | "period" | "none" | "solvency" | "given";

/** The cap a round used, in both units, with every allowance that went into it. */
export type OutcomeCap = {
  /** What the allowance bounded: USDC paid at the clearing price, or TFP at the ceiling. */
  readonly unit: CapUnit;
  /** TFP minor units the round may accept at `conversionPrice` (all limits applied), rounded down. */
  readonly capMinor: bigint;
  /** USDC minor units the rules allow the round to pay (the smaller allowance); null when no rule limits it or the cap was given. */
  readonly capUsdcMinor: bigint | null;
  readonly binding: CapSource;
  /** USDC minor units: ratio × C − E (or the configured reading), null when disabled or given. */
  readonly lifetimeAllowanceUsdcMinor: bigint | null;
  /** USDC minor units: ratio × the pool's USDC at round start, null when disabled or given. */
  readonly periodAllowanceUsdcMinor: bigint | null;
  /** TFP minor units the pool's USDC can pay for (payouts and margin), null when not checked. */
  readonly solvencyLimitMinor: bigint | null;
  /**
   * USDC per TFP at which the allowance is shown (and, under `tfpAtCeiling`, applied) in TFP: the
   * clearing price under `usdcAtClearing` once something cleared, otherwise the most one TFP can
   * be paid (the ceiling, or without one the highest eligible bid, or the reference when there is
   * no bid); null when the cap was given or no price is known.
   */
  readonly conversionPrice: string | null;
};

/** Everything a round publishes after clearing (amounts in minor units). */
export type RoundOutcome = {
  readonly referencePrice: string | null;
  readonly priceCeiling: string | null;
  readonly cap: OutcomeCap;
  readonly clearing: ClearRoundResult;
  /** The bids as cleared, in submission order, with their offered amount and price. */
  readonly bids: readonly ExitBid[];
  readonly marginCreatedMinor: bigint;
  readonly marginDistributedMinor: bigint;
  readonly marginUndistributedMinor: bigint;
  /** One credit per position that receives a part of the margin (zero credits left out). */
  readonly marginCredits: readonly { readonly positionId: string; readonly creditMinor: bigint }[];
  /** Epoch ms at which position shares were taken (the round's close). */
  readonly sharesAtMs: number;
};

/** The pool's figures for the cap of §8.3, in USDC minor units. */
export type PoolFigures = {
  /** Value of every position ever contributed (C). */
  readonly totalContributedUsdcMinor: bigint;
  /** USDC paid to winners of past rounds (E). */
  readonly totalExitedUsdcMinor: bigint;
  /** The pool's USDC at round start (L), the base of the period rule. */
  readonly periodLiquidityUsdcMinor: bigint;
  /** The pool's available USDC now: payouts and margin must fit in it. Null: not checked. */
  readonly availableUsdcMinor: bigint | null;
};

export type OutcomeInput = {
  readonly bids: readonly ExitBid[];
  readonly rules: AuctionRules;
  /** Reference (market) price, USDC per TFP, any precision; null only when a ceiling is given. */
  readonly referencePrice: string | null;
  /** Overrides the ceiling computed from the reference and `rules.minDiscount`. */
  readonly priceCeilingOverride?: string | null;
  /** Either the pool's figures (the cap follows the rules) or a cap given in TFP minor units. */
  readonly pool: PoolFigures | null;
  readonly capOverrideMinor?: bigint;
  /** Positions that share the margin, and the rule and instant of their weights. */
  readonly positions: readonly WeightedPosition[];
  readonly weightRule: PositionWeightRule;
  readonly sharesAtMs: number;
};

/** A price rounded UP to `priceDecimalsMax` decimals, canonical; undefined when out of range. */
export function priceRoundedUp(price: string): string | undefined {
  const rounded = roundDecimal(price, priceDecimalsMax, "up").toFixed();
  const key = parsePriceKey(rounded);
  return key === undefined ? undefined : formatPriceKey(key);
}

function higherPrice(left: string, right: string): string {
  return new Dec(left).gte(new Dec(right)) ? left : right;
}

/** TFP minor units `usdcMinor` pays for at `price`; unlimited when the price is 0. */
function tfpFor(usdcMinor: bigint, price: string): bigint {
  return parsePriceKey(price) === 0 ? amountMinorMax : tfpMinorForUsdcMinor(usdcMinor, price);
}

/**
 * Computes a round's cap, clearing and margin. Invariants (asserted): the payouts plus the margin
 * never exceed the pool's available USDC when it is given; the margin credits sum to the margin
 * distributed; distributed + undistributed = created.
 */
export function computeOutcome(input: OutcomeInput): RoundOutcome {
  const { rules, bids, referencePrice } = input;
  const ceiling =
    input.priceCeilingOverride !== undefined
      ? input.priceCeilingOverride
      : referencePrice === null
        ? null
        : priceCeiling(referencePrice, rules.minDiscount);
  invariant(
    referencePrice !== null || input.priceCeilingOverride !== undefined,
    "computeOutcome: a reference price or a ceiling is required",
  );

  // The most one TFP can be paid: the ceiling, or without one the highest eligible bid price.
  let payPriceBound = ceiling;
  if (payPriceBound === null) {
    for (const bid of bids) {
      if (bid.amountMinor <= 0n) continue;
      payPriceBound = payPriceBound === null ? bid.minPrice : higherPrice(payPriceBound, bid.minPrice);
    }
  }
  let referenceUp: string | null = null;
  if (referencePrice !== null) {
    referenceUp = priceRoundedUp(referencePrice) ?? null;
    invariant(referenceUp !== null, "computeOutcome: reference price out of range");
  }

  const { clearing, cap } = clearWithinCap(input, ceiling, payPriceBound, referenceUp);
  const marginCreatedMinor =
    referencePrice === null
      ? 0n
      : exitMargin({
          filledMinor: clearing.filledMinor,
          clearingPrice: clearing.clearingPrice,
          referencePrice,
        });
  const distribution = distributeMargin({
    marginMinor: marginCreatedMinor,
    positions: input.positions,
    atMs: input.sharesAtMs,
    rule: input.weightRule,
  });
  const marginCredits = distribution.credits
    .filter((credit) => credit.creditMinor > 0n)
    .map((credit) => ({ positionId: credit.id, creditMinor: credit.creditMinor }));
  invariant(
    distribution.distributedMinor + distribution.undistributedMinor === marginCreatedMinor,
    "computeOutcome: the margin must be distributed or kept, exactly",
  );
  if (input.pool?.availableUsdcMinor != null && input.capOverrideMinor === undefined) {
    invariant(
      clearing.payoutTotalMinor + distribution.distributedMinor <= input.pool.availableUsdcMinor,
      "computeOutcome: payouts and margin must fit in the pool's USDC",
    );
  }
  return {
    referencePrice,
    priceCeiling: ceiling,
    cap,
    clearing,
    bids,
    marginCreatedMinor,
    marginDistributedMinor: distribution.distributedMinor,
    marginUndistributedMinor: distribution.undistributedMinor,
    marginCredits,
    sharesAtMs: input.sharesAtMs,
  };
}

/**
 * Applies the round's limits and clears it. A given cap is a TFP quantity. Otherwise the rules'
 * USDC allowance bounds the USDC paid at the clearing price (`usdcAtClearing`) or, converted at
 * `payPriceBound`, the TFP accepted (`tfpAtCeiling`); the solvency limit is a TFP quantity in
 * both. The cap is reported in TFP at the conversion price (see `OutcomeCap`) and in USDC.
 */
function clearWithinCap(
  input: OutcomeInput,
  ceiling: string | null,
  payPriceBound: string | null,
  referenceUp: string | null,
): { clearing: ClearRoundResult; cap: OutcomeCap } {
  const { bids, rules } = input;
  const fillRules = {
    priceCeiling: ceiling,
    allowPartialFill: rules.allowPartialFill,
    tieRule: rules.tieRule,
    clearingPriceRule: rules.clearingPriceRule,
  };
  if (input.capOverrideMinor !== undefined) {
    invariant(
      input.capOverrideMinor >= 0n && input.capOverrideMinor <= amountMinorMax,
      "computeOutcome: cap out of range",
    );
    return {
      clearing: clearRound({ bids, capMinor: input.capOverrideMinor, ...fillRules }),
      cap: {
        unit: rules.capUnit,
        capMinor: input.capOverrideMinor,
        capUsdcMinor: null,
        binding: "given",
        lifetimeAllowanceUsdcMinor: null,
        periodAllowanceUsdcMinor: null,
        solvencyLimitMinor: null,
        conversionPrice: null,
      },
    };
  }
  const pool = input.pool;
  invariant(pool !== null, "computeOutcome: pool figures or a cap are required");
  const rule = roundCap({
    totalContributedMinor: pool.totalContributedUsdcMinor,
    totalExitedMinor: pool.totalExitedUsdcMinor,
    poolLiquidityMinor: pool.periodLiquidityUsdcMinor,
    lifetimeCapRatio: rules.lifetimeCapRatio,
    periodCapRatio: rules.periodCapRatio,
    lifetimeRule: rules.lifetimeRule,
    lifetimeCapEnabled: rules.lifetimeCapEnabled,
    periodCapEnabled: rules.periodCapEnabled,
  });
  const allowanceUsdcMinor = rule.binding === "none" ? null : rule.capMinor;
  let solvencyLimitMinor: bigint | null = null;
  if (pool.availableUsdcMinor !== null) {
    // Payouts + margin ≤ filled × max(reference, clearing): convert at the higher of the two.
    let solvencyPrice = payPriceBound ?? "0";
    if (referenceUp !== null) solvencyPrice = higherPrice(solvencyPrice, referenceUp);
    solvencyLimitMinor = tfpFor(pool.availableUsdcMinor, solvencyPrice);
  }
  /** The cap in TFP at `price`: the allowance converted there, or the solvency limit if lower. */
  const capAt = (price: string | null): { capMinor: bigint; binding: CapSource } => {
    const allowanceTfpMinor =
      allowanceUsdcMinor === null || price === null ? amountMinorMax : tfpFor(allowanceUsdcMinor, price);
    return solvencyLimitMinor !== null && solvencyLimitMinor < allowanceTfpMinor
      ? { capMinor: solvencyLimitMinor, binding: "solvency" }
      : { capMinor: allowanceTfpMinor, binding: rule.binding };
  };
  // The most one TFP can be paid; the reference stands in when there is no bid to say it.
  const boundPrice = payPriceBound ?? referenceUp;
  const usdcRule = rules.capUnit === "usdcAtClearing";
  const clearing = usdcRule
    ? clearRound({ bids, capMinor: solvencyLimitMinor ?? amountMinorMax, allowanceUsdcMinor, ...fillRules })
    : clearRound({ bids, capMinor: capAt(boundPrice).capMinor, ...fillRules });
  const conversionPrice = usdcRule ? (clearing.clearingPrice ?? boundPrice) : boundPrice;
  if (usdcRule && allowanceUsdcMinor !== null) {
    invariant(
      clearing.payoutTotalMinor <= allowanceUsdcMinor,
      "computeOutcome: payouts must stay within the allowance",
    );
  }
  return {
    clearing,
    cap: {
      unit: rules.capUnit,
      ...capAt(conversionPrice),
      capUsdcMinor: allowanceUsdcMinor,
      lifetimeAllowanceUsdcMinor: rule.lifetimeAllowanceMinor,
      periodAllowanceUsdcMinor: rule.periodAllowanceMinor,
      solvencyLimitMinor,
      conversionPrice,
    },
  };
}

/** A round's published result, as JSON (amounts as decimal strings in their asset's unit). */
export type RoundResultJson = {
  mode: "partialFill" | "wholeBid";
  tieRule: "submissionOrder" | "proRata";
  referencePrice: string | null;
  priceCeiling: string | null;
  cap: {
    unit: CapUnit;
    /** TFP at `conversionPrice`. */
    amount: string;
    /** USDC; null when no rule limits it or the cap was given. */
    amountUsdc: string | null;
    binding: CapSource;
    lifetimeAllowance: string | null;
    periodAllowance: string | null;
    solvencyLimit: string | null;
    conversionPrice: string | null;
  };
  clearingPrice: string | null;
  filled: string;
  payoutTotal: string;
  margin: {
    created: string;
    distributed: string;
    undistributed: string;
    sharesAt: string;
    credits: { positionId: string; amount: string }[];
  };
  bids: {
    id: string;
    amount: string;
    minPrice: string;
    submitSeq: number;
    accepted: string;
    remainder: string;
    payout: string;
    status: "filled" | "partial" | "rejected" | "ineligible";
    reason: string | null;
  }[];
  supplyCurve: { price: string; cumulative: string }[];
};

/**
 * A result as stored. Results published before the cap showed both units lack `unit` and
 * `amountUsdc`: those rounds cleared with the TFP cap, and their USDC allowance was not recorded.
 */
export function storedResult(text: string): RoundResultJson {
  const result = JSON.parse(text) as RoundResultJson;
  return {
    ...result,
    cap: {
      ...result.cap,
      unit: result.cap.unit ?? "tfpAtCeiling",
      amountUsdc: result.cap.amountUsdc ?? null,
    },
  };
}

const usdc = (minor: bigint) => formatAmount("USDC", minor);
const tfp = (minor: bigint) => formatAmount("TFP", minor);
const orNull = (minor: bigint | null, format: (value: bigint) => string) =>
  minor === null ? null : format(minor);

/** The outcome as the API shows it: bids in submission order, amounts as decimal strings. */
export function outcomeJson(outcome: RoundOutcome): RoundResultJson {
  const { clearing, cap } = outcome;
  const bids = outcome.bids.map((bid, index) => {
    const fill = clearing.fills[index]!;
    invariant(fill.id === bid.id, "outcomeJson: fills must follow the bids");
    return {
      id: bid.id,
      amount: tfp(bid.amountMinor),
      minPrice: bid.minPrice,
      submitSeq: bid.submitSeq,
      accepted: tfp(fill.acceptedMinor),
      remainder: tfp(fill.remainderMinor),
      payout: usdc(fill.payoutMinor),
      status: fill.status,
      reason: fill.reason ?? null,
    };
  });
  bids.sort((left, right) => left.submitSeq - right.submitSeq);
  return {
    mode: clearing.mode,
    tieRule: clearing.tieRule,
    referencePrice: outcome.referencePrice,
    priceCeiling: outcome.priceCeiling,
    cap: {
      unit: cap.unit,
      amount: tfp(cap.capMinor),
      amountUsdc: orNull(cap.capUsdcMinor, usdc),
      binding: cap.binding,
      lifetimeAllowance: orNull(cap.lifetimeAllowanceUsdcMinor, usdc),
      periodAllowance: orNull(cap.periodAllowanceUsdcMinor, usdc),
      solvencyLimit: orNull(cap.solvencyLimitMinor, tfp),
      conversionPrice: cap.conversionPrice,
    },
    clearingPrice: clearing.clearingPrice,
    filled: tfp(clearing.filledMinor),
    payoutTotal: usdc(clearing.payoutTotalMinor),
    margin: {
      created: usdc(outcome.marginCreatedMinor),
      distributed: usdc(outcome.marginDistributedMinor),
      undistributed: usdc(outcome.marginUndistributedMinor),
      sharesAt: new Date(outcome.sharesAtMs).toISOString(),
      credits: outcome.marginCredits.map((credit) => ({
        positionId: credit.positionId,
        amount: usdc(credit.creditMinor),
      })),
    },
    bids,
    supplyCurve: clearing.supplyCurve.map((point) => ({
      price: point.price,
      cumulative: tfp(point.cumulativeMinor),
    })),
  };
}
