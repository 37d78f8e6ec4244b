/**
 * Refunds and disputes of a card payment as pure arithmetic: how much of the payment is reversed
 * now, and how to bring the CC side in line. Pure (no I/O), so the rules read in one place.
 *
 * The rule: the USD reversed is the refunded amount (Stripe's cumulative `amount_refunded`, the
 * largest seen) plus every dispute that holds funds (`needs_response`, `under_review`, `lost`),
 * capped at the payment. The CC to take back is that share of the CC minted, rounded UP (the
 * system never leaves more CC out than the USD it kept). It is burned from the account as far as
 * the account still holds CC; the rest is recorded as a claim against the account. When the
 * reversal shrinks (a dispute won), claims are forgiven first and burned CC is minted back second.
 */

import { invariant } from "../../kit/errors";
import { mulDiv } from "../../ledger/core/money";

/** Dispute statuses under which Stripe has taken the disputed funds back. */
export const disputeStatusesHoldingFunds: ReadonlySet<string> = new Set([
  "needs_response",
  "under_review",
  "lost",
]);
/** Dispute statuses that no later event may change. */
export const disputeStatusesFinal: ReadonlySet<string> = new Set(["won", "lost", "warning_closed"]);

/** The smaller of two amounts (Math.min does not take bigints). */
function smaller(left: bigint, right: bigint): bigint {
  return left < right ? left : right;
}

export type PaymentReversalState = {
  readonly usdPaidMinor: bigint;
  readonly ccMintedMinor: bigint;
  readonly usdReversedMinor: bigint;
  readonly ccBurnedMinor: bigint;
  readonly ccClaimedMinor: bigint;
};

export type ReversalPlan = {
  /** USD leaving custody (+, treasury → issuance) or coming back (−). */
  readonly usdDeltaMinor: bigint;
  /** CC to burn from the account now. */
  readonly burnMinor: bigint;
  /** CC to mint back to the account now (a reversal shrank). */
  readonly remintMinor: bigint;
  /** Change of the claim against the account: + shortfall recorded, − forgiven. */
  readonly claimDeltaMinor: bigint;
  readonly next: PaymentReversalState;
};

/** The USD a payment has lost to refunds and disputes, capped at the payment. */
export function reversedUsd(
  usdPaidMinor: bigint,
  refundedMinor: bigint,
  disputes: readonly { readonly usdMinor: bigint; readonly status: string }[],
): bigint {
  let total = refundedMinor;
  for (const dispute of disputes) {
    if (disputeStatusesHoldingFunds.has(dispute.status)) total += dispute.usdMinor;
  }
  return total < 0n ? 0n : total > usdPaidMinor ? usdPaidMinor : total;
}

/**
 * The transfers' amounts that move `state` to `targetUsdMinor` reversed, given the CC the account
 * holds available now (`availableCcMinor`, after any mint in the same write).
 */
export function planReversal(
  state: PaymentReversalState,
  targetUsdMinor: bigint,
  availableCcMinor: bigint,
): ReversalPlan {
  invariant(state.usdPaidMinor > 0n, "planReversal: a payment is positive");
  const target =
    targetUsdMinor < 0n ? 0n : targetUsdMinor > state.usdPaidMinor ? state.usdPaidMinor : targetUsdMinor;
  const ccTarget = mulDiv(state.ccMintedMinor, target, state.usdPaidMinor, "ceil");
  invariant(ccTarget <= state.ccMintedMinor, "planReversal: never take back more than was minted");
  const delta = ccTarget - (state.ccBurnedMinor + state.ccClaimedMinor);
  let burnMinor = 0n;
  let remintMinor = 0n;
  let claimDeltaMinor = 0n;
  if (delta > 0n) {
    const available = availableCcMinor > 0n ? availableCcMinor : 0n;
    burnMinor = smaller(delta, available);
    claimDeltaMinor = delta - burnMinor;
  } else if (delta < 0n) {
    const release = -delta;
    const forgiven = smaller(release, state.ccClaimedMinor);
    claimDeltaMinor = -forgiven;
    remintMinor = release - forgiven;
  }
  const next: PaymentReversalState = {
    ...state,
    usdReversedMinor: target,
    ccBurnedMinor: state.ccBurnedMinor + burnMinor - remintMinor,
    ccClaimedMinor: state.ccClaimedMinor + claimDeltaMinor,
  };
  invariant(next.ccBurnedMinor >= 0n && next.ccClaimedMinor >= 0n, "planReversal: totals stay non-negative");
  invariant(next.ccBurnedMinor + next.ccClaimedMinor === ccTarget, "planReversal: reaches the target");
  return { usdDeltaMinor: target - state.usdReversedMinor, burnMinor, remintMinor, claimDeltaMinor, next };
}
