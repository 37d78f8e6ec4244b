/**
 * The book's libSQL mirror: writes changed leases and the node's state, free slices and prices to
 * libSQL after the book's own storage, one flush at a time (a flush asked for meanwhile runs once
 * more when the current one ends). What the mirror holds is fingerprinted in memory, so a restart
 * mirrors everything once.
 */
import type { Client, InStatement } from "@libsql/client";
import { now } from "../../kit/clock";
import { type BidBook, freeSlices, type Lease } from "../core/bidbook";
import type { LeaseView } from "../core/views";
import { type BookLogEvent, bookEventStatements, leaseMirrorStatements } from "../store/mirror";
import { nodeMirrorStatement } from "../store/nodes";
import { RunInRounds } from "./rounds";
import { type BookStorage, headerOf } from "./storage";
import { leaseView } from "./views";

export class BookMirror {
  private readonly mirrored = new Map<string, string>();
  /** The event-log seq written to libSQL so far (read from the book's storage on first use). */
  private eventsSeq: number | null = null;
  private readonly runs = new RunInRounds(() => this.flushOnce(), Number.POSITIVE_INFINITY);

  constructor(
    private readonly state: BookStorage,
    private readonly db: Client,
  ) {}

  /** Writes what changed (one at a time; joins a flush in flight and makes it go round once more). */
  flush(): Promise<void> {
    return this.runs.request();
  }

  private async flushOnce(): Promise<void> {
    const nowMs = now();
    const plan = this.plan(this.state.requireBook(), (lease) => leaseView(this.state, lease), true, nowMs);
    const log = this.pendingEvents();
    plan.statements.push(...bookEventStatements(this.state.requireConfig(), log, nowMs));
    this.state.mirrorDirty = false;
    const lastSeq = log.at(-1)?.seq;
    if (lastSeq !== undefined && log.length === eventsPerFlushMax) this.state.mirrorDirty = true;
    if (plan.statements.length === 0) {
      if (lastSeq !== undefined) this.markEventsWritten(lastSeq);
      return;
    }
    try {
      await this.db.batch(plan.statements, "write");
    } catch (error) {
      this.state.mirrorDirty = true;
      throw error;
    }
    plan.written();
    if (lastSeq !== undefined) this.markEventsWritten(lastSeq);
  }

  /** The book's event-log lines not yet written to libSQL (at most `eventsPerFlushMax`). */
  private pendingEvents(): (BookLogEvent & { seq: number })[] {
    this.eventsSeq ??= this.state.eventsMirroredSeq();
    return this.state.eventsAfter(this.eventsSeq, eventsPerFlushMax);
  }

  private markEventsWritten(seq: number): void {
    this.eventsSeq = seq;
    this.state.saveEventsMirroredSeq(seq);
  }

  /**
   * Records the node's row as mirrored without writing it, when it holds what the book shows
   * (a node's registration wrote it just before opening the book from it); else it stays dirty.
   */
  assumeWritten(row: {
    freeSlices: number;
    minBidCcPerSliceHour: string;
    autoAcceptAboveCcPerSliceHour: string | null;
  }): void {
    const book = this.state.requireBook();
    const same =
      row.freeSlices === freeSlices(book) &&
      row.minBidCcPerSliceHour === book.minBidCcPerSliceHour &&
      row.autoAcceptAboveCcPerSliceHour === book.autoAcceptAboveCcPerSliceHour;
    if (!same || book.leases.length > 0) return;
    this.plan(book, (lease) => leaseView(this.state, lease), true, now()).written();
    this.state.mirrorDirty = false;
  }

  /**
   * The mirror rows of `book`, a change about to be written with its holds (in their batch, so
   * the change needs no flush of its own): its leases' rows, and the node's row unless a flush is
   * in flight (that one may still write an older row after it: the node is then left dirty for the
   * next flush). Call `written()` once the change is committed.
   */
  ahead(
    book: BidBook,
    viewOf: (lease: Lease) => LeaseView,
    nowMs: number,
    events: readonly BookLogEvent[] = [],
  ): MirrorPlan & { complete: boolean } {
    const complete = !this.runs.busy;
    const plan = this.plan(book, viewOf, complete, nowMs);
    // The change's product events go with it; the flush after the commit writes them again
    // (from the log), which their derived ids make a no-op.
    plan.statements.push(...bookEventStatements(this.state.requireConfig(), events, nowMs));
    return { ...plan, complete };
  }

  private plan(
    book: BidBook,
    viewOf: (lease: Lease) => LeaseView,
    withNode: boolean,
    nowMs: number,
  ): MirrorPlan {
    const config = this.state.requireConfig();
    const statements: InStatement[] = [];
    const written = new Map<string, string>();
    for (const lease of book.leases) {
      const fingerprint = `${lease.status}|${lease.pausedReason ?? ""}|${lease.graceUntilMs ?? ""}|${lease.endsAtMs ?? ""}|${lease.settledThroughMs}`;
      if (this.mirrored.get(lease.id) === fingerprint) continue;
      written.set(lease.id, fingerprint);
      statements.push(...leaseMirrorStatements(viewOf(lease), config.farmerId, nowMs));
    }
    const nodeFingerprint = JSON.stringify([headerOf(book), freeSlices(book), config]);
    if (withNode && this.mirrored.get(config.nodeId) !== nodeFingerprint) {
      written.set(config.nodeId, nodeFingerprint);
      const node = {
        state: book.state,
        freeSlices: freeSlices(book),
        pricePerSliceMonth: config.pricePerSliceMonth,
        pricePerSliceHour: config.pricePerSliceHour,
        minBidCcPerSliceHour: book.minBidCcPerSliceHour,
        autoAcceptAboveCcPerSliceHour: book.autoAcceptAboveCcPerSliceHour,
        band: config.band,
      };
      statements.push(nodeMirrorStatement(config.nodeId, node, nowMs));
    }
    return {
      statements,
      written: () => {
        for (const [id, fingerprint] of written) this.mirrored.set(id, fingerprint);
      },
    };
  }
}

/** Most event-log lines one flush writes; a longer backlog leaves the mirror dirty for the next flush. */
export const eventsPerFlushMax = 200;

/** Mirror rows to write, and how to record them as mirrored once written. */
export type MirrorPlan = { statements: InStatement[]; written: () => void };
