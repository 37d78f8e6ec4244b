// Proves the lease top-up rule (src/market/core/funding.ts): a lease whose holds still cover its low-water mark asks for nothing; one below it asks for one prepaid window named by its settled periods; a fixed lease never asks for more than it still owes and nothing once covered to its end; a lease paused for funds always asks; and a refusal pauses the lease only when its holds would not cover the next period.
import { describe, expect, it } from "vitest";
import { hourMs } from "../../../src/kit/clock";
import type { Lease } from "../../../src/market/core/bidbook";
import { topUpFor } from "../../../src/market/core/funding";

const startMs = 1_767_225_600_000;
/** 1 CC per slice-hour on 1 slice: an hour costs 1,000,000 minor units. */
const hourMinor = 1_000_000n;
const policy = { topUpBelowMs: 12 * hourMs, prepaidWindowMs: 24 * hourMs };

function lease(overrides: Partial<Lease> = {}): Lease {
  return {
    id: "lse_a",
    accountId: "acc_a",
    kind: "onDemand",
    slices: 1,
    priceCcPerSliceHour: "1",
    startedAtMs: startMs,
    endsAtMs: null,
    status: "running",
    settledThroughMs: startMs,
    pauses: [],
    ...overrides,
  } as Lease;
}

describe("the top-up rule", () => {
  it("asks for nothing while the usable holds cover the low-water mark and what has run", () => {
    expect(topUpFor(lease(), 13n * hourMinor, startMs + hourMs, policy)).toBeNull();
    expect(topUpFor(lease(), 12n * hourMinor, startMs, policy)).toBeNull();
  });

  it("asks for one prepaid window below it, named by the periods settled so far", () => {
    const settled = lease({
      settledThroughMs: startMs + 5 * hourMs,
      settledRunningMs: 5 * hourMs,
    } as Partial<Lease>);
    const topUp = topUpFor(settled, 11n * hourMinor, startMs + 5 * hourMs, policy);
    expect(topUp).toEqual({ amountMinor: 24n * hourMinor, periods: 5, pauseIfRefused: false });
  });

  it("pauses on a refusal only when the holds would not cover the next period", () => {
    expect(topUpFor(lease(), hourMinor - 1n, startMs, policy)?.pauseIfRefused).toBe(true);
    expect(topUpFor(lease(), hourMinor, startMs, policy)?.pauseIfRefused).toBe(false);
    // A paused lease is not paused again.
    const paused = lease({ status: "paused", pausedReason: "insufficient_funds" });
    expect(topUpFor(paused, 0n, startMs, policy)?.pauseIfRefused).toBe(false);
  });

  it("never asks a fixed lease for more than it still owes, and nothing once it is covered", () => {
    const fixed = lease({ endsAtMs: startMs + 30 * hourMs });
    expect(topUpFor(fixed, 10n * hourMinor, startMs, policy)?.amountMinor).toBe(20n * hourMinor);
    expect(topUpFor(fixed, 30n * hourMinor, startMs, policy)).toBeNull();
  });

  it("always asks for a lease paused for funds, even with holds above the mark", () => {
    const paused = lease({ status: "paused", pausedReason: "insufficient_funds" });
    expect(topUpFor(paused, 20n * hourMinor, startMs, policy)?.amountMinor).toBe(24n * hourMinor);
  });
});
