/**
 * The grouped bid writer (NodeBidBook `placeBid`): bids that arrive together are placed one after
 * another on the book in one synchronous step, their holds written in one ledger batch, and the
 * lot stored in one storage transaction, so the storage write — the dominant cost of a small book
 * — is paid once per group, not once per bid. Each bid is still checked against the book with
 * every bid before it applied; a bid the book refuses (limits, minimum, a used id) or whose hold
 * the ledger refuses (insufficient funds) writes nothing.
 */
import { now } from "../../kit/clock";
import { writeFailure } from "../../kit/db/client";
import { invariant } from "../../kit/errors";
import { bidHoldId } from "../../kit/ids";
import { type Failure, fail, ok, type Result } from "../../kit/result";
import { type HoldRequest, placeHolds, releaseHold } from "../../ledger/holds";
import { type Bid, type BidBook, placeBids } from "../core/bidbook";
import { chargeForUsage } from "../core/revenue";
import type { BookContext } from "./context";
import type { BidView, PlaceBidInput } from "./contract";
import type { Funding } from "./storage";
import { bidView } from "./views";

/** What must match for a repeated bid id to be the same bid. */
type BidRequest = Pick<Bid, "accountId" | "slices" | "priceCcPerSliceHour">;

/** A bid waiting for its group's write, and how to answer its caller. */
type PendingBid = { request: PlaceBidInput; resolve: (result: Result<BidView>) => void };

/** What a group of bids came to (see `writeGroup`). */
type BidGroupOutcome = {
  /** Per request of the group: its refusal, or undefined for the bid stored under its id. */
  answers: (Failure | undefined)[];
  nowMs: number;
  /** Whether any bid was placed. */
  placedAny: boolean;
  /** Whether the group only placed bids (no acceptance or pre-emption). */
  onlyPlaced: boolean;
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
  place(request: PlaceBidInput): Promise<Result<BidView>> {
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
      else resolve(bid ? ok(bidView(state, bid)) : fail("INTERNAL", "the placed bid is missing"));
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
    if (batch.length === 0) return { answers, nowMs, placedAny: false, onlyPlaced: true };
    const { fresh, sharesWith } = shapeOf(current, batch, answers);
    const inputsOf = (indexes: readonly number[]) =>
      indexes.map((index) => {
        const { request } = batch[index]!;
        return {
          bidId: request.bidId,
          accountId: request.payerAccountId,
          slices: request.slices,
          priceCcPerSliceHour: request.priceCcPerSliceHour,
          expiresAtMs: nowMs + request.openMs,
          nowMs,
        };
      });
    const checked = placeBids(current, inputsOf(fresh), nowMs);
    if (!checked.ok) return { answers: batch.map(() => checked), nowMs, placedAny: false, onlyPlaced: true };
    const accepted: number[] = [];
    fresh.forEach((batchIndex, index) => {
      const refusal = checked.value.refusals[index];
      if (refusal === undefined) accepted.push(batchIndex);
      else answers[batchIndex] = refusal;
    });
    const requests = accepted.map((index) => this.holdRequest(batch[index]!.request));
    const held = await placeHolds(db, requests, nowMs);
    const funded = accepted.filter((batchIndex, index) => {
      const hold = held[index]!;
      if (!hold.ok) answers[batchIndex] = hold;
      return hold.ok;
    });
    // Nothing changed the book while the holds were written (see NodeBidBook `exclusive`).
    invariant(state.book === current, "the book changed while a bid group's holds were written");
    let placed = checked.value;
    if (funded.length < accepted.length) {
      // Without the bids whose holds were refused: the rest were accepted with them before, and
      // fewer bids only loosen the book's limits, so they are accepted again.
      const again = placeBids(current, inputsOf(funded), nowMs);
      invariant(again.ok, () => `bid group re-check refused: ${again.ok ? "" : again.detail}`);
      placed = again.value;
      const refusedAfterHold = await this.releaseRefused(batch, funded, again.value.refusals);
      for (const [batchIndex, refusal] of refusedAfterHold) answers[batchIndex] = refusal;
    }
    const funding = funded
      .filter((batchIndex) => answers[batchIndex] === undefined)
      .map((batchIndex) => bidFundingOf(batch[batchIndex]!.request));
    if (funding.length > 0) state.commit({ book: placed.book, events: placed.events }, { funding });
    // A retry inside the group shares the fate of the request it repeats.
    sharesWith.forEach((first, index) => {
      if (first !== index) answers[index] = answers[first];
    });
    return {
      answers,
      nowMs,
      placedAny: funding.length > 0,
      onlyPlaced: funding.length === 0 || placed.events.every((event) => event.type === "placed"),
    };
  }

  /**
   * The bids that the group's re-check refused although their holds were placed (possible only
   * when removing an auto-accepted bid changes which others are matched): their holds, placed by
   * this very call, are released, and each gets its refusal.
   */
  private async releaseRefused(
    batch: readonly PendingBid[],
    funded: readonly number[],
    refusals: readonly (Failure | undefined)[],
  ): Promise<Map<number, Failure>> {
    const refused = new Map<number, Failure>();
    for (const [index, batchIndex] of funded.entries()) {
      const refusal = refusals[index];
      if (refusal === undefined) continue;
      const holdId = bidHoldId(batch[batchIndex]!.request.bidId);
      console.error(
        JSON.stringify({ level: "error", event: "bid_refused_after_hold", holdId, code: refusal.code }),
      );
      const released = await releaseHold(this.book.db, holdId, now());
      invariant(
        released.ok,
        () => `releasing ${holdId}: ${released.ok ? "" : `${released.code} ${released.detail}`}`,
      );
      refused.set(batchIndex, refusal);
    }
    return refused;
  }

  /** The hold behind a bid: one prepaid window at the bid's price, for as long as it may stay open. */
  private holdRequest(request: PlaceBidInput): HoldRequest {
    const { market } = this.book;
    const amountMinor = chargeForUsage(request.priceCcPerSliceHour, request.slices, market.prepaidWindowMs);
    return {
      holdId: bidHoldId(request.bidId),
      payerAccountId: request.payerAccountId,
      amountMinor: amountMinor > 0n ? amountMinor : 1n,
      timeoutMs: request.openMs + market.prepaidWindowMs + market.holdSlackMs,
      code: "bid_hold",
      metadata: { bidId: request.bidId, nodeId: request.nodeId },
    };
  }
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
