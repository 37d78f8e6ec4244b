/**
 * The settlement of a lease's due periods as a plan (ECONOMICS §10), pure: the ledger transfers
 * of each period (drawdowns from the lease's holds, a shortfall leg, the 80 / 10 / 10 split, the
 * TFT burn from the vault) and the records to write with them (the settlement rows, the burn
 * obligations, the lease's settled-through time). src/market/store/settlement.ts reads what the
 * plan needs, turns its records into statements and writes it; see there for the whole story.
 */
import { invariant } from "../../kit/errors";
import { voidId } from "../../kit/ids";
import { type HoldInfo, isUsable } from "../../ledger/core/holds";
import { convertAmount, rateInverse, rateOf, rateTimes } from "../../ledger/core/money";
import type { TransferRequest } from "../../ledger/core/transfers";
import type { Lease } from "./bidbook/model";
import { chargeFor, type SettlementPeriod } from "./bidbook/settlement";
import type { MarketParameters } from "./parameters";
import { splitRevenue } from "./revenue";

/** Who pays and who is paid for a lease, and the holds that stand behind it (oldest first). */
export type LeaseParties = {
  readonly leaseId: string;
  readonly nodeId: string;
  readonly farmerId: string;
  readonly farmerAccountId: string;
  readonly payerAccountId: string;
  readonly holdIds: readonly string[];
};

export type SettlementWork = {
  readonly lease: Lease;
  readonly parties: LeaseParties;
  /** Due periods, oldest first, as `duePeriods` gives them. */
  readonly periods: readonly SettlementPeriod[];
};

/** The figures of one settled period (minor units; TFT scale 7). */
export type PeriodFigures = {
  readonly period: SettlementPeriod;
  readonly owedMinor: bigint;
  readonly chargeMinor: bigint;
  readonly unpaidMinor: bigint;
  readonly farmerMinor: bigint;
  readonly burnMinor: bigint;
  readonly threefoldMinor: bigint;
  readonly burnTftMinor: bigint;
  readonly burnedTftMinor: bigint;
  /** True when an earlier run had written it. */
  readonly alreadySettled: boolean;
};

/** What the ledger says about one hold (the shape of src/ledger/holds.ts `HoldInfo`). */
export type HeldFunds = HoldInfo;

/** USD prices of CC and TFT the burn is valued at; null when the peg has none (or is halted). */
export type Prices = { ccUsd: string; tftUsd: string } | null;

/** What a retry relaxes: charging the payer beyond the holds, burning TFT from the vault. */
export type PlanFlags = { collectShortfall: boolean; burnFromVault: boolean };

/** The accounts settlement moves money between. */
export type SettlementAccounts = {
  escrow: string;
  treasury: string;
  burnCc: string;
  vaultTft: string;
  burnTft: string;
};

export type PlanContext = {
  nowMs: number;
  parameters: MarketParameters;
  prices: Prices;
  accounts: SettlementAccounts;
  /** TFT the vault may still burn in this run (shared by every plan, decremented as planned). */
  vault: { availableMinor: bigint };
  /** Periods an earlier run settled, by settlement id. */
  existing: ReadonlyMap<string, PeriodFigures>;
};

/** A burn whose TFT was not (all) burned: owed by buy-back, or valued later for want of a price. */
export type BurnObligation = {
  settlementId: string;
  burnCcMinor: bigint;
  tftMinor: bigint | null;
  reason: "no_price" | "vault_shortfall";
};

/** One lease's plan: the transfers, the records written with them, and the holds as they end up. */
export type LeasePlan = {
  work: SettlementWork;
  requests: TransferRequest[];
  /** The periods newly settled by this plan: their running time and any burn left owed. */
  settled: { figures: PeriodFigures; runningMs: number; obligation: BurnObligation | null }[];
  /** Every period of the work, in order (including ones an earlier run wrote). */
  figures: PeriodFigures[];
  settledThroughMs: number;
  holds: Map<string, HeldFunds>;
  usesVault: boolean;
  collectsShortfall: boolean;
};

/** The smaller of two amounts (Math.min does not take bigints). */
export function smaller(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

/**
 * TFT minor units worth `ccMinor` CC at `ccUsd` USD per CC and `tftUsd` USD per TFT:
 * `cc × ccUsd / tftUsd`, exact, rounded DOWN (never burn more than the equivalent).
 */
export function tftForCc(ccMinor: bigint, ccUsd: string, tftUsd: string): bigint {
  const perCc = rateOf(ccUsd, "ccUsd");
  const perTft = rateOf(tftUsd, "tftUsd");
  invariant(perCc.numerator > 0n && perTft.numerator > 0n, "tftForCc: prices must be positive");
  return convertAmount("CC", ccMinor, "TFT", rateTimes(perCc, rateInverse(perTft)), "floor");
}

/** Plans every due period of one lease (the holds as `holdsNow` reports them). */
export function planLease(
  work: SettlementWork,
  holdsNow: ReadonlyMap<string, HeldFunds>,
  context: PlanContext,
  flags: PlanFlags,
): LeasePlan {
  const holds = new Map<string, HeldFunds>();
  for (const id of work.parties.holdIds) {
    const hold = holdsNow.get(id);
    if (hold) holds.set(id, { ...hold });
  }
  const plan: LeasePlan = {
    work,
    requests: [],
    settled: [],
    figures: [],
    settledThroughMs: work.lease.settledThroughMs,
    holds,
    usesVault: false,
    collectsShortfall: false,
  };
  // A hold that timed out unused still holds the payer's CC until the sweeper voids it: release it
  // first, in the same write, so a shortfall leg below can take that CC instead.
  for (const hold of holds.values()) {
    if (hold.status === "pending" && hold.expiresAtMs !== null && hold.expiresAtMs <= context.nowMs) {
      plan.requests.push({
        type: "void_pending",
        id: voidId(hold.id),
        pendingId: hold.id,
        code: "lease_hold_released",
      });
      hold.status = "voided";
      hold.remainingMinor = 0n;
    }
  }
  for (const period of work.periods) {
    plan.settledThroughMs = period.periodEndMs;
    const done = context.existing.get(period.settlementId);
    if (done) plan.figures.push(done);
    else planPeriod(plan, period, context, flags);
  }
  return plan;
}

/** Adds one period to the plan: its charge from the holds (and beyond), its split and its burn. */
function planPeriod(plan: LeasePlan, period: SettlementPeriod, context: PlanContext, flags: PlanFlags): void {
  const { lease, parties } = plan.work;
  const { accounts } = context;
  const id = period.settlementId;
  const metadata = { leaseId: lease.id, periodIndex: period.periodIndex };
  const owedMinor = chargeFor(lease, period);
  const leftMinor = drawFromHolds(plan, period, owedMinor, context.nowMs);
  let unpaidMinor = 0n;
  if (leftMinor > 0n && flags.collectShortfall) {
    plan.collectsShortfall = true;
    plan.requests.push({
      type: "posted",
      id: `${id}.due`,
      debitAccountId: parties.payerAccountId,
      creditAccountId: accounts.escrow,
      asset: "CC",
      amountMinor: leftMinor,
      code: "lease_charge",
      metadata: { ...metadata, beyondHold: true },
    });
  } else {
    unpaidMinor = leftMinor;
  }
  const chargeMinor = owedMinor - unpaidMinor;
  const split = splitRevenue(chargeMinor, context.parameters);
  const payouts: [string, string, bigint, string][] = [
    ["farmer", parties.farmerAccountId, split.farmerMinor, "lease_revenue_farmer"],
    ["burn", accounts.burnCc, split.burnMinor, "lease_revenue_burn"],
    ["threefold", accounts.treasury, split.threefoldMinor, "lease_revenue_threefold"],
  ];
  for (const [suffix, accountId, amountMinor, code] of payouts) {
    if (amountMinor === 0n) continue;
    plan.requests.push({
      type: "posted",
      id: `${id}.${suffix}`,
      debitAccountId: accounts.escrow,
      creditAccountId: accountId,
      asset: "CC",
      amountMinor,
      code,
      metadata,
    });
  }
  const { burnTftMinor, burnedTftMinor, obligation } = planBurn(
    plan,
    period,
    split.burnMinor,
    context,
    flags,
  );
  const figures: PeriodFigures = {
    period,
    owedMinor,
    chargeMinor,
    unpaidMinor,
    farmerMinor: split.farmerMinor,
    burnMinor: split.burnMinor,
    threefoldMinor: split.threefoldMinor,
    burnTftMinor,
    burnedTftMinor,
    alreadySettled: false,
  };
  plan.figures.push(figures);
  plan.settled.push({ figures, runningMs: runningMs(lease, period), obligation });
}

/** Draws `owedMinor` from the lease's usable holds, oldest first; returns what they did not cover. */
function drawFromHolds(plan: LeasePlan, period: SettlementPeriod, owedMinor: bigint, nowMs: number): bigint {
  const id = period.settlementId;
  let leftMinor = owedMinor;
  let draws = 0;
  for (const hold of plan.holds.values()) {
    if (leftMinor === 0n) break;
    if (!isUsable(hold, nowMs)) continue;
    const take = smaller(hold.remainingMinor, leftMinor);
    plan.requests.push({
      type: "post_pending",
      id: draws === 0 ? id : `${id}.d${draws}`,
      pendingId: hold.id,
      amountMinor: take,
      final: false,
      code: "lease_charge",
      metadata: { leaseId: plan.work.lease.id, periodIndex: period.periodIndex },
    });
    draws += 1;
    hold.remainingMinor -= take;
    if (hold.remainingMinor === 0n) hold.status = "posted";
    leftMinor -= take;
  }
  return leftMinor;
}

/**
 * The burn's TFT equivalent, burned from the vault as far as this run's budget goes; what is not
 * burned (or not valued, without a price) becomes a burn obligation.
 */
function planBurn(
  plan: LeasePlan,
  period: SettlementPeriod,
  burnMinor: bigint,
  context: PlanContext,
  flags: PlanFlags,
): { burnTftMinor: bigint; burnedTftMinor: bigint; obligation: BurnObligation | null } {
  const { prices } = context;
  const burnTftMinor =
    prices === null || burnMinor === 0n ? 0n : tftForCc(burnMinor, prices.ccUsd, prices.tftUsd);
  let burnedTftMinor = 0n;
  if (flags.burnFromVault && burnTftMinor > 0n) {
    burnedTftMinor = smaller(burnTftMinor, context.vault.availableMinor);
    if (burnedTftMinor > 0n) {
      context.vault.availableMinor -= burnedTftMinor;
      plan.usesVault = true;
      plan.requests.push({
        type: "posted",
        id: `${period.settlementId}.tft`,
        debitAccountId: context.accounts.vaultTft,
        creditAccountId: context.accounts.burnTft,
        asset: "TFT",
        amountMinor: burnedTftMinor,
        code: "lease_burn_tft",
        metadata: {
          leaseId: plan.work.lease.id,
          periodIndex: period.periodIndex,
          burnCcMinor: burnMinor.toString(),
        },
      });
    }
  }
  const owed = burnMinor > 0n && (prices === null || burnedTftMinor < burnTftMinor);
  const obligation: BurnObligation | null = owed
    ? {
        settlementId: period.settlementId,
        burnCcMinor: burnMinor,
        tftMinor: prices === null ? null : burnTftMinor - burnedTftMinor,
        reason: prices === null ? "no_price" : "vault_shortfall",
      }
    : null;
  return { burnTftMinor, burnedTftMinor, obligation };
}

/** How long the lease ran in the period: its length less its pauses. */
export function runningMs(lease: Lease, period: SettlementPeriod): number {
  let pausedMs = 0;
  for (const pause of lease.pauses) {
    const from = Math.max(pause.fromMs, period.periodStartMs);
    const until = Math.min(pause.untilMs ?? period.periodEndMs, period.periodEndMs);
    if (until > from) pausedMs += until - from;
  }
  return period.periodEndMs - period.periodStartMs - pausedMs;
}

/** Returns to the run's vault budget what a refused plan had reserved. */
export function refundVault(plan: LeasePlan, context: PlanContext): void {
  for (const figures of plan.figures) {
    if (!figures.alreadySettled) context.vault.availableMinor += figures.burnedTftMinor;
  }
}
