/**
 * The bid book's data model, bounds and invariants (ECONOMICS §12, §16, §17).
 *
 * One book per node serialises every claim on the node's `sliceCount` slices: on-demand and
 * bid-package reservations, interruptible bids and the interruptible leases they become.
 * Times are epoch milliseconds; prices are decimal strings in CC per slice-hour; amounts are
 * bigint CC minor units (scale 6).
 *
 * Capacity rule: a lease *holds* its slices while it is running; an on-demand or package lease
 * (never pre-empted) also holds them while paused, until it ends, so resuming it never fails.
 * An interruptible lease holds nothing while paused. The held slices never exceed `sliceCount`.
 */

import { dayMs } from "../../../kit/clock";
import { invariant } from "../../../kit/errors";
import { type ExactPrice, floorPriceText, parseExactPrice } from "./rate";

/** Most slices one node may be split into. */
export const sliceCountMax = 1_024;
/** Most lease records one book keeps, ended ones included until `compact` drops them. */
export const leasesPerBookMax = 2_048;
/** Most bid records one book keeps, closed ones included until `compact` drops them. */
export const bidsPerBookMax = 4_096;
/** Most open bids one book holds. */
export const openBidsPerBookMax = 1_000;
/** Most open bids one account holds in one book. */
export const openBidsPerAccountMax = 20;
/** Longest time a bid may stay open: 30 days. */
export const bidDurationMsMax = 30 * dayMs;
/** Longest fixed reservation: 5 × 366 days. Open-ended leases have no end. */
export const leaseDurationMsMax = 5 * 366 * dayMs;
/** Longest grace after a failed payment before the slices are reclaimed: 30 days. */
export const graceMsMax = 30 * dayMs;
/** Most unsettled pause intervals one lease remembers; the oldest two are merged (see draft.ts `pause`). */
export const pausesPerLeaseMax = 32;
/** Longest id (lease, bid, account, node), in characters. */
export const idCharsMax = 128;
/** Most decimals a price may carry. */
export const priceDecimalsMax = 12;
/** Highest price, in CC per slice-hour. */
export const priceCcPerSliceHourMax = 1_000_000;
/** Latest representable time: the ECMAScript `Date` maximum. */
export const timeMsMax = 8_640_000_000_000_000;

export type NodeState = "online" | "offline" | "maintenance";
export const nodeStates: readonly NodeState[] = ["online", "offline", "maintenance"];
export type LeaseKind = "onDemand" | "interruptible" | "package";
export type LeaseStatus = "running" | "paused" | "ended";
/**
 * Why a lease is paused. `preempted` also covers an interruptible lease that is waiting for
 * capacity after its funds came back; `node_offline` covers both `offline` and `maintenance`.
 * `provisioning` and `failed` pause a lease the node must run but whose agent has not reported it
 * running (charged from the agent's `running` only) or reported it failed (never charged while
 * failed): such a lease keeps its slices, whatever its kind (see `isAssigned`).
 */
export type PausedReason = "preempted" | "insufficient_funds" | "node_offline" | "provisioning" | "failed";
export const pausedReasons: readonly PausedReason[] = [
  "preempted",
  "insufficient_funds",
  "node_offline",
  "provisioning",
  "failed",
];

/**
 * What a node's agent last said about a lease it must run: starting it (`provisioning`), `running`
 * it, or that it `failed`. (`stopped` is a report, not a status: it ends the lease.)
 */
export type AgentStatus = "provisioning" | "running" | "failed";
export const agentStatuses: readonly AgentStatus[] = ["provisioning", "running", "failed"];
/** What an agent may report about a lease: a status, or `stopped` (the lease ends). */
export type AgentReport = AgentStatus | "stopped";
export const agentReports: readonly AgentReport[] = ["provisioning", "running", "failed", "stopped"];

/**
 * A lease on a node run by an agent (see `AgentSettings`): the agent's last word about it. A lease
 * starts `provisioning` when it is accepted and again whenever the node must start it anew (after
 * a pre-emption, the node being offline, a pause for funds).
 */
export type LeaseAgent = {
  readonly status: AgentStatus;
  /** When `status` began: the report, or the time the node was (re)handed the lease. */
  readonly sinceMs: number;
  /** Charged only while the agent reports `running` (true), or from acceptance (false). */
  readonly chargeFromRunning: boolean;
  /**
   * Present exactly while `provisioning` and assigned (`isAssigned`): the lease is cancelled (ends,
   * cause `provisioning_timeout`) at this time unless its agent reports it running first.
   */
  readonly deadlineMs?: number;
};

/**
 * A node whose leases go through its agent (it has a `node` key): every lease accepted from then
 * on starts `provisioning`; `chargeFrom` `running` charges it only from the agent's `running`
 * report, `acceptance` from acceptance as on a node without an agent. Either way a lease still
 * provisioning `provisioningTimeoutMs` after the node was handed it is cancelled, and a lease
 * reported `failed` is not charged while it is.
 */
export type AgentSettings = {
  readonly chargeFrom: "running" | "acceptance";
  readonly provisioningTimeoutMs: number;
};
/** Longest time a node's agent may take to start a lease: 7 days. */
export const provisioningTimeoutMsMax = 7 * dayMs;

/** Whether `settings` are usable agent settings (a known `chargeFrom`, a timeout of 1 ms to 7 days). */
export function isAgentSettings(settings: AgentSettings): boolean {
  return (
    (settings.chargeFrom === "running" || settings.chargeFrom === "acceptance") &&
    Number.isSafeInteger(settings.provisioningTimeoutMs) &&
    settings.provisioningTimeoutMs >= 1 &&
    settings.provisioningTimeoutMs <= provisioningTimeoutMsMax
  );
}
export type BidStatus = "open" | "accepted" | "rejected" | "expired" | "cancelled";

/** A time span during which a lease was paused; `untilMs` is null while it still is. */
export type PauseInterval = { readonly fromMs: number; readonly untilMs: number | null };

export type Lease = {
  /** `lse_…`; for a lease made from a bid, `leaseIdForBid(bidId)`. */
  readonly id: string;
  readonly accountId: string;
  readonly kind: LeaseKind;
  readonly slices: number;
  /**
   * Fixed for the lease's life: a later listed-price change applies to new leases only. Rounded
   * down to `priceDecimalsMax` decimals when the price is not a short decimal; the book orders
   * claims by it, settlement charges `exactPriceCcPerSliceHour`.
   */
  readonly priceCcPerSliceHour: string;
  /**
   * The exact price (rate.ts): `numerator/denominator` CC per slice-hour, e.g. `1.2/720` for a
   * package of 1.2 CC per slice-month; `priceCcPerSliceHour` is its 12-decimal floor. Absent when
   * `priceCcPerSliceHour` is itself exact (bids, fixed offers, hourly CC prices), and on leases
   * stored before exact prices, which keep being charged at their stored price.
   */
  readonly exactPriceCcPerSliceHour?: string;
  readonly startedAtMs: number;
  /** Planned end, or the actual end once `status` is `ended`; null while open-ended. */
  readonly endsAtMs: number | null;
  readonly status: LeaseStatus;
  /** Present exactly while `status` is `paused`. */
  readonly pausedReason?: PausedReason;
  /** End of the last recorded settlement period (starts at `startedAtMs`). */
  readonly settledThroughMs: number;
  /**
   * Running (unpaused) milliseconds of the recorded settlement periods: where the cumulative
   * charge stands (settlement.ts `chargeFor`). Absent until the first period is recorded, and on
   * leases stored before cumulative charging: then `settledThroughMs − startedAtMs`.
   */
  readonly settledRunningMs?: number;
  /** Present exactly while paused for `insufficient_funds`: the slices are reclaimed at this time. */
  readonly graceUntilMs?: number;
  /** Pauses not yet wholly settled, oldest first, disjoint; the last is open iff paused. */
  readonly pauses: readonly PauseInterval[];
  /** Present on leases of a node run by an agent (`BidBook.agent`), and only there. */
  readonly agent?: LeaseAgent;
};

export type Bid = {
  /** `bid_…` */
  readonly id: string;
  readonly accountId: string;
  readonly slices: number;
  readonly priceCcPerSliceHour: string;
  /** The bid is open during [placement, expiresAtMs). */
  readonly expiresAtMs: number;
  readonly status: BidStatus;
  /** Placement order within the book: ties between equal prices go to the lower number. */
  readonly createdSeq: number;
};

export type BidBook = {
  readonly nodeId: string;
  /** n: the node's slice count. */
  readonly sliceCount: number;
  readonly state: NodeState;
  /** Price of new on-demand reservations. */
  readonly listedPriceCcPerSliceHour: string;
  /** Lowest price a new bid may carry. */
  readonly minBidCcPerSliceHour: string;
  /** Bids at or above this price are accepted without the farmer; null: every bid waits for the farmer. */
  readonly autoAcceptAboveCcPerSliceHour: string | null;
  /** Present once the node has an agent (a `node` key): its leases go through it. */
  readonly agent?: AgentSettings;
  readonly leases: readonly Lease[];
  readonly bids: readonly Bid[];
};

export type BidBookEventType =
  | "started"
  | "preempted"
  | "paused"
  | "resumed"
  | "ended"
  | "reclaimed"
  | "settled"
  | "placed"
  | "accepted"
  | "rejected"
  | "expired"
  | "cancelled"
  | "state_changed"
  | "prices_changed"
  | "agent_status";

/**
 * An event's structured fields: flat, JSON-safe values. A time is epoch milliseconds in a field
 * named `…AtMs` (null when absent); the API shows it as an ISO 8601 string named `…At`.
 */
export type EventDetails = Readonly<Record<string, string | number | boolean | null>>;

/**
 * One line of the lease event log. Time-driven events carry the time they took effect. `detail`
 * is a sentence for people (times in it are ISO 8601); `details` has the same facts as fields.
 */
export type BidBookEvent = {
  readonly type: BidBookEventType;
  readonly leaseId?: string;
  readonly bidId?: string;
  readonly atMs: number;
  readonly detail: string;
  readonly details: EventDetails;
};

/** An epoch-millisecond time as ISO 8601, for event sentences. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** What every successful transition returns: the whole new book and what happened. */
export type Transition = { readonly book: BidBook; readonly events: readonly BidBookEvent[] };

const leaseIdPattern = /^lse_[A-Za-z0-9_.:-]+$/;
const bidIdPattern = /^bid_[A-Za-z0-9_.:-]+$/;
const plainIdPattern = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;
const pricePattern = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/;

export function isLeaseId(text: string): boolean {
  return text.length <= idCharsMax && leaseIdPattern.test(text);
}

export function isBidId(text: string): boolean {
  return text.length <= idCharsMax && bidIdPattern.test(text);
}

/** Account and node ids: the ledger's id alphabet, at most `idCharsMax` characters. */
export function isPlainId(text: string): boolean {
  return text.length <= idCharsMax && plainIdPattern.test(text);
}

/** The id of the interruptible lease an accepted bid becomes: `bid_x` → `lse_x`. */
export function leaseIdForBid(bidId: string): string {
  invariant(isBidId(bidId), "leaseIdForBid: not a bid id");
  return `lse_${bidId.slice(4)}`;
}

/** A time in epoch ms: a safe integer in [0, timeMsMax]. */
export function isTimeMs(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0 && value <= timeMsMax;
}

/**
 * A price as an exact integer count of 10^-12 CC per slice-hour, for ordering; undefined when
 * the text is not a plain non-negative decimal with at most `priceDecimalsMax` decimals and at
 * most `priceCcPerSliceHourMax`.
 */
export function priceKey(text: string): bigint | undefined {
  if (text.length > 32 || !pricePattern.test(text)) return undefined;
  const [whole = "0", fraction = ""] = text.split(".");
  if (fraction.length > priceDecimalsMax) return undefined;
  const key = BigInt(whole + fraction.padEnd(priceDecimalsMax, "0"));
  return key > BigInt(priceCcPerSliceHourMax) * 10n ** BigInt(priceDecimalsMax) ? undefined : key;
}

/** Most price texts `storedPriceKey` remembers; past it the memo starts afresh. */
const priceKeyMemoMax = 4_096;
const priceKeyMemo = new Map<string, bigint>();

/**
 * `priceKey` of a price already in the book (validated on the way in). Every transition orders
 * and checks the book's prices, and a book holds few distinct ones, so parsed keys are
 * remembered (a pure function's memo: the same text always gives the same key).
 */
export function storedPriceKey(text: string): bigint {
  const remembered = priceKeyMemo.get(text);
  if (remembered !== undefined) return remembered;
  const key = priceKey(text);
  invariant(key !== undefined, () => `bid book: stored price ${JSON.stringify(text)} is not a valid price`);
  if (priceKeyMemo.size >= priceKeyMemoMax) priceKeyMemo.clear();
  priceKeyMemo.set(text, key);
  return key;
}

const exactPriceMemo = new Map<string, ExactPrice>();

/**
 * The exact price (rate.ts) of a lease's `exactPriceCcPerSliceHour` or `priceCcPerSliceHour`
 * text, validated on the way in; remembered like `storedPriceKey` (settlement and every
 * transition's invariant check read it).
 */
export function storedExactPrice(text: string): ExactPrice {
  const remembered = exactPriceMemo.get(text);
  if (remembered !== undefined) return remembered;
  const price = parseExactPrice(text);
  invariant(
    price !== undefined,
    () => `bid book: stored price ${JSON.stringify(text)} is not an exact price`,
  );
  if (exactPriceMemo.size >= priceKeyMemoMax) exactPriceMemo.clear();
  exactPriceMemo.set(text, price);
  return price;
}

/**
 * Whether `exactText` is a valid exact price whose 12-decimal floor equals the price `priceText`
 * (compared as numbers: `0.0250` is `0.025`), so the book orders a lease by its exact price,
 * rounded down.
 */
export function exactPriceMatches(exactText: string, priceText: string): boolean {
  const price = parseExactPrice(exactText);
  const key = priceKey(priceText);
  return price !== undefined && key !== undefined && priceKey(floorPriceText(price)) === key;
}

/** The exact price a lease is charged at: `exactPriceCcPerSliceHour`, else its stored price. */
export function exactPriceOf(
  lease: Pick<Lease, "priceCcPerSliceHour" | "exactPriceCcPerSliceHour">,
): ExactPrice {
  return storedExactPrice(lease.exactPriceCcPerSliceHour ?? lease.priceCcPerSliceHour);
}

/**
 * Whether the node must run the lease now: it is running, or it waits only for its agent
 * (paused `provisioning` or `failed`: not charged, but the node's to run). An assigned lease holds
 * its slices, whatever its kind.
 */
export function isAssigned(lease: Pick<Lease, "status" | "pausedReason">): boolean {
  return (
    lease.status === "running" || lease.pausedReason === "provisioning" || lease.pausedReason === "failed"
  );
}

/**
 * The pause an agent's word puts on an assigned lease: `failed` while it reports failed,
 * `provisioning` while it has not reported it running and the lease is charged from running only;
 * undefined when the lease is charged (no agent, or reported running, or charged from acceptance).
 */
export function agentPause(lease: Pick<Lease, "agent">): "provisioning" | "failed" | undefined {
  const agent = lease.agent;
  if (agent === undefined) return undefined;
  if (agent.status === "failed") return "failed";
  if (agent.status === "provisioning" && agent.chargeFromRunning) return "provisioning";
  return undefined;
}

/** Slices held by a lease under the capacity rule above. */
export function heldBy(lease: Lease): number {
  if (isAssigned(lease)) return lease.slices;
  if (lease.status === "paused" && lease.kind !== "interruptible") return lease.slices;
  return 0;
}

/** Slices held by the book's leases (running, plus paused on-demand and package leases). */
export function heldSlices(book: Pick<BidBook, "leases">): number {
  return book.leases.reduce((sum, lease) => sum + heldBy(lease), 0);
}

/** Slices held by running leases: the quantity the book's invariant bounds by n. */
export function runningSlices(book: Pick<BidBook, "leases">): number {
  return book.leases.reduce((sum, lease) => sum + (lease.status === "running" ? lease.slices : 0), 0);
}

/** Slices nobody holds. */
export function freeSlices(book: Pick<BidBook, "leases" | "sliceCount">): number {
  return book.sliceCount - heldSlices(book);
}

/** The agent's part of a lease agrees with its status (see `LeaseAgent`, `agentPause`). */
function assertLeaseAgent(book: BidBook, lease: Lease): void {
  const agent = lease.agent;
  const reason = lease.pausedReason;
  if (agent === undefined) {
    invariant(reason !== "provisioning" && reason !== "failed", "lease: an agent's pause without an agent");
    return;
  }
  invariant(book.agent !== undefined, "lease: an agent's lease on a node without an agent");
  invariant(agentStatuses.includes(agent.status), "lease: unknown agent status");
  invariant(agent.sinceMs >= lease.startedAtMs, "lease: agent status before the lease's start");
  if (lease.status === "ended") return;
  const assigned = isAssigned(lease);
  if (assigned) {
    const expected = agentPause(lease);
    invariant(
      expected === undefined ? lease.status === "running" : reason === expected,
      () => `lease ${lease.id}: agent ${agent.status} but ${lease.status} ${reason ?? ""}`,
    );
  }
  invariant(
    (agent.deadlineMs !== undefined) === (assigned && agent.status === "provisioning"),
    "lease: a provisioning deadline exactly while assigned and provisioning",
  );
  invariant(
    agent.deadlineMs === undefined || agent.deadlineMs > agent.sinceMs,
    "lease: provisioning deadline at or before its start",
  );
}

/**
 * Asserts everything a book must satisfy after every transition; throws `InvariantError`.
 * The main one: running slices ≤ held slices ≤ n.
 */
export function assertBookInvariants(book: BidBook): void {
  const n = book.sliceCount;
  invariant(Number.isInteger(n) && n >= 1 && n <= sliceCountMax, "bid book: slice count out of range");
  invariant(nodeStates.includes(book.state), "bid book: unknown node state");
  invariant(runningSlices(book) <= n, "bid book: running leases hold more slices than the node has");
  invariant(heldSlices(book) <= n, "bid book: held slices exceed the node's slice count");
  invariant(book.leases.length <= leasesPerBookMax, "bid book: too many leases");
  invariant(book.bids.length <= bidsPerBookMax, "bid book: too many bids");
  storedPriceKey(book.listedPriceCcPerSliceHour);
  storedPriceKey(book.minBidCcPerSliceHour);
  if (book.autoAcceptAboveCcPerSliceHour !== null) storedPriceKey(book.autoAcceptAboveCcPerSliceHour);
  if (book.agent !== undefined) invariant(isAgentSettings(book.agent), "bid book: bad agent settings");

  const leaseIds = new Set<string>();
  for (const lease of book.leases) {
    invariant(!leaseIds.has(lease.id), () => `bid book: duplicate lease ${lease.id}`);
    leaseIds.add(lease.id);
    invariant(Number.isInteger(lease.slices) && lease.slices >= 1 && lease.slices <= n, "lease: slices");
    storedPriceKey(lease.priceCcPerSliceHour);
    if (lease.exactPriceCcPerSliceHour !== undefined) {
      // Parsed once per text (memo); the floor check runs where the lease is made (book.ts).
      storedExactPrice(lease.exactPriceCcPerSliceHour);
    }
    invariant(lease.settledThroughMs >= lease.startedAtMs, "lease: settled before its start");
    invariant(
      lease.settledRunningMs === undefined ||
        (Number.isSafeInteger(lease.settledRunningMs) &&
          lease.settledRunningMs >= 0 &&
          lease.settledRunningMs <= lease.settledThroughMs - lease.startedAtMs),
      "lease: settled running time outside the settled span",
    );
    invariant(lease.endsAtMs === null || lease.endsAtMs >= lease.startedAtMs, "lease: ends before start");
    invariant((lease.status === "paused") === (lease.pausedReason !== undefined), "lease: paused reason");
    invariant(
      (lease.pausedReason === "insufficient_funds") === (lease.graceUntilMs !== undefined),
      "lease: grace exactly while paused for funds",
    );
    invariant(
      lease.kind === "interruptible" || lease.pausedReason !== "preempted",
      "lease: only interruptible leases are pre-empted",
    );
    invariant(lease.status !== "ended" || lease.endsAtMs !== null, "lease: an ended lease has an end");
    invariant(
      book.state === "online" || lease.status !== "running",
      "lease: running on a node that is not online",
    );
    invariant(
      book.state !== "online" || lease.pausedReason !== "node_offline",
      "lease: paused for an online node",
    );
    invariant(book.state === "online" || !isAssigned(lease), "lease: assigned to a node that is not online");
    assertLeaseAgent(book, lease);
    invariant(lease.pauses.length <= pausesPerLeaseMax, "lease: too many pause intervals");
    let previousEndMs = lease.startedAtMs;
    lease.pauses.forEach((pause, index) => {
      const last = index === lease.pauses.length - 1;
      invariant(pause.fromMs >= previousEndMs, "lease: pause intervals overlap or precede the start");
      invariant(pause.untilMs !== null || last, "lease: only the last pause may be open");
      if (pause.untilMs !== null) {
        invariant(pause.untilMs > pause.fromMs, "lease: empty or reversed pause interval");
        previousEndMs = pause.untilMs;
      }
    });
    const lastPause = lease.pauses[lease.pauses.length - 1];
    invariant(
      (lease.status === "paused") === (lastPause !== undefined && lastPause.untilMs === null),
      "lease: an open pause interval exactly while paused",
    );
  }

  const bidStatuses = new Map<string, BidStatus>();
  const openPerAccount = new Map<string, number>();
  let open = 0;
  for (const bid of book.bids) {
    invariant(!bidStatuses.has(bid.id), () => `bid book: duplicate bid ${bid.id}`);
    bidStatuses.set(bid.id, bid.status);
    invariant(Number.isInteger(bid.slices) && bid.slices >= 1 && bid.slices <= n, "bid: slices");
    storedPriceKey(bid.priceCcPerSliceHour);
    if (bid.status === "open") {
      open += 1;
      openPerAccount.set(bid.accountId, (openPerAccount.get(bid.accountId) ?? 0) + 1);
    }
  }
  // No open bid's future lease id (`leaseIdForBid`) is taken, checked from the leases' side.
  for (const id of leaseIds) {
    invariant(
      bidStatuses.get(`bid_${id.slice(4)}`) !== "open",
      "bid: an open bid's lease id is already taken",
    );
  }
  invariant(open <= openBidsPerBookMax, "bid book: too many open bids");
  for (const count of openPerAccount.values()) {
    invariant(count <= openBidsPerAccountMax, "bid book: too many open bids for one account");
  }
}
