/**
 * One node's bid book (ECONOMICS §16, §17): the single writer of who holds the node's slices,
 * and the hourly settlement of every lease on it (§10). A thin RPC shell: each method parses its
 * argument (src/market/object/contract.ts), runs the pure book (src/market/core/bidbook) and
 * writes through its storage (./storage.ts), the ledger and the market's store; expected refusals
 * come back as `Failure` values.
 *
 * State lives in the object's SQLite storage and in memory (./storage.ts). It is loaded in
 * `blockConcurrencyWhile` — from storage, or on the very first call from the node's libSQL row
 * (./open.ts), so a node registered in libSQL becomes bookable the first time its object is touched.
 *
 * No overbooking, and no money moved for a refusal: every change of the book runs in the book's
 * queue of changes (`exclusive`), one at a time. A change that needs no money is one synchronous
 * step — read the book, run the domain transition (which checks capacity), write the new book,
 * its funding and its events in one storage transaction. A change that needs a hold (a
 * reservation, ./reservation.ts; a group of bids, ./bid-writer.ts) checks the book first, so a
 * refusal writes nothing; places the hold only for what the book accepted; then commits the
 * transition it checked, against the very same book (nothing else could change it while the
 * ledger was written). A hold the ledger refuses wrote nothing (createTransfers is atomic), and a
 * hold is never released by a call that did not place it. Other awaited work (the libSQL mirror,
 * ./mirror.ts; the alarm, ./alarm.ts) happens after the change.
 *
 * Money (./money-pass.ts, run by the alarm and after changes that need it; one at a time) settles
 * due periods, releases what closed records held, tops leases up and mirrors. Time is the
 * service's clock (src/kit/clock.ts); the alarm is set in real time (`toRealMs`).
 */
import { DurableObject } from "cloudflare:workers";
import type { Client } from "@libsql/client";
import type { z } from "zod";
import { now } from "../../kit/clock";
import { openDatabase } from "../../kit/db/client";
import { fail, ok, parseWith, type Result } from "../../kit/result";
import { type MarketConfig, marketConfig } from "../config";
import {
  type AgentSettings,
  acceptBid,
  type BidBook,
  bindAgent,
  cancelBid,
  rejectBid,
  reportLease,
  setPrices,
  setState,
  type Transition,
} from "../core/bidbook";
import type { BookAuditView, LeaseView } from "../core/views";
import { getNode } from "../store/nodes";
import { AgentFeed } from "./agent-feed";
import { BookAlarm, nextWakeMs } from "./alarm";
import { releaseBidHolds } from "./bid-release";
import { BidWriter } from "./bid-writer";
import type { BookContext } from "./context";
import {
  type AssignmentsPage,
  assignmentsSchema,
  type BidView,
  type BookView,
  bidActionSchema,
  bidsLookupSchema,
  type EndedLease,
  type EventView,
  endLeaseSchema,
  leaseEventsSchema,
  leaseRefSchema,
  openBookSchema,
  openSchema,
  type PlacedBid,
  placeBidSchema,
  type ReportedLeases,
  type ReservedLease,
  reportLeasesSchema,
  reserveSchema,
  type SettleSummary,
  setPricesSchema,
  setStateSchema,
} from "./contract";
import { endLeaseExclusive, settleEndedAtOnce } from "./lease-end";
import { BookMirror } from "./mirror";
import { MoneyPass } from "./money-pass";
import { bookFromNode, listedCcPrice, openFromNode, sliceOf } from "./open";
import { recoverReservation, reserveExclusive } from "./reservation";
import { BookStorage } from "./storage";
import { auditRecords, bidFunding, bidView, bookView, leaseView, openBidViews } from "./views";

const bidRefSchema = bidActionSchema.pick({ nodeId: true, bidId: true });

export class NodeBidBook extends DurableObject<Env> {
  private readonly db: Client;
  private readonly market: MarketConfig;
  private readonly state: BookStorage;
  private readonly mirror: BookMirror;
  private readonly alarmClock: BookAlarm;
  private readonly money: MoneyPass;
  private readonly bids: BidWriter;
  private readonly feed: AgentFeed;
  /** The end of the queue of book changes (see `exclusive`). */
  private changes: Promise<unknown> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.db = openDatabase(env);
    this.market = marketConfig(env);
    this.state = new BookStorage(ctx.storage);
    this.mirror = new BookMirror(this.state, this.db);
    this.alarmClock = new BookAlarm(ctx.storage, this.state);
    const context: BookContext = {
      state: this.state,
      db: this.db,
      market: this.market,
      exclusive: (change) => this.exclusive(change),
      mirror: this.mirror,
      alarm: this.alarmClock,
    };
    this.money = new MoneyPass(context);
    this.bids = new BidWriter(context);
    this.context = context;
    this.feed = new AgentFeed(
      ctx,
      (after, limit) => this.assignmentsPage(after, limit),
      (cursor) => this.state.assignments.acknowledge(cursor, now()),
    );
    this.state.onAssignmentsChanged = () => this.feed.publish();
    void ctx
      .blockConcurrencyWhile(async () => {
        this.state.load();
        this.refreshAgentSettings();
        await this.alarmClock.load();
      })
      .then(() => {
        // A change left written to the ledger but not committed is finished now (see `exclusive`).
        if (this.state.intents.size > 0) void this.exclusive(() => undefined).catch(() => undefined);
      });
  }

  private readonly context: BookContext;

  /**
   * Makes sure the book exists: on the first call for a node, opens it from the node's libSQL
   * row (inside blockConcurrencyWhile, so nothing else runs meanwhile). NOT_FOUND without a row.
   */
  private async ensureLoaded(nodeId: string): Promise<Result<BidBook>> {
    if (this.state.book === null) {
      await this.ctx.blockConcurrencyWhile(async () => {
        if (this.state.book !== null) return;
        const opened = await openFromNode(this.db, nodeId);
        if (opened !== null) this.state.open(opened.config, opened.book);
      });
    }
    const book = this.state.book;
    if (book === null) return fail("NOT_FOUND", `No node ${nodeId}`, "nodeId");
    if (book.nodeId !== nodeId) return fail("CONFLICT", `This book belongs to ${book.nodeId}`, "nodeId");
    return ok(book);
  }

  /** The agent settings the configuration asks for (src/market/config.ts). */
  private agentSettings(): AgentSettings {
    return { chargeFrom: this.market.chargeFrom, provisioningTimeoutMs: this.market.provisioningTimeoutMs };
  }

  /**
   * A book with an agent takes the configuration's agent settings when it loads (they apply to the
   * leases it accepts from then on; a lease keeps the way it is charged). Not while a change awaits
   * its recovery (see `exclusive`): the next load does it.
   */
  private refreshAgentSettings(): void {
    const book = this.state.book;
    if (book?.agent === undefined || this.state.intents.size > 0) return;
    const wanted = this.agentSettings();
    if (
      book.agent.chargeFrom === wanted.chargeFrom &&
      book.agent.provisioningTimeoutMs === wanted.provisioningTimeoutMs
    )
      return;
    const rebound = bindAgent(book, wanted, now());
    if (rebound.ok) this.state.commit(rebound.value);
  }

  /**
   * The book's configuration learns its node's slice resources (for the agent's assignments) from
   * the node's row, once, when it was opened before it kept them.
   */
  private async ensureSlice(nodeId: string): Promise<void> {
    const config = this.state.requireConfig();
    if (config.slice !== undefined) return;
    const node = await getNode(this.db, nodeId);
    if (node !== null && this.state.config?.slice === undefined) {
      this.state.saveConfig({ ...this.state.requireConfig(), slice: sliceOf(node.slice) });
    }
  }

  /** The assignments after cursor `after` (null: from scratch), as the agent is told them. */
  private assignmentsPage(after: number | null, limit: number): AssignmentsPage {
    const book = this.state.requireBook();
    const config = this.state.requireConfig();
    return {
      nodeId: book.nodeId,
      slice: config.slice ?? null,
      ...this.state.assignments.page(book, after, limit),
    };
  }

  /** FORBIDDEN when a farmer's key asks about another farmer's node (`asFarmer`, see the contract). */
  private checkFarmer(asFarmer: string | null): Result<void> {
    if (asFarmer === null || asFarmer === this.state.requireConfig().farmerId) return ok(undefined);
    return fail("FORBIDDEN", "This node belongs to another farmer");
  }

  /** Parses the argument of an RPC method and loads the book it names. */
  private async parseAndLoad<T extends { nodeId: string }>(
    schema: z.ZodType<T>,
    input: unknown,
  ): Promise<Result<{ request: T; book: BidBook }>> {
    const parsed = parseWith(schema, input);
    if (!parsed.ok) return parsed;
    const loaded = await this.ensureLoaded(parsed.value.nodeId);
    return loaded.ok ? ok({ request: parsed.value, book: loaded.value }) : loaded;
  }

  /**
   * Runs `change` once every change queued before it has finished, and nothing else that changes
   * the book until it has: every `commit` happens inside one. So a change that awaits the ledger
   * between its check and its commit commits against the book it checked, and a duplicate of a
   * request waits for the first and then finds its outcome. A change must not wait for another
   * queued change (nor for the money pass, which queues its own): that would wait forever.
   */
  private exclusive<T>(change: () => T | Promise<T>): Promise<T> {
    const run = this.changes.then(() =>
      this.state.intents.size > 0 ? this.finishIntents().then(change) : change(),
    );
    this.changes = run.catch(() => undefined);
    return run;
  }

  /**
   * Finishes the changes written to the ledger and not committed (see `Intent` in ./storage.ts),
   * first in the queue: until they are, no other change runs (a failure here refuses the change).
   */
  private async finishIntents(): Promise<void> {
    for (const intent of [...this.state.intents.values()]) {
      if (intent.kind === "bids") await this.bids.recover(intent);
      else await recoverReservation(this.context, intent);
    }
    await this.alarmClock.schedule();
  }

  /** Commits a transition of the current book, as one change; then runs the money pass. */
  private async change(decide: (book: BidBook, nowMs: number) => Result<Transition>): Promise<Result<void>> {
    const done = await this.exclusive((): Result<void> => {
      const transition = decide(this.state.requireBook(), now());
      if (!transition.ok) return transition;
      this.state.commit(transition.value);
      return ok(undefined);
    });
    if (done.ok) await this.money.request();
    return done;
  }

  // ---------------------------------------------------------------- RPC methods

  /** Opens (on first touch) and describes the book. */
  async open(input: z.input<typeof openBookSchema>): Promise<Result<BookView>> {
    const parsed = parseWith(openBookSchema, input);
    if (!parsed.ok) return parsed;
    const { nodeId, registered } = parsed.value;
    if (registered && this.state.book === null) {
      // Registered just now: opened from the row the registration wrote, not read back.
      await this.ctx.blockConcurrencyWhile(async () => {
        if (this.state.book !== null) return;
        const opened = bookFromNode(nodeId, registered.node, registered.ccUsd);
        this.state.open(opened.config, opened.book);
        this.mirror.assumeWritten({ ...registered.node, freeSlices: registered.node.sliceCount });
      });
    }
    const loaded = await this.ensureLoaded(nodeId);
    if (!loaded.ok) return loaded;
    if (this.state.mirrorDirty) await this.mirror.flush();
    return ok(bookView(this.state.requireBook()));
  }

  /**
   * Reserves slices (on demand at the listed price, at a fixed price for an accepted capacity
   * offer, or for a bid package) as one change of the book (./reservation.ts). A repeated call
   * with the same lease id — after the first, or at the same time (it waits for the first) —
   * returns the lease.
   */
  async reserve(input: z.input<typeof reserveSchema>): Promise<Result<ReservedLease>> {
    const loaded = await this.parseAndLoad(reserveSchema, input);
    if (!loaded.ok) return loaded;
    const { request } = loaded.value;
    const reserved = await this.exclusive(() => reserveExclusive(this.context, request));
    if (!reserved.ok) return reserved;
    // The lease's rows went with its hold; the node's too, unless a flush was in flight then.
    if (this.state.mirrorDirty) await this.mirror.flush();
    await this.alarmClock.schedule();
    return reserved;
  }

  /**
   * Places an interruptible bid, backed by a hold of the bidder's CC for one prepaid window at the
   * bid's price (`hold_<bidId>`), written with the bids that arrive with it (./bid-writer.ts). The
   * bid may be matched at once (auto-accept). A repeated call with the same bid id returns the bid.
   */
  async placeBid(input: z.input<typeof placeBidSchema>): Promise<Result<PlacedBid>> {
    const loaded = await this.parseAndLoad(placeBidSchema, input);
    if (!loaded.ok) return loaded;
    return this.bids.place(loaded.value.request);
  }

  /** The farmer accepts or rejects an open bid, or its bidder cancels it. */
  async bidAction(input: z.input<typeof bidActionSchema>): Promise<Result<BidView>> {
    const loaded = await this.parseAndLoad(bidActionSchema, input);
    if (!loaded.ok) return loaded;
    const { request } = loaded.value;
    if (request.action !== "cancel") {
      const allowed = this.checkFarmer(request.asFarmer ?? null);
      if (!allowed.ok) return allowed;
    }
    const done = await this.exclusive(async (): Promise<Result<{ released: boolean }>> => {
      const nowMs = now();
      const book = this.state.requireBook();
      const bid = book.bids.find((candidate) => candidate.id === request.bidId);
      if (!bid) return fail("NOT_FOUND", `No bid ${request.bidId} on this node`, "bidId");
      if (request.action === "cancel" && !request.asAdmin) {
        if (bidFunding(this.state, bid.id)?.ownerId !== request.ownerId)
          return fail("FORBIDDEN", "This bid belongs to another owner");
      }
      const action =
        request.action === "accept" ? acceptBid : request.action === "reject" ? rejectBid : cancelBid;
      const transition = action(book, request.bidId, nowMs);
      if (!transition.ok) return transition;
      this.state.commit(transition.value);
      // A closed bid's hold goes back in this change's one write (./bid-release.ts).
      const released =
        request.action !== "accept" && (await releaseBidHolds(this.context, request.bidId, nowMs));
      return ok({ released });
    });
    if (!done.ok) return done;
    if (done.value.released) {
      if (this.state.mirrorDirty) await this.mirror.flush();
      await this.alarmClock.schedule();
    } else await this.money.request();
    const after = this.state.requireBook().bids.find((candidate) => candidate.id === request.bidId);
    return after ? ok(bidView(this.state, after)) : fail("INTERNAL", "the bid is missing");
  }

  /**
   * Ends a lease now: settles its last period and releases what its holds have left — in one
   * write when the caller read the facts for it (./lease-end.ts), else by the money pass.
   */
  async endLease(input: z.input<typeof endLeaseSchema>): Promise<Result<EndedLease>> {
    const loaded = await this.parseAndLoad(endLeaseSchema, input);
    if (!loaded.ok) return loaded;
    const { request } = loaded.value;
    const ended = await this.exclusive(() => endLeaseExclusive(this.context, request.leaseId, request.facts));
    if (!ended.ok) return ended;
    if (ended.value.chargedMinor === null) await this.money.request();
    else await this.alarmClock.schedule();
    const lease = await this.getLease({ nodeId: request.nodeId, leaseId: request.leaseId });
    return lease.ok ? ok({ ...lease.value, chargedMinor: ended.value.chargedMinor }) : lease;
  }

  /** A lease of this book. */
  async getLease(input: z.input<typeof leaseRefSchema>): Promise<Result<LeaseView>> {
    const loaded = await this.parseAndLoad(leaseRefSchema, input);
    if (!loaded.ok) return loaded;
    const { request, book } = loaded.value;
    const lease = book.leases.find((candidate) => candidate.id === request.leaseId);
    if (!lease)
      return fail("NOT_FOUND", `No lease ${request.leaseId} in this book (it may have been archived)`);
    return ok(leaseView(this.state, lease));
  }

  /** A lease's event log, oldest first (with the events of the bid it came from), after `afterSeq`. */
  async leaseEvents(input: z.input<typeof leaseEventsSchema>): Promise<Result<EventView[]>> {
    const loaded = await this.parseAndLoad(leaseEventsSchema, input);
    if (!loaded.ok) return loaded;
    const { leaseId, afterSeq, limit } = loaded.value.request;
    return ok(this.state.leaseEvents(leaseId, afterSeq, limit));
  }

  /** Open bids, highest price first. */
  async listBids(input: z.input<typeof openSchema>): Promise<Result<BidView[]>> {
    const loaded = await this.parseAndLoad(openSchema, input);
    return loaded.ok ? ok(openBidViews(this.state)) : loaded;
  }

  /** A bid of this book (open or closed, until the book is compacted). */
  async getBid(input: { nodeId: string; bidId: string }): Promise<Result<BidView>> {
    const loaded = await this.parseAndLoad(bidRefSchema, input);
    if (!loaded.ok) return loaded;
    const { request, book } = loaded.value;
    const bid = book.bids.find((candidate) => candidate.id === request.bidId);
    return bid ? ok(bidView(this.state, bid)) : fail("NOT_FOUND", `No bid ${request.bidId} on this node`);
  }

  /** These bids of this book, in the order asked; the ones it does not hold (compacted, unknown) left out. */
  async getBids(input: z.input<typeof bidsLookupSchema>): Promise<Result<BidView[]>> {
    const loaded = await this.parseAndLoad(bidsLookupSchema, input);
    if (!loaded.ok) return loaded;
    const { request, book } = loaded.value;
    const byId = new Map(book.bids.map((bid) => [bid.id, bid]));
    return ok(
      request.bidIds.flatMap((bidId) => {
        const bid = byId.get(bidId);
        return bid ? [bidView(this.state, bid)] : [];
      }),
    );
  }

  /**
   * What the market audit compares with the ledger (src/market/flows/audit.ts); reads only. Waits for a
   * money pass in flight, so it reports a state between passes. A book never opened reports
   * nothing and is not created (the audit asks every node).
   */
  async auditView(input: z.input<typeof openSchema>): Promise<Result<BookAuditView>> {
    const parsed = parseWith(openSchema, input);
    if (!parsed.ok) return parsed;
    const { nodeId } = parsed.value;
    const book = this.state.book;
    if (book === null) return ok({ nodeId, opened: false, nowMs: now(), records: [] });
    if (book.nodeId !== nodeId) return fail("CONFLICT", `This book belongs to ${book.nodeId}`, "nodeId");
    await this.money.settled();
    // Read between queued changes (see `exclusive`): a reservation's hold and its commit are one change.
    return this.exclusive(() => ok(auditRecords(this.state, now())));
  }

  /** Sets the node online, offline or in maintenance (leases pause and resume; §17). */
  async setState(input: z.input<typeof setStateSchema>): Promise<Result<BookView>> {
    const loaded = await this.parseAndLoad(setStateSchema, input);
    if (!loaded.ok) return loaded;
    const { request } = loaded.value;
    const changed = await this.change((book, nowMs) => setState(book, request.state, nowMs));
    return changed.ok ? ok(bookView(this.state.requireBook())) : changed;
  }

  /**
   * New prices (already checked against the band by the caller): the listed prices in band
   * currency (new leases only), the minimum bid and the auto-accept price (which may accept open
   * bids at once).
   */
  async setPrices(input: z.input<typeof setPricesSchema>): Promise<Result<BookView>> {
    const loaded = await this.parseAndLoad(setPricesSchema, input);
    if (!loaded.ok) return loaded;
    const { request } = loaded.value;
    const changed = await this.change((book, nowMs) => {
      const config = this.state.requireConfig();
      const transition = setPrices(book, {
        listedPriceCcPerSliceHour: listedCcPrice(config, book, request.pricePerSliceHour, request.ccUsd),
        minBidCcPerSliceHour: request.minBidCcPerSliceHour,
        autoAcceptAboveCcPerSliceHour: request.autoAcceptAboveCcPerSliceHour,
        nowMs,
      });
      if (!transition.ok) return transition;
      const { pricePerSliceMonth, pricePerSliceHour, band } = request;
      this.state.saveConfig({ ...config, pricePerSliceMonth, pricePerSliceHour, band });
      return transition;
    });
    return changed.ok ? ok(bookView(this.state.requireBook())) : changed;
  }

  /**
   * Gives the node an agent (its farmer or an admin created a `node` key): leases accepted from now
   * on start `provisioning` and are charged as MARKET_CHARGE_FROM says (src/market/core/bidbook/agent.ts).
   * Binding again applies the configuration's settings and changes nothing else.
   */
  async bindAgent(input: z.input<typeof openSchema>): Promise<Result<BookView>> {
    const loaded = await this.parseAndLoad(openSchema, input);
    if (!loaded.ok) return loaded;
    await this.ensureSlice(loaded.value.request.nodeId);
    const bound = await this.change((book, nowMs) => bindAgent(book, this.agentSettings(), nowMs));
    return bound.ok ? ok(bookView(this.state.requireBook())) : bound;
  }

  /** The node's assignments changed after cursor `after` (null: all of them, from scratch). */
  async assignments(input: z.input<typeof assignmentsSchema>): Promise<Result<AssignmentsPage>> {
    const loaded = await this.parseAndLoad(assignmentsSchema, input);
    if (!loaded.ok) return loaded;
    const { nodeId, after, limit, asFarmer } = loaded.value.request;
    const allowed = this.checkFarmer(asFarmer);
    if (!allowed.ok) return allowed;
    await this.ensureSlice(nodeId);
    return ok(this.assignmentsPage(after, limit));
  }

  /**
   * The node's agent reports its leases (one from `PUT …/assignments/{leaseId}/status`, its whole
   * view from a heartbeat), applied in order as one change each. With `strict`, the first report
   * the book refuses (an unknown or ended lease, a lease from before the agent) is the answer and
   * nothing after it is applied; otherwise refused reports are skipped (a heartbeat's view may be a
   * moment old). A lease reported `stopped` ends, and the money pass settles it and releases its
   * holds; other reports only mirror the change.
   */
  async reportLeases(input: z.input<typeof reportLeasesSchema>): Promise<Result<ReportedLeases>> {
    const loaded = await this.parseAndLoad(reportLeasesSchema, input);
    if (!loaded.ok) return loaded;
    const { nodeId, reports, strict, asFarmer, facts } = loaded.value.request;
    const allowed = this.checkFarmer(asFarmer);
    if (!allowed.ok) return allowed;
    let settledAtOnce = false;
    const applied = await this.exclusive(async (): Promise<Result<ReportedLeases>> => {
      const leases: ReportedLeases["leases"] = [];
      for (const report of reports) {
        const book = this.state.requireBook();
        const lease = book.leases.find((candidate) => candidate.id === report.leaseId);
        const unchanged = lease?.agent?.status === report.status && lease.status !== "ended";
        const nowMs = now();
        const transition = unchanged ? null : reportLease(book, report.leaseId, report.status, nowMs);
        if (transition !== null && !transition.ok) {
          if (strict) return transition;
          continue;
        }
        const dirtyBefore = this.state.mirrorDirty;
        if (transition !== null) this.state.commit(transition.value);
        const after = this.state.requireBook().leases.find((candidate) => candidate.id === report.leaseId);
        // A lease its agent stopped, reported alone with the facts of its end: settled and
        // released in one write, as `endLease` does (./lease-end.ts).
        if (facts !== undefined && reports.length === 1 && transition !== null && after?.status === "ended") {
          const settled = await settleEndedAtOnce(
            this.context,
            report.leaseId,
            facts,
            transition.value,
            nowMs,
            dirtyBefore,
          );
          settledAtOnce = settled.ok;
        }
        if (after !== undefined) {
          leases.push({
            leaseId: after.id,
            status: after.status,
            pausedReason: after.pausedReason ?? null,
            agentStatus: after.agent?.status ?? null,
          });
        }
      }
      return ok({ nodeId, leases });
    });
    if (!applied.ok) return applied;
    if (!settledAtOnce && applied.value.leases.some((lease) => lease.status === "ended"))
      await this.money.request();
    else {
      if (this.state.mirrorDirty) await this.mirror.flush();
      await this.alarmClock.schedule();
    }
    return applied;
  }

  /**
   * An agent's WebSocket (`GET /v1/nodes/{id}/agent`, its key checked by the Worker), accepted with
   * the Hibernation API (./agent-feed.ts). The request names the node (`nodeId`) and may name the
   * cursor to resume after (`after`; `reset` from scratch) and the farmer asking (`asFarmer`).
   */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response("expected a WebSocket upgrade", { status: 426 });
    }
    const url = new URL(request.url);
    const loaded = await this.parseAndLoad(openSchema, { nodeId: url.searchParams.get("nodeId") ?? "" });
    if (!loaded.ok) return new Response(loaded.detail, { status: loaded.code === "NOT_FOUND" ? 404 : 400 });
    const allowed = this.checkFarmer(url.searchParams.get("asFarmer"));
    if (!allowed.ok) return new Response(allowed.detail, { status: 403 });
    const after = url.searchParams.get("after");
    if (after !== null && after !== "reset" && !/^(0|[1-9][0-9]{0,14})$/.test(after)) {
      return new Response("after must be a cursor or reset", { status: 400 });
    }
    await this.ensureSlice(loaded.value.request.nodeId);
    return this.feed.accept(after === null ? undefined : after === "reset" ? null : Number(after));
  }

  override webSocketMessage(socket: WebSocket, message: string | ArrayBuffer): void {
    if (this.state.book === null) return;
    this.feed.message(socket, message);
  }

  override webSocketClose(socket: WebSocket, code: number, reason: string): void {
    try {
      socket.close(code, reason);
    } catch {
      // already closed
    }
  }

  /** Runs the money pass now (what the alarm does): settles what is due, tops up, releases, mirrors. */
  async settleNow(input: z.input<typeof openSchema>): Promise<Result<SettleSummary>> {
    const loaded = await this.parseAndLoad(openSchema, input);
    if (!loaded.ok) return loaded;
    const before = this.state.settledCount();
    await this.money.request();
    return ok({
      nodeId: loaded.value.request.nodeId,
      periodsSettled: this.state.settledCount() - before,
      leasesFailed: [...this.state.funding.values()].filter((funding) => funding.lastFailure !== null).length,
      nextWakeMs: nextWakeMs(this.state, now(), this.alarmClock.lastPassFailed),
    });
  }

  /** The alarm: one money pass (idempotent; see ./money-pass.ts). */
  override async alarm(): Promise<void> {
    this.alarmClock.fired();
    if (this.state.book === null) return;
    await this.money.request();
  }
}
