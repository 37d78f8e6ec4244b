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
 * Paused time is never charged: a period costs price × slices × (running time in the period)
 * in hours, rounded down to the CC minor unit, so a charge never exceeds
 * price × slices × the period's length.
 */
import { Dec, invariant, toMinor } from "../money";
import { isTimeMs, type Lease } from "./model";

/** Default settlement period: one hour. */
export const settlementPeriodMsDefault = 3_600_000;
/** Longest settlement period: 31 days. */
export const settlementPeriodMsMax = 31 * 24 * 3_600_000;
/** Most periods one `duePeriods` call returns; call again after recording them for the rest. */
export const duePeriodsPerCallMax = 1_000;

const msPerHour = 3_600_000;

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
 * end it: its end time once reached, or the end of its grace if that ran out first; null while
 * it runs on. So periods computed from a book that has not caught up yet agree with one that has.
 */
export function endReachedMs(lease: Lease, nowMs: number): number | null {
  const termMs = lease.endsAtMs !== null && lease.endsAtMs <= nowMs ? lease.endsAtMs : null;
  if (lease.status === "ended") return termMs;
  const graceMs = lease.graceUntilMs !== undefined && lease.graceUntilMs <= nowMs ? lease.graceUntilMs : null;
  if (termMs !== null && (graceMs === null || termMs <= graceMs)) return termMs;
  return graceMs;
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
 * CC minor units owed for one period: price (CC per slice-hour) × slices × running hours in
 * the period, rounded down. Exact for periods not yet recorded as settled (recording forgets the
 * pauses it covered). The quotient by 3,600,000 ms has a repeating expansion of at most ninths,
 * never …999, so Dec's 60 significant digits cannot round it across a minor unit.
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
  const runningMs = runningMsIn(lease, period.periodStartMs, period.periodEndMs);
  const charge = toMinor(
    "CC",
    new Dec(lease.priceCcPerSliceHour).mul(lease.slices).mul(runningMs).div(msPerHour),
    "down",
  );
  invariant(charge >= 0n, "chargeFor: negative charge");
  return charge;
}
