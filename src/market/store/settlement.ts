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
import type { Client, InStatement, ResultSet } from "@libsql/client";
import { bidHoldId, voidId } from "../../kit/ids";
import { type Failure, fail } from "../../kit/result";
import type { HoldState, TransferRequest } from "../../ledger/core/transfers";
import {
  escrowAccountId,
  type HoldInfo,
  holdsFrom,
  holdsStatements,
  loadHolds,
  treasuryAccountId,
} from "../../ledger/holds";
import { createTransfers, transferHoldsFrom } from "../../ledger/store";
import { currentPeg, type Peg, pegFrom, pegStatements } from "../../oracle/prices";
import type { SettlementPeriod } from "../core/bidbook/settlement";
import type { MarketParameters } from "../core/parameters";
import {
  type LeasePlan,
  type PeriodFigures,
  type PlanContext,
  type PlanFlags,
  type Prices,
  planLease,
  refundVault,
  type SettlementAccounts,
  type SettlementWork,
} from "../core/settlement-plan";

export {
  type LeaseParties,
  type PeriodFigures,
  type Prices,
  type SettlementWork,
  smaller,
  tftForCc,
} from "../core/settlement-plan";

/** Most transfers in one settlement write (a linked group may hold 1,000). */
export const settlementTransfersPerWriteMax = 400;
/** Attempts per lease after its batch was refused. */
const leaseAttemptsMax = 4;

export const vaultTftAccountId = "acc_vault_tft";
export const burnTftAccountId = "acc_burn_tft";

/** The accounts settlement moves money between. */
const accounts: SettlementAccounts = {
  escrow: escrowAccountId,
  treasury: treasuryAccountId,
  burnCc: "acc_burn_cc",
  vaultTft: vaultTftAccountId,
  burnTft: burnTftAccountId,
};

export type LeaseSettlement = {
  readonly leaseId: string;
  /** The periods now settled, in order (all of the work's periods, or none on failure). */
  readonly settled: readonly PeriodFigures[];
  readonly failure: Failure | null;
  /** What each of the lease's holds has left after this run (as far as known). */
  readonly holds: ReadonlyMap<string, HoldInfo>;
};

/**
 * The statements written with a plan's transfers: each newly settled period's `settlements` row
 * (and its burn obligation), then the lease mirror's settled-through time and charged total.
 */
function recordsOf(plan: LeasePlan, context: PlanContext): InStatement[] {
  const { lease, parties } = plan.work;
  const { nowMs, prices } = context;
  const statements: InStatement[] = [];
  for (const { figures, runningMs, obligation } of plan.settled) {
    const { period } = figures;
    statements.push({
      sql: `INSERT INTO settlements (id, lease_id, node_id, farmer_id, payer_account_id, farmer_account_id, period_index,
              period_start, period_end, running_ms, owed_minor, unpaid_minor, charge_minor, farmer_minor, burn_minor,
              threefold_minor, burn_tft_minor, burned_tft_minor, cc_usd, tft_usd, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      args: [
        period.settlementId,
        lease.id,
        parties.nodeId,
        parties.farmerId,
        parties.payerAccountId,
        parties.farmerAccountId,
        period.periodIndex,
        period.periodStartMs,
        period.periodEndMs,
        runningMs,
        figures.owedMinor,
        figures.unpaidMinor,
        figures.chargeMinor,
        figures.farmerMinor,
        figures.burnMinor,
        figures.threefoldMinor,
        figures.burnTftMinor,
        figures.burnedTftMinor,
        prices?.ccUsd ?? null,
        prices?.tftUsd ?? null,
        nowMs,
      ],
    });
    if (obligation !== null) {
      statements.push({
        sql: "INSERT INTO burn_obligations (id, settlement_id, burn_cc_minor, tft_minor, reason, status, created_at) VALUES (?, ?, ?, ?, ?, 'open', ?)",
        args: [
          `obl_${obligation.settlementId}`,
          obligation.settlementId,
          obligation.burnCcMinor,
          obligation.tftMinor,
          obligation.reason,
          nowMs,
        ],
      });
    }
  }
  statements.push({
    sql: `UPDATE leases SET settled_through = MAX(settled_through, ?),
            charged_minor = (SELECT COALESCE(SUM(charge_minor), 0) FROM settlements WHERE lease_id = ?), updated_at = ?
          WHERE id = ?`,
    args: [plan.settledThroughMs, lease.id, nowMs, lease.id],
  });
  return statements;
}

const settlementColumns =
  "id, period_index, period_start, period_end, owed_minor, charge_minor, unpaid_minor, farmer_minor, burn_minor, threefold_minor, burn_tft_minor, burned_tft_minor";

/** The reads of the settlements already written for `works`' periods (one per 400 ids). */
function existingStatements(works: readonly SettlementWork[]): InStatement[] {
  const ids = [...new Set(works.flatMap((work) => work.periods.map((period) => period.settlementId)))];
  const statements: InStatement[] = [];
  for (let start = 0; start < ids.length; start += 400) {
    const chunk = ids.slice(start, start + 400);
    statements.push({
      sql: `SELECT ${settlementColumns} FROM settlements WHERE id IN (${chunk.map(() => "?").join(", ")})`,
      args: chunk,
    });
  }
  return statements;
}

/** A `settlements` row's figures, as read (minor units). */
export type WrittenSettlement = {
  id: string;
  owedMinor: bigint;
  chargeMinor: bigint;
  unpaidMinor: bigint;
  farmerMinor: bigint;
  burnMinor: bigint;
  threefoldMinor: bigint;
  burnTftMinor: bigint;
  burnedTftMinor: bigint;
};

function writtenSettlementsFrom(results: readonly ResultSet[]): WrittenSettlement[] {
  return results
    .flatMap((result) => result.rows)
    .map((row) => {
      const minor = (name: string) => BigInt(row[name] as bigint);
      return {
        id: String(row.id),
        owedMinor: minor("owed_minor"),
        chargeMinor: minor("charge_minor"),
        unpaidMinor: minor("unpaid_minor"),
        farmerMinor: minor("farmer_minor"),
        burnMinor: minor("burn_minor"),
        threefoldMinor: minor("threefold_minor"),
        burnTftMinor: minor("burn_tft_minor"),
        burnedTftMinor: minor("burned_tft_minor"),
      };
    });
}

/** The written settlements of `works`' periods, by id, as figures of their periods (others are ignored). */
export function existingFigures(
  works: readonly SettlementWork[],
  written: readonly WrittenSettlement[],
): Map<string, PeriodFigures> {
  const periods = new Map<string, SettlementPeriod>();
  for (const work of works) for (const period of work.periods) periods.set(period.settlementId, period);
  const found = new Map<string, PeriodFigures>();
  for (const { id, ...figures } of written) {
    const period = periods.get(id);
    if (period) found.set(id, { period, ...figures, alreadySettled: true });
  }
  return found;
}

/** The settlements `existingStatements` found, by id, as figures of their periods. */
function existingFrom(
  works: readonly SettlementWork[],
  results: readonly ResultSet[],
): Map<string, PeriodFigures> {
  return existingFigures(works, writtenSettlementsFrom(results));
}

async function existingSettlements(
  client: Client,
  works: readonly SettlementWork[],
): Promise<Map<string, PeriodFigures>> {
  const statements = existingStatements(works);
  return existingFrom(works, statements.length === 0 ? [] : await client.batch(statements, "read"));
}

/** What a settlement run reads before it plans, in one round trip. */
async function settlementFacts(client: Client, works: readonly SettlementWork[], nowMs: number) {
  const existing = existingStatements(works);
  const holds = holdsStatements(works.flatMap((work) => work.parties.holdIds));
  const results = await client.batch(
    [...existing, ...holds, ...pegStatements(nowMs), vaultStatement()],
    "read",
  );
  const at = (from: number, count: number) => results.slice(from, from + count);
  const peg = pegFrom(at(existing.length + holds.length, 2), nowMs);
  return {
    existing: existingFrom(works, at(0, existing.length)),
    holdsNow: holdsFrom(at(existing.length, holds.length)),
    prices: pricesOf(peg),
    vault: vaultFrom(results[results.length - 1]),
  };
}

/** TFT the vault holds and has not promised (posted credits − posted and pending debits). */
export async function vaultAvailable(client: Client): Promise<bigint> {
  return vaultFrom(await client.execute(vaultStatement()));
}

function vaultStatement(): InStatement {
  return {
    sql: "SELECT credits_posted - debits_posted - debits_pending AS available FROM accounts WHERE id = ?",
    args: [vaultTftAccountId],
  };
}

function vaultFrom(result: ResultSet | undefined): bigint {
  const available = result?.rows[0]?.available;
  return available === undefined || available === null ? 0n : BigInt(available as bigint);
}

/** The TFT valuation of the burn: the peg's CC and TFT prices, unless either is missing or halted. */
export async function burnPrices(client: Client, nowMs: number): Promise<Prices> {
  return pricesOf(await currentPeg(client, nowMs));
}

function pricesOf(peg: Peg): Prices {
  if (peg.ccUsd === null || peg.tft === null || peg.health === "halted") return null;
  return { ccUsd: peg.ccUsd, tftUsd: peg.tft.priceUsd };
}

async function write(
  client: Client,
  plans: readonly LeasePlan[],
  context: PlanContext,
): Promise<Failure | null> {
  const { nowMs } = context;
  const requests = plans.flatMap((plan) => plan.requests);
  const extra = plans.flatMap((plan) => recordsOf(plan, context));
  if (requests.length === 0) {
    await client.batch(extra, "write");
    return null;
  }
  const written = await createTransfers(client, requests, { nowMs }, extra);
  return written.ok ? null : written;
}

function settledOf(plan: LeasePlan): LeaseSettlement {
  return { leaseId: plan.work.lease.id, settled: plan.figures, failure: null, holds: plan.holds };
}

/** Retries one lease alone after its batch was refused, relaxing what the refusal points at. */
async function settleAlone(
  client: Client,
  work: SettlementWork,
  context: PlanContext,
): Promise<LeaseSettlement> {
  const flags: PlanFlags = { collectShortfall: true, burnFromVault: true };
  let failure: Failure = fail("INTERNAL", "not attempted");
  let holdsNow = await loadHolds(client, work.parties.holdIds);
  for (let attempt = 0; attempt < leaseAttemptsMax; attempt += 1) {
    const existing = await existingSettlements(client, [work]);
    const plan = planLease(work, holdsNow, { ...context, existing }, flags);
    const refused = await write(client, [plan], context);
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
  // What was settled before, the holds, the peg and the vault: one round trip.
  const { existing, holdsNow, prices, vault } = await settlementFacts(client, pending, options.nowMs);
  const context: PlanContext = {
    nowMs: options.nowMs,
    parameters: options.parameters,
    prices,
    accounts,
    vault: { availableMinor: vault },
    existing,
  };
  const results: LeaseSettlement[] = [];
  let batch: LeasePlan[] = [];
  let batchTransfers = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const plans = batch;
    batch = [];
    batchTransfers = 0;
    const refused = await write(client, plans, context);
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

// ---------------------------------------------------------------- a lease's end in one write

/** Most holds of one lease, and written settlements past its mirrored settled-through time, the end's read takes. */
export const leaseEndRowsMax = 200;

/**
 * What ending a lease needs to settle its last periods and release its holds in one write, read
 * in the ending request's one read (`leaseEndQuery`): the holds that may fund the lease (its own,
 * `hold_<lease>_…`, and those of the bid it came from), the settlements written past the lease
 * row's settled-through time, the peg's prices and the vault's available TFT. A copy gone stale
 * by the write is harmless: the database refuses the write, and the book's money pass settles
 * the lease instead, reading afresh.
 */
export type LeaseEndFacts = {
  holds: HoldState[];
  written: WrittenSettlement[];
  prices: Prices;
  vaultAvailableMinor: bigint;
};

/** The statements of a lease's end facts (to batch with the request's other reads), and their reading. */
export function leaseEndQuery(
  leaseId: string,
  nowMs: number,
): { statements: InStatement[]; read: (results: readonly ResultSet[]) => LeaseEndFacts } {
  const ownPrefix = `hold_${leaseId}_`;
  const bidHold = leaseId.startsWith("lse_") ? bidHoldId(`bid_${leaseId.slice(4)}`) : "";
  const statements: InStatement[] = [
    {
      // Two index lookups on the holds' key: the lease's own holds by prefix, the bid's by id.
      sql: `SELECT * FROM (SELECT * FROM holds WHERE id > ? AND id < ? LIMIT ${leaseEndRowsMax})
            UNION ALL SELECT * FROM holds WHERE id = ?`,
      args: [ownPrefix, `${ownPrefix}~`, bidHold],
    },
    {
      sql: `SELECT ${settlementColumns} FROM settlements
            WHERE lease_id = ? AND period_end > COALESCE((SELECT settled_through FROM leases WHERE id = ?), 0)
            ORDER BY period_index LIMIT ${leaseEndRowsMax}`,
      args: [leaseId, leaseId],
    },
    ...pegStatements(nowMs),
    vaultStatement(),
  ];
  const read = (results: readonly ResultSet[]): LeaseEndFacts => ({
    holds: [...transferHoldsFrom(results[0]).values()],
    written: writtenSettlementsFrom(results.slice(1, 2)),
    prices: pricesOf(pegFrom(results.slice(2, 4), nowMs)),
    vaultAvailableMinor: vaultFrom(results[4]),
  });
  return { statements, read };
}

/** An ended lease's last settlement and release, planned from its end facts. */
export type LeaseEndPlan = {
  plan: LeasePlan;
  /** The lease's holds the write closes: drawn to nothing, or what they have left released. */
  closedHoldIds: string[];
  /** What the last periods charge, beyond what the lease was charged before. */
  chargedMinor: bigint;
};

/** Plans an ended lease's due periods (`work`) and the release of every hold the facts show pending. */
export function planLeaseEnd(
  work: SettlementWork,
  facts: LeaseEndFacts,
  options: { nowMs: number; parameters: MarketParameters },
): LeaseEndPlan & { context: PlanContext; requests: TransferRequest[] } {
  const context: PlanContext = {
    nowMs: options.nowMs,
    parameters: options.parameters,
    prices: facts.prices,
    accounts,
    vault: { availableMinor: facts.vaultAvailableMinor },
    existing: existingFigures([work], facts.written),
  };
  const holdsNow = new Map(
    facts.holds.map((hold) => [
      hold.id,
      {
        id: hold.id,
        remainingMinor: hold.remainingMinor,
        status: hold.status,
        expiresAtMs: hold.expiresAtMs,
      },
    ]),
  );
  const plan = planLease(work, holdsNow, context, { collectShortfall: true, burnFromVault: true });
  const releasing = [...plan.holds.values()].filter(
    (hold) => hold.status === "pending" && hold.remainingMinor > 0n,
  );
  const requests: TransferRequest[] = [
    ...plan.requests,
    ...releasing.map((hold) => ({
      type: "void_pending" as const,
      id: voidId(hold.id),
      pendingId: hold.id,
      code: "lease_hold_released",
    })),
  ];
  return {
    plan,
    context,
    requests,
    closedHoldIds: [...plan.holds.keys()],
    chargedMinor: plan.settled.reduce((sum, { figures }) => sum + figures.chargeMinor, 0n),
  };
}

/**
 * Writes a lease end's plan — its settlements, their records and the release of its holds — with
 * `extra` (the book's mirror of the change) in one atomic write. Null when it was written; else
 * why not (nothing was written, or — when the database's answer was lost — perhaps all of it;
 * either way the money pass finds out).
 */
export async function writeLeaseEnd(
  client: Client,
  planned: ReturnType<typeof planLeaseEnd>,
  facts: LeaseEndFacts,
  extra: readonly InStatement[],
): Promise<Failure | null> {
  const statements = [...recordsOf(planned.plan, planned.context), ...extra];
  if (planned.requests.length === 0) {
    await client.batch(statements, "write");
    return null;
  }
  const holds = new Map(facts.holds.map((hold) => [hold.id, hold]));
  const written = await createTransfers(
    client,
    planned.requests,
    { nowMs: planned.context.nowMs, holds },
    statements,
  );
  return written.ok ? null : written;
}
