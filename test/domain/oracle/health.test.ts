// Proves the oracle health rule: age thresholds, and that gold's weekend closure stops the clock
// (Friday evening, Saturday, Sunday-night reopening, Monday) without ever hiding a real outage.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvariantError } from "../../../src/kit/errors";
import {
  assessHealth,
  goldHealthRules,
  goldWeekendClosure,
  type HealthRules,
  health,
  isMarketClosed,
  marketClosedMs,
  tftHealthRules,
} from "../../../src/oracle/core/health";

const minute = 60_000;
const hour = 60 * minute;
/** 2026-11-20 is a Friday. */
const at = (day: number, hours: number, minutes = 0) => Date.UTC(2026, 10, day, hours, minutes);
const friday = (hours: number, minutes = 0) => at(20, hours, minutes);
const saturday = (hours: number, minutes = 0) => at(21, hours, minutes);
const sunday = (hours: number, minutes = 0) => at(22, hours, minutes);
const monday = (hours: number, minutes = 0) => at(23, hours, minutes);

describe("thresholds (no closure)", () => {
  it.each([
    [0, "healthy"],
    [15 * minute, "healthy"],
    [15 * minute + 1, "degraded"],
    [60 * minute, "degraded"],
    [60 * minute + 1, "halted"],
    [30 * 24 * hour, "halted"],
  ] as const)("age %i ms → %s", (ageMs, expected) => {
    const now = at(18, 12); // a Wednesday
    expect(health(now - ageMs, now, tftHealthRules)).toBe(expected);
  });

  it("is halted when no round was ever accepted", () => {
    expect(health(null, at(18, 12), tftHealthRules)).toBe("halted");
    expect(assessHealth(null, at(18, 12), goldHealthRules)).toMatchObject({
      ageMs: null,
      effectiveAgeMs: null,
    });
  });

  it("treats a round stamped after now as fresh", () => {
    expect(health(at(18, 12, 1), at(18, 12), tftHealthRules)).toBe("healthy");
  });

  it("ignores the weekend for TFT, which trades around the clock", () => {
    expect(health(friday(21, 55), saturday(12), tftHealthRules)).toBe("halted");
  });
});

describe("gold weekend closure (Friday 22:00 → Sunday 22:00 UTC)", () => {
  const lastFridayRound = friday(21, 55);

  it.each([
    ["Friday 21:59, before the close", friday(21, 59), "healthy", 4 * minute],
    ["Friday 22:30, just closed", friday(22, 30), "healthy", 5 * minute],
    ["Saturday noon", saturday(12), "healthy", 5 * minute],
    ["Sunday 21:59, still closed", sunday(21, 59), "healthy", 5 * minute],
    ["Sunday 22:10, reopened 10 minutes ago", sunday(22, 10), "healthy", 15 * minute],
    ["Sunday 22:11", sunday(22, 11), "degraded", 16 * minute],
    ["Sunday 22:55", sunday(22, 55), "degraded", 60 * minute],
    ["Sunday 22:56, no source back", sunday(22, 56), "halted", 61 * minute],
    ["Monday 09:00, no source back", monday(9), "halted", 5 * minute + 11 * hour],
  ] as const)("last round Friday 21:55; %s → %s", (_, now, expected, effectiveAgeMs) => {
    const assessment = assessHealth(lastFridayRound, now, goldHealthRules);
    expect(assessment.state).toBe(expected);
    expect(assessment.effectiveAgeMs).toBe(effectiveAgeMs);
  });

  it("lets a Friday outage that began before the close stay degraded through the weekend, not heal it", () => {
    // last round 21:30: 30 effective minutes at the close, frozen there all weekend
    expect(health(friday(21, 30), friday(21, 59), goldHealthRules)).toBe("degraded");
    expect(health(friday(21, 30), saturday(12), goldHealthRules)).toBe("degraded");
    expect(health(friday(21, 30), sunday(22, 31), goldHealthRules)).toBe("halted");
  });

  it("keeps a round accepted inside the closure (PAXG quotes at weekends) fresh until the reopening", () => {
    expect(health(saturday(10), saturday(18), goldHealthRules)).toBe("healthy");
    expect(health(saturday(10), sunday(22, 15), goldHealthRules)).toBe("healthy");
    expect(health(saturday(10), sunday(22, 16), goldHealthRules)).toBe("degraded");
    expect(health(saturday(10), sunday(23, 1), goldHealthRules)).toBe("halted");
  });

  it("ages normally on Monday", () => {
    expect(health(monday(9), monday(9, 10), goldHealthRules)).toBe("healthy");
    expect(health(monday(9), monday(9, 20), goldHealthRules)).toBe("degraded");
    expect(health(monday(9), monday(10, 1), goldHealthRules)).toBe("halted");
  });

  it("reports whether the market is closed now", () => {
    expect(assessHealth(friday(21), saturday(1), goldHealthRules).marketClosed).toBe(true);
    expect(assessHealth(friday(21), friday(21, 1), goldHealthRules).marketClosed).toBe(false);
  });
});

describe("market closure arithmetic", () => {
  const windows = [goldWeekendClosure];

  it.each([
    [friday(21, 59), false],
    [friday(22), true], // closed at `from`
    [saturday(12), true],
    [sunday(21, 59), true],
    [sunday(22), false], // open at `to`
    [monday(0), false],
  ])("isMarketClosed(%i) → %s", (now, expected) => {
    expect(isMarketClosed(now, windows)).toBe(expected);
  });

  it("counts 48 hours per week, over many weeks", () => {
    expect(marketClosedMs(monday(0), monday(0) + 7 * 24 * hour, windows)).toBe(48 * hour);
    expect(marketClosedMs(monday(0), monday(0) + 52 * 7 * 24 * hour, windows)).toBe(52 * 48 * hour);
    expect(marketClosedMs(saturday(0), saturday(1), windows)).toBe(hour);
    expect(marketClosedMs(saturday(1), saturday(0), windows)).toBe(0);
  });

  it("takes other windows, including one that does not wrap and several at once", () => {
    const wednesdayNoon = { from: { day: 3, hour: 12, minute: 0 }, to: { day: 3, hour: 13, minute: 30 } };
    const rules: HealthRules = { ...goldHealthRules, marketClosed: [goldWeekendClosure, wednesdayNoon] };
    expect(marketClosedMs(at(18, 0), at(18, 23, 59), rules.marketClosed)).toBe(90 * minute);
    expect(health(at(18, 11, 55), at(18, 13, 40), rules)).toBe("healthy");
  });

  it("never counts more closed time than elapsed, and is additive over adjacent intervals", () => {
    const week = 7 * 24 * hour;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: (8 * week) / 1000 }),
        fc.integer({ min: 0, max: (3 * week) / 1000 }),
        fc.integer({ min: 0, max: (3 * week) / 1000 }),
        (startSeconds, firstSeconds, secondSeconds) => {
          const start = at(1, 0) + startSeconds * 1000;
          const middle = start + firstSeconds * 1000;
          const end = middle + secondSeconds * 1000;
          const whole = marketClosedMs(start, end, windows);
          expect(whole).toBeLessThanOrEqual(end - start);
          expect(whole).toBe(marketClosedMs(start, middle, windows) + marketClosedMs(middle, end, windows));
        },
      ),
    );
  });

  it("refuses overlapping, empty or malformed windows and inverted thresholds", () => {
    const saturdayMorning = { from: { day: 6, hour: 8, minute: 0 }, to: { day: 6, hour: 9, minute: 0 } };
    expect(() => marketClosedMs(0, 1, [goldWeekendClosure, saturdayMorning])).toThrow(InvariantError);
    const empty = { from: { day: 1, hour: 8, minute: 0 }, to: { day: 1, hour: 8, minute: 0 } };
    expect(() => marketClosedMs(0, 1, [empty])).toThrow(InvariantError);
    const badDay = { from: { day: 7, hour: 8, minute: 0 }, to: { day: 1, hour: 9, minute: 0 } };
    expect(() => marketClosedMs(0, 1, [badDay])).toThrow(InvariantError);
    const inverted = { ...goldHealthRules, healthyMaxAgeMs: 2 * hour };
    expect(() => health(0, 1, inverted)).toThrow(InvariantError);
  });
});
