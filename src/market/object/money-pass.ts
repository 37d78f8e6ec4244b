/**
 * The book's money pass (run by the alarm and after changes that need it; one at a time): catch
 * the book up to now; settle every due lease period (src/market/store/settlement.ts) and record
 * each in the book; release the holds of closed bids and finished leases; top up leases running
 * low (the rule: src/market/core/funding.ts), or pause them for funds with a grace period; compact;
 * mirror; set the next alarm. Settlement ids derive from (lease, period) and settled periods are
 * skipped, so a pass that runs twice or after a restart changes nothing.
 */
import { now } from "../../kit/clock";
import { writeFailure } from "../../kit/db/client";
import { invariant } from "../../kit/errors";
import { leaseHoldId } from "../../kit/ids";
import { type HoldInfo, isUsable, loadHolds, placeHold, releaseHold } from "../../ledger/holds";
import {
  duePeriods,
  isBidId,
  type Lease,
  markInsufficientFunds,
  match,
  recordSettlement,
  resumeFunded,
  settlementPeriodMsDefault,
} from "../core/bidbook";
import { topUpFor } from "../core/funding";
import { type LeaseParties, type LeaseSettlement, settleLeases } from "../store/settlement";
import type { BookContext } from "./context";
import { RunInRounds } from "./rounds";
import { type BookStorage, cc, type ExtraEvent, type Funding } from "./storage";
import { isClosed } from "./views";

/** Periods settled per lease in one pass (the rest follow in the next pass of the same run). */
export const periodsPerLeasePerPassMax = 48;
/** Most passes of one money run (each settles up to `periodsPerLeasePerPassMax` periods per lease). */
const passesPerRunMax = 50;
/** Compact the book once it holds this many closed records. */
const closedRecordsBeforeCompact = 256;

/** Who pays and who is paid for a lease of this book, and the holds behind it. */
export function leaseParties(state: BookStorage, lease: Lease): LeaseParties {
  const config = state.requireConfig();
  const funding = state.funding.get(lease.id);
  return {
    leaseId: lease.id,
    nodeId: config.nodeId,
    farmerId: config.farmerId,
    farmerAccountId: config.payoutAccountId,
    payerAccountId: funding?.payerAccountId ?? lease.accountId,
    holdIds: funding?.holdIds ?? [],
  };
}

/** The book's record that a closed record's holds were released (`kept`: those to retry). */
export function releasedEvent(funding: Funding, kept: readonly string[], nowMs: number): ExtraEvent {
  return {
    type: "released",
    ...(isBidId(funding.id) ? { bidId: funding.id } : { leaseId: funding.id }),
    atMs: nowMs,
    detail:
      kept.length === 0
        ? `what was left of ${funding.holdIds.join(", ")} went back to ${funding.payerAccountId}`
        : `release of ${kept.join(", ")} will be retried`,
    details: {
      holdIds: funding.holdIds.join(","),
      retryHoldIds: kept.length === 0 ? null : kept.join(","),
      accountId: funding.payerAccountId,
    },
  };
}

export class MoneyPass {
  private readonly runs = new RunInRounds(() => this.pass(), passesPerRunMax);
  constructor(private readonly book: BookContext) {}

  /** Whether a pass is in flight (the audit waits for it). */
  settled(): Promise<void> {
    return this.runs.idle();
  }

  /** Runs the money pass, or joins the one running and makes it go round once more. */
  request(): Promise<void> {
    return this.runs.request();
  }

  private async pass(): Promise<void> {
    this.book.alarm.lastPassFailed = false;
    const { exclusive, mirror } = this.book;
    const steps: [string, () => Promise<void>][] = [
      ["catch_up", () => exclusive(() => this.catchUp())],
      ["settle", () => this.settleDue()],
      ["release", () => this.releaseClosed()],
      ["fund", () => this.fundLeases()],
      ["compact", () => exclusive(() => this.compactIfLarge())],
      ["mirror", () => mirror.flush()],
    ];
    for (const [name, run] of steps) {
      try {
        await run();
      } catch (error) {
        this.book.alarm.lastPassFailed = true;
        console.error(
          JSON.stringify({
            level: "error",
            event: "bid_book_step",
            nodeId: this.book.state.book?.nodeId,
            step: name,
            error: error instanceof Error ? error.message : String(error),
          }),
        );
      }
    }
    await this.book.alarm.schedule();
  }

  /** Ends leases whose term or grace ran out, expires bids, matches waiting claims. */
  private catchUp(): void {
    const matched = match(this.book.state.requireBook(), now());
    invariant(matched.ok, () => `catch-up refused: ${matched.ok ? "" : matched.detail}`);
    this.book.state.commit(matched.value);
  }

  /** Settles every due period and records each in the book; failures are logged as events once. */
  private async settleDue(): Promise<void> {
    const { state, db, market } = this.book;
    const nowMs = now();
    const works = [];
    for (const lease of state.requireBook().leases) {
      const due = duePeriods(lease, nowMs, settlementPeriodMsDefault);
      if (due.length === 0) continue;
      if (due.length > periodsPerLeasePerPassMax) this.runs.repeat();
      works.push({
        lease,
        parties: leaseParties(state, lease),
        periods: due.slice(0, periodsPerLeasePerPassMax),
      });
    }
    if (works.length === 0) return;
    const results = await settleLeases(db, works, { nowMs, parameters: market.parameters });
    await this.book.exclusive(() => {
      for (const result of results) {
        for (const figures of result.settled) {
          const recorded = recordSettlement(state.requireBook(), result.leaseId, figures.period, now());
          invariant(recorded.ok, () =>
            recorded.ok
              ? ""
              : `recording ${figures.period.settlementId}: ${recorded.code} ${recorded.detail}`,
          );
          state.commit(recorded.value, { settled: new Map([[result.leaseId, figures]]) });
        }
      }
    });
    this.recordFailures(results, nowMs);
  }

  /** Drops the holds settlement used up, and logs a settlement failure once (retried next pass). */
  private recordFailures(results: readonly LeaseSettlement[], nowMs: number): void {
    const fundingUpdates: Funding[] = [];
    const failureEvents: ExtraEvent[] = [];
    for (const result of results) {
      const funding = this.book.state.funding.get(result.leaseId);
      if (!funding) continue;
      const failure = result.failure === null ? null : `${result.failure.code}: ${result.failure.detail}`;
      if (failure !== null) this.book.alarm.lastPassFailed = true;
      const holdIds = funding.holdIds.filter((id) => {
        const hold = result.holds.get(id);
        return hold === undefined || hold.status === "pending";
      });
      if (failure === funding.lastFailure && holdIds.length === funding.holdIds.length) continue;
      fundingUpdates.push({ ...funding, holdIds, lastFailure: failure });
      if (failure !== null && failure !== funding.lastFailure) {
        failureEvents.push({
          type: "settlement_failed",
          leaseId: result.leaseId,
          atMs: nowMs,
          detail: `settlement will be retried: ${failure}`,
          details: { reason: failure },
        });
      }
    }
    if (fundingUpdates.length > 0 || failureEvents.length > 0)
      this.book.state.saveFunding(fundingUpdates, failureEvents);
  }

  /** Releases the holds of closed bids and of ended, fully settled leases. */
  private async releaseClosed(): Promise<void> {
    const { state, db } = this.book;
    const book = state.requireBook();
    const closing = [...state.funding.values()].filter(
      (funding) => funding.holdIds.length > 0 && isClosed(book, funding),
    );
    for (const funding of closing) {
      const kept: string[] = [];
      const nowMs = now();
      for (const holdId of funding.holdIds) {
        const released = await releaseHold(db, holdId, nowMs);
        if (!released.ok) {
          kept.push(holdId);
          this.book.alarm.lastPassFailed = true;
        }
      }
      const event = releasedEvent(funding, kept, nowMs);
      const current = state.funding.get(funding.id);
      invariant(current !== undefined, `funding ${funding.id} vanished during its release`);
      state.saveFunding([{ ...current, holdIds: kept }], [event]);
    }
  }

  /**
   * Keeps running leases funded (the top-up rule, src/market/core/funding.ts); a lease paused for
   * funds is resumed as soon as a top-up succeeds. Holds that expired unused are released.
   */
  private async fundLeases(): Promise<void> {
    const { state, db } = this.book;
    const candidates = state
      .requireBook()
      .leases.filter(
        (lease) =>
          lease.status === "running" ||
          (lease.status === "paused" && lease.pausedReason === "insufficient_funds"),
      );
    if (candidates.length === 0) return;
    const holds = await loadHolds(
      db,
      candidates.flatMap((lease) => state.funding.get(lease.id)?.holdIds ?? []),
    );
    for (const candidate of candidates) {
      const lease = state.requireBook().leases.find((current) => current.id === candidate.id);
      if (!lease || lease.status === "ended") continue;
      await this.fundLease(lease, holds);
    }
  }

  /** The lease's usable holds (and what they have left); stale ones (expired unused) are released. */
  private async usableHolds(
    funding: Funding,
    holds: Map<string, HoldInfo>,
    nowMs: number,
  ): Promise<{ usableIds: string[]; usableMinor: bigint }> {
    const usableIds: string[] = [];
    const staleIds: string[] = [];
    let usableMinor = 0n;
    for (const id of funding.holdIds) {
      const hold = holds.get(id);
      if (hold && isUsable(hold, nowMs)) {
        usableIds.push(id);
        usableMinor += hold.remainingMinor;
      } else if (hold && hold.status === "pending") {
        staleIds.push(id);
      }
    }
    for (const id of staleIds) {
      const released = await releaseHold(this.book.db, id, nowMs);
      if (!released.ok) usableIds.push(id);
    }
    return { usableIds, usableMinor };
  }

  private async fundLease(lease: Lease, holds: Map<string, HoldInfo>): Promise<void> {
    const { state, db, market } = this.book;
    const nowMs = now();
    const funding = state.funding.get(lease.id);
    if (!funding) return;
    const { usableIds, usableMinor } = await this.usableHolds(funding, holds, nowMs);
    const pausedForFunds = lease.pausedReason === "insufficient_funds";
    let changed = usableIds.length !== funding.holdIds.length;
    let next: Funding = { ...funding, holdIds: usableIds };
    const events: ExtraEvent[] = [];
    const topUp = topUpFor(lease, usableMinor, nowMs, market);
    const holdId = topUp === null ? null : leaseHoldId(lease.id, topUp.periods);
    if (topUp !== null && holdId !== null && !usableIds.includes(holdId)) {
      const placed = await placeHold(
        db,
        {
          holdId,
          payerAccountId: funding.payerAccountId,
          amountMinor: topUp.amountMinor,
          timeoutMs: market.prepaidWindowMs + market.holdSlackMs,
          code: "lease_top_up",
          metadata: { leaseId: lease.id },
        },
        nowMs,
      ).catch((error: unknown) => writeFailure(error, "the top-up hold could not be placed"));
      changed = true;
      if (placed.ok) {
        next = { ...next, holdIds: [...next.holdIds, holdId], topUpFailedAt: null };
        events.push({
          type: "topped_up",
          leaseId: lease.id,
          atMs: nowMs,
          detail: `${cc(placed.value.remainingMinor)} CC more held from ${funding.payerAccountId} (${holdId})`,
          details: { amountCc: cc(placed.value.remainingMinor), accountId: funding.payerAccountId, holdId },
        });
      } else if (placed.code === "INSUFFICIENT_FUNDS" || placed.code.startsWith("ACCOUNT_")) {
        if (funding.topUpFailedAt !== topUp.periods) {
          events.push({
            type: "top_up_failed",
            leaseId: lease.id,
            atMs: nowMs,
            detail: `could not hold ${cc(topUp.amountMinor)} CC more from ${funding.payerAccountId}: ${placed.code}`,
            details: {
              amountCc: cc(topUp.amountMinor),
              accountId: funding.payerAccountId,
              code: placed.code,
            },
          });
        }
        next = { ...next, topUpFailedAt: topUp.periods };
        if (topUp.pauseIfRefused) {
          state.saveFunding([next], events);
          await this.book.exclusive(() => {
            const paused = markInsufficientFunds(state.requireBook(), lease.id, now(), market.graceMs);
            if (paused.ok) state.commit(paused.value);
          });
          return;
        }
      } else {
        // A refusal that says nothing about the payer's funds (say, a reused hold id) or a write
        // whose outcome is unknown (the database's answer was lost): retried next pass. The hold
        // is tracked meanwhile, so one that was written is used or released, never orphaned (a
        // tracked id that the ledger does not hold is dropped by the next pass).
        if (placed.code === "DATABASE_UNAVAILABLE" || placed.code === "INTERNAL")
          next = { ...next, holdIds: [...next.holdIds, holdId] };
        this.book.alarm.lastPassFailed = true;
      }
    }
    if (changed || events.length > 0) state.saveFunding([next], events);
    if (pausedForFunds && next.holdIds.length > usableIds.length) {
      await this.book.exclusive(() => {
        const resumed = resumeFunded(state.requireBook(), lease.id, now());
        if (resumed.ok) state.commit(resumed.value);
      });
    }
  }

  /** Drops finished leases and closed bids once there are many, with their funding and old events. */
  private compactIfLarge(): void {
    const { state } = this.book;
    const book = state.requireBook();
    const closed =
      book.leases.filter((lease) => lease.status === "ended").length +
      book.bids.filter((bid) => bid.status !== "open").length;
    if (closed < closedRecordsBeforeCompact || state.mirrorDirty) return;
    state.compact(now());
  }
}
