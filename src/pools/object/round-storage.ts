/**
 * The round object's own SQLite storage: its configuration and state, its bids (with the order
 * they were accepted in, the tie-breaker of ECONOMICS §8.5) and, once cleared, the settlement plan
 * in batches with a done flag each. Every read and write of that storage goes through here; the
 * views the RPC answers with are built here from it.
 */

import { storedResult } from "../core/outcome";
import { type RoundConfig, type RoundState, roundConfigSchema } from "../core/round";
import { legId, type SettlementBatch } from "../core/settlement";
import type { BidStatus, BidView, PlaceBidInput, RoundStatusView } from "./contract";

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

export type RoundRow = {
  config: string;
  state: string;
  outcome: string | null;
  next_seq: number;
  result: string | null;
  last_error: string | null;
  attempts: number;
};

export type BidRow = {
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

/** The round's storage (see the file comment). `transaction` runs its function atomically. */
export class RoundStorage {
  private configCache: { text: string; config: RoundConfig } | null = null;

  constructor(
    private readonly sql: SqlStorage,
    private readonly transaction: (write: () => void) => void,
  ) {}

  migrate(): void {
    for (const statement of schema) this.sql.exec(statement);
  }

  // ── the round ──────────────────────────────────────────────────────────────────────────────

  round(): RoundRow | null {
    return this.sql.exec<RoundRow>("SELECT * FROM round WHERE singleton = 1").toArray()[0] ?? null;
  }

  /** The configuration of `row`, parsed once per stored text. */
  config(row: RoundRow): RoundConfig {
    if (this.configCache?.text !== row.config) {
      this.configCache = { text: row.config, config: roundConfigSchema.parse(JSON.parse(row.config)) };
    }
    return this.configCache.config;
  }

  open(config: RoundConfig, nowMs: number): void {
    this.sql.exec(
      "INSERT INTO round (singleton, config, state, next_seq, updated_at) VALUES (1, ?, 'open', 0, ?)",
      JSON.stringify(config),
      nowMs,
    );
  }

  setState(state: RoundState, nowMs: number): void {
    this.sql.exec("UPDATE round SET state = ?, updated_at = ? WHERE singleton = 1", state, nowMs);
  }

  /** Records a failed alarm; `attempts` counts them for the backoff (omitted: a wait, not a failure). */
  recordError(message: string, nowMs: number, attempts?: number): void {
    if (attempts === undefined) {
      this.sql.exec("UPDATE round SET last_error = ?, updated_at = ? WHERE singleton = 1", message, nowMs);
      return;
    }
    this.sql.exec(
      "UPDATE round SET last_error = ?, attempts = ?, updated_at = ? WHERE singleton = 1",
      message,
      attempts,
      nowMs,
    );
  }

  /** Stores the settlement plan and the result in one transaction: the round is `settling`. */
  storePlan(
    batches: readonly SettlementBatch[],
    outcome: "cleared" | "void",
    resultText: string | null,
    nowMs: number,
  ): void {
    this.transaction(() => {
      batches.forEach((batch, index) => {
        this.sql.exec("INSERT INTO batches (idx, body, done) VALUES (?, ?, 0)", index, JSON.stringify(batch));
      });
      this.sql.exec(
        "UPDATE round SET state = 'settling', outcome = ?, result = ?, last_error = NULL, attempts = 0, updated_at = ? WHERE singleton = 1",
        outcome,
        resultText,
        nowMs,
      );
    });
  }

  pendingBatches(limit: number): { idx: number; batch: SettlementBatch }[] {
    return this.sql
      .exec<{ idx: number; body: string }>(
        "SELECT idx, body FROM batches WHERE done = 0 ORDER BY idx LIMIT ?",
        limit,
      )
      .toArray()
      .map((row) => ({ idx: row.idx, batch: JSON.parse(row.body) as SettlementBatch }));
  }

  markBatchDone(idx: number): void {
    this.sql.exec("UPDATE batches SET done = 1 WHERE idx = ?", idx);
  }

  batchesLeft(): number {
    return this.sql.exec<{ left: number }>("SELECT count(*) AS left FROM batches WHERE done = 0").one().left;
  }

  // ── bids ───────────────────────────────────────────────────────────────────────────────────

  bid(id: string): BidRow | null {
    return this.sql.exec<BidRow>("SELECT * FROM bids WHERE id = ?", id).toArray()[0] ?? null;
  }

  bidsOf(ownerId: string): BidRow[] {
    return this.sql
      .exec<BidRow>("SELECT * FROM bids WHERE owner_id = ? ORDER BY submit_seq", ownerId)
      .toArray();
  }

  /** Bids in one of `statuses`, in submission order. */
  bidsWith(...statuses: BidStatus[]): BidRow[] {
    return this.sql
      .exec<BidRow>(
        `SELECT * FROM bids WHERE status IN (${statuses.map(() => "?").join(", ")}) ORDER BY submit_seq`,
        ...statuses,
      )
      .toArray();
  }

  /** Bids taken so far (cancelled ones keep their slot), in all and by `ownerId`. */
  counts(ownerId: string): { total: number; mine: number } {
    const counts = this.sql
      .exec<{ total: number; mine: number | null }>(
        "SELECT count(*) AS total, sum(owner_id = ?) AS mine FROM bids",
        ownerId,
      )
      .one();
    return { total: counts.total, mine: counts.mine ?? 0 };
  }

  /** Takes the next submission slot for a bid (status `placing`), atomically; returns its number. */
  takeSlot(input: PlaceBidInput, nowMs: number): number {
    const submitSeq = this.round()!.next_seq;
    this.transaction(() => {
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
    return submitSeq;
  }

  setBidStatus(id: string, status: BidStatus, nowMs: number): void {
    this.sql.exec("UPDATE bids SET status = ?, updated_at = ? WHERE id = ?", status, nowMs, id);
  }

  /** Gives a placement's slot back (only while it is still `placing`). */
  deletePlacing(id: string): void {
    this.sql.exec("DELETE FROM bids WHERE id = ? AND status = 'placing'", id);
  }

  // ── views ──────────────────────────────────────────────────────────────────────────────────

  bidView(row: BidRow): BidView {
    const config = this.config(this.round()!);
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

  view(nowMs: number): RoundStatusView {
    const row = this.round()!;
    const config = this.config(row);
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
