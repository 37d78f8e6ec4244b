/**
 * Settlement periods of a lease and what each one costs (ECONOMICS §10.2: revenue is the sum of
 * paid slice-hours in CC).
 *
 * Periods are whole `periodMs` spans counted from the lease's start: period k is
 * [startedAtMs + k·periodMs, startedAtMs + (k+1)·periodMs). A period is due once it has fully
 * elapsed; the last, partial period is due only when the lease's end time has been reached.
 * Each period has the deterministic settlement id `stl_<leaseId>_<k>`, so recording a
 * settlement twice is harmless. Use one period length for a lease's whole life.
 *
 * Charges are cumulative over the lease's running time (rate.ts): with R the running
 * milliseconds from the lease's start, a period costs C(R at its end) − C(R at its start), where
 * C(R) = floor(exact price × slices × R / 1 h) in CC minor units. So the periods of a lease sum to
 * exactly C(its whole running time): 720 h at 1.2 CC per slice-month is 1.2 CC, not 1.19952.
 * Partial time keeps its meaning and folds into R: paused time is never charged (R does not
 * advance while paused), a final partial period adds only the time up to the end, and a period
 * whose charge goes unpaid still advances R (the shortfall is forgiven, not carried forward).
 * Without pauses R = k · periodMs at period k's start, so each period's charge is a pure
 * function of its index, which keeps replays of `stl_<leaseId>_<k>` safe.
 */

import { dayMs, hourMs } from "../../../kit/clock";
import { invariant } from "../../../kit/errors";
import { exactPriceOf, isTimeMs, type Lease } from "./model";
import { chargeBetweenMinor } from "./rate";

/** Default settlement period: one hour. */
export const settlementPeriodMsDefault = hourMs;
/** Longest settlement period: 31 days. */
export const settlementPeriodMsMax = 31 * dayMs;
/** Most periods one `duePeriods` call returns; call again after recording them for the rest. */
export const duePeriodsPerCallMax = 1_000;

export type SettlementPeriod = {
  /** `stl_<leaseId>_<periodIndex>` */
  readonly settlementId: string;
  readonly periodIndex: number;
  readonly periodStartMs: number;
  readonly periodEndMs: number;
};

/** The deterministic id of a lease's settlement for period `periodIndex`. */
export function settlementIdFor(leaseId: string, periodIndex: number): string {
  return `stl_${leaseId}_${periodIndex}`;
}

/** Whether `periodMs` is a usable settlement period length. */
export function isSettlementPeriodMs(periodMs: number): boolean {
  return Number.isSafeInteger(periodMs) && periodMs >= 1 && periodMs <= settlementPeriodMsMax;
}

/**
 * When the lease ended or will be found to have ended by `nowMs`, as the book's catch-up would
 * end it: its end time once reached, or the end of its grace or of its agent's provisioning time
 * if that ran out first; null while it runs on. So periods computed from a book that has not
 * caught up yet agree with one that has.
 */
export function endReachedMs(lease: Lease, nowMs: number): number | null {
  const termMs = lease.endsAtMs !== null && lease.endsAtMs <= nowMs ? lease.endsAtMs : null;
  if (lease.status === "ended") return termMs;
  let endMs = termMs;
  for (const candidate of [lease.graceUntilMs, lease.agent?.deadlineMs]) {
    if (candidate !== undefined && candidate <= nowMs && (endMs === null || candidate < endMs))
      endMs = candidate;
  }
  return endMs;
}

/**
 * The periods due for settlement at `nowMs`, oldest first, from `settledThroughMs` up to
 * min(now, end): whole periods only, plus the final partial one once the lease's end is
 * reached (`endReachedMs`: every ended lease, and one whose term or grace ran out). At most
 * `duePeriodsPerCallMax` periods. `settledThroughMs` must lie on a period boundary unless the
 * lease is wholly settled.
 */
export function duePeriods(
  lease: Lease,
  nowMs: number,
  periodMs: number = settlementPeriodMsDefault,
): SettlementPeriod[] {
  invariant(isTimeMs(nowMs), "duePeriods: nowMs is not a time");
  invariant(isSettlementPeriodMs(periodMs), "duePeriods: period length out of range");
  const endMs = endReachedMs(lease, nowMs);
  const endReached = endMs !== null;
  const limitMs = endMs ?? nowMs;
  if (lease.settledThroughMs >= limitMs) return [];
  const offsetMs = lease.settledThroughMs - lease.startedAtMs;
  invariant(
    offsetMs >= 0 && offsetMs % periodMs === 0,
    "duePeriods: settledThroughMs is off the period grid",
  );
  const periods: SettlementPeriod[] = [];
  for (let periodIndex = offsetMs / periodMs; periods.length < duePeriodsPerCallMax; periodIndex += 1) {
    const periodStartMs = lease.startedAtMs + periodIndex * periodMs;
    const fullEndMs = periodStartMs + periodMs;
    if (fullEndMs <= limitMs) {
      periods.push({
        settlementId: settlementIdFor(lease.id, periodIndex),
        periodIndex,
        periodStartMs,
        periodEndMs: fullEndMs,
      });
      continue;
    }
    if (endReached && periodStartMs < limitMs) {
      periods.push({
        settlementId: settlementIdFor(lease.id, periodIndex),
        periodIndex,
        periodStartMs,
        periodEndMs: limitMs,
      });
    }
    break;
  }
  return periods;
}

/**
 * Milliseconds of [startMs, endMs) during which the lease was running: the span minus its
 * overlap with the remembered pause intervals (an open interval runs to the span's end).
 */
export function runningMsIn(lease: Lease, startMs: number, endMs: number): number {
  invariant(endMs >= startMs, "runningMsIn: reversed span");
  let pausedMs = 0;
  for (const pause of lease.pauses) {
    const from = Math.max(pause.fromMs, startMs);
    const until = Math.min(pause.untilMs ?? endMs, endMs);
    if (until > from) pausedMs += until - from;
  }
  const runningMs = endMs - startMs - pausedMs;
  invariant(runningMs >= 0, "runningMsIn: pause intervals overlap");
  return runningMs;
}

/**
 * Running milliseconds of the lease's recorded settlement periods: `settledRunningMs`, or for a
 * lease stored before it was kept, its settled span (pauses already settled were forgotten; any
 * anchor keeps each period within a minor unit of its exact price and later sums telescoping).
 */
export function settledRunningMsOf(lease: Lease): number {
  return lease.settledRunningMs ?? lease.settledThroughMs - lease.startedAtMs;
}

/**
 * CC minor units owed for one period not yet recorded as settled (at or after
 * `settledThroughMs`; recording forgets the pauses it covered): the cumulative charge
 * C(R + running time up to the period's end) − C(R + running time up to its start), R being
 * `settledRunningMsOf(lease)` (see the module comment). At least 0, and the floor or the ceiling of
 * exact price × slices × the period's running hours.
 */
export function chargeFor(
  lease: Lease,
  period: Pick<SettlementPeriod, "periodStartMs" | "periodEndMs">,
): bigint {
  invariant(
    period.periodStartMs >= lease.startedAtMs && period.periodEndMs >= period.periodStartMs,
    "chargeFor: period outside the lease",
  );
  invariant(
    lease.endsAtMs === null || period.periodEndMs <= lease.endsAtMs,
    "chargeFor: period after the lease's end",
  );
  invariant(period.periodStartMs >= lease.settledThroughMs, "chargeFor: period already recorded as settled");
  const beforeMs =
    settledRunningMsOf(lease) + runningMsIn(lease, lease.settledThroughMs, period.periodStartMs);
  const runningMs = runningMsIn(lease, period.periodStartMs, period.periodEndMs);
  return chargeBetweenMinor(exactPriceOf(lease), lease.slices, beforeMs, runningMs);
}

/**
 * What the lease's next `runningMs` milliseconds of running cost from where its settlement stands
 * (`settledRunningMsOf`): the sum the cumulative rule will charge for them, for sizing holds.
 */
export function chargeAheadFor(lease: Lease, runningMs: number): bigint {
  return chargeBetweenMinor(exactPriceOf(lease), lease.slices, settledRunningMsOf(lease), runningMs);
}
