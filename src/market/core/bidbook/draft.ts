/**
 * The private working copy a transition edits, the lease status moves every transition shares,
 * and the event log derived by comparing the book before and after.
 *
 * Events are derived from the difference rather than emitted step by step, so a lease that is
 * pre-empted and resumed again inside one transition (because the slices it gave up turned out
 * to be more than the new claim needed) leaves no trace: the log records what changed.
 */
import { invariant } from "../../../kit/errors";
import {
  type Bid,
  type BidBook,
  type BidBookEvent,
  type BidBookEventType,
  type BidStatus,
  type EventDetails,
  isoTime,
  type Lease,
  leaseIdForBid,
  type PausedReason,
  pausesPerLeaseMax,
} from "./model";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
export type LeaseDraft = Mutable<Lease>;
/**
 * Leases are copied into the draft (a transition edits many of their fields); bids are not: a
 * book holds up to a thousand open bids and a transition changes few, so a bid whose status
 * changes is replaced by a copy (`setBidStatus`) and every other one stays the input's object.
 */
export type BookDraft = Omit<Mutable<BidBook>, "leases" | "bids"> & {
  leases: LeaseDraft[];
  bids: Bid[];
};

/**
 * How a lease came to end, for the event type and detail: its term, a request (the payer or an
 * admin), its grace running out, its agent reporting it stopped, or its agent not reporting it
 * running in time.
 */
export type EndCause = "term" | "request" | "reclaimed" | "stopped" | "provisioning_timeout";

/** Facts the before/after comparison cannot see. */
export type Notes = {
  readonly endCauses: Map<string, EndCause>;
  readonly acceptedBy: Map<string, "auto-accept" | "farmer">;
  readonly settlementIds: Map<string, string[]>;
  /** Leases whose agent status changed because the agent said so (else the book handed them anew). */
  readonly reported: Set<string>;
};

export type Work = { readonly book: BookDraft; readonly nowMs: number; readonly notes: Notes };

/** Copies the book so the transition never touches its input. */
export function startWork(book: BidBook, nowMs: number): Work {
  return {
    book: {
      ...book,
      leases: book.leases.map((lease) => ({ ...lease })),
      bids: [...book.bids],
    },
    nowMs,
    notes: { endCauses: new Map(), acceptedBy: new Map(), settlementIds: new Map(), reported: new Set() },
  };
}

export function finishWork(work: Work): BidBook {
  return { ...work.book, leases: [...work.book.leases], bids: [...work.book.bids] };
}

/** Moves a bid of the draft to a new status, replacing it by a copy; returns the copy. */
export function setBidStatus(work: Work, bid: Bid, status: BidStatus): Bid {
  const bids = work.book.bids;
  const index = bids.indexOf(bid);
  invariant(index >= 0, () => `bid ${bid.id} is not in the draft`);
  const changed = { ...bid, status };
  bids[index] = changed;
  return changed;
}

/** The latest time the book has recorded; a transition may not run earlier than this. */
export function latestRecordedMs(book: BidBook): number {
  let latest = 0;
  for (const lease of book.leases) {
    latest = Math.max(latest, lease.startedAtMs, lease.settledThroughMs);
    if (lease.status === "ended" && lease.endsAtMs !== null) latest = Math.max(latest, lease.endsAtMs);
    for (const pause of lease.pauses) latest = Math.max(latest, pause.fromMs, pause.untilMs ?? 0);
  }
  return latest;
}

/**
 * Pauses a running lease at `atMs`. The pause log keeps at most `pausesPerLeaseMax` intervals:
 * when full, the two oldest are merged into one that also spans the running time between them,
 * which can only lower a later charge, never raise it.
 */
export function pause(lease: LeaseDraft, reason: PausedReason, atMs: number): void {
  invariant(lease.status === "running", () => `pause: lease ${lease.id} is not running`);
  invariant(
    lease.kind === "interruptible" || reason !== "preempted",
    "pause: only interruptible leases are pre-empted",
  );
  const pauses = [...lease.pauses];
  const last = pauses[pauses.length - 1];
  if (last !== undefined && last.untilMs === atMs) {
    pauses[pauses.length - 1] = { fromMs: last.fromMs, untilMs: null };
  } else {
    if (pauses.length >= pausesPerLeaseMax) {
      const [first, second] = pauses;
      invariant(first !== undefined && second !== undefined, "pause: log bound below two");
      pauses.splice(0, 2, { fromMs: first.fromMs, untilMs: second.untilMs });
    }
    pauses.push({ fromMs: atMs, untilMs: null });
  }
  lease.status = "paused";
  lease.pausedReason = reason;
  lease.pauses = pauses;
}

/** Closes the open pause interval at `atMs`, dropping it when it is empty. */
function closePause(lease: LeaseDraft, atMs: number): void {
  const pauses = [...lease.pauses];
  const last = pauses.pop();
  invariant(
    last !== undefined && last.untilMs === null,
    `lease ${lease.id}: paused without an open interval`,
  );
  if (atMs > last.fromMs) pauses.push({ fromMs: last.fromMs, untilMs: atMs });
  lease.pauses = pauses;
}

export function resume(lease: LeaseDraft, atMs: number): void {
  invariant(lease.status === "paused", () => `resume: lease ${lease.id} is not paused`);
  closePause(lease, atMs);
  lease.status = "running";
  delete lease.pausedReason;
  delete lease.graceUntilMs;
}

/** Ends a lease at `atMs` (which may lie before now for time-driven ends); `endsAtMs` becomes the actual end. */
export function end(work: Work, lease: LeaseDraft, atMs: number, cause: EndCause): void {
  invariant(lease.status !== "ended", () => `end: lease ${lease.id} already ended`);
  if (lease.status === "paused") closePause(lease, atMs);
  lease.status = "ended";
  lease.endsAtMs = lease.endsAtMs === null ? atMs : Math.min(lease.endsAtMs, atMs);
  delete lease.pausedReason;
  delete lease.graceUntilMs;
  work.notes.endCauses.set(lease.id, cause);
}

const eventRank: Record<BidBookEventType, number> = {
  state_changed: 0,
  prices_changed: 0,
  expired: 1,
  ended: 1,
  reclaimed: 1,
  settled: 2,
  agent_status: 3,
  paused: 3,
  preempted: 3,
  placed: 4,
  rejected: 5,
  cancelled: 5,
  accepted: 5,
  started: 6,
  resumed: 7,
};

function describeLease(lease: Lease): string {
  const until = lease.endsAtMs === null ? "open-ended" : `until ${isoTime(lease.endsAtMs)}`;
  return `${lease.kind} lease of ${lease.slices} slices at ${lease.priceCcPerSliceHour} CC per slice-hour, ${until}`;
}

function leaseDetails(lease: Lease): EventDetails {
  return {
    kind: lease.kind,
    slices: lease.slices,
    priceCcPerSliceHour: lease.priceCcPerSliceHour,
    endsAtMs: lease.endsAtMs,
  };
}

function describeEnd(cause: EndCause | undefined): string {
  if (cause === "term") return "reached its end time";
  if (cause === "reclaimed") return "grace ran out; slices reclaimed";
  if (cause === "stopped") return "stopped by the node's agent";
  if (cause === "provisioning_timeout")
    return "cancelled: the node's agent did not report it running in time";
  return "ended on request";
}

/** Why a lease is paused, in words. */
function describePause(reason: PausedReason | undefined): string {
  if (reason === "provisioning")
    return "waiting for the node's agent to report it running (not charged until then)";
  if (reason === "failed") return "the node's agent reports it failed (not charged while it is)";
  return `paused: ${reason}`;
}

/** The agent status event of a lease whose agent status changed, if it did. */
function agentEvent(
  previous: Lease | undefined,
  lease: Lease,
  notes: Notes,
  nowMs: number,
): BidBookEvent | undefined {
  const before = previous?.agent;
  const after = lease.agent;
  if (after === undefined || before === undefined) return undefined;
  if (before.status === after.status && before.sinceMs === after.sinceMs) return undefined;
  const by = notes.reported.has(lease.id) ? "agent" : "book";
  return {
    type: "agent_status",
    leaseId: lease.id,
    atMs: nowMs,
    detail:
      by === "agent"
        ? `the node's agent reports it ${after.status} (was ${before.status})`
        : `handed to the node's agent again: ${after.status} (was ${before.status})`,
    details: {
      status: after.status,
      previousStatus: before.status,
      by,
      provisionByAtMs: after.deadlineMs ?? null,
    },
  };
}

/** The node's state and price events of a transition, appended to `events`. */
function headerEvents(before: BidBook, after: BidBook, nowMs: number, events: BidBookEvent[]): void {
  if (before.state !== after.state) {
    events.push({
      type: "state_changed",
      atMs: nowMs,
      detail: `node ${before.state} → ${after.state}`,
      details: { from: before.state, to: after.state },
    });
  }
  if (
    before.listedPriceCcPerSliceHour !== after.listedPriceCcPerSliceHour ||
    before.minBidCcPerSliceHour !== after.minBidCcPerSliceHour ||
    before.autoAcceptAboveCcPerSliceHour !== after.autoAcceptAboveCcPerSliceHour
  ) {
    events.push({
      type: "prices_changed",
      atMs: nowMs,
      detail:
        `listed ${after.listedPriceCcPerSliceHour}, minimum bid ${after.minBidCcPerSliceHour}, ` +
        `auto-accept at or above ${after.autoAcceptAboveCcPerSliceHour ?? "off"} CC per slice-hour`,
      details: {
        listedPriceCcPerSliceHour: after.listedPriceCcPerSliceHour,
        minBidCcPerSliceHour: after.minBidCcPerSliceHour,
        autoAcceptAboveCcPerSliceHour: after.autoAcceptAboveCcPerSliceHour,
      },
    });
  }
}

/** The bids' events of a transition, appended to `events`. */
function bidEvents(
  before: BidBook,
  after: BidBook,
  notes: Notes,
  nowMs: number,
  events: BidBookEvent[],
): void {
  // A transition never drops or reorders records: each keeps its index, new ones come last.
  invariant(after.bids.length >= before.bids.length, "diffEvents: a transition dropped bids");
  for (let index = 0; index < after.bids.length; index += 1) {
    const bid = after.bids[index]!;
    const previous = before.bids[index];
    if (bid === previous) continue;
    invariant(previous === undefined || previous.id === bid.id, "diffEvents: a transition reordered bids");
    if (previous === undefined) {
      events.push({
        type: "placed",
        bidId: bid.id,
        atMs: nowMs,
        detail: `${bid.slices} slices at ${bid.priceCcPerSliceHour} CC per slice-hour, open until ${isoTime(bid.expiresAtMs)}`,
        details: {
          slices: bid.slices,
          priceCcPerSliceHour: bid.priceCcPerSliceHour,
          expiresAtMs: bid.expiresAtMs,
        },
      });
    }
    const previousStatus = previous?.status ?? "open";
    if (bid.status === previousStatus) continue;
    invariant(previousStatus === "open", () => `bid ${bid.id}: a closed bid changed status`);
    if (bid.status === "accepted") {
      const by = notes.acceptedBy.get(bid.id) ?? "farmer";
      events.push({
        type: "accepted",
        bidId: bid.id,
        atMs: nowMs,
        detail: `by ${by}; lease ${leaseIdForBid(bid.id)}`,
        details: { by, leaseId: leaseIdForBid(bid.id) },
      });
    } else if (bid.status === "expired") {
      events.push({
        type: "expired",
        bidId: bid.id,
        atMs: bid.expiresAtMs,
        detail: "open time ran out",
        details: { expiresAtMs: bid.expiresAtMs },
      });
    } else if (bid.status === "rejected") {
      events.push({
        type: "rejected",
        bidId: bid.id,
        atMs: nowMs,
        detail: "rejected by the farmer",
        details: { by: "farmer" },
      });
    } else if (bid.status === "cancelled") {
      events.push({
        type: "cancelled",
        bidId: bid.id,
        atMs: nowMs,
        detail: "cancelled by the bidder",
        details: { by: "bidder" },
      });
    }
  }
}

/** The leases' events of a transition, appended to `events`. */
function leaseEvents(
  before: BidBook,
  after: BidBook,
  notes: Notes,
  nowMs: number,
  events: BidBookEvent[],
): void {
  invariant(after.leases.length >= before.leases.length, "diffEvents: a transition dropped leases");
  for (let index = 0; index < after.leases.length; index += 1) {
    const lease = after.leases[index]!;
    const previous = before.leases[index];
    invariant(
      previous === undefined || previous.id === lease.id,
      "diffEvents: a transition reordered leases",
    );
    if (previous === undefined) {
      events.push({
        type: "started",
        leaseId: lease.id,
        atMs: lease.startedAtMs,
        detail: describeLease(lease),
        details: leaseDetails(lease),
      });
    }
    for (const id of notes.settlementIds.get(lease.id) ?? []) {
      events.push({
        type: "settled",
        leaseId: lease.id,
        atMs: nowMs,
        detail: `settlement ${id} recorded`,
        details: { settlementId: id },
      });
    }
    const agentChange = agentEvent(previous, lease, notes, nowMs);
    if (agentChange) events.push(agentChange);
    const previousStatus = previous?.status ?? "running";
    const previousReason = previous?.pausedReason;
    if (lease.status === "ended") {
      if (previousStatus === "ended") continue;
      const cause = notes.endCauses.get(lease.id);
      events.push({
        type: cause === "reclaimed" ? "reclaimed" : "ended",
        leaseId: lease.id,
        atMs: lease.endsAtMs ?? nowMs,
        detail: describeEnd(cause),
        details: { cause: cause ?? "request" },
      });
    } else if (lease.status === "paused") {
      const reason = lease.pausedReason;
      const grace =
        lease.graceUntilMs === undefined ? "" : `; slices reclaimed at ${isoTime(lease.graceUntilMs)}`;
      const reclaimAtMs = lease.graceUntilMs ?? null;
      if (previousStatus === "running") {
        events.push({
          type: reason === "preempted" ? "preempted" : "paused",
          leaseId: lease.id,
          atMs: nowMs,
          detail:
            reason === "preempted"
              ? "slices given to a higher-priced claim"
              : `${describePause(reason)}${grace}`,
          details: { reason: reason ?? null, reclaimAtMs },
        });
      } else if (previousReason !== reason) {
        events.push({
          type: "paused",
          leaseId: lease.id,
          atMs: nowMs,
          detail: `still paused, now ${reason === "preempted" ? "waiting for capacity" : reason} (was ${previousReason})${grace}`,
          details: { reason: reason ?? null, previousReason: previousReason ?? null, reclaimAtMs },
        });
      }
    } else if (previousStatus === "paused") {
      events.push({
        type: "resumed",
        leaseId: lease.id,
        atMs: nowMs,
        detail:
          previousReason === "provisioning" || previousReason === "failed"
            ? `the node's agent reports it running: charged from now (after ${previousReason})`
            : `resumed after ${previousReason}`,
        details: { previousReason: previousReason ?? null },
      });
    }
  }
}

/** The events that turn `before` into `after`, in time order (causes before effects within one instant). */
export function diffEvents(before: BidBook, after: BidBook, notes: Notes, nowMs: number): BidBookEvent[] {
  const events: BidBookEvent[] = [];
  headerEvents(before, after, nowMs, events);
  bidEvents(before, after, notes, nowMs, events);
  leaseEvents(before, after, notes, nowMs, events);
  // A lease that starts paused (waiting for its agent) says so after it started.
  const rankOf = (event: BidBookEvent) =>
    event.type === "paused" &&
    event.leaseId !== undefined &&
    !before.leases.some((lease) => lease.id === event.leaseId)
      ? eventRank.started + 0.5
      : eventRank[event.type];
  return events
    .map((event, order) => ({ event, order, rank: rankOf(event) }))
    .sort((a, b) => a.event.atMs - b.event.atMs || a.rank - b.rank || a.order - b.order)
    .map(({ event }) => event);
}
