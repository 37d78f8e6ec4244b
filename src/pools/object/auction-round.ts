/**
 * One Dutch-auction exit round (ECONOMICS §8): the single writer that takes sealed bids, clears
 * them at the close and settles the result through the ledger.
 *
 * State lives in the object's SQLite storage (round-storage.ts): the configuration, the bids (with
 * the order they were accepted in, the tie-breaker of §8.5) and, once cleared, the published result
 * and the settlement plan in batches with a done flag each. Every RPC argument is parsed with zod.
 * The bids' ledger writes are in round-bids.ts, the close and the settlement in round-close.ts.
 *
 * Bids: a bid's check (round open, before the close, limits) and its slot (status `placing`, its
 * submission order) are taken in one synchronous step, so the close and the limits serialise;
 * the TFP hold is then written to the ledger (pending transfer bidder TFP → pool TFP, expiring
 * `holdMarginMs` after the close) together with the bid's libSQL mirror row, concurrently with
 * other bids. A cancel, allowed before the cancellation deadline, voids the hold the same way.
 *
 * The alarm at the close: stops new bids (state `clearing`), waits for the ledger writes it has
 * already accepted, recovers any left unfinished by a restart (by reading their holds), reads the
 * reference price and the pool, clears with `computeOutcome` and stores the plan and result in one
 * storage transaction (state `settling`). It then writes at most `batchesPerAlarm` batches per
 * alarm, marking each done after the ledger confirms it; transfer ids derive from (round, bid,
 * leg), so a batch replayed after a crash is answered by the ledger with its first result and
 * nothing moves twice. Failures are recorded (`lastError`) and retried with backoff.
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import { hourMs, now, toRealMs } from "../../kit/clock";
import { openDatabase } from "../../kit/db/client";
import { fail, ok, type Result } from "../../kit/result";
import { formatAmount } from "../../ledger/core/money";
import { type RoundConfig, roundConfigSchema } from "../core/round";
import { roundClearingStatement, roundErrorStatement } from "../store/rounds";
import {
  type BidView,
  cancelBidSchema,
  ownerSchema,
  type PlacedBid,
  placeBidSchema,
  type RoundStatusView,
} from "./contract";
import { holdBid, type RoundContext, recoverBid, voidHold } from "./round-bids";
import { closeRound, settleSome } from "./round-close";
import { RoundStorage } from "./round-storage";

/** Longest backoff between failed alarm attempts. */
const retryDelayMsMax = hourMs;

/** One exit round: a Durable Object per round, named by its id (see the file comment). */
export class AuctionRound extends DurableObject<Env> {
  private readonly storage: RoundStorage;
  private readonly context: RoundContext;
  /** Ledger writes accepted by this instance and not finished yet, by bid id. */
  private readonly inFlight = new Map<string, Promise<Result<PlacedBid>>>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.storage = new RoundStorage(ctx.storage.sql, (write) => ctx.storage.transactionSync(write));
    this.context = { storage: this.storage, db: openDatabase(env) };
    void ctx.blockConcurrencyWhile(async () => {
      this.storage.migrate();
      // A round left mid-way (clearing or settling) without an alarm resumes now.
      const row = this.storage.round();
      if (
        row &&
        (row.state === "clearing" || row.state === "settling") &&
        (await ctx.storage.getAlarm()) === null
      ) {
        await ctx.storage.setAlarm(toRealMs(now()));
      }
    });
  }

  /** Stores the round's configuration and schedules its close. Idempotent for the same config. */
  async open(request: z.input<typeof roundConfigSchema>): Promise<Result<RoundStatusView>> {
    const parsed = roundConfigSchema.safeParse(request);
    if (!parsed.success)
      return fail("VALIDATION_FAILED", `Invalid round configuration: ${parsed.error.message}`);
    const config = parsed.data;
    const existing = this.storage.round();
    if (existing) {
      // Compared as parsed, so a configuration stored before a rule got its default still matches.
      const same = JSON.stringify(this.storage.config(existing)) === JSON.stringify(config);
      return same
        ? ok(this.storage.view(now()))
        : fail("CONFLICT", `Round ${config.roundId} is already open with another configuration`);
    }
    this.storage.open(config, now());
    await this.ctx.storage.setAlarm(toRealMs(config.closesAtMs));
    return ok(this.storage.view(now()));
  }

  /** The round's state, and the bids of `ownerId` when given (sealed: never anyone else's). */
  async status(
    request: { ownerId?: string } = {},
  ): Promise<Result<RoundStatusView & { ownBids: BidView[] }>> {
    const owner = z.strictObject({ ownerId: ownerSchema.optional() }).safeParse(request);
    if (!owner.success) return fail("VALIDATION_FAILED", "Invalid owner id");
    if (!this.storage.round()) return fail("NOT_FOUND", "No such round");
    const ownerId = owner.data.ownerId;
    const ownBids =
      ownerId === undefined ? [] : this.storage.bidsOf(ownerId).map((row) => this.storage.bidView(row));
    return ok({ ...this.storage.view(now()), ownBids });
  }

  /**
   * Places a sealed bid: `amountMinor` TFP at no less than `minPrice` USDC per TFP, held from
   * `accountId` until the round settles. Idempotent by bid id: the same bid again returns it;
   * other content is IDEMPOTENCY_CONFLICT. Refused after the close (AUCTION_CLOSED), below the
   * minimum amount (BID_BELOW_MINIMUM) and past the round's or the owner's bid limit (LIMIT_REACHED).
   */
  async placeBid(request: z.input<typeof placeBidSchema>): Promise<Result<PlacedBid>> {
    const parsed = placeBidSchema.safeParse(request);
    if (!parsed.success) return fail("VALIDATION_FAILED", `Invalid bid: ${parsed.error.message}`);
    const input = parsed.data;
    const opened = this.storage.round();
    if (!opened) return fail("NOT_FOUND", "No such round");
    const config = this.storage.config(opened);

    const existing = this.storage.bid(input.bidId);
    if (existing) {
      const same =
        existing.owner_id === input.ownerId &&
        existing.account_id === input.accountId &&
        existing.payout_account_id === input.payoutAccountId &&
        existing.amount === input.amountMinor &&
        existing.min_price === input.minPrice;
      if (!same) return fail("IDEMPOTENCY_CONFLICT", `Bid ${input.bidId} was placed with other content`);
      const running = this.inFlight.get(input.bidId);
      if (running) return running;
      if (existing.status === "placing") await recoverBid(this.context, config, existing);
      const settled = this.storage.bid(input.bidId);
      if (settled) return ok(this.storage.bidView(settled));
    }

    // From here to the slot, nothing awaits: the close and the limits are checked and taken at once.
    const nowMs = now();
    if (this.storage.round()!.state !== "open" || nowMs >= config.closesAtMs) {
      return fail("AUCTION_CLOSED", "The round is closed: no bid is accepted after the close");
    }
    const minBidMinor = BigInt(config.limits.minBidMinor);
    if (BigInt(input.amountMinor) < minBidMinor) {
      return fail("BID_BELOW_MINIMUM", `Bids are at least ${formatAmount("TFP", minBidMinor)} TFP`, "amount");
    }
    // Cancelled bids keep their slot, so placing and cancelling cannot grow a round without bound.
    const counts = this.storage.counts(input.ownerId);
    if (counts.total >= config.limits.bidsPerRoundMax) {
      return fail("LIMIT_REACHED", `This round takes at most ${config.limits.bidsPerRoundMax} bids`);
    }
    if (counts.mine >= config.limits.bidsPerOwnerMax) {
      return fail(
        "LIMIT_REACHED",
        `One owner places at most ${config.limits.bidsPerOwnerMax} bids per round`,
      );
    }
    // Take the slot synchronously: the close and the limits see it before any other request runs.
    const submitSeq = this.storage.takeSlot(input, nowMs);
    return this.track(input.bidId, holdBid(this.context, config, input, submitSeq, nowMs));
  }

  /**
   * Cancels a standing bid before the cancellation deadline and releases its hold. Cancelling a
   * cancelled bid returns it again; after the deadline: CANCELLATION_DEADLINE_PASSED.
   */
  async cancelBid(request: z.input<typeof cancelBidSchema>): Promise<Result<BidView>> {
    const parsed = cancelBidSchema.safeParse(request);
    if (!parsed.success) return fail("VALIDATION_FAILED", `Invalid cancellation: ${parsed.error.message}`);
    const input = parsed.data;
    const row = this.storage.round();
    if (!row) return fail("NOT_FOUND", "No such round");
    const config = this.storage.config(row);
    const nowMs = now();
    const bid = this.storage.bid(input.bidId);
    if (!bid) return fail("NOT_FOUND", `No bid ${input.bidId} in this round`);
    if (!input.asAdmin && bid.owner_id !== input.ownerId) {
      return fail("FORBIDDEN", "This bid belongs to another owner");
    }
    const running = this.inFlight.get(input.bidId);
    if (bid.status === "cancelled") return ok(this.storage.bidView(bid));
    if (bid.status === "cancelling" && running) return running;
    if (bid.status === "placing") return fail("CONFLICT", "The bid is still being placed: retry in a moment");
    if (row.state !== "open" || nowMs >= config.cancellationDeadlineMs) {
      return fail("CANCELLATION_DEADLINE_PASSED", "The cancellation deadline of this round has passed");
    }
    this.storage.setBidStatus(input.bidId, "cancelling", nowMs);
    return this.track(input.bidId, voidHold(this.context, config, bid, nowMs, input.hold));
  }

  /** The close: clears, then settles in bounded batches (see the file comment). Safe to replay. */
  override async alarm(): Promise<void> {
    const row = this.storage.round();
    if (!row) return;
    const config = this.storage.config(row);
    const nowMs = now();
    try {
      if (row.state === "open") {
        if (nowMs < config.closesAtMs) {
          await this.ctx.storage.setAlarm(toRealMs(config.closesAtMs));
          return;
        }
        this.storage.setState("clearing", nowMs);
        await this.context.db.execute(roundClearingStatement(config.roundId, nowMs));
      }
      if (this.storage.round()!.state === "clearing") {
        await this.settleStragglers(config);
        const retryAtMs = await closeRound(this.context, config);
        if (retryAtMs !== null) {
          await this.ctx.storage.setAlarm(toRealMs(retryAtMs));
          return;
        }
      }
      if (this.storage.round()!.state === "settling" && (await settleSome(this.context, config))) {
        await this.ctx.storage.setAlarm(toRealMs(now()));
      }
    } catch (error) {
      await this.recordFailure(config, error);
    }
  }

  /** Lets the ledger writes accepted before the close finish, and recovers a restart's leftovers. */
  private async settleStragglers(config: RoundConfig): Promise<void> {
    await Promise.allSettled([...this.inFlight.values()]);
    for (const bid of this.storage.bidsWith("placing", "cancelling")) {
      if (!this.inFlight.has(bid.id)) await recoverBid(this.context, config, bid);
    }
  }

  /** Records a failed alarm and retries with backoff (1 s doubling, at most an hour). */
  private async recordFailure(config: RoundConfig, error: unknown): Promise<void> {
    const attempts = this.storage.round()!.attempts + 1;
    const message = error instanceof Error ? error.message : String(error);
    this.storage.recordError(message, now(), attempts);
    console.error(JSON.stringify({ level: "error", roundId: config.roundId, attempts, error: message }));
    await this.ctx.storage.setAlarm(
      toRealMs(now() + Math.min(1000 * 2 ** Math.min(attempts, 20), retryDelayMsMax)),
    );
    await this.context.db.execute(roundErrorStatement(config.roundId, message, now())).catch(() => undefined);
  }

  private async track(bidId: string, operation: Promise<Result<PlacedBid>>): Promise<Result<PlacedBid>> {
    this.inFlight.set(bidId, operation);
    try {
      return await operation;
    } finally {
      if (this.inFlight.get(bidId) === operation) this.inFlight.delete(bidId);
    }
  }
}
