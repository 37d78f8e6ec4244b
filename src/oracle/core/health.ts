/**
 * Oracle health: how much to trust the last accepted price, from its age and the market's hours.
 *
 * Pure: the clock is an argument. Times are UTC.
 */
import { invariant } from "../../kit/errors";

export type OracleHealth = "healthy" | "degraded" | "halted";

/** A point in the UTC week. `day` as `Date.getUTCDay()`: 0 = Sunday … 6 = Saturday. */
export type WeekTime = { readonly day: number; readonly hour: number; readonly minute: number };

/** A weekly recurring market closure, `[from, to)`; it may wrap past Saturday into Sunday. */
export type WeeklyWindow = { readonly from: WeekTime; readonly to: WeekTime };

export type HealthRules = {
  /** Effective age up to which the price is healthy, inclusive. */
  readonly healthyMaxAgeMs: number;
  /** Effective age up to which the price is degraded, inclusive; halted beyond. */
  readonly degradedMaxAgeMs: number;
  /** Weekly windows in which the market is closed; the time inside them does not age a price. */
  readonly marketClosed: readonly WeeklyWindow[];
};

const minuteMs = 60_000;
const dayMs = 24 * 60 * minuteMs;
const weekMs = 7 * dayMs;
/** 1970-01-04T00:00:00Z, the first Sunday after the epoch (a Thursday): weeks start here. */
const firstSundayMs = 3 * dayMs;

/** Spot gold does not trade from Friday 22:00 UTC to Sunday 22:00 UTC. */
export const goldWeekendClosure: WeeklyWindow = {
  from: { day: 5, hour: 22, minute: 0 },
  to: { day: 0, hour: 22, minute: 0 },
};

/** Gold: healthy ≤ 15 min, degraded ≤ 60 min, halted beyond, weekend closure not counted. */
export const goldHealthRules: HealthRules = {
  healthyMaxAgeMs: 15 * minuteMs,
  degradedMaxAgeMs: 60 * minuteMs,
  marketClosed: [goldWeekendClosure],
};

/** TFT trades around the clock: same ages, no closure. */
export const tftHealthRules: HealthRules = {
  healthyMaxAgeMs: 15 * minuteMs,
  degradedMaxAgeMs: 60 * minuteMs,
  marketClosed: [],
};

function offsetInWeekMs(time: WeekTime): number {
  invariant(
    Number.isInteger(time.day) && time.day >= 0 && time.day <= 6,
    "WeekTime.day must be 0 (Sunday) … 6 (Saturday)",
  );
  invariant(Number.isInteger(time.hour) && time.hour >= 0 && time.hour <= 23, "WeekTime.hour must be 0 … 23");
  invariant(
    Number.isInteger(time.minute) && time.minute >= 0 && time.minute <= 59,
    "WeekTime.minute must be 0 … 59",
  );
  return time.day * dayMs + time.hour * 60 * minuteMs + time.minute * minuteMs;
}

/** A window as `[start, end)` offsets from the start of a week; `end` may exceed one week (wrap). */
function windowSpan(window: WeeklyWindow): { start: number; end: number } {
  const start = offsetInWeekMs(window.from);
  const to = offsetInWeekMs(window.to);
  invariant(start !== to, "a market closure must not be empty or the whole week");
  return { start, end: to > start ? to : to + weekMs };
}

function assertDisjoint(windows: readonly WeeklyWindow[]): void {
  const spans = windows.map(windowSpan);
  spans.forEach((left, leftIndex) => {
    spans.forEach((right, rightIndex) => {
      if (leftIndex >= rightIndex) return;
      // compare on a two-week line so that wrapped windows are seen from both sides
      const overlaps = [-weekMs, 0, weekMs].some(
        (shift) => right.start + shift < left.end && left.start < right.end + shift,
      );
      invariant(!overlaps, "market closures must not overlap");
    });
  });
}

function overlapMs(fromMs: number, toMs: number, start: number, end: number): number {
  return Math.max(0, Math.min(toMs, end) - Math.max(fromMs, start));
}

/**
 * Milliseconds of `[fromMs, toMs)` that fall inside the weekly `windows` (which must not overlap).
 * Zero when `toMs ≤ fromMs`.
 */
export function marketClosedMs(fromMs: number, toMs: number, windows: readonly WeeklyWindow[]): number {
  invariant(Number.isFinite(fromMs) && Number.isFinite(toMs), "marketClosedMs: finite times");
  if (toMs <= fromMs || windows.length === 0) return 0;
  assertDisjoint(windows);
  const spans = windows.map(windowSpan);
  // A window that starts in week w can reach into week w + 1, so begin one week early.
  const firstWeek = Math.floor((fromMs - firstSundayMs) / weekMs) - 1;
  const lastWeek = Math.floor((toMs - firstSundayMs) / weekMs);
  let closedMs = 0;
  for (let week = firstWeek; week <= lastWeek; week += 1) {
    const weekStartMs = firstSundayMs + week * weekMs;
    for (const span of spans) {
      closedMs += overlapMs(fromMs, toMs, weekStartMs + span.start, weekStartMs + span.end);
    }
  }
  return closedMs;
}

/** Whether the market is closed at `atMs` (windows are half-open: closed at `from`, open at `to`). */
export function isMarketClosed(atMs: number, windows: readonly WeeklyWindow[]): boolean {
  return marketClosedMs(atMs, atMs + 1, windows) > 0;
}

/** The state with the figures it was derived from, for status pages and logs. */
export type HealthAssessment = {
  readonly state: OracleHealth;
  /** Wall-clock time since the last accepted round (0 if it is in the future); null if none. */
  readonly ageMs: number | null;
  /** `ageMs` minus the closed-market time inside it; the figure compared with the thresholds. */
  readonly effectiveAgeMs: number | null;
  readonly marketClosed: boolean;
};

function assertRules(rules: HealthRules): void {
  invariant(
    Number.isSafeInteger(rules.healthyMaxAgeMs) && rules.healthyMaxAgeMs > 0,
    "healthyMaxAgeMs must be a positive integer",
  );
  invariant(
    Number.isSafeInteger(rules.degradedMaxAgeMs) && rules.degradedMaxAgeMs >= rules.healthyMaxAgeMs,
    "degradedMaxAgeMs must be an integer ≥ healthyMaxAgeMs",
  );
}

/**
 * Health of a price from the time of its last accepted round, with the figures behind it.
 *
 * The rule: the price ages only while its market is open. Its effective age is the time since the
 * last accepted round minus the part of that interval that fell inside a weekly closure (for gold,
 * Friday 22:00 → Sunday 22:00 UTC, a parameter). It is healthy while the effective age is at most
 * `healthyMaxAgeMs` (15 min), degraded up to `degradedMaxAgeMs` (60 min), halted beyond, and halted
 * when no round was ever accepted. So both maximum ages are extended by exactly the closed time
 * elapsed, whether the last round came before the close or inside it: a round accepted Friday at
 * 21:55 is still healthy all weekend (5 effective minutes), stays healthy until Sunday 22:10,
 * degrades after that, and halts after 22:55 if no source has come back. The closure only stops the
 * clock; it invents no price: tokenized gold (PAXG) keeps quoting at weekends, and any round it
 * helps accept resets the age as usual.
 */
export function assessHealth(
  lastAcceptedAtMs: number | null,
  nowMs: number,
  rules: HealthRules,
): HealthAssessment {
  invariant(Number.isFinite(nowMs), "health: nowMs must be finite");
  assertRules(rules);
  const marketClosed = isMarketClosed(nowMs, rules.marketClosed);
  if (lastAcceptedAtMs === null) return { state: "halted", ageMs: null, effectiveAgeMs: null, marketClosed };
  invariant(Number.isFinite(lastAcceptedAtMs), "health: lastAcceptedAtMs must be finite");
  const ageMs = Math.max(0, nowMs - lastAcceptedAtMs);
  const effectiveAgeMs = ageMs - marketClosedMs(lastAcceptedAtMs, nowMs, rules.marketClosed);
  const state: OracleHealth =
    effectiveAgeMs <= rules.healthyMaxAgeMs
      ? "healthy"
      : effectiveAgeMs <= rules.degradedMaxAgeMs
        ? "degraded"
        : "halted";
  return { state, ageMs, effectiveAgeMs, marketClosed };
}

/** Health of a price from the time of its last accepted round; see `assessHealth` for the rule. */
export function health(lastAcceptedAtMs: number | null, nowMs: number, rules: HealthRules): OracleHealth {
  return assessHealth(lastAcceptedAtMs, nowMs, rules).state;
}
