/**
 * One Dutch-auction exit round (ECONOMICS §8): the single writer that takes sealed bids, clears
 * them at the close and settles the result through the ledger.
 *
 * State lives in the object's SQLite storage: the configuration, the bids (with the order they
 * were accepted in, the tie-breaker of §8.5) and, once cleared, the published result and the
 * settlement plan in batches with a done flag each. Every RPC argument is parsed with zod.
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
import type { Client } from "@libsql/client";
import { z } from "zod";
import { hourMs, now, toRealMs } from "../../kit/clock";
import { openDatabase } from "../../kit/db/client";
import { type Failure, fail, ok, type Result } from "../../kit/result";
import { formatAmount } from "../../ledger/core/money";
import { createTransfers } from "../../ledger/store";
import type { ExitBid } from "../core/auction/clearing";
import { computeOutcome, outcomeJson, type RoundResultJson, storedResult } from "../core/outcome";
import { type RoundConfig, type RoundState, roundConfigSchema } from "../core/round";
import {
  type BidLedgerInfo,
  batchWrite,
  legId,
  planRelease,
  planSettlement,
  type SettlementBatch,
} from "../core/settlement";
import { getPool, listPositions, poolFigures } from "../store/pools";
import { referencePrice } from "../store/reference";
import {
  type BidStatus,
  type BidView,
  cancelBidSchema,
  ownerSchema,
  type PlaceBidInput,
  placeBidSchema,
  type RoundStatusView,
} from "./contract";

const schema = [
  `CREATE TABLE IF NOT EXISTS round (
     singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
     config TEXT NOT NULL,
     state TEXT NOT NULL,
     outcome TEXT,
     next_seq INTEGER NOT NULL,
     result TEXT,
     last_error TEXT,
     attempts INTEGER NOT NULL DEFAULT 0,
     updated_at INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS bids (
     id TEXT PRIMARY KEY,
     owner_id TEXT NOT NULL,
     account_id TEXT NOT NULL,
     payout_account_id TEXT NOT NULL,
     amount TEXT NOT NULL,
     min_price TEXT NOT NULL,
     submit_seq INTEGER NOT NULL UNIQUE,
     status TEXT NOT NULL,
     placed_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL)`,
  "CREATE INDEX IF NOT EXISTS bids_owner ON bids (owner_id, status)",
  "CREATE TABLE IF NOT EXISTS batches (idx INTEGER PRIMARY KEY, body TEXT NOT NULL, done INTEGER NOT NULL DEFAULT 0)",
];

/** Retry delay after the oracle had no reference price yet. */
const referenceRetryMs = 60_000;
/** Longest backoff between failed alarm attempts. */
const retryDelayMsMax = hourMs;

type RoundRow = {
  config: string;
  state: string;
  outcome: string | null;
  next_seq: number;
  result: string | null;
  last_error: string | null;
  attempts: number;
};
type BidRow = {
  id: string;
  owner_id: string;
  account_id: string;
  payout_account_id: string;
  amount: string;
  min_price: string;
  submit_seq: number;
  status: string;
  placed_at: number;
};

const bidFields: Record<string, string> = {
  "transfers/0/amount": "amount",
  "transfers/0/debitAccountId": "accountId",
  "transfers/0/asset": "accountId",
};

/** A ledger refusal of a bid's hold, with the field named as the bid's API names it. */
function withBidField(failure: Failure): Failure {
  const field = failure.field === undefined ? undefined : bidFields[failure.field];
  return field === undefined ? failure : { ...failure, field };
}

/** One exit round: a Durable Object per round, named by its id (see the file comment). */
export class AuctionRound extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly db: Client;
  /** Ledger writes accepted by this instance and not finished yet, by bid id. */
  private readonly inFlight = new Map<string, Promise<Result<BidView>>>();
  private configCache: { text: string; config: RoundConfig } | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.db = openDatabase(env);
    void ctx.blockConcurrencyWhile(async () => {
      for (const statement of schema) this.sql.exec(statement);
      // A round left mid-way (clearing or settling) without an alarm resumes now.
      const row = this.roundRow();
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
    const existing = this.roundRow();
    if (existing) {
      // Compared as parsed, so a configuration stored before a rule got its default still matches.
      const same = JSON.stringify(this.config(existing)) === JSON.stringify(config);
      return same
        ? ok(this.view())
        : fail("CONFLICT", `Round ${config.roundId} is already open with another configuration`);
    }
    const nowMs = now();
    this.sql.exec(
      "INSERT INTO round (singleton, config, state, next_seq, updated_at) VALUES (1, ?, 'open', 0, ?)",
      JSON.stringify(config),
      nowMs,
    );
    await this.ctx.storage.setAlarm(toRealMs(config.closesAtMs));
    return ok(this.view());
  }

  /** The round's state, and the bids of `ownerId` when given (sealed: never anyone else's). */
  async status(
    request: { ownerId?: string } = {},
  ): Promise<Result<RoundStatusView & { ownBids: BidView[] }>> {
    const owner = z.strictObject({ ownerId: ownerSchema.optional() }).safeParse(request);
    if (!owner.success) return fail("VALIDATION_FAILED", "Invalid owner id");
    if (!this.roundRow()) return fail("NOT_FOUND", "No such round");
    const ownBids =
      owner.data.ownerId === undefined
        ? []
        : this.sql
            .exec<BidRow>("SELECT * FROM bids WHERE owner_id = ? ORDER BY submit_seq", owner.data.ownerId)
            .toArray()
            .map((row) => this.bidView(row));
    return ok({ ...this.view(), ownBids });
  }

  /**
   * Places a sealed bid: `amountMinor` TFP at no less than `minPrice` USDC per TFP, held from
   * `accountId` until the round settles. Idempotent by bid id: the same bid again returns it;
   * other content is IDEMPOTENCY_CONFLICT. Refused after the close (AUCTION_CLOSED), below the
   * minimum amount (BID_BELOW_MINIMUM) and past the round's or the owner's bid limit (LIMIT_REACHED).
   */
  async placeBid(request: z.input<typeof placeBidSchema>): Promise<Result<BidView>> {
    const parsed = placeBidSchema.safeParse(request);
    if (!parsed.success) return fail("VALIDATION_FAILED", `Invalid bid: ${parsed.error.message}`);
    const input = parsed.data;
    const opened = this.roundRow();
    if (!opened) return fail("NOT_FOUND", "No such round");
    const config = this.config(opened);

    const existing = this.bidRow(input.bidId);
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
      if (existing.status === "placing") await this.recoverBid(existing, config);
      const settled = this.bidRow(input.bidId);
      if (settled) return ok(this.bidView(settled));
    }

    // From here to the slot, nothing awaits: the close and the limits are checked and taken at once.
    const row = this.roundRow()!;
    const nowMs = now();
    if (row.state !== "open" || nowMs >= config.closesAtMs) {
      return fail("AUCTION_CLOSED", "The round is closed: no bid is accepted after the close");
    }
    const amountMinor = BigInt(input.amountMinor);
    if (amountMinor < BigInt(config.limits.minBidMinor)) {
      return fail(
        "BID_BELOW_MINIMUM",
        `Bids are at least ${formatAmount("TFP", BigInt(config.limits.minBidMinor))} TFP`,
        "amount",
      );
    }
    // Cancelled bids keep their slot, so placing and cancelling cannot grow a round without bound.
    const counts = this.sql
      .exec<{ total: number; mine: number | null }>(
        "SELECT count(*) AS total, sum(owner_id = ?) AS mine FROM bids",
        input.ownerId,
      )
      .one();
    if (counts.total >= config.limits.bidsPerRoundMax) {
      return fail("LIMIT_REACHED", `This round takes at most ${config.limits.bidsPerRoundMax} bids`);
    }
    if ((counts.mine ?? 0) >= config.limits.bidsPerOwnerMax) {
      return fail(
        "LIMIT_REACHED",
        `One owner places at most ${config.limits.bidsPerOwnerMax} bids per round`,
      );
    }

    // Take the slot synchronously: the close and the limits see it before any other request runs.
    const submitSeq = row.next_seq;
    this.ctx.storage.transactionSync(() => {
      this.sql.exec("UPDATE round SET next_seq = next_seq + 1 WHERE singleton = 1");
      this.sql.exec(
        "INSERT INTO bids (id, owner_id, account_id, payout_account_id, amount, min_price, submit_seq, status, placed_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'placing', ?, ?)",
        input.bidId,
        input.ownerId,
        input.accountId,
        input.payoutAccountId,
        input.amountMinor,
        input.minPrice,
        submitSeq,
        nowMs,
        nowMs,
      );
    });
    return this.track(input.bidId, this.holdBid(config, input, submitSeq, nowMs));
  }

  /**
   * Cancels a standing bid before the cancellation deadline and releases its hold. Cancelling a
   * cancelled bid returns it again; after the deadline: CANCELLATION_DEADLINE_PASSED.
   */
  async cancelBid(request: z.input<typeof cancelBidSchema>): Promise<Result<BidView>> {
    const parsed = cancelBidSchema.safeParse(request);
    if (!parsed.success) return fail("VALIDATION_FAILED", `Invalid cancellation: ${parsed.error.message}`);
    const input = parsed.data;
    const row = this.roundRow();
    if (!row) return fail("NOT_FOUND", "No such round");
    const config = this.config(row);
    const nowMs = now();
    const bid = this.bidRow(input.bidId);
    if (!bid) return fail("NOT_FOUND", `No bid ${input.bidId} in this round`);
    if (!input.asAdmin && bid.owner_id !== input.ownerId) {
      return fail("FORBIDDEN", "This bid belongs to another owner");
    }
    const running = this.inFlight.get(input.bidId);
    if (bid.status === "cancelled") return ok(this.bidView(bid));
    if (bid.status === "cancelling" && running) return running;
    if (bid.status === "placing") return fail("CONFLICT", "The bid is still being placed: retry in a moment");
    if (row.state !== "open" || nowMs >= config.cancellationDeadlineMs) {
      return fail("CANCELLATION_DEADLINE_PASSED", "The cancellation deadline of this round has passed");
    }
    this.setBidStatus(input.bidId, "cancelling", nowMs);
    return this.track(input.bidId, this.voidHold(config, bid, nowMs));
  }

  /** The close: clears, then settles in bounded batches (see the file comment). Safe to replay. */
  override async alarm(): Promise<void> {
    const row = this.roundRow();
    if (!row) return;
    const config = this.config(row);
    const nowMs = now();
    try {
      if (row.state === "open") {
        if (nowMs < config.closesAtMs) {
          await this.ctx.storage.setAlarm(toRealMs(config.closesAtMs));
          return;
        }
        this.setRoundState("clearing", nowMs);
        await this.mirror("UPDATE auction_rounds SET state = 'clearing', updated_at = ? WHERE id = ?", [
          nowMs,
          config.roundId,
        ]);
      }
      if (this.roundRow()!.state === "clearing" && !(await this.clear(config))) return;
      const state = this.roundRow()!.state;
      if (state === "settling") await this.settleSome(config);
    } catch (error) {
      const attempts = this.roundRow()!.attempts + 1;
      const message = error instanceof Error ? error.message : String(error);
      this.sql.exec(
        "UPDATE round SET last_error = ?, attempts = ?, updated_at = ? WHERE singleton = 1",
        message,
        attempts,
        now(),
      );
      console.error(JSON.stringify({ level: "error", roundId: config.roundId, attempts, error: message }));
      await this.ctx.storage.setAlarm(
        toRealMs(now() + Math.min(1000 * 2 ** Math.min(attempts, 20), retryDelayMsMax)),
      );
      await this.mirror("UPDATE auction_rounds SET last_error = ?, updated_at = ? WHERE id = ?", [
        message.slice(0, 500),
        now(),
        config.roundId,
      ]).catch(() => undefined);
    }
  }

  // ── clearing and settlement ────────────────────────────────────────────────────────────────

  /** Clears the round and stores its plan; false when it must wait for a reference price. */
  private async clear(config: RoundConfig): Promise<boolean> {
    // Writes accepted before the close finish first; a restart's leftovers are read back.
    await Promise.allSettled([...this.inFlight.values()]);
    for (const bid of this.sql
      .exec<BidRow>("SELECT * FROM bids WHERE status IN ('placing', 'cancelling') ORDER BY submit_seq")
      .toArray()) {
      await this.recoverBid(bid, config);
    }
    const held = this.sql
      .exec<BidRow>("SELECT * FROM bids WHERE status = 'held' ORDER BY submit_seq")
      .toArray();
    const bidInfo = new Map<string, BidLedgerInfo>(
      held.map((bid) => [
        bid.id,
        { holdId: legId(config.roundId, bid.id, "hold"), payoutAccountId: bid.payout_account_id },
      ]),
    );

    // The reference price in force at the close; if none was, the first one after it.
    const nowMs = now();
    let reference = await referencePrice(this.db, config.reference, config.closesAtMs);
    if (!reference.ok) reference = await referencePrice(this.db, config.reference, nowMs);
    let batches: SettlementBatch[];
    let result: RoundResultJson | null = null;
    let outcomeKind: "cleared" | "void";
    let totals = { filled: 0n, payout: 0n, margin: 0n };
    if (!reference.ok) {
      if (nowMs < config.closesAtMs + config.settlement.referenceWaitMs) {
        this.sql.exec(
          "UPDATE round SET last_error = ?, updated_at = ? WHERE singleton = 1",
          reference.detail,
          nowMs,
        );
        await this.mirror("UPDATE auction_rounds SET last_error = ?, updated_at = ? WHERE id = ?", [
          reference.detail,
          nowMs,
          config.roundId,
        ]);
        await this.ctx.storage.setAlarm(toRealMs(nowMs + referenceRetryMs));
        return false;
      }
      // No reference price in time: the round is void and every hold is released.
      outcomeKind = "void";
      batches = planRelease(
        bidInfo,
        held.map((bid) => bid.id),
        config.settlement.transfersPerBatch,
      );
    } else {
      const pool = await getPool(this.db, config.poolId);
      if (!pool) throw new Error(`pool ${config.poolId} is missing`);
      const [figures, positions] = await Promise.all([
        poolFigures(this.db, pool),
        listPositions(this.db, pool.id),
      ]);
      const bids: ExitBid[] = held.map((bid) => ({
        id: bid.id,
        amountMinor: BigInt(bid.amount),
        minPrice: bid.min_price,
        submitSeq: bid.submit_seq,
      }));
      const outcome = computeOutcome({
        bids,
        rules: config.rules,
        referencePrice: reference.value.price,
        pool: {
          totalContributedUsdcMinor: figures.totalContributedUsdcMinor,
          totalExitedUsdcMinor: figures.totalExitedUsdcMinor,
          periodLiquidityUsdcMinor: BigInt(config.periodLiquidityUsdcMinor),
          availableUsdcMinor: figures.usdcAvailableMinor > 0n ? figures.usdcAvailableMinor : 0n,
        },
        positions: positions.map((position) => ({
          id: position.id,
          valueMinor: position.valueUsdcMinor,
          contributedAtMs: position.contributedAtMs,
        })),
        weightRule: config.weightRule,
        sharesAtMs: config.closesAtMs,
      });
      const rewardAccounts = new Map(positions.map((position) => [position.id, position.rewardAccountId]));
      batches = planSettlement(outcome, bidInfo, rewardAccounts, config.settlement.transfersPerBatch);
      result = outcomeJson(outcome);
      outcomeKind = "cleared";
      totals = {
        filled: outcome.clearing.filledMinor,
        payout: outcome.clearing.payoutTotalMinor,
        margin: outcome.marginCreatedMinor,
      };
    }

    const resultText = result === null ? null : JSON.stringify(result);
    this.ctx.storage.transactionSync(() => {
      batches.forEach((batch, index) => {
        this.sql.exec("INSERT INTO batches (idx, body, done) VALUES (?, ?, 0)", index, JSON.stringify(batch));
      });
      this.sql.exec(
        "UPDATE round SET state = 'settling', outcome = ?, result = ?, last_error = NULL, attempts = 0, updated_at = ? WHERE singleton = 1",
        outcomeKind,
        resultText,
        nowMs,
      );
    });
    await this.mirror(
      "UPDATE auction_rounds SET state = 'settling', result = ?, filled_tfp = ?, payout_usdc = ?, margin_usdc = ?, cleared_at = ?, last_error = NULL, updated_at = ? WHERE id = ?",
      [resultText, totals.filled, totals.payout, totals.margin, nowMs, nowMs, config.roundId],
    );
    return true;
  }

  /** Writes up to `batchesPerAlarm` batches; finishes the round when none are left. */
  private async settleSome(config: RoundConfig): Promise<void> {
    const pending = this.sql
      .exec<{ idx: number; body: string }>(
        "SELECT idx, body FROM batches WHERE done = 0 ORDER BY idx LIMIT ?",
        config.settlement.batchesPerAlarm,
      )
      .toArray();
    const accounts = { roundId: config.roundId, poolUsdcAccountId: config.poolUsdcAccountId };
    for (const batch of pending) {
      const { requests, extra } = batchWrite(accounts, JSON.parse(batch.body) as SettlementBatch, now());
      const written = await createTransfers(
        this.db,
        requests,
        { linkId: `${config.roundId}.batch${batch.idx}` },
        extra,
      );
      if (!written.ok) throw new Error(`settlement batch ${batch.idx}: ${written.code}: ${written.detail}`);
      this.sql.exec("UPDATE batches SET done = 1 WHERE idx = ?", batch.idx);
    }
    const left = this.sql
      .exec<{ left: number }>("SELECT count(*) AS left FROM batches WHERE done = 0")
      .one().left;
    if (left > 0) {
      await this.ctx.storage.setAlarm(toRealMs(now()));
      return;
    }
    const row = this.roundRow()!;
    const finalState: RoundState = row.outcome === "void" ? "void" : "settled";
    const nowMs = now();
    // The mirror first: if the object stops between the two, the alarm runs again and repeats both.
    await this.mirror(
      "UPDATE auction_rounds SET state = ?, result = COALESCE(result, ?), settled_at = ?, last_error = NULL, updated_at = ? WHERE id = ?",
      [finalState, row.result, nowMs, nowMs, config.roundId],
    );
    this.setRoundState(finalState, nowMs);
  }

  // ── bids and the ledger ─────────────────────────────────────────────────────────────────────

  private async track(bidId: string, operation: Promise<Result<BidView>>): Promise<Result<BidView>> {
    this.inFlight.set(bidId, operation);
    try {
      return await operation;
    } finally {
      if (this.inFlight.get(bidId) === operation) this.inFlight.delete(bidId);
    }
  }

  /** Writes a bid's hold and its mirror row in one ledger write; the bid is then `held`, or deleted if refused. */
  private async holdBid(
    config: RoundConfig,
    input: PlaceBidInput,
    submitSeq: number,
    nowMs: number,
  ): Promise<Result<BidView>> {
    const holdId = legId(config.roundId, input.bidId, "hold");
    let written: Awaited<ReturnType<typeof createTransfers>>;
    try {
      written = await createTransfers(
        this.db,
        [
          {
            type: "pending",
            id: holdId,
            debitAccountId: input.accountId,
            creditAccountId: config.poolTfpAccountId,
            asset: "TFP",
            amountMinor: BigInt(input.amountMinor),
            timeoutMs: config.closesAtMs + config.settlement.holdMarginMs - nowMs,
            code: "auction_bid_hold",
            metadata: { roundId: config.roundId, bidId: input.bidId },
          },
        ],
        { nowMs },
        [
          {
            sql: "INSERT INTO auction_bids (id, round_id, owner_id, account_id, payout_account_id, amount, min_price, submit_seq, hold_id, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'held', ?, ?)",
            args: [
              input.bidId,
              config.roundId,
              input.ownerId,
              input.accountId,
              input.payoutAccountId,
              BigInt(input.amountMinor),
              input.minPrice,
              submitSeq,
              holdId,
              nowMs,
              nowMs,
            ],
          },
        ],
      );
    } catch (error) {
      this.deleteBid(input.bidId);
      throw error;
    }
    if (!written.ok) {
      this.deleteBid(input.bidId);
      // Bid ids derive from (owner, Idempotency-Key) alone: the same key racing into another
      // round finds its mirror row taken there. That is another request under the same key.
      if (written.code === "CONFLICT" && written.detail.includes("auction_bids.id")) {
        return fail("IDEMPOTENCY_CONFLICT", "This Idempotency-Key placed a bid in another round");
      }
      return withBidField(written);
    }
    this.setBidStatus(input.bidId, "held", now());
    return ok(this.bidView(this.bidRow(input.bidId)!));
  }

  /** Voids a cancelled bid's hold and marks its mirror row, in one ledger write. */
  private async voidHold(config: RoundConfig, bid: BidRow, nowMs: number): Promise<Result<BidView>> {
    let written: Awaited<ReturnType<typeof createTransfers>>;
    try {
      written = await createTransfers(
        this.db,
        [
          {
            type: "void_pending",
            id: legId(config.roundId, bid.id, "cancel"),
            pendingId: legId(config.roundId, bid.id, "hold"),
            code: "auction_bid_cancelled",
            metadata: { roundId: config.roundId, bidId: bid.id },
          },
        ],
        { nowMs },
        [
          {
            sql: "UPDATE auction_bids SET status = 'cancelled', updated_at = ? WHERE id = ?",
            args: [nowMs, bid.id],
          },
        ],
      );
    } catch (error) {
      this.setBidStatus(bid.id, "held", now());
      throw error;
    }
    if (!written.ok) {
      this.setBidStatus(bid.id, "held", now());
      return written;
    }
    this.setBidStatus(bid.id, "cancelled", now());
    return ok(this.bidView(this.bidRow(bid.id)!));
  }

  /**
   * Settles a bid left `placing` or `cancelling` by an instance that stopped: a placement whose
   * hold reached the ledger is held, otherwise deleted (an orphan hold written later still expires
   * on its timeout); a cancellation accepted before the deadline is completed.
   */
  private async recoverBid(bid: BidRow, config: RoundConfig): Promise<void> {
    if (this.inFlight.has(bid.id)) return;
    const found = await this.db.execute({
      sql: "SELECT status FROM holds WHERE id = ?",
      args: [legId(config.roundId, bid.id, "hold")],
    });
    const holdStatus = found.rows[0]?.status === undefined ? null : String(found.rows[0].status);
    const nowMs = now();
    if (bid.status === "placing") {
      if (holdStatus === "pending") this.setBidStatus(bid.id, "held", nowMs);
      else this.deleteBid(bid.id);
    } else if (bid.status === "cancelling") {
      if (holdStatus === "pending") {
        const done = await this.voidHold(config, bid, nowMs);
        if (!done.ok) throw new Error(`completing the cancellation of ${bid.id}: ${done.code}`);
      } else {
        this.setBidStatus(bid.id, "cancelled", nowMs);
      }
    }
  }

  // ── storage helpers ─────────────────────────────────────────────────────────────────────────

  private roundRow(): RoundRow | null {
    return this.sql.exec<RoundRow>("SELECT * FROM round WHERE singleton = 1").toArray()[0] ?? null;
  }

  private config(row: RoundRow): RoundConfig {
    if (this.configCache?.text !== row.config) {
      this.configCache = { text: row.config, config: roundConfigSchema.parse(JSON.parse(row.config)) };
    }
    return this.configCache.config;
  }

  private bidRow(id: string): BidRow | null {
    return this.sql.exec<BidRow>("SELECT * FROM bids WHERE id = ?", id).toArray()[0] ?? null;
  }

  private setBidStatus(id: string, status: BidStatus, nowMs: number): void {
    this.sql.exec("UPDATE bids SET status = ?, updated_at = ? WHERE id = ?", status, nowMs, id);
  }

  private deleteBid(id: string): void {
    this.sql.exec("DELETE FROM bids WHERE id = ? AND status = 'placing'", id);
  }

  private setRoundState(state: RoundState, nowMs: number): void {
    this.sql.exec("UPDATE round SET state = ?, updated_at = ? WHERE singleton = 1", state, nowMs);
  }

  private async mirror(sql: string, args: (string | number | bigint | null)[]): Promise<void> {
    await this.db.execute({ sql, args });
  }

  private bidView(row: BidRow): BidView {
    const config = this.config(this.roundRow()!);
    return {
      id: row.id,
      roundId: config.roundId,
      ownerId: row.owner_id,
      accountId: row.account_id,
      payoutAccountId: row.payout_account_id,
      amountMinor: row.amount,
      minPrice: row.min_price,
      submitSeq: row.submit_seq,
      status: row.status as BidStatus,
      holdId: legId(config.roundId, row.id, "hold"),
      placedAtMs: row.placed_at,
    };
  }

  private view(): RoundStatusView {
    const row = this.roundRow()!;
    const config = this.config(row);
    const nowMs = now();
    const standing = this.sql
      .exec<{ n: number }>("SELECT count(*) AS n FROM bids WHERE status IN ('placing', 'held')")
      .one().n;
    const batches = this.sql
      .exec<{ total: number; done: number | null }>(
        "SELECT count(*) AS total, sum(done) AS done FROM batches",
      )
      .one();
    return {
      roundId: config.roundId,
      state: row.state as RoundState,
      closesAtMs: config.closesAtMs,
      cancellationDeadlineMs: config.cancellationDeadlineMs,
      acceptingBids: row.state === "open" && nowMs < config.closesAtMs,
      bidsCount: standing,
      result: row.result === null ? null : storedResult(row.result),
      lastError: row.last_error,
      batchesTotal: batches.total,
      batchesDone: batches.done ?? 0,
    };
  }
}
