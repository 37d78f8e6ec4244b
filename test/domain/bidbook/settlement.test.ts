// Proves settlement periods: whole periods from the lease start across exact boundaries, the final partial
// period only once the lease has ended, deterministic ids, round-down charges that skip paused time, and
// recording settlements (next period only, safe to retry).
import { describe, expect, it } from "vitest";
import {
  chargeFor,
  duePeriods,
  duePeriodsPerCallMax,
  endLease,
  type Lease,
  markInsufficientFunds,
  pausesPerLeaseMax,
  recordSettlement,
  resumeFunded,
  runningMsIn,
  settlementIdFor,
} from "../../../src/market/core/bidbook";
import { failureOf, hourMs, leaseOf, newBook, next, startMs, unwrap, withOnDemand } from "./support";

const lease: Lease = {
  id: "lse_a",
  accountId: "acc_u",
  kind: "onDemand",
  slices: 3,
  priceCcPerSliceHour: "0.0250",
  startedAtMs: startMs,
  endsAtMs: null,
  status: "running",
  settledThroughMs: startMs,
  pauses: [],
};

function spans(periods: ReturnType<typeof duePeriods>): [number, number, number][] {
  return periods.map((period) => [
    period.periodIndex,
    period.periodStartMs - startMs,
    period.periodEndMs - startMs,
  ]);
}

describe("duePeriods", () => {
  it.each([
    ["at the start", 0, []],
    ["a millisecond before the first boundary", hourMs - 1, []],
    ["exactly on the first boundary", hourMs, [[0, 0, hourMs]]],
    [
      "two and a half periods in (no partial while running)",
      2.5 * hourMs,
      [
        [0, 0, hourMs],
        [1, hourMs, 2 * hourMs],
      ],
    ],
  ] as const)("for a running open-ended lease %s", (_label, elapsedMs, expected) => {
    expect(spans(duePeriods(lease, startMs + elapsedMs))).toEqual(expected);
  });

  it("names each period stl_<leaseId>_<index>", () => {
    expect(duePeriods(lease, startMs + 2 * hourMs).map((period) => period.settlementId)).toEqual([
      "stl_lse_a_0",
      "stl_lse_a_1",
    ]);
    expect(settlementIdFor("lse_x_1", 2)).toBe("stl_lse_x_1_2");
  });

  it("adds the final partial period once the lease has ended", () => {
    const ended: Lease = { ...lease, status: "ended", endsAtMs: startMs + 2.5 * hourMs };
    expect(spans(duePeriods(ended, startMs + 2.5 * hourMs))).toEqual([
      [0, 0, hourMs],
      [1, hourMs, 2 * hourMs],
      [2, 2 * hourMs, 2.5 * hourMs],
    ]);
    expect(spans(duePeriods(ended, startMs + 100 * hourMs))).toHaveLength(3);
  });

  it("has no partial period when the lease ends exactly on a boundary", () => {
    const ended: Lease = { ...lease, status: "ended", endsAtMs: startMs + 2 * hourMs };
    expect(spans(duePeriods(ended, startMs + 5 * hourMs))).toEqual([
      [0, 0, hourMs],
      [1, hourMs, 2 * hourMs],
    ]);
  });

  it("stops at a planned end in the future and counts the partial one once it is reached", () => {
    const fixed: Lease = { ...lease, endsAtMs: startMs + 1.5 * hourMs };
    expect(spans(duePeriods(fixed, startMs + 1.5 * hourMs - 1))).toEqual([[0, 0, hourMs]]);
    expect(spans(duePeriods(fixed, startMs + 1.5 * hourMs))).toEqual([
      [0, 0, hourMs],
      [1, hourMs, 1.5 * hourMs],
    ]);
  });

  it("continues from settledThroughMs and returns nothing once wholly settled", () => {
    expect(
      spans(duePeriods({ ...lease, settledThroughMs: startMs + 2 * hourMs }, startMs + 3 * hourMs)),
    ).toEqual([[2, 2 * hourMs, 3 * hourMs]]);
    const ended: Lease = {
      ...lease,
      status: "ended",
      endsAtMs: startMs + 10,
      settledThroughMs: startMs + 10,
    };
    expect(duePeriods(ended, startMs + hourMs)).toEqual([]);
  });

  it("has nothing to settle for a lease ended at its start", () => {
    expect(duePeriods({ ...lease, status: "ended", endsAtMs: startMs }, startMs + hourMs)).toEqual([]);
  });

  it("honours another period length", () => {
    expect(spans(duePeriods(lease, startMs + 25 * 60_000, 10 * 60_000))).toEqual([
      [0, 0, 600_000],
      [1, 600_000, 1_200_000],
    ]);
  });

  it(`returns at most ${duePeriodsPerCallMax} periods per call`, () => {
    const periods = duePeriods(lease, startMs + 5_000 * hourMs);
    expect(periods).toHaveLength(duePeriodsPerCallMax);
    expect(periods.at(-1)?.periodIndex).toBe(duePeriodsPerCallMax - 1);
  });

  it.each([0, -1, 1.5])("throws on period length %d", (periodMs) => {
    expect(() => duePeriods(lease, startMs + hourMs, periodMs)).toThrow(/period length/);
  });

  it("throws when settledThroughMs is off the period grid", () => {
    expect(() => duePeriods({ ...lease, settledThroughMs: startMs + 5 }, startMs + 2 * hourMs)).toThrow(
      /grid/,
    );
  });
});

describe("chargeFor", () => {
  const hour = { periodStartMs: startMs, periodEndMs: startMs + hourMs };

  it.each([
    ["a full hour: 0.025 × 3 × 1", lease, hour, 75_000n],
    ["half an hour", lease, { periodStartMs: startMs, periodEndMs: startMs + hourMs / 2 }, 37_500n],
    ["an empty period", lease, { periodStartMs: startMs, periodEndMs: startMs }, 0n],
    [
      "a third of a micro-CC rounds down",
      { ...lease, priceCcPerSliceHour: "0.001", slices: 1 },
      { periodStartMs: startMs, periodEndMs: startMs + 20 * 60_000 },
      333n,
    ],
    [
      "less than one minor unit is nothing",
      { ...lease, priceCcPerSliceHour: "0.000001", slices: 1 },
      { periodStartMs: startMs, periodEndMs: startMs + 1 },
      0n,
    ],
    [
      "the maximum price on the maximum slices",
      { ...lease, priceCcPerSliceHour: "1000000", slices: 1024 },
      hour,
      1_024_000_000_000_000n,
    ],
    [
      "paused for the middle half",
      { ...lease, pauses: [{ fromMs: startMs + hourMs / 4, untilMs: startMs + (3 * hourMs) / 4 }] },
      hour,
      37_500n,
    ],
    [
      "paused from a quarter in, still paused",
      {
        ...lease,
        status: "paused",
        pausedReason: "node_offline",
        pauses: [{ fromMs: startMs + hourMs / 4, untilMs: null }],
      },
      hour,
      18_750n,
    ],
    [
      "paused throughout",
      { ...lease, status: "paused", pausedReason: "preempted", pauses: [{ fromMs: startMs, untilMs: null }] },
      hour,
      0n,
    ],
    [
      "a pause outside the period",
      { ...lease, pauses: [{ fromMs: startMs + hourMs, untilMs: startMs + 2 * hourMs }] },
      hour,
      75_000n,
    ],
  ] as const)("%s", (_label, charged, period, expected) => {
    expect(chargeFor(charged as Lease, period)).toBe(expected);
  });

  it("refuses a period outside the lease", () => {
    expect(() => chargeFor(lease, { periodStartMs: startMs - 1, periodEndMs: startMs + 1 })).toThrow();
    expect(() =>
      chargeFor({ ...lease, endsAtMs: startMs + 10 }, { periodStartMs: startMs, periodEndMs: startMs + 11 }),
    ).toThrow();
  });
});

describe("recordSettlement", () => {
  const book = withOnDemand(newBook(), "a", 2);

  it("advances settledThroughMs by the next due period and logs it", () => {
    const [first] = duePeriods(leaseOf(book, "lse_a"), startMs + 2 * hourMs);
    const result = unwrap(recordSettlement(book, "lse_a", first!, startMs + 2 * hourMs));
    expect(leaseOf(result.book, "lse_a").settledThroughMs).toBe(startMs + hourMs);
    expect(result.events).toEqual([
      {
        type: "settled",
        leaseId: "lse_a",
        atMs: startMs + 2 * hourMs,
        detail: "settlement stl_lse_a_0 recorded",
        details: { settlementId: "stl_lse_a_0" },
      },
    ]);
    const retried = unwrap(recordSettlement(result.book, "lse_a", first!, startMs + 2 * hourMs));
    expect(retried.book).toEqual(result.book);
    expect(retried.events).toEqual([]);
  });

  it("refuses a period that is not the next due one", () => {
    const periods = duePeriods(leaseOf(book, "lse_a"), startMs + 2 * hourMs);
    expect(failureOf(recordSettlement(book, "lse_a", periods[1]!, startMs + 2 * hourMs))).toEqual({
      code: "CONFLICT",
    });
    const stretched = { ...periods[0]!, periodEndMs: startMs + hourMs + 1 };
    expect(failureOf(recordSettlement(book, "lse_a", stretched, startMs + 2 * hourMs))).toEqual({
      code: "CONFLICT",
    });
    // Not yet due: the first period has not fully elapsed.
    expect(failureOf(recordSettlement(book, "lse_a", periods[0]!, startMs + hourMs - 1))).toEqual({
      code: "CONFLICT",
    });
    expect(failureOf(recordSettlement(book, "lse_b", periods[0]!, startMs + 2 * hourMs))).toEqual({
      code: "NOT_FOUND",
      field: "leaseId",
    });
  });

  it("settles an ended lease through its end and forgets settled pauses", () => {
    let current = next(markInsufficientFunds(book, "lse_a", startMs + 10 * 60_000, hourMs));
    current = next(resumeFunded(current, "lse_a", startMs + 40 * 60_000));
    current = next(endLease(current, "lse_a", startMs + 1.5 * hourMs));
    const periods = duePeriods(leaseOf(current, "lse_a"), startMs + 2 * hourMs);
    expect(periods.map((period) => chargeFor(leaseOf(current, "lse_a"), period))).toEqual([
      1_000_000n, // 2 slices × 1 CC × (60 − 30 paused) minutes
      1_000_000n, // 2 slices × 1 CC × 30 minutes
    ]);
    for (const period of periods)
      current = next(recordSettlement(current, "lse_a", period, startMs + 2 * hourMs));
    expect(leaseOf(current, "lse_a")).toMatchObject({ settledThroughMs: startMs + 1.5 * hourMs, pauses: [] });
    expect(duePeriods(leaseOf(current, "lse_a"), startMs + 3 * hourMs)).toEqual([]);
  });
});

describe("the pause log bound", () => {
  it(`keeps at most ${pausesPerLeaseMax} intervals and never charges more than the real running time`, () => {
    let book = withOnDemand(newBook(), "a", 1);
    const minuteMs = 60_000;
    // 40 one-minute pauses, one every 1.5 minutes: 20 minutes running in the first hour.
    for (let index = 0; index < 40; index += 1) {
      const atMs = startMs + index * 1.5 * minuteMs;
      book = next(markInsufficientFunds(book, "lse_a", atMs, hourMs));
      book = next(resumeFunded(book, "lse_a", atMs + minuteMs));
    }
    const lease = leaseOf(book, "lse_a");
    expect(lease.pauses.length).toBeLessThanOrEqual(pausesPerLeaseMax);
    const period = duePeriods(lease, startMs + hourMs)[0]!;
    expect(runningMsIn(lease, period.periodStartMs, period.periodEndMs)).toBeLessThanOrEqual(20 * minuteMs);
    expect(chargeFor(lease, period)).toBeLessThanOrEqual(333_333n);
  });
});
