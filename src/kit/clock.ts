/**
 * The service's one clock. Production reads real time; tests and benchmarks move it forward
 * (never back) through `shiftClock`, and the Worker and both Durable Objects read the same shifted
 * time, because they share this module inside one isolate. Nothing else in `src/` calls
 * `Date.now()`.
 */

/** One hour in milliseconds: the settlement period and the unit of every hourly figure. */
export const hourMs = 3_600_000;

/** One day in milliseconds. */
export const dayMs = 24 * hourMs;

let offsetMs = 0;

/** The current time in epoch milliseconds: real time plus the test shift (0 in production). */
export function now(): number {
  return Date.now() + offsetMs;
}

/** The current time as an ISO string. */
export function nowIso(): string {
  return new Date(now()).toISOString();
}

/**
 * Converts a time on this clock to the real time at which it will come, for platform timers that
 * only know real time (a Durable Object's `setAlarm`).
 */
export function toRealMs(clockMs: number): number {
  return clockMs - offsetMs;
}

/** How far this clock runs ahead of real time. */
export function clockOffsetMs(): number {
  return offsetMs;
}

/**
 * Moves the clock forward by `ms` (an integer ≥ 0). Only test, bench and development code calls
 * this: the workers test project imports it directly; a benchmark's own Worker entry exposes it;
 * `POST /v1/dev/clock` calls it where ENVIRONMENT is development or test (src/routes/dev/clock.ts).
 */
export function shiftClock(ms: number): number {
  if (!Number.isSafeInteger(ms) || ms < 0)
    throw new RangeError(`clock shift must be a whole ms ≥ 0, got ${ms}`);
  offsetMs += ms;
  return now();
}
