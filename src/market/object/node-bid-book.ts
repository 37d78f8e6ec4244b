/**
 * One node's bid book (ECONOMICS §16, §17): the single writer of who holds the node's slices,
 * and the hourly settlement of every lease on it (§10).
 *
 * State lives in the object's SQLite storage and in memory: the book (src/market/core/bidbook, the
 * pure state machine), each lease's or bid's funding (who pays, the holds that stand behind it)
 * and the event log. It is loaded in `blockConcurrencyWhile` — from storage, or on the very first
 * call from the node's libSQL row, so a node registered (or seeded) in libSQL becomes bookable
 * the first time its object is touched. Every RPC argument is parsed with zod
 * (src/market/object/contract.ts); expected refusals come back as `Failure` values.
 *
 * No overbooking, and no money moved for a refusal: every change of the book runs in the book's
 * queue of changes (`exclusive`), one at a time. A change that needs no money is one synchronous
 * step — read the book, run the domain transition (which checks capacity), write the new book,
 * its funding and its events in one storage transaction. A change that needs a hold (a
 * reservation, a group of bids) checks the book first, so a refusal writes nothing; places the
 * hold only for what the book accepted; then commits the transition it checked, against the very
 * same book (nothing else could change it while the ledger was written). A hold the ledger refuses
 * wrote nothing (createTransfers is atomic), and a hold is never released by a call that did not
 * place it. Other awaited work (the libSQL mirror, the alarm) happens after the change.
 *
 * Money (the "money pass", run by the alarm and after changes that need it; one at a time):
 * catch the book up to now; settle every due lease period (src/market/store/settlement.ts) and record
 * each settled period in the book; release the holds of closed bids and finished leases; top up
 * leases running low, or pause them for funds with a grace period (reclaimed when it runs out);
 * mirror changed leases and the node's free slices to libSQL; set the next alarm. Settlement ids
 * derive from (lease, period) and settled periods are skipped, so an alarm that fires twice or
 * after a restart changes nothing.
 */
import { DurableObject } from "cloudflare:workers";
import type { Client, InStatement } from "@libsql/client";
import type { z } from "zod";
import { now } from "../../kit/clock";
import { openDatabase, writeFailure } from "../../kit/db/client";
import { invariant } from "../../kit/errors";
import { type Failure, fail, ok, type Result } from "../../kit/result";
import { Dec, formatAmount } from "../../ledger/core/money";
import {
  type HoldInfo,
  type HoldRequest,
  isUsable,
  loadHolds,
  placeHold,
  placeHolds,
  releaseHold,
} from "../../ledger/holds";
import { defaultPegParameters } from "../../oracle/core/peg";
import { currentPeg } from "../../oracle/prices";
import { type MarketConfig, marketConfig } from "../config";
import {
  acceptBid,
  type Bid,
  type BidBook,
  type BidBookEvent,
  cancelBid,
  compact,
  endLease,
  freeSlices,
  isBidId,
  type Lease,
  leaseIdForBid,
  markInsufficientFunds,
  match,
  openBook,
  placeBids,
  recordSettlement,
  rejectBid,
  reserve,
  reservePackage,
  resumeFunded,
  runningSlices,
  setPrices,
  setState,
  type Transition,
} from "../core/bidbook";
import { chargeAheadFor, duePeriods, settlementPeriodMsDefault } from "../core/bidbook/settlement";
import type { BandCurrency } from "../core/parameters";
import type { PriceBand } from "../core/pricing";
import { ccPriceText, quoteLease } from "../core/quote";
import { chargeForUsage } from "../core/revenue";
import type { BookAuditRecord, BookAuditView } from "../flows/audit";
import { getNode, nodeMirrorStatement } from "../store/nodes";
import { type LeaseParties, type PeriodFigures, settleLeases, smaller } from "../store/settlement";
import {
  type BidView,
  type BookView,
  bidActionSchema,
  type EventView,
  type LeaseSource,
  type LeaseView,
  leaseEventsSchema,
  leaseRefSchema,
  openSchema,
  placeBidSchema,
  reserveSchema,
  type SettleSummary,
  setPricesSchema,
  setStateSchema,
  shiftClockSchema,
} from "./contract";

/** What the book keeps about its node besides the book itself. */
type NodeConfig = {
  nodeId: string;
  farmerId: string;
  payoutAccountId: string;
  currency: BandCurrency;
  pricePerSliceMonth: string;
  pricePerSliceHour: string;
  band: PriceBand;
};

/** Who pays for a lease or a bid and the holds that stand behind it (oldest first). */
type Funding = {
  id: string;
  ownerId: string;
  payerAccountId: string;
  source: LeaseSource;
  sourceId: string | null;
  quotedPrice: string | null;
  quotedCurrency: BandCurrency | null;
  quotedCcUsd: string | null;
  holdIds: string[];
  /** Period count at which the last top-up failed, so its event is written once. */
  topUpFailedAt: number | null;
  /** The last settlement failure reported in the events, so it is written once. */
  lastFailure: string | null;
};

/** A settled or money event the book adds to the domain's events. */
type ExtraEvent = { type: string; leaseId?: string; bidId?: string; atMs: number; detail: string };

/** Periods settled per lease in one pass (the rest follow in the next pass of the same run). */
const periodsPerLeasePerPassMax = 48;
/** Delay before retrying money work that failed or could not finish. */
const retryMs = 60_000;
/** Most passes of one money run (each settles up to `periodsPerLeasePerPassMax` periods per lease). */
const passesPerRunMax = 50;
/** Compact the book once it holds this many closed records. */
const closedRecordsBeforeCompact = 256;
/** Events older than this are dropped when the book is compacted: 90 days. */
const eventsRetentionMs = 90 * 24 * 3_600_000;
/** Most events returned by one page. */
const eventsPageMax = 200;

const storageSchema = [
  "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
  "CREATE TABLE IF NOT EXISTS leases (id TEXT PRIMARY KEY, body TEXT NOT NULL)",
  "CREATE TABLE IF NOT EXISTS bids (id TEXT PRIMARY KEY, body TEXT NOT NULL)",
  "CREATE TABLE IF NOT EXISTS funding (id TEXT PRIMARY KEY, body TEXT NOT NULL)",
  `CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, lease_id TEXT, bid_id TEXT,
     type TEXT NOT NULL, at_ms INTEGER NOT NULL, detail TEXT NOT NULL)`,
  "CREATE INDEX IF NOT EXISTS events_lease ON events (lease_id, seq)",
  "CREATE INDEX IF NOT EXISTS events_bid ON events (bid_id, seq)",
];

/**
 * Writes records as (id, JSON body) rows, however many, in one statement: the array goes in as
 * one JSON parameter and `json_each` unrolls it, so a group of bids costs one call into SQLite,
 * not one per row (and never meets the bound-parameter limit).
 */
function putRecords(
  sql: SqlStorage,
  table: "leases" | "bids" | "funding",
  records: readonly { id: string }[],
): void {
  if (records.length === 0) return;
  sql.exec(
    `INSERT OR REPLACE INTO ${table} (id, body) SELECT value ->> '$.id', value FROM json_each(?)`,
    JSON.stringify(records),
  );
}

function deleteRecords(sql: SqlStorage, table: "leases" | "bids" | "funding", ids: readonly string[]): void {
  if (ids.length === 0) return;
  sql.exec(`DELETE FROM ${table} WHERE id IN (SELECT value FROM json_each(?))`, JSON.stringify(ids));
}

type Header = Omit<BidBook, "leases" | "bids">;

function headerOf(book: BidBook): Header {
  return {
    nodeId: book.nodeId,
    sliceCount: book.sliceCount,
    state: book.state,
    listedPriceCcPerSliceHour: book.listedPriceCcPerSliceHour,
    minBidCcPerSliceHour: book.minBidCcPerSliceHour,
    autoAcceptAboveCcPerSliceHour: book.autoAcceptAboveCcPerSliceHour,
  };
}

function sameHeader(a: Header, b: Header): boolean {
  return (
    a.state === b.state &&
    a.sliceCount === b.sliceCount &&
    a.listedPriceCcPerSliceHour === b.listedPriceCcPerSliceHour &&
    a.minBidCcPerSliceHour === b.minBidCcPerSliceHour &&
    a.autoAcceptAboveCcPerSliceHour === b.autoAcceptAboveCcPerSliceHour
  );
}

/** Whether two versions of one lease differ in anything a transition can change. */
function sameLease(a: Lease, b: Lease): boolean {
  if (
    a.status !== b.status ||
    a.pausedReason !== b.pausedReason ||
    a.settledThroughMs !== b.settledThroughMs ||
    a.graceUntilMs !== b.graceUntilMs ||
    a.endsAtMs !== b.endsAtMs ||
    a.pauses.length !== b.pauses.length
  ) {
    return false;
  }
  return a.pauses.every(
    (pause, index) => pause.fromMs === b.pauses[index]?.fromMs && pause.untilMs === b.pauses[index]?.untilMs,
  );
}

/** What must match for a repeated bid id to be the same bid. */
type BidRequest = Pick<Bid, "accountId" | "slices" | "priceCcPerSliceHour">;

/** A bid waiting for its group's write, and how to answer its caller. */
type PendingBid = {
  request: z.infer<typeof placeBidSchema>;
  resolve: (result: Result<BidView>) => void;
};

/** What a group of bids came to (see `writeBidGroup`). */
type BidGroupOutcome = {
  /** Per request of the group: its refusal, or undefined for the bid stored under its id. */
  answers: (Failure | undefined)[];
  nowMs: number;
  /** Whether any bid was placed. */
  placedAny: boolean;
  /** Whether the group only placed bids (no acceptance or pre-emption). */
  onlyPlaced: boolean;
};

/** The id of the hold behind a bid. */
function bidHoldId(bidId: string): string {
  return `hold_${bidId}`;
}

function sameBidRequest(left: BidRequest, right: BidRequest): boolean {
  return (
    left.accountId === right.accountId &&
    left.slices === right.slices &&
    left.priceCcPerSliceHour === right.priceCcPerSliceHour
  );
}

/** Ids of `stored` that `current` no longer has. */
function missingIds(stored: ReadonlyMap<string, unknown>, current: readonly { id: string }[]): string[] {
  const present = new Set(current.map((record) => record.id));
  return [...stored.keys()].filter((id) => !present.has(id));
}

function failureOf(error: z.ZodError): Failure {
  const issue = error.issues[0];
  const field = issue ? issue.path.map(String).join(".") : "input";
  return fail("VALIDATION_FAILED", `${field}: ${issue?.message ?? "invalid"}`, field || "input");
}

function parse<T>(schema: z.ZodType<T>, input: unknown): Result<T> {
  const parsed = schema.safeParse(input);
  return parsed.success ? ok(parsed.data) : failureOf(parsed.error);
}

function cc(minor: bigint): string {
  return formatAmount("CC", minor);
}

export class NodeBidBook extends DurableObject<Env> {
  private readonly db: Client;
  private readonly market: MarketConfig;
  private config: NodeConfig | null = null;
  private book: BidBook | null = null;
  private clockOffsetMs = 0;
  private readonly funding = new Map<string, Funding>();
  /** The lease and bid records as last written to storage. */
  private readonly storedLeases = new Map<string, Lease>();
  private readonly storedBids = new Map<string, Bid>();
  private storedHeader: Header | null = null;
  /** Fingerprints of what the libSQL mirror holds (in memory: a restart mirrors everything once). */
  private readonly mirrored = new Map<string, string>();
  private mirrorDirty = true;
  private mirrorRun: Promise<void> | null = null;
  private mirrorAgain = false;
  private moneyRun: Promise<void> | null = null;
  private moneyAgain = false;
  private lastPassFailed = false;
  private alarmAtMs: number | null = null;
  /** The end of the queue of book changes (see `exclusive`). */
  private changes: Promise<unknown> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.db = openDatabase(env);
    this.market = marketConfig(env);
    void ctx.blockConcurrencyWhile(async () => {
      for (const statement of storageSchema) ctx.storage.sql.exec(statement);
      this.loadFromStorage();
      this.alarmAtMs = await ctx.storage.getAlarm();
    });
  }

  // ---------------------------------------------------------------- loading and persistence

  private loadFromStorage(): void {
    const sql = this.ctx.storage.sql;
    const meta = new Map(
      sql
        .exec<{ key: string; value: string }>("SELECT key, value FROM meta")
        .toArray()
        .map((row) => [row.key, row.value]),
    );
    const config = meta.get("config");
    const header = meta.get("header");
    if (config === undefined || header === undefined) return;
    this.config = JSON.parse(config) as NodeConfig;
    this.clockOffsetMs = Number(meta.get("clock_offset") ?? "0");
    const leases = sql
      .exec<{ body: string }>("SELECT body FROM leases")
      .toArray()
      .map((row) => JSON.parse(row.body) as Lease);
    const bids = sql
      .exec<{ body: string }>("SELECT body FROM bids")
      .toArray()
      .map((row) => JSON.parse(row.body) as Bid);
    for (const row of sql.exec<{ body: string }>("SELECT body FROM funding").toArray()) {
      const funding = JSON.parse(row.body) as Funding;
      this.funding.set(funding.id, funding);
    }
    const parsedHeader = JSON.parse(header) as Header;
    this.book = { ...parsedHeader, leases, bids };
    this.storedHeader = parsedHeader;
    for (const lease of leases) this.storedLeases.set(lease.id, lease);
    for (const bid of bids) this.storedBids.set(bid.id, bid);
  }

  /**
   * Makes sure the book exists: on the first call for a node, opens it from the node's libSQL
   * row (inside blockConcurrencyWhile, so nothing else runs meanwhile). NOT_FOUND without a row.
   */
  private async ensureLoaded(nodeId: string): Promise<Result<BidBook>> {
    if (this.book === null) {
      await this.ctx.blockConcurrencyWhile(async () => {
        if (this.book !== null) return;
        const node = await getNode(this.db, nodeId);
        if (node === null) return;
        let ccUsd: string = defaultPegParameters.ccUsdReference;
        if (node.band.currency === "USD") {
          const peg = await currentPeg(this.db, Date.now());
          if (peg.ccUsd !== null) ccUsd = peg.ccUsd;
        }
        const listed =
          node.band.currency === "CC"
            ? node.pricePerSliceHour
            : ccPriceText(new Dec(node.pricePerSliceHour).div(ccUsd));
        const opened = openBook({
          nodeId,
          sliceCount: node.sliceCount,
          state: node.state,
          listedPriceCcPerSliceHour: listed,
          minBidCcPerSliceHour: node.minBidCcPerSliceHour,
          autoAcceptAboveCcPerSliceHour: node.autoAcceptAboveCcPerSliceHour,
        });
        if (!opened.ok) throw new Error(`node ${nodeId}: cannot open its book: ${opened.detail}`);
        const config: NodeConfig = {
          nodeId,
          farmerId: node.farmerId,
          payoutAccountId: node.payoutAccountId,
          currency: node.band.currency,
          pricePerSliceMonth: node.pricePerSliceMonth,
          pricePerSliceHour: node.pricePerSliceHour,
          band: node.band,
        };
        this.ctx.storage.transactionSync(() => {
          this.ctx.storage.sql.exec(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('config', ?)",
            JSON.stringify(config),
          );
          this.ctx.storage.sql.exec(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('header', ?)",
            JSON.stringify(headerOf(opened.value)),
          );
        });
        this.config = config;
        this.book = opened.value;
        this.storedHeader = headerOf(opened.value);
      });
    }
    if (this.book === null) return fail("NOT_FOUND", `No node ${nodeId}`, "nodeId");
    if (this.book.nodeId !== nodeId)
      return fail("CONFLICT", `This book belongs to ${this.book.nodeId}`, "nodeId");
    return ok(this.book);
  }

  /** The object's clock: real time, shifted forward in test and bench runs (`shiftClock`). */
  private now(): number {
    return now() + this.clockOffsetMs;
  }

  private requireBook(): BidBook {
    if (this.book === null) throw new Error("bid book used before it was loaded");
    return this.book;
  }

  private requireConfig(): NodeConfig {
    if (this.config === null) throw new Error("bid book used before it was loaded");
    return this.config;
  }

  /**
   * Runs `change` once every change queued before it has finished, and nothing else that changes
   * the book until it has: every `commit` happens inside one. So a change that awaits the ledger
   * between its check and its commit commits against the book it checked, and a duplicate of a
   * request waits for the first and then finds its outcome. A change must not wait for another
   * queued change (nor for the money pass, which queues its own): that would wait forever.
   */
  private exclusive<T>(change: () => T | Promise<T>): Promise<T> {
    const run = this.changes.then(change);
    this.changes = run.catch(() => undefined);
    return run;
  }

  /**
   * Applies a transition: the new book, changed lease and bid records, funding changes and events
   * in one storage transaction (synchronous: nothing can run in between), then in memory. Bids
   * the transition accepted hand their funding to the lease they became.
   */
  private commit(
    transition: Transition,
    options: { funding?: Funding[]; extraEvents?: ExtraEvent[]; settled?: Map<string, PeriodFigures> } = {},
  ): void {
    const next = transition.book;
    // Funding written with this change; an accepted bid's funding moves to the lease it became.
    const staged = new Map((options.funding ?? []).map((funding) => [funding.id, funding]));
    const movedBidIds: string[] = [];
    for (const event of transition.events) {
      if (event.type !== "accepted" || event.bidId === undefined) continue;
      const bidFunding = staged.get(event.bidId) ?? this.funding.get(event.bidId);
      if (!bidFunding) continue;
      staged.delete(event.bidId);
      staged.set(leaseIdForBid(event.bidId), { ...bidFunding, id: leaseIdForBid(event.bidId) });
      movedBidIds.push(event.bidId);
    }
    const fundingChanges = [...staged.values()];
    const events: ExtraEvent[] = transition.events.map((event: BidBookEvent) => {
      const figures =
        event.type === "settled" && event.leaseId ? options.settled?.get(event.leaseId) : undefined;
      return {
        type: event.type,
        ...(event.leaseId === undefined ? {} : { leaseId: event.leaseId }),
        ...(event.bidId === undefined ? {} : { bidId: event.bidId }),
        atMs: event.atMs,
        detail: figures ? describeSettlement(figures) : event.detail,
      };
    });
    events.push(...(options.extraEvents ?? []));
    const header = headerOf(next);
    const sql = this.ctx.storage.sql;
    const changedLeases = next.leases.filter((lease) => {
      const stored = this.storedLeases.get(lease.id);
      return stored === undefined || !sameLease(stored, lease);
    });
    const changedBids = next.bids.filter((bid) => this.storedBids.get(bid.id)?.status !== bid.status);
    // Records disappear only when the book is compacted: look for them only when the count says so.
    const addedLeases = changedLeases.filter((lease) => !this.storedLeases.has(lease.id)).length;
    const droppedLeases =
      next.leases.length < this.storedLeases.size + addedLeases
        ? missingIds(this.storedLeases, next.leases)
        : [];
    const addedBids = changedBids.filter((bid) => !this.storedBids.has(bid.id)).length;
    const droppedBids =
      next.bids.length < this.storedBids.size + addedBids ? missingIds(this.storedBids, next.bids) : [];
    const headerChanged = this.storedHeader === null || !sameHeader(this.storedHeader, header);
    this.ctx.storage.transactionSync(() => {
      if (headerChanged) {
        sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('header', ?)", JSON.stringify(header));
      }
      putRecords(sql, "leases", changedLeases);
      deleteRecords(sql, "leases", droppedLeases);
      putRecords(sql, "bids", changedBids);
      deleteRecords(sql, "bids", droppedBids);
      putRecords(sql, "funding", fundingChanges);
      deleteRecords(sql, "funding", movedBidIds);
      this.insertEvents(events);
    });
    this.book = next;
    this.storedHeader = header;
    for (const lease of changedLeases) this.storedLeases.set(lease.id, lease);
    for (const id of droppedLeases) this.storedLeases.delete(id);
    for (const bid of changedBids) this.storedBids.set(bid.id, bid);
    for (const id of droppedBids) this.storedBids.delete(id);
    for (const bidId of movedBidIds) this.funding.delete(bidId);
    for (const funding of fundingChanges) this.funding.set(funding.id, funding);
    if (changedLeases.length > 0 || droppedLeases.length > 0 || headerChanged) this.mirrorDirty = true;
  }

  /** Appends to the event log, in order (inside the caller's storage transaction). */
  private insertEvents(events: readonly ExtraEvent[]): void {
    if (events.length === 0) return;
    this.ctx.storage.sql.exec(
      `INSERT INTO events (lease_id, bid_id, type, at_ms, detail)
       SELECT value ->> '$.leaseId', value ->> '$.bidId', value ->> '$.type', value ->> '$.atMs',
              value ->> '$.detail'
       FROM json_each(?) ORDER BY key`,
      JSON.stringify(events),
    );
  }

  /** Writes funding records (and extra events) on their own, outside a transition. */
  private saveFunding(records: Funding[], events: ExtraEvent[] = []): void {
    this.ctx.storage.transactionSync(() => {
      putRecords(this.ctx.storage.sql, "funding", records);
      this.insertEvents(events);
    });
    for (const funding of records) this.funding.set(funding.id, funding);
  }

  // ---------------------------------------------------------------- views

  private leaseView(lease: Lease): LeaseView {
    const funding = this.funding.get(lease.id);
    return {
      id: lease.id,
      nodeId: this.requireBook().nodeId,
      ownerId: funding?.ownerId ?? "unknown",
      payerAccountId: funding?.payerAccountId ?? lease.accountId,
      kind: lease.kind,
      source: funding?.source ?? "reservation",
      sourceId: funding?.sourceId ?? null,
      slices: lease.slices,
      priceCcPerSliceHour: lease.priceCcPerSliceHour,
      quotedPrice: funding?.quotedPrice ?? null,
      quotedCurrency: funding?.quotedCurrency ?? null,
      quotedCcUsd: funding?.quotedCcUsd ?? null,
      startedAtMs: lease.startedAtMs,
      endsAtMs: lease.endsAtMs,
      status: lease.status,
      pausedReason: lease.pausedReason ?? null,
      graceUntilMs: lease.graceUntilMs ?? null,
      settledThroughMs: lease.settledThroughMs,
      holdIds: [...(funding?.holdIds ?? [])],
    };
  }

  private bidView(bid: Bid): BidView {
    const funding = this.funding.get(bid.id) ?? this.funding.get(leaseIdForBid(bid.id));
    return {
      id: bid.id,
      nodeId: this.requireBook().nodeId,
      ownerId: funding?.ownerId ?? "unknown",
      payerAccountId: funding?.payerAccountId ?? bid.accountId,
      slices: bid.slices,
      priceCcPerSliceHour: bid.priceCcPerSliceHour,
      expiresAtMs: bid.expiresAtMs,
      status: bid.status,
      holdIds: [...(funding?.holdIds ?? [])],
      leaseId: bid.status === "accepted" ? leaseIdForBid(bid.id) : null,
    };
  }

  private bookView(): BookView {
    const book = this.requireBook();
    return {
      nodeId: book.nodeId,
      state: book.state,
      sliceCount: book.sliceCount,
      freeSlices: freeSlices(book),
      runningSlices: runningSlices(book),
      listedPriceCcPerSliceHour: book.listedPriceCcPerSliceHour,
      minBidCcPerSliceHour: book.minBidCcPerSliceHour,
      autoAcceptAboveCcPerSliceHour: book.autoAcceptAboveCcPerSliceHour,
      leases: book.leases.length,
      openBids: book.bids.filter((bid) => bid.status === "open").length,
    };
  }

  // ---------------------------------------------------------------- RPC methods

  /** A no-op call, to measure the cost of reaching the object. */
  ping(): string {
    return "pong";
  }

  /**
   * A no-op call that carries a payload both ways (it returns what it is given), to measure the
   * cost of reaching the object with a request and answer the size of a bid's.
   */
  echo<T>(payload: T): T {
    return payload;
  }

  /** Opens (on first touch) and describes the book. */
  async open(input: z.input<typeof openSchema>): Promise<Result<BookView>> {
    const parsed = parse(openSchema, input);
    if (!parsed.ok) return parsed;
    const loaded = await this.ensureLoaded(parsed.value.nodeId);
    if (!loaded.ok) return loaded;
    if (this.mirrorDirty) await this.flushMirror();
    return ok(this.bookView());
  }

  /** Runs the reservation on `book` at `price`, for on-demand (listed) or package leases. */
  private tryReserve(
    book: BidBook,
    input: z.infer<typeof reserveSchema>,
    priceCcPerSliceHour: string,
    exactPriceCcPerSliceHour: string,
    nowMs: number,
  ): Result<Transition> {
    const common = {
      leaseId: input.leaseId,
      accountId: input.payerAccountId,
      slices: input.slices,
      durationMs: input.durationMs,
      nowMs,
      exactPriceCcPerSliceHour,
    };
    if (input.kind === "package") return reservePackage(book, { ...common, priceCcPerSliceHour });
    // The lease's price is fixed at its start; the book's listed price stays as it is.
    const reserved = reserve({ ...book, listedPriceCcPerSliceHour: priceCcPerSliceHour }, common);
    if (!reserved.ok) return reserved;
    return ok({
      book: { ...reserved.value.book, listedPriceCcPerSliceHour: book.listedPriceCcPerSliceHour },
      events: reserved.value.events,
    });
  }

  /**
   * Reserves slices (on demand at the listed price, at a fixed price for an accepted capacity
   * offer, or for a bid package): checks the book, holds the payer's CC for the prepaid window
   * (`hold_<leaseId>_0`) and commits, as one change of the book (`exclusive`), so the check still
   * holds when the hold is written and a refusal writes nothing. A repeated call with the same
   * lease id — after the first, or at the same time (it waits for the first) — returns the lease.
   */
  async reserve(input: z.input<typeof reserveSchema>): Promise<Result<LeaseView>> {
    const parsed = parse(reserveSchema, input);
    if (!parsed.ok) return parsed;
    const request = parsed.value;
    const loaded = await this.ensureLoaded(request.nodeId);
    if (!loaded.ok) return loaded;
    const reserved = await this.exclusive(() => this.reserveExclusive(request));
    if (!reserved.ok) return reserved;
    await this.flushMirror();
    await this.scheduleAlarm();
    const lease = this.requireBook().leases.find((candidate) => candidate.id === request.leaseId);
    return lease ? ok(this.leaseView(lease)) : ok(reserved.value);
  }

  /** The reservation itself, inside the book's queue of changes (see `reserve`). */
  private async reserveExclusive(request: z.infer<typeof reserveSchema>): Promise<Result<LeaseView>> {
    const book = this.requireBook();
    const existing = book.leases.find((lease) => lease.id === request.leaseId);
    if (existing) {
      const funding = this.funding.get(existing.id);
      if (funding?.payerAccountId === request.payerAccountId && existing.slices === request.slices) {
        return ok(this.leaseView(existing));
      }
      return fail("CONFLICT", `Lease id ${request.leaseId} is already used`, "leaseId");
    }
    const config = this.requireConfig();
    const quote =
      request.pricing.type === "fixed"
        ? ok({
            priceCcPerSliceHour: request.pricing.priceCcPerSliceHour,
            exactPriceCcPerSliceHour:
              request.pricing.exactPriceCcPerSliceHour ?? request.pricing.priceCcPerSliceHour,
            quotedPrice: null,
            quotedCurrency: null,
            quotedCcUsd: null,
          })
        : quoteLease(
            {
              currency: config.currency,
              pricePerSliceMonth: config.pricePerSliceMonth,
              pricePerSliceHour: config.pricePerSliceHour,
            },
            request.durationMs,
            request.pricing.ccUsd,
            this.market.parameters,
          );
    if (!quote.ok) return quote;
    const price = quote.value.priceCcPerSliceHour;
    // Charged (and held) at the exact price; the book orders the lease by `price`, its floor.
    const exactPrice = quote.value.exactPriceCcPerSliceHour;
    const nowMs = this.now();
    const checked = this.tryReserve(book, request, price, exactPrice, nowMs);
    if (!checked.ok) return checked;
    const coveredMs =
      request.durationMs === null
        ? this.market.prepaidWindowMs
        : Math.min(this.market.prepaidWindowMs, request.durationMs);
    const amountMinor = chargeForUsage(exactPrice, request.slices, coveredMs);
    const holdId = `hold_${request.leaseId}_0`;
    const held = await placeHold(
      this.db,
      {
        holdId,
        payerAccountId: request.payerAccountId,
        amountMinor: amountMinor > 0n ? amountMinor : 1n,
        timeoutMs: coveredMs + this.market.holdSlackMs,
        code: request.kind === "package" ? "package_lease_hold" : "lease_hold",
        metadata: { leaseId: request.leaseId, nodeId: request.nodeId },
      },
      nowMs,
    );
    // Refused by the ledger (say, insufficient funds): it wrote nothing, so neither does the book.
    if (!held.ok) return held;
    // Nothing changed the book while the hold was written: the checked transition still applies.
    invariant(this.book === book, "the book changed during a reservation's hold");
    const funding: Funding = {
      id: request.leaseId,
      ownerId: request.ownerId,
      payerAccountId: request.payerAccountId,
      source: request.source,
      sourceId: request.sourceId,
      quotedPrice: quote.value.quotedPrice,
      quotedCurrency: quote.value.quotedCurrency,
      quotedCcUsd: quote.value.quotedCcUsd,
      holdIds: [holdId],
      topUpFailedAt: null,
      lastFailure: null,
    };
    this.commit(checked.value, {
      funding: [funding],
      extraEvents: [
        {
          type: "hold_placed",
          leaseId: request.leaseId,
          atMs: nowMs,
          detail: `${cc(held.value.remainingMinor)} CC held from ${request.payerAccountId} (${holdId})`,
        },
      ],
    });
    const lease = this.requireBook().leases.find((candidate) => candidate.id === request.leaseId);
    if (!lease) return fail("INTERNAL", "the reserved lease is missing");
    return ok(this.leaseView(lease));
  }

  /**
   * Places an interruptible bid, backed by a hold of the bidder's CC for one prepaid window at the
   * bid's price (`hold_<bidId>`) that the book places once it has accepted the bid: a bid the book
   * refuses (limits, minimum, a used id) or whose hold the ledger refuses (insufficient funds)
   * writes nothing. The bid may be matched at once (auto-accept). A repeated call with the same bid
   * id returns the bid.
   *
   * Group write: bids that arrive together are placed one after another on the book in one
   * synchronous step, their holds written in one ledger batch, and the lot stored in one storage
   * transaction (`writeBids`), so the storage write — the dominant cost of a small book — is paid
   * once per group, not once per bid. Each bid is still checked against the book with every bid
   * before it applied.
   */
  async placeBid(input: z.input<typeof placeBidSchema>): Promise<Result<BidView>> {
    const parsed = parse(placeBidSchema, input);
    if (!parsed.ok) return parsed;
    const loaded = await this.ensureLoaded(parsed.value.nodeId);
    if (!loaded.ok) return loaded;
    return new Promise((resolve) => {
      this.pendingBids.push({ request: parsed.value, resolve });
      if (this.pendingBids.length === 1) setTimeout(() => void this.writeBids(), 0);
    });
  }

  /** Bids waiting for the next group write. */
  private pendingBids: PendingBid[] = [];

  /**
   * Writes the bids waiting now as one group, inside the book's queue of changes: the group is
   * taken when its turn comes, so bids that arrive while an earlier change awaits the ledger join it.
   */
  private async writeBids(): Promise<void> {
    let batch: PendingBid[] = [];
    let answers: (Failure | undefined)[];
    let nowMs = 0;
    let placedAny = false;
    let onlyPlaced = true;
    try {
      ({ answers, nowMs, placedAny, onlyPlaced } = await this.exclusive(() => {
        batch = this.pendingBids.splice(0);
        return this.writeBidGroup(batch);
      }));
      // A bid that only waits needs no libSQL work. When bids moved leases (an acceptance, a
      // pre-emption) the mirror is written now; releases follow on the alarm.
      if (this.mirrorDirty) await this.flushMirror();
      if (!onlyPlaced) await this.scheduleAlarm();
      else if (placedAny)
        await this.scheduleAlarmIfEarlier(nowMs + Math.min(...batch.map((item) => item.request.openMs)));
    } catch (error) {
      console.error(
        JSON.stringify({
          level: "error",
          event: "bid_write",
          nodeId: this.book?.nodeId,
          error: String(error),
        }),
      );
      const failure = writeFailure(error, "the bids could not be written; retry");
      for (const { resolve } of batch) resolve(failure);
      return;
    }
    const stored = new Map(this.requireBook().bids.map((bid) => [bid.id, bid]));
    batch.forEach(({ request, resolve }, index) => {
      const failure = answers[index];
      if (failure) {
        resolve(failure);
        return;
      }
      const bid = stored.get(request.bidId);
      resolve(bid ? ok(this.bidView(bid)) : fail("INTERNAL", "the placed bid is missing"));
    });
  }

  /**
   * Places a group of bids (see `placeBid`): checks them all against the book, holds the CC of the
   * ones it accepted, and commits the bids whose holds were placed. When the ledger refused some
   * holds, the group is checked again without those bids (the same book, the same time) and that
   * transition is committed. Answers each request: a refusal, or undefined for the bid stored
   * under its id.
   */
  private async writeBidGroup(batch: readonly PendingBid[]): Promise<BidGroupOutcome> {
    const nowMs = this.now();
    const current = this.requireBook();
    const answers: (Failure | undefined)[] = batch.map(() => undefined);
    if (batch.length === 0) return { answers, nowMs, placedAny: false, onlyPlaced: true };
    const known = new Map<string, BidRequest>(current.bids.map((bid) => [bid.id, bid]));
    /** Batch index of the first request of each bid id new to the book. */
    const fresh: number[] = [];
    /** For each request, the batch index of the request whose fate it shares. */
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
        // A retry of a bid (placed before or earlier in this group) gets that bid; another bid
        // under the same id is refused.
        answers[index] = fail("CONFLICT", `Bid id ${request.bidId} is already used`, "bidId");
      } else {
        sharesWith[index] = firstById.get(request.bidId) ?? index;
      }
    });
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
    const held = await placeHolds(
      this.db,
      accepted.map((index) => this.bidHoldRequest(batch[index]!.request)),
      nowMs,
    );
    const funded = accepted.filter((batchIndex, index) => {
      const hold = held[index]!;
      if (!hold.ok) answers[batchIndex] = hold;
      return hold.ok;
    });
    // Nothing changed the book while the holds were written (see `exclusive`).
    invariant(this.book === current, "the book changed while a bid group's holds were written");
    let placed = checked.value;
    if (funded.length < accepted.length) {
      // Without the bids whose holds were refused: the rest were accepted with them before, and
      // fewer bids only loosen the book's limits, so they are accepted again.
      const again = placeBids(current, inputsOf(funded), nowMs);
      if (!again.ok) throw new Error(`bid group re-check refused: ${again.detail}`);
      placed = again.value;
      const refusedAfterHold = await this.releaseRefusedBidHolds(batch, funded, again.value.refusals);
      for (const [batchIndex, refusal] of refusedAfterHold) answers[batchIndex] = refusal;
    }
    const funding: Funding[] = funded
      .filter((batchIndex) => answers[batchIndex] === undefined)
      .map((batchIndex) => {
        const { request } = batch[batchIndex]!;
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
      });
    if (funding.length > 0) this.commit({ book: placed.book, events: placed.events }, { funding });
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
  private async releaseRefusedBidHolds(
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
      const released = await releaseHold(this.db, holdId, this.now());
      if (!released.ok) throw new Error(`releasing ${holdId}: ${released.code} ${released.detail}`);
      refused.set(batchIndex, refusal);
    }
    return refused;
  }

  /** The hold behind a bid: one prepaid window at the bid's price, for as long as it may stay open. */
  private bidHoldRequest(request: z.infer<typeof placeBidSchema>): HoldRequest {
    const amountMinor = chargeForUsage(
      request.priceCcPerSliceHour,
      request.slices,
      this.market.prepaidWindowMs,
    );
    return {
      holdId: bidHoldId(request.bidId),
      payerAccountId: request.payerAccountId,
      amountMinor: amountMinor > 0n ? amountMinor : 1n,
      timeoutMs: request.openMs + this.market.prepaidWindowMs + this.market.holdSlackMs,
      code: "bid_hold",
      metadata: { bidId: request.bidId, nodeId: request.nodeId },
    };
  }

  /** The farmer accepts or rejects an open bid, or its bidder cancels it. */
  async bidAction(input: z.input<typeof bidActionSchema>): Promise<Result<BidView>> {
    const parsed = parse(bidActionSchema, input);
    if (!parsed.ok) return parsed;
    const request = parsed.value;
    const loaded = await this.ensureLoaded(request.nodeId);
    if (!loaded.ok) return loaded;
    const done = await this.exclusive((): Result<void> => {
      const book = this.requireBook();
      const bid = book.bids.find((candidate) => candidate.id === request.bidId);
      if (!bid) return fail("NOT_FOUND", `No bid ${request.bidId} on this node`, "bidId");
      if (request.action === "cancel" && !request.asAdmin) {
        const funding = this.funding.get(bid.id) ?? this.funding.get(leaseIdForBid(bid.id));
        if (funding?.ownerId !== request.ownerId)
          return fail("FORBIDDEN", "This bid belongs to another owner");
      }
      const action =
        request.action === "accept" ? acceptBid : request.action === "reject" ? rejectBid : cancelBid;
      const decided = action(book, request.bidId, this.now());
      if (!decided.ok) return decided;
      this.commit(decided.value);
      return ok(undefined);
    });
    if (!done.ok) return done;
    await this.requestMoney();
    const after = this.requireBook().bids.find((candidate) => candidate.id === request.bidId);
    return after ? ok(this.bidView(after)) : fail("INTERNAL", "the bid is missing");
  }

  /** Ends a lease now: settles its last period and releases what its holds have left. */
  async endLease(input: z.input<typeof leaseRefSchema>): Promise<Result<LeaseView>> {
    const parsed = parse(leaseRefSchema, input);
    if (!parsed.ok) return parsed;
    const loaded = await this.ensureLoaded(parsed.value.nodeId);
    if (!loaded.ok) return loaded;
    const ended = await this.exclusive((): Result<void> => {
      const transition = endLease(this.requireBook(), parsed.value.leaseId, this.now());
      if (!transition.ok) return transition;
      this.commit(transition.value);
      return ok(undefined);
    });
    if (!ended.ok) return ended;
    await this.requestMoney();
    return this.getLease(parsed.value);
  }

  /** A lease of this book. */
  async getLease(input: z.input<typeof leaseRefSchema>): Promise<Result<LeaseView>> {
    const parsed = parse(leaseRefSchema, input);
    if (!parsed.ok) return parsed;
    const loaded = await this.ensureLoaded(parsed.value.nodeId);
    if (!loaded.ok) return loaded;
    const lease = loaded.value.leases.find((candidate) => candidate.id === parsed.value.leaseId);
    if (!lease)
      return fail("NOT_FOUND", `No lease ${parsed.value.leaseId} in this book (it may have been archived)`);
    return ok(this.leaseView(lease));
  }

  /** A lease's event log, oldest first (with the events of the bid it came from), after `afterSeq`. */
  async leaseEvents(input: z.input<typeof leaseEventsSchema>): Promise<Result<EventView[]>> {
    const parsed = parse(leaseEventsSchema, input);
    if (!parsed.ok) return parsed;
    const loaded = await this.ensureLoaded(parsed.value.nodeId);
    if (!loaded.ok) return loaded;
    const { leaseId, afterSeq, limit } = parsed.value;
    const bidId = `bid_${leaseId.slice(4)}`;
    const rows = this.ctx.storage.sql
      .exec<{
        seq: number;
        type: string;
        lease_id: string | null;
        bid_id: string | null;
        at_ms: number;
        detail: string;
      }>(
        "SELECT seq, type, lease_id, bid_id, at_ms, detail FROM events WHERE (lease_id = ? OR bid_id = ?) AND seq > ? ORDER BY seq LIMIT ?",
        leaseId,
        bidId,
        afterSeq,
        Math.min(limit, eventsPageMax),
      )
      .toArray();
    return ok(
      rows.map((row) => ({
        seq: Number(row.seq),
        type: row.type,
        leaseId: row.lease_id,
        bidId: row.bid_id,
        atMs: Number(row.at_ms),
        detail: row.detail,
      })),
    );
  }

  /** Open bids, highest price first. */
  async listBids(input: z.input<typeof openSchema>): Promise<Result<BidView[]>> {
    const parsed = parse(openSchema, input);
    if (!parsed.ok) return parsed;
    const loaded = await this.ensureLoaded(parsed.value.nodeId);
    if (!loaded.ok) return loaded;
    return ok(
      loaded.value.bids
        .filter((bid) => bid.status === "open")
        .map((bid) => this.bidView(bid))
        .sort(
          (a, b) =>
            new Dec(b.priceCcPerSliceHour).cmp(a.priceCcPerSliceHour) || a.expiresAtMs - b.expiresAtMs,
        ),
    );
  }

  /** A bid of this book (open or closed, until the book is compacted). */
  async getBid(input: { nodeId: string; bidId: string }): Promise<Result<BidView>> {
    const parsed = parse(bidActionSchema.pick({ nodeId: true, bidId: true }), input);
    if (!parsed.ok) return parsed;
    const loaded = await this.ensureLoaded(parsed.value.nodeId);
    if (!loaded.ok) return loaded;
    const bid = loaded.value.bids.find((candidate) => candidate.id === parsed.value.bidId);
    return bid ? ok(this.bidView(bid)) : fail("NOT_FOUND", `No bid ${parsed.value.bidId} on this node`);
  }

  /**
   * What the market audit compares with the ledger (src/market/flows/audit.ts); reads only. Waits for a
   * money pass in flight, so it reports a state between passes. A book never opened reports
   * nothing and is not created (the audit asks every node).
   */
  async auditView(input: z.input<typeof openSchema>): Promise<Result<BookAuditView>> {
    const parsed = parse(openSchema, input);
    if (!parsed.ok) return parsed;
    const { nodeId } = parsed.value;
    if (this.book === null) return ok({ nodeId, opened: false, nowMs: this.now(), records: [] });
    if (this.book.nodeId !== nodeId)
      return fail("CONFLICT", `This book belongs to ${this.book.nodeId}`, "nodeId");
    while (this.moneyRun !== null) await this.moneyRun;
    // Read between queued changes (see `exclusive`): a reservation's hold and its commit are one change.
    return this.exclusive(() => this.auditRecords(nodeId));
  }

  private auditRecords(nodeId: string): Result<BookAuditView> {
    const book = this.requireBook();
    const records: BookAuditRecord[] = [];
    const seen = new Set<string>();
    const add = (record: Omit<BookAuditRecord, "holdIds" | "closed">) => {
      const funding = this.funding.get(record.id);
      seen.add(record.id);
      records.push({
        ...record,
        holdIds: [...(funding?.holdIds ?? [])],
        closed: funding ? this.isClosed(funding) : false,
      });
    };
    for (const lease of book.leases) {
      if (lease.status !== "ended" || (this.funding.get(lease.id)?.holdIds.length ?? 0) > 0)
        add({ id: lease.id, kind: "lease", status: lease.status, pausedReason: lease.pausedReason ?? null });
    }
    for (const bid of book.bids) {
      if (bid.status === "open" || (this.funding.get(bid.id)?.holdIds.length ?? 0) > 0)
        add({ id: bid.id, kind: "bid", status: bid.status, pausedReason: null });
    }
    for (const funding of this.funding.values()) {
      if (seen.has(funding.id) || funding.holdIds.length === 0) continue;
      records.push({
        id: funding.id,
        kind: isBidId(funding.id) ? "bid" : "lease",
        status: "missing",
        pausedReason: null,
        holdIds: [...funding.holdIds],
        closed: true,
      });
    }
    return ok({ nodeId, opened: true, nowMs: this.now(), records });
  }

  /** Sets the node online, offline or in maintenance (leases pause and resume; §17). */
  async setState(input: z.input<typeof setStateSchema>): Promise<Result<BookView>> {
    const parsed = parse(setStateSchema, input);
    if (!parsed.ok) return parsed;
    const loaded = await this.ensureLoaded(parsed.value.nodeId);
    if (!loaded.ok) return loaded;
    const changed = await this.exclusive((): Result<void> => {
      const transition = setState(this.requireBook(), parsed.value.state, this.now());
      if (!transition.ok) return transition;
      this.commit(transition.value);
      return ok(undefined);
    });
    if (!changed.ok) return changed;
    await this.requestMoney();
    return ok(this.bookView());
  }

  /**
   * New prices (already checked against the band by the caller): the listed prices in band
   * currency (new leases only), the minimum bid and the auto-accept price (which may accept open
   * bids at once).
   */
  async setPrices(input: z.input<typeof setPricesSchema>): Promise<Result<BookView>> {
    const parsed = parse(setPricesSchema, input);
    if (!parsed.ok) return parsed;
    const request = parsed.value;
    const loaded = await this.ensureLoaded(request.nodeId);
    if (!loaded.ok) return loaded;
    const changed = await this.exclusive((): Result<void> => {
      const book = this.requireBook();
      const config = this.requireConfig();
      const listed =
        config.currency === "CC"
          ? ccPriceText(new Dec(request.pricePerSliceHour))
          : request.ccUsd === null
            ? book.listedPriceCcPerSliceHour
            : ccPriceText(new Dec(request.pricePerSliceHour).div(request.ccUsd));
      const transition = setPrices(book, {
        listedPriceCcPerSliceHour: listed,
        minBidCcPerSliceHour: request.minBidCcPerSliceHour,
        autoAcceptAboveCcPerSliceHour: request.autoAcceptAboveCcPerSliceHour,
        nowMs: this.now(),
      });
      if (!transition.ok) return transition;
      const nextConfig: NodeConfig = {
        ...config,
        pricePerSliceMonth: request.pricePerSliceMonth,
        pricePerSliceHour: request.pricePerSliceHour,
        band: request.band,
      };
      this.ctx.storage.sql.exec(
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('config', ?)",
        JSON.stringify(nextConfig),
      );
      this.config = nextConfig;
      this.commit(transition.value);
      this.mirrorDirty = true;
      return ok(undefined);
    });
    if (!changed.ok) return changed;
    await this.requestMoney();
    return ok(this.bookView());
  }

  /** Runs the money pass now (what the alarm does): settles what is due, tops up, releases, mirrors. */
  async settleNow(input: z.input<typeof openSchema>): Promise<Result<SettleSummary>> {
    const parsed = parse(openSchema, input);
    if (!parsed.ok) return parsed;
    const loaded = await this.ensureLoaded(parsed.value.nodeId);
    if (!loaded.ok) return loaded;
    const before = this.settledCount();
    await this.requestMoney();
    return ok({
      nodeId: parsed.value.nodeId,
      periodsSettled: this.settledCount() - before,
      leasesFailed: [...this.funding.values()].filter((funding) => funding.lastFailure !== null).length,
      nextWakeMs: this.nextWakeMs(this.now()),
    });
  }

  private settledCount(): number {
    return this.ctx.storage.sql
      .exec<{ count: number }>("SELECT count(*) AS count FROM events WHERE type = 'settled'")
      .one().count;
  }

  /**
   * Moves this object's clock forward by `ms` (never back): only when ENVIRONMENT is `test` or
   * `bench`, so tests and benchmarks can let hours pass. Reschedules the alarm.
   */
  async shiftClock(input: z.input<typeof shiftClockSchema>): Promise<Result<{ nowMs: number }>> {
    if (this.env.ENVIRONMENT !== "test" && this.env.ENVIRONMENT !== "bench") {
      return fail("FORBIDDEN", "The clock can be shifted only in test and bench runs");
    }
    const parsed = parse(shiftClockSchema, input);
    if (!parsed.ok) return parsed;
    const loaded = await this.ensureLoaded(parsed.value.nodeId);
    if (!loaded.ok) return loaded;
    this.clockOffsetMs += parsed.value.ms;
    this.ctx.storage.sql.exec(
      "INSERT OR REPLACE INTO meta (key, value) VALUES ('clock_offset', ?)",
      String(this.clockOffsetMs),
    );
    this.alarmAtMs = null;
    await this.scheduleAlarm();
    return ok({ nowMs: this.now() });
  }

  /** The alarm: one money pass (idempotent; see the class comment). */
  override async alarm(): Promise<void> {
    this.alarmAtMs = null;
    if (this.book === null) return;
    await this.requestMoney();
  }

  // ---------------------------------------------------------------- the money pass

  /** Runs the money pass, or joins the one running and makes it go round once more. */
  private async requestMoney(): Promise<void> {
    if (this.moneyRun !== null) {
      this.moneyAgain = true;
      await this.moneyRun;
      return;
    }
    this.moneyRun = (async () => {
      try {
        for (let pass = 0; pass < passesPerRunMax; pass += 1) {
          this.moneyAgain = false;
          await this.moneyPass();
          if (!this.moneyAgain) break;
        }
      } finally {
        this.moneyRun = null;
      }
    })();
    await this.moneyRun;
  }

  private async moneyPass(): Promise<void> {
    this.lastPassFailed = false;
    const steps: [string, () => Promise<void>][] = [
      ["catch_up", () => this.exclusive(() => this.catchUp())],
      ["settle", () => this.settleDue()],
      ["release", () => this.releaseClosed()],
      ["fund", () => this.fundLeases()],
      ["compact", () => this.exclusive(() => this.compactIfLarge())],
      ["mirror", () => this.flushMirror()],
    ];
    for (const [name, run] of steps) {
      try {
        await run();
      } catch (error) {
        this.lastPassFailed = true;
        console.error(
          JSON.stringify({
            level: "error",
            event: "bid_book_step",
            nodeId: this.book?.nodeId,
            step: name,
            error: error instanceof Error ? error.message : String(error),
          }),
        );
      }
    }
    await this.scheduleAlarm();
  }

  /** Ends leases whose term or grace ran out, expires bids, matches waiting claims. */
  private catchUp(): void {
    const matched = match(this.requireBook(), this.now());
    if (!matched.ok) throw new Error(`catch-up refused: ${matched.detail}`);
    this.commit(matched.value);
  }

  private partiesOf(lease: Lease): LeaseParties {
    const config = this.requireConfig();
    const funding = this.funding.get(lease.id);
    return {
      leaseId: lease.id,
      nodeId: config.nodeId,
      farmerId: config.farmerId,
      farmerAccountId: config.payoutAccountId,
      payerAccountId: funding?.payerAccountId ?? lease.accountId,
      holdIds: funding?.holdIds ?? [],
    };
  }

  /** Settles every due period and records each in the book; failures are logged as events once. */
  private async settleDue(): Promise<void> {
    const nowMs = this.now();
    const works = [];
    for (const lease of this.requireBook().leases) {
      const due = duePeriods(lease, nowMs, settlementPeriodMsDefault);
      if (due.length === 0) continue;
      if (due.length > periodsPerLeasePerPassMax) this.moneyAgain = true;
      works.push({ lease, parties: this.partiesOf(lease), periods: due.slice(0, periodsPerLeasePerPassMax) });
    }
    if (works.length === 0) return;
    const results = await settleLeases(this.db, works, { nowMs, parameters: this.market.parameters });
    await this.exclusive(() => {
      for (const result of results) {
        for (const figures of result.settled) {
          const recorded = recordSettlement(this.requireBook(), result.leaseId, figures.period, this.now());
          if (!recorded.ok) {
            throw new Error(`recording ${figures.period.settlementId}: ${recorded.code} ${recorded.detail}`);
          }
          this.commit(recorded.value, { settled: new Map([[result.leaseId, figures]]) });
        }
      }
    });
    const fundingUpdates: Funding[] = [];
    const failureEvents: ExtraEvent[] = [];
    for (const result of results) {
      const funding = this.funding.get(result.leaseId);
      if (!funding) continue;
      const failure = result.failure === null ? null : `${result.failure.code}: ${result.failure.detail}`;
      if (failure !== null) this.lastPassFailed = true;
      const holdIds = funding.holdIds.filter((id) => {
        const hold = result.holds.get(id);
        return hold === undefined || hold.status === "pending";
      });
      if (failure !== funding.lastFailure || holdIds.length !== funding.holdIds.length) {
        fundingUpdates.push({ ...funding, holdIds, lastFailure: failure });
        if (failure !== null && failure !== funding.lastFailure) {
          failureEvents.push({
            type: "settlement_failed",
            leaseId: result.leaseId,
            atMs: nowMs,
            detail: `settlement will be retried: ${failure}`,
          });
        }
      }
    }
    if (fundingUpdates.length > 0 || failureEvents.length > 0)
      this.saveFunding(fundingUpdates, failureEvents);
  }

  /** Whether a funding record's bid or lease is finished, so what its holds have left goes back. */
  private isClosed(funding: Funding): boolean {
    const book = this.requireBook();
    if (isBidId(funding.id)) return !book.bids.some((bid) => bid.id === funding.id && bid.status === "open");
    const lease = book.leases.find((candidate) => candidate.id === funding.id);
    if (!lease) return true;
    return lease.status === "ended" && lease.endsAtMs !== null && lease.settledThroughMs >= lease.endsAtMs;
  }

  /** Releases the holds of closed bids and of ended, fully settled leases. */
  private async releaseClosed(): Promise<void> {
    const closing = [...this.funding.values()].filter(
      (funding) => funding.holdIds.length > 0 && this.isClosed(funding),
    );
    for (const funding of closing) {
      const kept: string[] = [];
      const nowMs = this.now();
      for (const holdId of funding.holdIds) {
        const released = await releaseHold(this.db, holdId, nowMs);
        if (!released.ok) {
          kept.push(holdId);
          this.lastPassFailed = true;
        }
      }
      const event: ExtraEvent = {
        type: "released",
        ...(isBidId(funding.id) ? { bidId: funding.id } : { leaseId: funding.id }),
        atMs: nowMs,
        detail:
          kept.length === 0
            ? `what was left of ${funding.holdIds.join(", ")} went back to ${funding.payerAccountId}`
            : `release of ${kept.join(", ")} will be retried`,
      };
      this.saveFunding([{ ...this.funding.get(funding.id)!, holdIds: kept }], [event]);
    }
  }

  /**
   * Keeps running leases funded (the top-up rule): when what their usable holds still cover falls
   * below `topUpBelowMs` of use (plus what has run since the last settlement), a new hold of one
   * prepaid window (`hold_<leaseId>_t<periods>`, no more than a fixed lease still needs) is
   * placed. If the payer cannot fund it and the holds would not even cover the next period, the
   * lease is paused for funds with the grace period; a paused lease is resumed as soon as a
   * top-up succeeds. Holds that expired unused are released.
   */
  private async fundLeases(): Promise<void> {
    const book = this.requireBook();
    const candidates = book.leases.filter(
      (lease) =>
        lease.status === "running" ||
        (lease.status === "paused" && lease.pausedReason === "insufficient_funds"),
    );
    if (candidates.length === 0) return;
    const holdIds = candidates.flatMap((lease) => this.funding.get(lease.id)?.holdIds ?? []);
    const holds = await loadHolds(this.db, holdIds);
    for (const candidate of candidates) {
      const lease = this.requireBook().leases.find((current) => current.id === candidate.id);
      if (!lease || lease.status === "ended") continue;
      await this.fundLease(lease, holds);
    }
  }

  private async fundLease(lease: Lease, holds: Map<string, HoldInfo>): Promise<void> {
    const nowMs = this.now();
    const funding = this.funding.get(lease.id);
    if (!funding) return;
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
      const released = await releaseHold(this.db, id, nowMs);
      if (!released.ok) usableIds.push(id);
    }
    // What the cumulative rule will charge for the next `ms` of running (the lease's exact price).
    const rate = (ms: number) => chargeAheadFor(lease, Math.max(0, ms));
    const accruedMs = Math.max(0, nowMs - lease.settledThroughMs);
    const leftMs = lease.endsAtMs === null ? null : Math.max(0, lease.endsAtMs - lease.settledThroughMs);
    const stillOwedMaxMinor = leftMs === null ? null : rate(leftMs);
    const pausedForFunds = lease.pausedReason === "insufficient_funds";
    let changed = usableIds.length !== funding.holdIds.length;
    let next: Funding = { ...funding, holdIds: usableIds };
    const events: ExtraEvent[] = [];
    const covered = stillOwedMaxMinor !== null && usableMinor >= stillOwedMaxMinor;
    const lowMinor = rate(this.market.topUpBelowMs + accruedMs);
    if (!covered && (pausedForFunds || usableMinor < lowMinor)) {
      const windowMinor = rate(this.market.prepaidWindowMs);
      const amountMinor =
        stillOwedMaxMinor === null ? windowMinor : smaller(stillOwedMaxMinor - usableMinor, windowMinor);
      const periods = Math.floor((lease.settledThroughMs - lease.startedAtMs) / settlementPeriodMsDefault);
      const holdId = `hold_${lease.id}_t${periods}`;
      if (amountMinor > 0n && !usableIds.includes(holdId)) {
        const placed = await placeHold(
          this.db,
          {
            holdId,
            payerAccountId: funding.payerAccountId,
            amountMinor,
            timeoutMs: this.market.prepaidWindowMs + this.market.holdSlackMs,
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
          });
        } else if (placed.code === "INSUFFICIENT_FUNDS" || placed.code.startsWith("ACCOUNT_")) {
          const coversNext = usableMinor >= rate(accruedMs + settlementPeriodMsDefault);
          if (funding.topUpFailedAt !== periods) {
            events.push({
              type: "top_up_failed",
              leaseId: lease.id,
              atMs: nowMs,
              detail: `could not hold ${cc(amountMinor)} CC more from ${funding.payerAccountId}: ${placed.code}`,
            });
          }
          next = { ...next, topUpFailedAt: periods };
          if (!coversNext && lease.status === "running") {
            this.saveFunding([next], events);
            await this.exclusive(() => {
              const paused = markInsufficientFunds(
                this.requireBook(),
                lease.id,
                this.now(),
                this.market.graceMs,
              );
              if (paused.ok) this.commit(paused.value);
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
          this.lastPassFailed = true;
        }
      }
    }
    if (changed || events.length > 0) this.saveFunding([next], events);
    if (pausedForFunds && next.holdIds.length > usableIds.length) {
      await this.exclusive(() => {
        const resumed = resumeFunded(this.requireBook(), lease.id, this.now());
        if (resumed.ok) this.commit(resumed.value);
      });
    }
  }

  /** Drops finished leases and closed bids once there are many, with their funding and old events. */
  private compactIfLarge(): void {
    const book = this.requireBook();
    const closed =
      book.leases.filter((lease) => lease.status === "ended").length +
      book.bids.filter((bid) => bid.status !== "open").length;
    if (closed < closedRecordsBeforeCompact || this.mirrorDirty) return;
    const next = compact(book);
    this.commit({ book: next, events: [] });
    const keep = new Set([...next.leases.map((lease) => lease.id), ...next.bids.map((bid) => bid.id)]);
    const gone = [...this.funding.values()].filter(
      (funding) => !keep.has(funding.id) && funding.holdIds.length === 0,
    );
    const sql = this.ctx.storage.sql;
    const cutoffMs = this.now() - eventsRetentionMs;
    this.ctx.storage.transactionSync(() => {
      deleteRecords(
        sql,
        "funding",
        gone.map((funding) => funding.id),
      );
      sql.exec("DELETE FROM events WHERE at_ms < ?", cutoffMs);
    });
    for (const funding of gone) this.funding.delete(funding.id);
  }

  // ---------------------------------------------------------------- the libSQL mirror

  /** Writes changed leases and the node's state, free slices and prices to libSQL (one at a time). */
  private async flushMirror(): Promise<void> {
    if (this.mirrorRun !== null) {
      this.mirrorAgain = true;
      await this.mirrorRun;
      return;
    }
    this.mirrorRun = (async () => {
      try {
        do {
          this.mirrorAgain = false;
          await this.mirrorOnce();
        } while (this.mirrorAgain);
      } finally {
        this.mirrorRun = null;
      }
    })();
    await this.mirrorRun;
  }

  private async mirrorOnce(): Promise<void> {
    const book = this.requireBook();
    const config = this.requireConfig();
    const nowMs = this.now();
    const statements: InStatement[] = [];
    const written = new Map<string, string>();
    for (const lease of book.leases) {
      const fingerprint = `${lease.status}|${lease.pausedReason ?? ""}|${lease.graceUntilMs ?? ""}|${lease.endsAtMs ?? ""}|${lease.settledThroughMs}`;
      if (this.mirrored.get(lease.id) === fingerprint) continue;
      written.set(lease.id, fingerprint);
      statements.push(...this.leaseMirrorStatements(lease, nowMs));
    }
    const header = headerOf(book);
    const nodeFingerprint = JSON.stringify([header, freeSlices(book), config]);
    const nodeChanged = this.mirrored.get(config.nodeId) !== nodeFingerprint;
    if (nodeChanged) {
      statements.push(
        nodeMirrorStatement(
          config.nodeId,
          {
            state: book.state,
            freeSlices: freeSlices(book),
            pricePerSliceMonth: config.pricePerSliceMonth,
            pricePerSliceHour: config.pricePerSliceHour,
            minBidCcPerSliceHour: book.minBidCcPerSliceHour,
            autoAcceptAboveCcPerSliceHour: book.autoAcceptAboveCcPerSliceHour,
            band: config.band,
          },
          nowMs,
        ),
      );
    }
    this.mirrorDirty = false;
    if (statements.length === 0) return;
    try {
      await this.db.batch(statements, "write");
    } catch (error) {
      this.mirrorDirty = true;
      throw error;
    }
    for (const [id, fingerprint] of written) this.mirrored.set(id, fingerprint);
    if (nodeChanged) this.mirrored.set(config.nodeId, nodeFingerprint);
  }

  private leaseMirrorStatements(lease: Lease, nowMs: number): InStatement[] {
    const config = this.requireConfig();
    const funding = this.funding.get(lease.id);
    const statements: InStatement[] = [
      {
        sql: `INSERT INTO leases (id, node_id, farmer_id, owner_id, payer_account_id, kind, source, source_id, slices,
                price_cc_per_slice_hour, quoted_price, quoted_currency, quoted_cc_usd, started_at, ends_at, status,
                paused_reason, grace_until, settled_through, charged_minor, updated_at)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
                (SELECT COALESCE(SUM(charge_minor), 0) FROM settlements WHERE lease_id = ?1), ?)
              ON CONFLICT (id) DO UPDATE SET ends_at = excluded.ends_at, status = excluded.status,
                paused_reason = excluded.paused_reason, grace_until = excluded.grace_until,
                settled_through = MAX(leases.settled_through, excluded.settled_through),
                charged_minor = excluded.charged_minor, updated_at = excluded.updated_at`,
        args: [
          lease.id,
          config.nodeId,
          config.farmerId,
          funding?.ownerId ?? "unknown",
          funding?.payerAccountId ?? lease.accountId,
          lease.kind,
          funding?.source ?? "reservation",
          funding?.sourceId ?? null,
          lease.slices,
          lease.priceCcPerSliceHour,
          funding?.quotedPrice ?? null,
          funding?.quotedCurrency ?? null,
          funding?.quotedCcUsd ?? null,
          lease.startedAtMs,
          lease.endsAtMs,
          lease.status,
          lease.pausedReason ?? null,
          lease.graceUntilMs ?? null,
          lease.settledThroughMs,
          nowMs,
        ],
      },
    ];
    if (lease.kind === "package" && lease.status === "ended") {
      statements.push({
        sql: "UPDATE package_commitments SET status = 'ended', updated_at = ? WHERE lease_id = ? AND status = 'active'",
        args: [nowMs, lease.id],
      });
    }
    return statements;
  }

  // ---------------------------------------------------------------- the alarm

  /** When the book next has something to do, on its own clock; null when nothing is pending. */
  private nextWakeMs(nowMs: number): number | null {
    const book = this.requireBook();
    let wake = Number.POSITIVE_INFINITY;
    const at = (ms: number) => {
      if (ms < wake) wake = ms;
    };
    for (const lease of book.leases) {
      if (lease.status === "ended") {
        if (lease.endsAtMs !== null && lease.settledThroughMs < lease.endsAtMs) at(nowMs);
        continue;
      }
      const periods = Math.floor((lease.settledThroughMs - lease.startedAtMs) / settlementPeriodMsDefault);
      at(lease.startedAtMs + (periods + 1) * settlementPeriodMsDefault);
      if (lease.endsAtMs !== null) at(lease.endsAtMs);
      if (lease.graceUntilMs !== undefined) at(lease.graceUntilMs);
    }
    for (const bid of book.bids) if (bid.status === "open") at(bid.expiresAtMs);
    for (const funding of this.funding.values()) {
      if (funding.holdIds.length > 0 && this.isClosed(funding))
        at(this.lastPassFailed ? nowMs + retryMs : nowMs);
      if (funding.lastFailure !== null) at(nowMs + retryMs);
    }
    if (this.mirrorDirty || this.lastPassFailed) at(nowMs + retryMs);
    return Number.isFinite(wake) ? wake : null;
  }

  /** Sets the alarm to the next wake (in real time: the book's clock minus its shift). */
  private async scheduleAlarm(): Promise<void> {
    const wake = this.nextWakeMs(this.now());
    if (wake === null) {
      if (this.alarmAtMs !== null) await this.ctx.storage.deleteAlarm();
      this.alarmAtMs = null;
      return;
    }
    const realMs = Math.max(Date.now() + 1, wake - this.clockOffsetMs);
    if (this.alarmAtMs === realMs) return;
    await this.ctx.storage.setAlarm(realMs);
    this.alarmAtMs = realMs;
  }

  /** Brings the alarm forward to `wakeMs` (book clock) if it is later or unset. */
  private async scheduleAlarmIfEarlier(wakeMs: number): Promise<void> {
    const realMs = Math.max(Date.now() + 1, wakeMs - this.clockOffsetMs);
    if (this.alarmAtMs !== null && this.alarmAtMs <= realMs) return;
    await this.ctx.storage.setAlarm(realMs);
    this.alarmAtMs = realMs;
  }
}

function describeSettlement(figures: PeriodFigures): string {
  const { period } = figures;
  const unpaid = figures.unpaidMinor > 0n ? `, ${cc(figures.unpaidMinor)} CC unpaid` : "";
  const already = figures.alreadySettled ? " (written by an earlier run)" : "";
  return (
    `settlement ${period.settlementId} for [${period.periodStartMs}, ${period.periodEndMs}): charged ` +
    `${cc(figures.chargeMinor)} CC${unpaid} — farmer ${cc(figures.farmerMinor)}, burned ${cc(figures.burnMinor)}, ` +
    `ThreeFold ${cc(figures.threefoldMinor)}${already}`
  );
}
