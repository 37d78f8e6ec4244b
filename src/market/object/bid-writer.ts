/**
 * The grouped bid writer (NodeBidBook `placeBid`): bids that arrive together are placed one after
 * another on the book in one synchronous step, their holds written in one ledger batch, and the
 * lot stored in one storage transaction, so the storage write — the dominant cost of a small book
 * — is paid once per group, not once per bid. Each bid is still checked against the book with
 * every bid before it applied; a bid the book refuses (limits, minimum, a used id) or whose hold
 * the ledger refuses (insufficient funds) writes nothing.
 */
import type { InStatement } from "@libsql/client";
import { now } from "../../kit/clock";
import { isUnknownOutcome, writeFailure } from "../../kit/db/client";
import { idempotencyRecordStatement } from "../../kit/db/idempotency";
import { invariant } from "../../kit/errors";
import { bidHoldId } from "../../kit/ids";
import { type Failure, fail, ok, type Result } from "../../kit/result";
import { bidHoldCode, type HoldRequest, loadHolds, placeHolds, releaseHold } from "../../ledger/holds";
import type { MarketConfig } from "../config";
import { type Bid, type BidBook, placeBids } from "../core/bidbook";
import { chargeForUsage } from "../core/revenue";
import type { BookContext } from "./context";
import { bidJson, type PlaceBidInput, type PlacedBid } from "./contract";
import type { Funding, Intent } from "./storage";
import { bidView, bidViewOf } from "./views";

/** What must match for a repeated bid id to be the same bid. */
type BidRequest = Pick<Bid, "accountId" | "slices" | "priceCcPerSliceHour">;

/** A bid waiting for its group's write, and how to answer its caller. */
type PendingBid = { request: PlaceBidInput; resolve: (result: Result<PlacedBid>) => void };

/** What a group of bids came to (see `writeGroup`). */
type BidGroupOutcome = {
  /** Per request of the group: its refusal, or undefined for the bid stored under its id. */
  answers: (Failure | undefined)[];
  nowMs: number;
  /** Whether any bid was placed. */
  placedAny: boolean;
  /** Whether the group only placed bids (no acceptance or pre-emption). */
  onlyPlaced: boolean;
  /** The bids whose Idempotency-Key record went with their hold. */
  recorded: ReadonlySet<string>;
};

/** How a group's requests sort out: the ones new to the book, and which repeat which. */
type GroupShape = {
  /** Batch index of the first request of each bid id new to the book. */
  fresh: number[];
  /** For each request, the batch index of the request whose fate it shares. */
  sharesWith: number[];
};

export class BidWriter {
  /** Bids waiting for the next group write. */
  private pending: PendingBid[] = [];

  constructor(private readonly book: BookContext) {}

  /** Queues a bid for the next group write and answers when its group is written. */
  place(request: PlaceBidInput): Promise<Result<PlacedBid>> {
    return new Promise((resolve) => {
      this.pending.push({ request, resolve });
      if (this.pending.length === 1) setTimeout(() => void this.writePending(), 0);
    });
  }

  /**
   * Writes the bids waiting now as one group, inside the book's queue of changes: the group is
   * taken when its turn comes, so bids that arrive while an earlier change awaits the ledger join it.
   */
  private async writePending(): Promise<void> {
    const { state, mirror, alarm } = this.book;
    let batch: PendingBid[] = [];
    let outcome: BidGroupOutcome;
    try {
      outcome = await this.book.exclusive(() => {
        batch = this.pending.splice(0);
        return this.writeGroup(batch);
      });
      // A bid that only waits needs no libSQL work. When bids moved leases (an acceptance, a
      // pre-emption) the mirror is written now; releases follow on the alarm.
      if (state.mirrorDirty) await mirror.flush();
      if (!outcome.onlyPlaced) await alarm.schedule();
      else if (outcome.placedAny)
        await alarm.scheduleIfEarlier(outcome.nowMs + Math.min(...batch.map((item) => item.request.openMs)));
    } catch (error) {
      console.error(
        JSON.stringify({
          level: "error",
          event: "bid_write",
          nodeId: state.book?.nodeId,
          error: String(error),
        }),
      );
      const failure = writeFailure(error, "the bids could not be written; retry");
      for (const { resolve } of batch) resolve(failure);
      return;
    }
    const stored = new Map(state.requireBook().bids.map((bid) => [bid.id, bid]));
    batch.forEach(({ request, resolve }, index) => {
      const failure = outcome.answers[index];
      const bid = stored.get(request.bidId);
      if (failure) resolve(failure);
      else if (!bid) resolve(fail("INTERNAL", "the placed bid is missing"));
      else
        resolve(
          ok(outcome.recorded.has(bid.id) ? { ...bidView(state, bid), recorded: true } : bidView(state, bid)),
        );
    });
  }

  /**
   * Places a group of bids: checks them all against the book, holds the CC of the ones it
   * accepted, and commits the bids whose holds were placed. When the ledger refused some holds,
   * the group is checked again without those bids (the same book, the same time) and that
   * transition is committed. Answers each request: a refusal, or undefined for the bid stored
   * under its id.
   */
  private async writeGroup(batch: readonly PendingBid[]): Promise<BidGroupOutcome> {
    const { state, db } = this.book;
    const nowMs = now();
    const current = state.requireBook();
    const answers: (Failure | undefined)[] = batch.map(() => undefined);
    const nothing = { nowMs, placedAny: false, onlyPlaced: true, recorded: new Set<string>() };
    if (batch.length === 0) return { answers, ...nothing };
    const { fresh, sharesWith } = shapeOf(current, batch, answers);
    const checked = placeBids(
      current,
      bidInputs(
        fresh.map((index) => batch[index]!.request),
        nowMs,
      ),
      nowMs,
    );
    if (!checked.ok) return { answers: batch.map(() => checked), ...nothing };
    const accepted: number[] = [];
    fresh.forEach((batchIndex, index) => {
      const refusal = checked.value.refusals[index];
      if (refusal === undefined) accepted.push(batchIndex);
      else answers[batchIndex] = refusal;
    });
    const acceptedRequests = accepted.map((index) => batch[index]!.request);
    const intent = this.intentFor(acceptedRequests, nowMs);
    // Each bid's answer as the book will give it, stored with its hold when its request has a record.
    const planned = new Map(checked.value.book.bids.map((bid) => [bid.id, bid]));
    const requests = acceptedRequests.map((request) =>
      this.holdRequest(request, recordOf(current.nodeId, request, planned.get(request.bidId), nowMs)),
    );
    const held = await placeHolds(db, requests, nowMs);
    const unknown: PlaceBidInput[] = [];
    const funded = accepted.filter((batchIndex, index) => {
      const hold = held[index]!;
      if (hold.ok) return true;
      answers[batchIndex] = hold;
      if (isUnknownOutcome(hold)) unknown.push(batch[batchIndex]!.request);
      return false;
    });
    // Nothing changed the book while the holds were written (see NodeBidBook `exclusive`).
    invariant(state.book === current, "the book changed while a bid group's holds were written");
    let placed = checked.value;
    if (funded.length < accepted.length) {
      // Without the bids whose holds were refused: the rest were accepted with them before, and
      // fewer bids only loosen the book's limits, so they are accepted again.
      const fundedRequests = funded.map((index) => batch[index]!.request);
      const again = placeBids(current, bidInputs(fundedRequests, nowMs), nowMs);
      invariant(again.ok, () => `bid group re-check refused: ${again.ok ? "" : again.detail}`);
      placed = again.value;
      const refusedAfterHold = await this.releaseRefused(fundedRequests, funded, again.value.refusals);
      for (const [batchIndex, refusal] of refusedAfterHold) answers[batchIndex] = refusal;
    }
    const committed = funded.filter((batchIndex) => answers[batchIndex] === undefined);
    const funding = committed.map((batchIndex) => bidFundingOf(batch[batchIndex]!.request));
    // A write whose outcome is unknown stays intended: the next change finds out (`recover`).
    const settled = intent && {
      id: intent.id,
      rest: unknown.length > 0 ? { ...intent, requests: unknown } : null,
    };
    if (funding.length > 0) {
      state.commit(
        { book: placed.book, events: placed.events },
        { funding, ...(settled ? { intent: settled } : {}) },
      );
    } else if (settled) {
      state.settleIntent(settled.id, settled.rest);
    }
    const recorded = new Set(
      committed
        .map((index) => batch[index]!.request)
        .filter((request) => request.record)
        .map((request) => request.bidId),
    );
    if (placed !== checked.value)
      await this.correctRecords(
        committed.map((index) => batch[index]!.request),
        planned,
      );
    // A retry inside the group shares the fate of the request it repeats.
    sharesWith.forEach((first, index) => {
      if (first !== index) answers[index] = answers[first];
    });
    return {
      answers,
      nowMs,
      placedAny: funding.length > 0,
      onlyPlaced: funding.length === 0 || placed.events.every((event) => event.type === "placed"),
      recorded,
    };
  }

  /**
   * Writes the group's intent before its holds when any of its requests has a record to store
   * with them: a record must never answer a bid the book does not have (see `Intent`).
   */
  private intentFor(requests: readonly PlaceBidInput[], nowMs: number): Intent | null {
    if (!requests.some((request) => request.record)) return null;
    const intent: Intent = { id: `bids_${requests[0]!.bidId}`, kind: "bids", nowMs, requests: [...requests] };
    this.book.state.putIntent(intent);
    return intent;
  }

  /**
   * After a re-check (some holds refused), a bid may be answered otherwise than the record stored
   * with its hold said (say, no longer matched at once): the records say what the book now says.
   */
  private async correctRecords(
    requests: readonly PlaceBidInput[],
    planned: ReadonlyMap<string, Bid>,
  ): Promise<void> {
    const { state, db } = this.book;
    const stored = new Map(state.requireBook().bids.map((bid) => [bid.id, bid]));
    const updates: InStatement[] = [];
    for (const request of requests) {
      const bid = stored.get(request.bidId);
      if (!request.record || !bid || JSON.stringify(bid) === JSON.stringify(planned.get(bid.id))) continue;
      updates.push({
        sql: "UPDATE idempotency_records SET body = ? WHERE owner_id = ? AND key = ?",
        args: [JSON.stringify(bidJson(bidView(state, bid))), request.record.ownerId, request.record.key],
      });
    }
    if (updates.length > 0) await db.batch(updates, "write");
  }

  /**
   * Finishes a group the book wrote to the ledger without committing (it stopped, or did not learn
   * the outcome): the bids whose holds stand are placed as they were checked — on the same book,
   * at the same time — and the intent dropped. Runs first in the book's queue of changes.
   */
  async recover(intent: Extract<Intent, { kind: "bids" }>): Promise<void> {
    const { state, db } = this.book;
    const holds = await loadHolds(
      db,
      intent.requests.map((request) => bidHoldId(request.bidId)),
    );
    const current = state.requireBook();
    const known = new Set(current.bids.map((bid) => bid.id));
    const landed = intent.requests.filter(
      (request) => !known.has(request.bidId) && holds.get(bidHoldId(request.bidId))?.status === "pending",
    );
    const placed = placeBids(current, bidInputs(landed, intent.nowMs), intent.nowMs);
    const refusals = placed.ok ? placed.value.refusals : landed.map(() => placed);
    const kept = landed.filter((_, index) => refusals[index] === undefined);
    await this.releaseRefused(
      landed,
      landed.map((_, index) => index),
      refusals,
    );
    console.warn(
      JSON.stringify({
        level: "warn",
        event: "bid_intent_recovered",
        intentId: intent.id,
        placed: kept.length,
      }),
    );
    if (!placed.ok || kept.length === 0) {
      state.settleIntent(intent.id, null);
      return;
    }
    state.commit(
      { book: placed.value.book, events: placed.value.events },
      { funding: kept.map(bidFundingOf), intent: { id: intent.id, rest: null } },
    );
  }

  /**
   * The bids that the group's re-check refused although their holds were placed (possible only
   * when removing an auto-accepted bid changes which others are matched): their holds, placed by
   * this very call, are released, and each gets its refusal.
   */
  private async releaseRefused(
    requests: readonly PlaceBidInput[],
    answerIndexes: readonly number[],
    refusals: readonly (Failure | undefined)[],
  ): Promise<Map<number, Failure>> {
    const refused = new Map<number, Failure>();
    for (const [index, request] of requests.entries()) {
      const refusal = refusals[index];
      if (refusal === undefined) continue;
      const holdId = bidHoldId(request.bidId);
      console.error(
        JSON.stringify({ level: "error", event: "bid_refused_after_hold", holdId, code: refusal.code }),
      );
      const released = await releaseHold(this.book.db, holdId, now());
      invariant(
        released.ok,
        () => `releasing ${holdId}: ${released.ok ? "" : `${released.code} ${released.detail}`}`,
      );
      refused.set(answerIndexes[index]!, refusal);
    }
    return refused;
  }

  /** The hold behind a bid: one prepaid window at the bid's price, for as long as it may stay open. */
  private holdRequest(request: PlaceBidInput, record: InStatement[]): HoldRequest {
    const { market } = this.book;
    return {
      holdId: bidHoldId(request.bidId),
      payerAccountId: request.payerAccountId,
      amountMinor: bidHoldMinor(request.priceCcPerSliceHour, request.slices, market),
      timeoutMs: request.openMs + market.prepaidWindowMs + market.holdSlackMs,
      code: bidHoldCode,
      metadata: { bidId: request.bidId, nodeId: request.nodeId },
      with: record,
    };
  }
}

/** What a bid's hold holds: one prepaid window at the bid's price (at least one minor unit). */
export function bidHoldMinor(priceCcPerSliceHour: string, slices: number, market: MarketConfig): bigint {
  const amountMinor = chargeForUsage(priceCcPerSliceHour, slices, market.prepaidWindowMs);
  return amountMinor > 0n ? amountMinor : 1n;
}

/** The book's inputs for bids taken at `nowMs`. */
function bidInputs(requests: readonly PlaceBidInput[], nowMs: number) {
  return requests.map((request) => ({
    bidId: request.bidId,
    accountId: request.payerAccountId,
    slices: request.slices,
    priceCcPerSliceHour: request.priceCcPerSliceHour,
    expiresAtMs: nowMs + request.openMs,
    nowMs,
  }));
}

/** The Idempotency-Key record of a bid about to be placed as `planned`: its answer once committed. */
function recordOf(
  nodeId: string,
  request: PlaceBidInput,
  planned: Bid | undefined,
  nowMs: number,
): InStatement[] {
  if (!request.record || !planned) return [];
  const view = bidViewOf(nodeId, planned, bidFundingOf(request));
  return [idempotencyRecordStatement(request.record, JSON.stringify(bidJson(view)), nowMs)];
}

/**
 * Sorts a group's requests: a bid id new to the book is fresh (its first request); a retry of a
 * bid (placed before or earlier in this group) shares that bid's fate; another bid under a used id
 * is refused (written into `answers`).
 */
function shapeOf(
  current: BidBook,
  batch: readonly PendingBid[],
  answers: (Failure | undefined)[],
): GroupShape {
  const known = new Map<string, BidRequest>(current.bids.map((bid) => [bid.id, bid]));
  const fresh: number[] = [];
  const sharesWith = batch.map((_, index) => index);
  const firstById = new Map<string, number>();
  batch.forEach(({ request }, index) => {
    const asked = {
      accountId: request.payerAccountId,
      slices: request.slices,
      priceCcPerSliceHour: request.priceCcPerSliceHour,
    };
    const existing = known.get(request.bidId);
    if (existing === undefined) {
      known.set(request.bidId, asked);
      firstById.set(request.bidId, index);
      fresh.push(index);
    } else if (!sameBidRequest(existing, asked)) {
      answers[index] = fail("CONFLICT", `Bid id ${request.bidId} is already used`, "bidId");
    } else {
      sharesWith[index] = firstById.get(request.bidId) ?? index;
    }
  });
  return { fresh, sharesWith };
}

function sameBidRequest(left: BidRequest, right: BidRequest): boolean {
  return (
    left.accountId === right.accountId &&
    left.slices === right.slices &&
    left.priceCcPerSliceHour === right.priceCcPerSliceHour
  );
}

/** A placed bid's funding: its bidder's hold. */
function bidFundingOf(request: PlaceBidInput): Funding {
  return {
    id: request.bidId,
    ownerId: request.ownerId,
    payerAccountId: request.payerAccountId,
    source: "bid",
    sourceId: request.bidId,
    quotedPrice: null,
    quotedCurrency: null,
    quotedCcUsd: null,
    holdIds: [bidHoldId(request.bidId)],
    topUpFailedAt: null,
    lastFailure: null,
  };
}
