// Proves the settlement plan (src/market/core/settlement-plan.ts) as pure arithmetic: each period draws its charge from the lease's usable holds oldest first and charges the rest beyond them (or leaves it unpaid when told not to), splits exactly 80/10/10, burns the TFT equivalent from the vault as far as the run's budget goes and owes the rest, releases a hold that timed out first, and skips periods an earlier run settled.
import { describe, expect, it } from "vitest";
import { hourMs } from "../../../src/kit/clock";
import { settlementId } from "../../../src/kit/ids";
import type { Lease } from "../../../src/market/core/bidbook";
import { defaultMarketParameters } from "../../../src/market/core/parameters";
import {
  type HeldFunds,
  type PlanContext,
  planLease,
  type SettlementWork,
  tftForCc,
} from "../../../src/market/core/settlement-plan";

const startMs = 1_767_225_600_000;
const hourMinor = 1_000_000n;
const accounts = {
  escrow: "acc_escrow_cc",
  treasury: "acc_treasury_cc",
  burnCc: "acc_burn_cc",
  vaultTft: "acc_vault_tft",
  burnTft: "acc_burn_tft",
};

const lease = {
  id: "lse_a",
  accountId: "acc_payer",
  kind: "onDemand",
  slices: 1,
  priceCcPerSliceHour: "1",
  startedAtMs: startMs,
  endsAtMs: null,
  status: "running",
  settledThroughMs: startMs,
  pauses: [],
} as Lease;

function period(index: number) {
  return {
    settlementId: settlementId(lease.id, index),
    periodIndex: index,
    periodStartMs: startMs + index * hourMs,
    periodEndMs: startMs + (index + 1) * hourMs,
  };
}

function work(periods: number, holdIds: string[]): SettlementWork {
  return {
    lease,
    parties: {
      leaseId: lease.id,
      nodeId: "node_a",
      farmerId: "frm_a",
      farmerAccountId: "acc_farmer",
      payerAccountId: "acc_payer",
      holdIds,
    },
    periods: Array.from({ length: periods }, (_, index) => period(index)),
  } as SettlementWork;
}

function hold(id: string, remainingMinor: bigint, expiresAtMs: number | null = null): HeldFunds {
  return { id, remainingMinor, status: "pending", expiresAtMs };
}

function context(overrides: Partial<PlanContext> = {}): PlanContext {
  return {
    nowMs: startMs + 3 * hourMs,
    parameters: defaultMarketParameters,
    prices: { ccUsd: "0.128", tftUsd: "0.05" },
    accounts,
    vault: { availableMinor: 10n ** 12n },
    existing: new Map(),
    ...overrides,
  };
}

const flags = { collectShortfall: true, burnFromVault: true };

describe("the settlement plan", () => {
  it("draws each period from the holds oldest first, then beyond them, and splits it exactly", () => {
    const holds = new Map([
      ["hold_a", hold("hold_a", hourMinor / 2n)],
      ["hold_b", hold("hold_b", hourMinor)],
    ]);
    const plan = planLease(work(2, ["hold_a", "hold_b"]), holds, context(), flags);
    const draws = plan.requests.filter((request) => request.type === "post_pending");
    expect(draws.map((request) => [request.id, request.pendingId, request.amountMinor])).toEqual([
      ["stl_lse_a_0", "hold_a", hourMinor / 2n],
      ["stl_lse_a_0.d1", "hold_b", hourMinor / 2n],
      ["stl_lse_a_1", "hold_b", hourMinor / 2n],
    ]);
    const due = plan.requests.find((request) => request.id === "stl_lse_a_1.due");
    expect(due?.type === "posted" ? due.amountMinor : null).toBe(hourMinor / 2n);
    for (const { figures } of plan.settled) {
      expect(figures.chargeMinor).toBe(hourMinor);
      expect([figures.farmerMinor, figures.burnMinor, figures.threefoldMinor]).toEqual([
        800_000n,
        100_000n,
        100_000n,
      ]);
      expect(figures.burnedTftMinor).toBe(tftForCc(100_000n, "0.128", "0.05"));
    }
    expect(plan.settledThroughMs).toBe(startMs + 2 * hourMs);
    expect(plan.holds.get("hold_b")?.status).toBe("posted");
  });

  it("leaves the shortfall unpaid when told not to collect it", () => {
    const plan = planLease(work(1, []), new Map(), context(), { ...flags, collectShortfall: false });
    expect(plan.settled[0]?.figures).toMatchObject({
      owedMinor: hourMinor,
      unpaidMinor: hourMinor,
      chargeMinor: 0n,
    });
    expect(plan.collectsShortfall).toBe(false);
  });

  it("burns from the vault as far as the run's budget goes and owes the rest, or all without a price", () => {
    const burnTft = tftForCc(100_000n, "0.128", "0.05");
    const budget = { availableMinor: burnTft + burnTft / 2n };
    const plan = planLease(work(2, []), new Map(), context({ vault: budget }), flags);
    expect(plan.settled.map((item) => item.obligation?.tftMinor ?? null)).toEqual([null, burnTft / 2n]);
    expect(budget.availableMinor).toBe(0n);
    const unpriced = planLease(work(1, []), new Map(), context({ prices: null }), flags);
    expect(unpriced.settled[0]?.obligation).toMatchObject({ reason: "no_price", tftMinor: null });
  });

  it("releases a hold that timed out before drawing, and skips periods already settled", () => {
    const holds = new Map([["hold_old", hold("hold_old", hourMinor, startMs)]]);
    const first = planLease(work(1, ["hold_old"]), holds, context(), flags);
    const existing = new Map([[first.settled[0]!.figures.period.settlementId, first.settled[0]!.figures]]);
    const plan = planLease(work(2, ["hold_old"]), holds, context({ existing }), flags);
    expect(plan.requests[0]).toMatchObject({
      type: "void_pending",
      id: "void_hold_old",
      pendingId: "hold_old",
    });
    expect(plan.requests.some((request) => request.type === "post_pending")).toBe(false);
    expect(plan.figures).toHaveLength(2);
    expect(plan.settled.map((item) => item.figures.period.periodIndex)).toEqual([1]);
  });
});
