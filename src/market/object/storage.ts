/**
 * The bid book's own storage (the Durable Object's SQLite) and its in-memory copy: the node's
 * configuration, the book (src/market/core/bidbook), each lease's or bid's funding, and the event
 * log. `commit` writes a transition's changed records, funding and events in one synchronous
 * storage transaction, then updates memory, so nothing can run in between.
 */
import { dayMs } from "../../kit/clock";
import { invariant } from "../../kit/errors";
import { formatAmount } from "../../ledger/core/money";
import {
  type AgentSettings,
  type Bid,
  type BidBook,
  type BidBookEvent,
  compact,
  type EventDetails,
  isoTime,
  type Lease,
  leaseIdForBid,
  type Transition,
} from "../core/bidbook";
import type { BandCurrency } from "../core/parameters";
import type { PriceBand } from "../core/pricing";
import type { SliceResources } from "../core/slices";
import type { LeaseSource } from "../core/views";
import type { PeriodFigures } from "../store/settlement";
import { AssignmentLog } from "./assignments";
import type { EventView, PlaceBidInput, ReserveInput } from "./contract";

/** What the book keeps about its node besides the book itself. */
export type NodeConfig = {
  nodeId: string;
  farmerId: string;
  payoutAccountId: string;
  currency: BandCurrency;
  pricePerSliceMonth: string;
  pricePerSliceHour: string;
  band: PriceBand;
  /**
   * One slice's resources, for the assignments its agent is told (absent in books opened before
   * node agents until the book reads its node's row again; see NodeBidBook `ensureSlice`).
   */
  slice?: SliceResources;
};

/** Who pays for a lease or a bid and the holds that stand behind it (oldest first). */
export type Funding = {
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
export type ExtraEvent = {
  type: string;
  leaseId?: string;
  bidId?: string;
  atMs: number;
  detail: string;
  details: EventDetails;
};

/**
 * A change whose holds went to the ledger — with the Idempotency-Key records that answer its
 * requests — before the book committed it. Kept from before the ledger write until the commit, so
 * a book that stopped in between, or did not learn whether the write landed, finishes it
 * (`BidWriter.recover`, `recoverReservation`) before any other change: a replayed answer never
 * names a bid or a lease the book does not have.
 */
export type Intent =
  | { id: string; kind: "bids"; nowMs: number; requests: PlaceBidInput[] }
  | { id: string; kind: "reserve"; nowMs: number; request: ReserveInput };

/** What `commit` writes besides the transition itself. */
export type CommitOptions = {
  funding?: Funding[];
  /** Deployment documents of leases this commit starts (JSON text, at most `deploymentBytesMax`). */
  deployments?: { leaseId: string; body: string }[];
  extraEvents?: ExtraEvent[];
  settled?: Map<string, PeriodFigures>;
  /** The intent this commit completes, and what is left of it (null: nothing). */
  intent?: { id: string; rest: Intent | null };
};

/** What the book stores of itself besides its records; its agent settings are stored apart (`agent`). */
type Header = Omit<BidBook, "leases" | "bids" | "agent">;
type Table = "leases" | "bids" | "funding" | "intents";

/** Events older than this are dropped when the book is compacted: 90 days. */
const eventsRetentionMs = 90 * dayMs;
/** Most events returned by one page. */
const eventsPageMax = 200;

const storageSchema = [
  "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
  "CREATE TABLE IF NOT EXISTS leases (id TEXT PRIMARY KEY, body TEXT NOT NULL)",
  "CREATE TABLE IF NOT EXISTS bids (id TEXT PRIMARY KEY, body TEXT NOT NULL)",
  "CREATE TABLE IF NOT EXISTS funding (id TEXT PRIMARY KEY, body TEXT NOT NULL)",
  "CREATE TABLE IF NOT EXISTS intents (id TEXT PRIMARY KEY, body TEXT NOT NULL)",
  `CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, lease_id TEXT, bid_id TEXT,
     type TEXT NOT NULL, at_ms INTEGER NOT NULL, detail TEXT NOT NULL)`,
  "CREATE INDEX IF NOT EXISTS events_lease ON events (lease_id, seq)",
  "CREATE INDEX IF NOT EXISTS events_bid ON events (bid_id, seq)",
];

export class BookStorage {
  config: NodeConfig | null = null;
  book: BidBook | null = null;
  readonly funding = new Map<string, Funding>();
  /** Changes written to the ledger and not committed yet (see `Intent`). */
  readonly intents = new Map<string, Intent>();
  /** Set when a change reaches what the libSQL mirror shows (leases, the node's header). */
  mirrorDirty = true;
  /** The node agent's assignments: slice placement, change numbers, deployment documents. */
  readonly assignments: AssignmentLog;
  /** Called after a commit that changed an assignment (the live feed sends the change). */
  onAssignmentsChanged: () => void = () => undefined;
  /** The lease and bid records as last written to storage. */
  private readonly storedLeases = new Map<string, Lease>();
  private readonly storedBids = new Map<string, Bid>();
  private storedHeader: Header | null = null;

  constructor(private readonly storage: DurableObjectStorage) {
    this.assignments = new AssignmentLog(storage.sql);
  }

  private get sql(): SqlStorage {
    return this.storage.sql;
  }

  /** Creates the tables if needed and loads what they hold (nothing for a book never opened). */
  load(): void {
    for (const statement of storageSchema) this.sql.exec(statement);
    // Books opened before events had structured details get the column (old rows: NULL, read as {}).
    const eventColumns = this.sql.exec<{ name: string }>("PRAGMA table_info(events)").toArray();
    if (!eventColumns.some((column) => column.name === "details")) {
      this.sql.exec("ALTER TABLE events ADD COLUMN details TEXT");
    }
    const meta = new Map(
      this.sql
        .exec<{ key: string; value: string }>("SELECT key, value FROM meta")
        .toArray()
        .map((row) => [row.key, row.value]),
    );
    this.assignments.load(meta);
    const config = meta.get("config");
    const header = meta.get("header");
    if (config === undefined || header === undefined) return;
    this.config = JSON.parse(config) as NodeConfig;
    const leases = this.bodies<Lease>("leases");
    const bids = this.bodies<Bid>("bids");
    for (const funding of this.bodies<Funding>("funding")) this.funding.set(funding.id, funding);
    for (const intent of this.bodies<Intent>("intents")) this.intents.set(intent.id, intent);
    const parsedHeader = JSON.parse(header) as Header;
    const agent = meta.get("agent");
    this.book = {
      ...parsedHeader,
      ...(agent === undefined ? {} : { agent: JSON.parse(agent) as AgentSettings }),
      leases,
      bids,
    };
    this.storedHeader = parsedHeader;
    for (const lease of leases) this.storedLeases.set(lease.id, lease);
    for (const bid of bids) this.storedBids.set(bid.id, bid);
    // A book stored before its assignments were kept gets them now (nothing to write otherwise).
    const plan = this.assignments.plan(this.book);
    if (plan.upserts.length > 0 || plan.deletes.length > 0) {
      this.storage.transactionSync(() => this.assignments.write(plan, []));
      this.assignments.keep(plan);
    }
  }

  private bodies<T>(table: Table): T[] {
    return this.sql
      .exec<{ body: string }>(`SELECT body FROM ${table}`)
      .toArray()
      .map((row) => JSON.parse(row.body) as T);
  }

  /** Stores a book opened for the first time, with its node's configuration. */
  open(config: NodeConfig, book: BidBook): void {
    const header = headerOf(book);
    this.storage.transactionSync(() => {
      this.putMeta("config", config);
      this.putMeta("header", header);
    });
    this.config = config;
    this.book = book;
    this.storedHeader = header;
  }

  /** Replaces the node's configuration (new prices); call inside the change that commits them. */
  saveConfig(config: NodeConfig): void {
    this.putMeta("config", config);
    this.config = config;
    this.mirrorDirty = true;
  }

  private putMeta(key: "config" | "header" | "agent", value: unknown): void {
    this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", key, JSON.stringify(value));
  }

  requireBook(): BidBook {
    invariant(this.book !== null, "bid book used before it was loaded");
    return this.book;
  }

  requireConfig(): NodeConfig {
    invariant(this.config !== null, "bid book used before it was loaded");
    return this.config;
  }

  /**
   * Applies a transition: the new book, changed lease and bid records, funding changes and events
   * in one storage transaction (synchronous: nothing can run in between), then in memory. Bids
   * the transition accepted hand their funding to the lease they became.
   */
  commit(transition: Transition, options: CommitOptions = {}): void {
    const next = transition.book;
    const { fundingChanges, movedBidIds } = this.fundingOf(transition, options.funding ?? []);
    const events = eventsOf(transition, options);
    const header = headerOf(next);
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
    const agentChanged = next.agent !== this.book?.agent && next.agent !== undefined;
    const assignments = this.assignments.plan(next);
    this.storage.transactionSync(() => {
      this.assignments.write(assignments, options.deployments ?? []);
      if (headerChanged) this.putMeta("header", header);
      if (agentChanged) this.putMeta("agent", next.agent);
      this.putRecords("leases", changedLeases);
      this.deleteRecords("leases", droppedLeases);
      this.putRecords("bids", changedBids);
      this.deleteRecords("bids", droppedBids);
      this.putRecords("funding", fundingChanges);
      this.deleteRecords("funding", movedBidIds);
      this.insertEvents(events);
      if (options.intent) this.writeIntent(options.intent.id, options.intent.rest);
    });
    if (options.intent) this.keepIntent(options.intent.id, options.intent.rest);
    this.book = next;
    this.storedHeader = header;
    for (const lease of changedLeases) this.storedLeases.set(lease.id, lease);
    for (const id of droppedLeases) this.storedLeases.delete(id);
    for (const bid of changedBids) this.storedBids.set(bid.id, bid);
    for (const id of droppedBids) this.storedBids.delete(id);
    for (const bidId of movedBidIds) this.funding.delete(bidId);
    for (const funding of fundingChanges) this.funding.set(funding.id, funding);
    if (changedLeases.length > 0 || droppedLeases.length > 0 || headerChanged) this.mirrorDirty = true;
    if (this.assignments.keep(assignments)) this.onAssignmentsChanged();
  }

  /** Funding written with a change; an accepted bid's funding moves to the lease it became. */
  private fundingOf(
    transition: Transition,
    funding: readonly Funding[],
  ): { fundingChanges: Funding[]; movedBidIds: string[] } {
    const staged = new Map(funding.map((record) => [record.id, record]));
    const movedBidIds: string[] = [];
    for (const event of transition.events) {
      if (event.type !== "accepted" || event.bidId === undefined) continue;
      const bidFunding = staged.get(event.bidId) ?? this.funding.get(event.bidId);
      if (!bidFunding) continue;
      staged.delete(event.bidId);
      staged.set(leaseIdForBid(event.bidId), { ...bidFunding, id: leaseIdForBid(event.bidId) });
      movedBidIds.push(event.bidId);
    }
    return { fundingChanges: [...staged.values()], movedBidIds };
  }

  /** Stores an intent before its ledger write (durable before that write leaves: output gates). */
  putIntent(intent: Intent): void {
    this.putRecords("intents", [intent]);
    this.intents.set(intent.id, intent);
  }

  /** Replaces intent `id` by what is left of it, or drops it (`rest` null), outside a commit. */
  settleIntent(id: string, rest: Intent | null): void {
    this.storage.transactionSync(() => this.writeIntent(id, rest));
    this.keepIntent(id, rest);
  }

  private writeIntent(id: string, rest: Intent | null): void {
    this.deleteRecords("intents", [id]);
    if (rest) this.putRecords("intents", [rest]);
  }

  private keepIntent(id: string, rest: Intent | null): void {
    this.intents.delete(id);
    if (rest) this.intents.set(rest.id, rest);
  }

  /** Writes funding records (and extra events) on their own, outside a transition. */
  saveFunding(records: Funding[], events: ExtraEvent[] = []): void {
    this.storage.transactionSync(() => {
      this.putRecords("funding", records);
      this.insertEvents(events);
    });
    for (const funding of records) this.funding.set(funding.id, funding);
  }

  /**
   * Drops finished leases and closed bids (with their funding once its holds are gone) and events
   * older than the retention, at `nowMs`.
   */
  compact(nowMs: number): void {
    const next = compact(this.requireBook());
    this.commit({ book: next, events: [] });
    const keep = new Set([...next.leases.map((lease) => lease.id), ...next.bids.map((bid) => bid.id)]);
    const gone = [...this.funding.values()].filter(
      (funding) => !keep.has(funding.id) && funding.holdIds.length === 0,
    );
    this.storage.transactionSync(() => {
      this.deleteRecords(
        "funding",
        gone.map((funding) => funding.id),
      );
      this.sql.exec("DELETE FROM events WHERE at_ms < ?", nowMs - eventsRetentionMs);
    });
    for (const funding of gone) this.funding.delete(funding.id);
  }

  /** A lease's event log (with the events of the bid it came from) after `afterSeq`, oldest first. */
  leaseEvents(leaseId: string, afterSeq: number, limit: number): EventView[] {
    const bidId = `bid_${leaseId.slice(4)}`;
    const rows = this.sql
      .exec<{
        seq: number;
        type: string;
        lease_id: string | null;
        bid_id: string | null;
        at_ms: number;
        detail: string;
        details: string | null;
      }>(
        "SELECT seq, type, lease_id, bid_id, at_ms, detail, details FROM events WHERE (lease_id = ? OR bid_id = ?) AND seq > ? ORDER BY seq LIMIT ?",
        leaseId,
        bidId,
        afterSeq,
        Math.min(limit, eventsPageMax),
      )
      .toArray();
    return rows.map((row) => ({
      seq: Number(row.seq),
      type: row.type,
      leaseId: row.lease_id,
      bidId: row.bid_id,
      atMs: Number(row.at_ms),
      detail: row.detail,
      details: row.details === null ? {} : (JSON.parse(row.details) as EventDetails),
    }));
  }

  /**
   * The event log after `afterSeq`, oldest first, at most `limit` lines: what the libSQL mirror
   * turns into product events (src/market/object/mirror.ts).
   */
  eventsAfter(
    afterSeq: number,
    limit: number,
  ): {
    seq: number;
    type: string;
    leaseId: string | null;
    bidId: string | null;
    atMs: number;
    details: EventDetails;
  }[] {
    return this.sql
      .exec<{
        seq: number;
        type: string;
        lease_id: string | null;
        bid_id: string | null;
        at_ms: number;
        details: string | null;
      }>(
        "SELECT seq, type, lease_id, bid_id, at_ms, details FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
        afterSeq,
        limit,
      )
      .toArray()
      .map((row) => ({
        seq: Number(row.seq),
        type: row.type,
        leaseId: row.lease_id,
        bidId: row.bid_id,
        atMs: Number(row.at_ms),
        details: row.details === null ? {} : (JSON.parse(row.details) as EventDetails),
      }));
  }

  /** The last event-log seq the mirror wrote to libSQL (0: none yet). */
  eventsMirroredSeq(): number {
    const row = this.sql
      .exec<{ value: string }>("SELECT value FROM meta WHERE key = 'events_mirrored_seq'")
      .toArray()[0];
    return row === undefined ? 0 : Number(JSON.parse(row.value));
  }

  /** Records that the mirror wrote the event log through `seq`. */
  saveEventsMirroredSeq(seq: number): void {
    this.sql.exec(
      "INSERT OR REPLACE INTO meta (key, value) VALUES ('events_mirrored_seq', ?)",
      JSON.stringify(seq),
    );
  }

  /** How many periods the book has settled (its `settled` events). */
  settledCount(): number {
    return this.sql
      .exec<{ count: number }>("SELECT count(*) AS count FROM events WHERE type = 'settled'")
      .one().count;
  }

  /**
   * Writes records as (id, JSON body) rows, however many, in one statement: the array goes in as
   * one JSON parameter and `json_each` unrolls it, so a group of bids costs one call into SQLite,
   * not one per row (and never meets the bound-parameter limit).
   */
  private putRecords(table: Table, records: readonly { id: string }[]): void {
    if (records.length === 0) return;
    this.sql.exec(
      `INSERT OR REPLACE INTO ${table} (id, body) SELECT value ->> '$.id', value FROM json_each(?)`,
      JSON.stringify(records),
    );
  }

  private deleteRecords(table: Table, ids: readonly string[]): void {
    if (ids.length === 0) return;
    this.sql.exec(`DELETE FROM ${table} WHERE id IN (SELECT value FROM json_each(?))`, JSON.stringify(ids));
  }

  /** Appends to the event log, in order (inside the caller's storage transaction). */
  private insertEvents(events: readonly ExtraEvent[]): void {
    if (events.length === 0) return;
    this.sql.exec(
      `INSERT INTO events (lease_id, bid_id, type, at_ms, detail, details)
       SELECT value ->> '$.leaseId', value ->> '$.bidId', value ->> '$.type', value ->> '$.atMs',
              value ->> '$.detail', value -> '$.details'
       FROM json_each(?) ORDER BY key`,
      JSON.stringify(events),
    );
  }
}

/** The events a change writes: the transition's (a settlement described by its figures), then the extra. */
function eventsOf(transition: Transition, options: CommitOptions): ExtraEvent[] {
  const events: ExtraEvent[] = transition.events.map((event: BidBookEvent) => {
    const figures =
      event.type === "settled" && event.leaseId ? options.settled?.get(event.leaseId) : undefined;
    return {
      type: event.type,
      ...(event.leaseId === undefined ? {} : { leaseId: event.leaseId }),
      ...(event.bidId === undefined ? {} : { bidId: event.bidId }),
      atMs: event.atMs,
      detail: figures ? describeSettlement(figures) : event.detail,
      details: figures ? settlementDetails(figures) : event.details,
    };
  });
  events.push(...(options.extraEvents ?? []));
  return events;
}

/** CC minor units as text. */
export function cc(minor: bigint): string {
  return formatAmount("CC", minor);
}

function settlementDetails(figures: PeriodFigures): EventDetails {
  const { period } = figures;
  return {
    settlementId: period.settlementId,
    periodStartAtMs: period.periodStartMs,
    periodEndAtMs: period.periodEndMs,
    chargedCc: cc(figures.chargeMinor),
    unpaidCc: cc(figures.unpaidMinor),
    farmerCc: cc(figures.farmerMinor),
    burnedCc: cc(figures.burnMinor),
    threefoldCc: cc(figures.threefoldMinor),
    alreadySettled: figures.alreadySettled,
  };
}

function describeSettlement(figures: PeriodFigures): string {
  const { period } = figures;
  const unpaid = figures.unpaidMinor > 0n ? `, ${cc(figures.unpaidMinor)} CC unpaid` : "";
  const already = figures.alreadySettled ? " (written by an earlier run)" : "";
  return (
    `settlement ${period.settlementId} for [${isoTime(period.periodStartMs)}, ${isoTime(period.periodEndMs)}): charged ` +
    `${cc(figures.chargeMinor)} CC${unpaid} — farmer ${cc(figures.farmerMinor)}, burned ${cc(figures.burnMinor)}, ` +
    `ThreeFold ${cc(figures.threefoldMinor)}${already}`
  );
}

export function headerOf(book: BidBook): Header {
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
    a.pauses.length !== b.pauses.length ||
    a.agent?.status !== b.agent?.status ||
    a.agent?.sinceMs !== b.agent?.sinceMs ||
    a.agent?.deadlineMs !== b.agent?.deadlineMs
  ) {
    return false;
  }
  return a.pauses.every(
    (pause, index) => pause.fromMs === b.pauses[index]?.fromMs && pause.untilMs === b.pauses[index]?.untilMs,
  );
}

/** Ids of `stored` that `current` no longer has. */
function missingIds(stored: ReadonlyMap<string, unknown>, current: readonly { id: string }[]): string[] {
  const present = new Set(current.map((record) => record.id));
  return [...stored.keys()].filter((id) => !present.has(id));
}
