/**
 * The lease top-up rule (ECONOMICS §10): when a running lease's usable holds run low, how much more
 * to hold and what a refusal means. Pure: the bid book's money pass (src/market/object/money-pass.ts)
 * reads the holds, asks this rule, and places or refuses accordingly.
 */
import { type Lease, settlementPeriodMsDefault } from "./bidbook";
import { chargeAheadFor } from "./bidbook/settlement";
import { smaller } from "./settlement-plan";

/** The market's funding parameters the rule reads (src/market/config.ts). */
export type TopUpPolicy = {
  /** Top up when the usable holds cover less than this much running (plus what ran since settling). */
  topUpBelowMs: number;
  /** One top-up holds this much running, at most (a fixed lease: no more than it still owes). */
  prepaidWindowMs: number;
};

/** A top-up to place: how much, and the settled period count that names its hold. */
export type TopUp = {
  amountMinor: bigint;
  /** Periods settled so far: the hold is `leaseHoldId(lease.id, periods)`, once per count. */
  periods: number;
  /** Whether a refusal for lack of funds pauses the lease (its holds will not cover the next period). */
  pauseIfRefused: boolean;
};

/**
 * What a lease needs now, given what its usable holds still have: nothing (covered to its end, or
 * not yet low and not paused for funds), or one top-up. A lease paused for funds always asks, so a
 * top-up that succeeds can resume it.
 */
export function topUpFor(
  lease: Lease,
  usableMinor: bigint,
  nowMs: number,
  policy: TopUpPolicy,
): TopUp | null {
  // What the cumulative rule will charge for the next `ms` of running (the lease's exact price).
  const charge = (ms: number) => chargeAheadFor(lease, Math.max(0, ms));
  const accruedMs = Math.max(0, nowMs - lease.settledThroughMs);
  const leftMs = lease.endsAtMs === null ? null : Math.max(0, lease.endsAtMs - lease.settledThroughMs);
  const stillOwedMaxMinor = leftMs === null ? null : charge(leftMs);
  if (stillOwedMaxMinor !== null && usableMinor >= stillOwedMaxMinor) return null;
  const pausedForFunds = lease.pausedReason === "insufficient_funds";
  if (!pausedForFunds && usableMinor >= charge(policy.topUpBelowMs + accruedMs)) return null;
  const windowMinor = charge(policy.prepaidWindowMs);
  const owedMinor = stillOwedMaxMinor === null ? windowMinor : stillOwedMaxMinor - usableMinor;
  const amountMinor = smaller(owedMinor, windowMinor);
  if (amountMinor <= 0n) return null;
  const periods = Math.floor((lease.settledThroughMs - lease.startedAtMs) / settlementPeriodMsDefault);
  const coversNext = usableMinor >= charge(accruedMs + settlementPeriodMsDefault);
  return { amountMinor, periods, pauseIfRefused: !coversNext && lease.status === "running" };
}
