/**
 * Settlement of lease periods (ECONOMICS §10): every due period of a lease is charged from its
 * holds and split 80 / 10 / 10 in one linked ledger write with its records.
 *
 * For one period of lease L with charge C (bidbook `chargeFor`: the cumulative charge at the
 * lease's exact price, C(running time through the period) − C(running time before it), each term
 * rounded down, so a lease's periods sum to its exact price; src/market/core/bidbook/rate.ts), the
 * write holds, all linked:
 * - `post_pending` drawdowns (final = false) of C from L's holds, oldest first: payer → escrow
 *   (`stl_<L>_<k>`, then `….d1`, `….d2` when a hold runs out mid-charge);
 * - if the holds do not cover C, a posted transfer of the shortfall payer → escrow (`….due`); when
 *   the payer cannot pay it either, the write is retried without it and the shortfall is recorded
 *   as unpaid (forgiven; the lease is then paused for funds by the top-up rule);
 * - escrow → the farmer's CC account (`….farmer`), escrow → acc_burn_cc (`….burn`: CC destroyed),
 *   escrow → acc_treasury_cc (`….threefold`), the parts of `splitRevenue` (remainder to ThreeFold),
 *   so the escrow gives out exactly what it took in;
 * - the burn's TFT equivalent at the oracle price (`burn × ccUsd / tftUsd`, rounded down) moved
 *   acc_vault_tft → acc_burn_tft (`….tft`) as far as the vault's available balance goes; the rest
 *   is a `burn_obligations` row (buy-back owed), or, with no healthy price, the whole burn is one
 *   valued later (`no_price`);
 * - `extra` statements: the `settlements` row (whose CHECKs assert the split sums exactly) and the
 *   lease mirror's settled-through time and charged total.
 *
 * Idempotent: settlement ids derive from (lease, period); periods whose `settlements` row exists
 * are reported as already settled and not written again, so an alarm that fires twice, or after a
 * restart between the ledger write and the book's record of it, changes nothing. Leases are
 * written in batches of up to `settlementTransfersPerWriteMax` transfers; a batch that is refused
 * is retried lease by lease so one lease's trouble never holds back the others.
 */
import type { Client, InStatement } from "@libsql/client";
import { invariant } from "../../kit/errors";
import { type Failure, fail } from "../../kit/result";
import { convertAmount, rateInverse, rateOf, rateTimes } from "../../ledger/core/money";
import type { TransferRequest } from "../../ledger/core/transfers";
import { escrowAccountId, type HoldInfo, isUsable, loadHolds, treasuryAccountId } from "../../ledger/holds";
import { createTransfers } from "../../ledger/store";
import { currentPeg } from "../../oracle/prices";
import type { Lease } from "../core/bidbook/model";
import { chargeFor, type SettlementPeriod } from "../core/bidbook/settlement";
import type { MarketParameters } from "../core/parameters";
import { splitRevenue } from "../core/revenue";

/** Most transfers in one settlement write (a linked group may hold 1,000). */
export const settlementTransfersPerWriteMax = 400;
/** Attempts per lease after its batch was refused. */
const leaseAttemptsMax = 4;

const burnAccountId = "acc_burn_cc";
export const vaultTftAccountId = "acc_vault_tft";
export const burnTftAccountId = "acc_burn_tft";

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

export type LeaseSettlement = {
  readonly leaseId: string;
  /** The periods now settled, in order (all of the work's periods, or none on failure). */
  readonly settled: readonly PeriodFigures[];
  readonly failure: Failure | null;
  /** What each of the lease's holds has left after this run (as far as known). */
  readonly holds: ReadonlyMap<string, HoldInfo>;
};

export type Prices = { ccUsd: string; tftUsd: string } | null;

type Flags = { collectShortfall: boolean; burnFromVault: boolean };

type Plan = {
  work: SettlementWork;
  requests: TransferRequest[];
  extra: InStatement[];
  figures: PeriodFigures[];
  holds: Map<string, HoldInfo>;
  usesVault: boolean;
  collectsShortfall: boolean;
};

type Context = {
  nowMs: number;
  parameters: MarketParameters;
  prices: Prices;
  /** TFT the vault may still burn in this run (shared by every plan, decremented as planned). */
  vault: { availableMinor: bigint };
  existing: Map<string, PeriodFigures>;
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

function planLease(
  work: SettlementWork,
  holdsNow: Map<string, HoldInfo>,
  context: Context,
  flags: Flags,
): Plan {
  const { lease, parties } = work;
  const holds = new Map<string, HoldInfo>();
  for (const id of parties.holdIds) {
    const hold = holdsNow.get(id);
    if (hold) holds.set(id, { ...hold });
  }
  const plan: Plan = {
    work,
    requests: [],
    extra: [],
    figures: [],
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
        id: `void_${hold.id}`,
        pendingId: hold.id,
        code: "lease_hold_released",
      });
      hold.status = "voided";
      hold.remainingMinor = 0n;
    }
  }
  let settledThroughMs = lease.settledThroughMs;
  for (const period of work.periods) {
    settledThroughMs = period.periodEndMs;
    const done = context.existing.get(period.settlementId);
    if (done) {
      plan.figures.push(done);
      continue;
    }
    const id = period.settlementId;
    const owedMinor = chargeFor(lease, period);
    let leftMinor = owedMinor;
    let draws = 0;
    for (const hold of holds.values()) {
      if (leftMinor === 0n) break;
      if (!isUsable(hold, context.nowMs)) continue;
      const take = smaller(hold.remainingMinor, leftMinor);
      plan.requests.push({
        type: "post_pending",
        id: draws === 0 ? id : `${id}.d${draws}`,
        pendingId: hold.id,
        amountMinor: take,
        final: false,
        code: "lease_charge",
        metadata: { leaseId: lease.id, periodIndex: period.periodIndex },
      });
      draws += 1;
      hold.remainingMinor -= take;
      if (hold.remainingMinor === 0n) hold.status = "posted";
      leftMinor -= take;
    }
    let unpaidMinor = 0n;
    if (leftMinor > 0n && flags.collectShortfall) {
      plan.collectsShortfall = true;
      plan.requests.push({
        type: "posted",
        id: `${id}.due`,
        debitAccountId: parties.payerAccountId,
        creditAccountId: escrowAccountId,
        asset: "CC",
        amountMinor: leftMinor,
        code: "lease_charge",
        metadata: { leaseId: lease.id, periodIndex: period.periodIndex, beyondHold: true },
      });
    } else {
      unpaidMinor = leftMinor;
    }
    const chargeMinor = owedMinor - unpaidMinor;
    const split = splitRevenue(chargeMinor, context.parameters);
    const payouts: [string, string, bigint, string][] = [
      ["farmer", parties.farmerAccountId, split.farmerMinor, "lease_revenue_farmer"],
      ["burn", burnAccountId, split.burnMinor, "lease_revenue_burn"],
      ["threefold", treasuryAccountId, split.threefoldMinor, "lease_revenue_threefold"],
    ];
    for (const [suffix, accountId, amountMinor, code] of payouts) {
      if (amountMinor === 0n) continue;
      plan.requests.push({
        type: "posted",
        id: `${id}.${suffix}`,
        debitAccountId: escrowAccountId,
        creditAccountId: accountId,
        asset: "CC",
        amountMinor,
        code,
        metadata: { leaseId: lease.id, periodIndex: period.periodIndex },
      });
    }
    const burnTftMinor =
      context.prices === null || split.burnMinor === 0n
        ? 0n
        : tftForCc(split.burnMinor, context.prices.ccUsd, context.prices.tftUsd);
    let burnedTftMinor = 0n;
    if (flags.burnFromVault && burnTftMinor > 0n) {
      const available = context.vault.availableMinor;
      burnedTftMinor = smaller(burnTftMinor, available);
      if (burnedTftMinor > 0n) {
        context.vault.availableMinor -= burnedTftMinor;
        plan.usesVault = true;
        plan.requests.push({
          type: "posted",
          id: `${id}.tft`,
          debitAccountId: vaultTftAccountId,
          creditAccountId: burnTftAccountId,
          asset: "TFT",
          amountMinor: burnedTftMinor,
          code: "lease_burn_tft",
          metadata: {
            leaseId: lease.id,
            periodIndex: period.periodIndex,
            burnCcMinor: split.burnMinor.toString(),
          },
        });
      }
    }
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
    plan.extra.push({
      sql: `INSERT INTO settlements (id, lease_id, node_id, farmer_id, payer_account_id, farmer_account_id, period_index,
              period_start, period_end, running_ms, owed_minor, unpaid_minor, charge_minor, farmer_minor, burn_minor,
              threefold_minor, burn_tft_minor, burned_tft_minor, cc_usd, tft_usd, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      args: [
        id,
        lease.id,
        parties.nodeId,
        parties.farmerId,
        parties.payerAccountId,
        parties.farmerAccountId,
        period.periodIndex,
        period.periodStartMs,
        period.periodEndMs,
        runningMs(lease, period),
        owedMinor,
        unpaidMinor,
        chargeMinor,
        split.farmerMinor,
        split.burnMinor,
        split.threefoldMinor,
        burnTftMinor,
        burnedTftMinor,
        context.prices?.ccUsd ?? null,
        context.prices?.tftUsd ?? null,
        context.nowMs,
      ],
    });
    if (split.burnMinor > 0n && (context.prices === null || burnedTftMinor < burnTftMinor)) {
      plan.extra.push({
        sql: "INSERT INTO burn_obligations (id, settlement_id, burn_cc_minor, tft_minor, reason, status, created_at) VALUES (?, ?, ?, ?, ?, 'open', ?)",
        args: [
          `obl_${id}`,
          id,
          split.burnMinor,
          context.prices === null ? null : burnTftMinor - burnedTftMinor,
          context.prices === null ? "no_price" : "vault_shortfall",
          context.nowMs,
        ],
      });
    }
  }
  plan.extra.push({
    sql: `UPDATE leases SET settled_through = MAX(settled_through, ?),
            charged_minor = (SELECT COALESCE(SUM(charge_minor), 0) FROM settlements WHERE lease_id = ?), updated_at = ?
          WHERE id = ?`,
    args: [settledThroughMs, lease.id, context.nowMs, lease.id],
  });
  return plan;
}

function runningMs(lease: Lease, period: SettlementPeriod): number {
  let pausedMs = 0;
  for (const pause of lease.pauses) {
    const from = Math.max(pause.fromMs, period.periodStartMs);
    const until = Math.min(pause.untilMs ?? period.periodEndMs, period.periodEndMs);
    if (until > from) pausedMs += until - from;
  }
  return period.periodEndMs - period.periodStartMs - pausedMs;
}

const settlementColumns =
  "id, period_index, period_start, period_end, owed_minor, charge_minor, unpaid_minor, farmer_minor, burn_minor, threefold_minor, burn_tft_minor, burned_tft_minor";

/** Settlement rows already written, by id, as the figures they recorded. */
async function existingSettlements(
  client: Client,
  works: readonly SettlementWork[],
): Promise<Map<string, PeriodFigures>> {
  const periods = new Map<string, SettlementPeriod>();
  for (const work of works) for (const period of work.periods) periods.set(period.settlementId, period);
  const ids = [...periods.keys()];
  const found = new Map<string, PeriodFigures>();
  for (let start = 0; start < ids.length; start += 400) {
    const chunk = ids.slice(start, start + 400);
    const result = await client.execute({
      sql: `SELECT ${settlementColumns} FROM settlements WHERE id IN (${chunk.map(() => "?").join(", ")})`,
      args: chunk,
    });
    for (const row of result.rows) {
      const period = periods.get(String(row.id));
      if (!period) continue;
      const minor = (name: string) => BigInt(row[name] as bigint);
      found.set(String(row.id), {
        period,
        owedMinor: minor("owed_minor"),
        chargeMinor: minor("charge_minor"),
        unpaidMinor: minor("unpaid_minor"),
        farmerMinor: minor("farmer_minor"),
        burnMinor: minor("burn_minor"),
        threefoldMinor: minor("threefold_minor"),
        burnTftMinor: minor("burn_tft_minor"),
        burnedTftMinor: minor("burned_tft_minor"),
        alreadySettled: true,
      });
    }
  }
  return found;
}

/** TFT the vault holds and has not promised (posted credits − posted and pending debits). */
export async function vaultAvailable(client: Client): Promise<bigint> {
  const result = await client.execute({
    sql: "SELECT credits_posted - debits_posted - debits_pending AS available FROM accounts WHERE id = ?",
    args: [vaultTftAccountId],
  });
  const available = result.rows[0]?.available;
  return available === undefined || available === null ? 0n : BigInt(available as bigint);
}

/** The TFT valuation of the burn: the peg's CC and TFT prices, unless either is missing or halted. */
export async function burnPrices(client: Client, nowMs: number): Promise<Prices> {
  const peg = await currentPeg(client, nowMs);
  if (peg.ccUsd === null || peg.tft === null || peg.health === "halted") return null;
  return { ccUsd: peg.ccUsd, tftUsd: peg.tft.priceUsd };
}

async function write(client: Client, plans: readonly Plan[], nowMs: number): Promise<Failure | null> {
  const requests = plans.flatMap((plan) => plan.requests);
  const extra = plans.flatMap((plan) => plan.extra);
  if (requests.length === 0) {
    await client.batch(extra, "write");
    return null;
  }
  const written = await createTransfers(client, requests, { nowMs }, extra);
  return written.ok ? null : written;
}

function settledOf(plan: Plan): LeaseSettlement {
  return { leaseId: plan.work.lease.id, settled: plan.figures, failure: null, holds: plan.holds };
}

/** Returns to the run's vault budget what a refused plan had reserved. */
function refundVault(plan: Plan, context: Context): void {
  for (const figures of plan.figures) {
    if (!figures.alreadySettled) context.vault.availableMinor += figures.burnedTftMinor;
  }
}

/** Retries one lease alone after its batch was refused, relaxing what the refusal points at. */
async function settleAlone(client: Client, work: SettlementWork, context: Context): Promise<LeaseSettlement> {
  const flags: Flags = { collectShortfall: true, burnFromVault: true };
  let failure: Failure = fail("INTERNAL", "not attempted");
  let holdsNow = await loadHolds(client, work.parties.holdIds);
  for (let attempt = 0; attempt < leaseAttemptsMax; attempt += 1) {
    const existing = await existingSettlements(client, [work]);
    const plan = planLease(work, holdsNow, { ...context, existing }, flags);
    const refused = await write(client, [plan], context.nowMs);
    if (refused === null) return settledOf(plan);
    refundVault(plan, context);
    failure = refused;
    if (refused.code === "INSUFFICIENT_FUNDS") {
      if (plan.usesVault) flags.burnFromVault = false;
      else if (plan.collectsShortfall) flags.collectShortfall = false;
      else break;
    } else if (
      refused.code === "PENDING_TRANSFER_EXPIRED" ||
      refused.code === "PENDING_TRANSFER_ALREADY_RESOLVED" ||
      refused.code === "PENDING_TRANSFER_NOT_FOUND" ||
      refused.code === "AMOUNT_EXCEEDS_PENDING"
    ) {
      holdsNow = await loadHolds(client, work.parties.holdIds);
    } else if (refused.code !== "IDEMPOTENCY_CONFLICT" && refused.code !== "CONFLICT") {
      break;
    }
  }
  return { leaseId: work.lease.id, settled: [], failure, holds: holdsNow };
}

/**
 * Settles every due period of the given leases (see the module comment). Returns, per lease, the
 * periods now settled (including ones an earlier run wrote) and the state of its holds, or the
 * failure that stopped it (nothing of that lease was written; the caller retries later).
 */
export async function settleLeases(
  client: Client,
  works: readonly SettlementWork[],
  options: { nowMs: number; parameters: MarketParameters },
): Promise<LeaseSettlement[]> {
  const pending = works.filter((work) => work.periods.length > 0);
  if (pending.length === 0) return [];
  const existing = await existingSettlements(client, pending);
  const allDone = pending.every((work) => work.periods.every((period) => existing.has(period.settlementId)));
  const [holdsNow, prices, vault] = await Promise.all([
    loadHolds(
      client,
      pending.flatMap((work) => work.parties.holdIds),
    ),
    allDone ? Promise.resolve(null) : burnPrices(client, options.nowMs),
    allDone ? Promise.resolve(0n) : vaultAvailable(client),
  ]);
  const context: Context = {
    nowMs: options.nowMs,
    parameters: options.parameters,
    prices,
    vault: { availableMinor: vault },
    existing,
  };
  const results: LeaseSettlement[] = [];
  let batch: Plan[] = [];
  let batchTransfers = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const plans = batch;
    batch = [];
    batchTransfers = 0;
    const refused = await write(client, plans, options.nowMs);
    if (refused === null) {
      results.push(...plans.map(settledOf));
      return;
    }
    // Give back what the refused batch had reserved of the vault, then go lease by lease.
    for (const plan of plans) refundVault(plan, context);
    for (const plan of plans) results.push(await settleAlone(client, plan.work, context));
  };
  for (const work of pending) {
    const plan = planLease(work, holdsNow, context, { collectShortfall: true, burnFromVault: true });
    if (batchTransfers + plan.requests.length > settlementTransfersPerWriteMax) await flush();
    batch.push(plan);
    batchTransfers += plan.requests.length;
  }
  await flush();
  return results;
}
