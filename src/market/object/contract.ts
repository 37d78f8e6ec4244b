/**
 * The bid book's RPC contract: the zod schemas every NodeBidBook method parses its argument with,
 * and the views it returns. Kept apart from the Durable Object class so routes, tools and tests
 * can use the types without the Workers runtime.
 */
import { z } from "zod";
import { recordedResponseSchema } from "../../kit/db/idempotency";
import { sliceFigures } from "../../kit/http/figures";
import { accountIdSchema, bidIdSchema, leaseIdSchema, nodeIdSchema } from "../../kit/ids";
import { Dec, formatAmount } from "../../ledger/core/money";
import { holdStateSchema } from "../../ledger/core/transfers";
import type {
  AgentReport,
  AgentStatus,
  BidStatus,
  EventDetails,
  LeaseKind,
  NodeState,
  PausedReason,
} from "../core/bidbook/model";
import {
  agentReports,
  bidDurationMsMax,
  leaseDurationMsMax,
  leasesPerBookMax,
  nodeStates,
  priceKey,
} from "../core/bidbook/model";
import { exactPriceCharsMax, parseExactPrice } from "../core/bidbook/rate";
import type { SliceResources } from "../core/slices";
import { type LeaseView, leaseSources } from "../core/views";
import { reservationClaimSchema } from "../store/claims";
import { type LeaseEndFacts, leaseEndRowsMax } from "../store/settlement";

export { accountIdSchema, bidIdSchema, leaseIdSchema, nodeIdSchema };
export const ownerIdSchema = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/);
/** A CC price per slice-hour the bid book accepts: > 0, at most 12 decimals, at most 1,000,000. */
export const ccPriceSchema = z
  .string()
  .max(32)
  .refine((text) => {
    const key = priceKey(text);
    return key !== undefined && key > 0n;
  }, "must be a CC price per slice-hour above 0 with at most 12 decimals, at most 1000000");
const decimalText = z.string().regex(/^(0|[1-9][0-9]*)(\.[0-9]+)?$/);
/** An exact CC price per slice-hour (src/market/core/bidbook/rate.ts): a decimal or a fraction such as `1.2/720`. */
export const exactPriceSchema = z
  .string()
  .max(exactPriceCharsMax)
  .refine(
    (text) => parseExactPrice(text) !== undefined,
    "must be a decimal or a fraction of two, such as 1.2/720",
  );

export {
  type BookAuditRecord,
  type BookAuditView,
  type LeaseSource,
  type LeaseView,
  leaseSources,
} from "../core/views";

export const openSchema = z.strictObject({ nodeId: nodeIdSchema });

const decimalString = z.string().regex(/^(0|[1-9][0-9]*)(\.[0-9]+)?$/);

/** A slice's resource as the market computed it (a decimal.js string, full precision). */
const sliceFigureSchema = z.string().min(1).max(100);

/**
 * A node as its registration wrote its libSQL row, for `open` to open the book from without
 * reading that row back (see src/market/object/open.ts).
 */
export const registeredNodeSchema = z.strictObject({
  farmerId: ownerIdSchema,
  payoutAccountId: accountIdSchema,
  sliceCount: z.number().int().min(1).max(1024),
  state: z.enum(nodeStates as [NodeState, ...NodeState[]]),
  pricePerSliceMonth: decimalString,
  pricePerSliceHour: decimalString,
  band: z.strictObject({
    currency: z.enum(["CC", "USD"]),
    profile: z.enum(["memory", "fixed"]),
    minPerSliceMonth: decimalString,
    maxPerSliceMonth: decimalString,
    minPerSliceHour: decimalString,
    maxPerSliceHour: decimalString,
  }),
  minBidCcPerSliceHour: decimalString,
  autoAcceptAboveCcPerSliceHour: decimalString.nullable(),
  /** One slice's resources, told to the node's agent with each assignment. */
  slice: z
    .strictObject({
      sliceCount: z.number().int().min(1).max(1024),
      cores: sliceFigureSchema,
      passmark: sliceFigureSchema,
      memGb: sliceFigureSchema,
      ssdGb: sliceFigureSchema,
      aiGb: sliceFigureSchema,
      tps: sliceFigureSchema,
    })
    .optional(),
});
export type RegisteredNode = z.infer<typeof registeredNodeSchema>;

/** Arguments of `open`: the node, and for a node registered just now, its row and the peg then. */
export const openBookSchema = openSchema.extend({
  registered: z.strictObject({ node: registeredNodeSchema, ccUsd: decimalText.nullable() }).optional(),
});

/** Longest deployment document kept with a lease, serialized as JSON: 16 KiB. */
export const deploymentBytesMax = 16 * 1024;

/** Bytes of a text in UTF-8. */
export function utf8Bytes(text: string): number {
  return new TextEncoder().encode(text).length;
}

/** A deployment document as JSON text: valid JSON, at most `deploymentBytesMax` bytes. */
export const deploymentTextSchema = z
  .string()
  .refine((text) => utf8Bytes(text) <= deploymentBytesMax, `must be at most ${deploymentBytesMax} bytes`)
  .refine((text) => {
    try {
      JSON.parse(text);
      return true;
    } catch {
      return false;
    }
  }, "must be JSON");

export const reserveSchema = z.strictObject({
  nodeId: nodeIdSchema,
  leaseId: leaseIdSchema,
  ownerId: ownerIdSchema,
  payerAccountId: accountIdSchema,
  kind: z.enum(["onDemand", "package"]),
  slices: z.number().int().min(1).max(1024),
  durationMs: z.number().int().min(1).max(leaseDurationMsMax).nullable(),
  /**
   * `listed`: the node's listed price at `ccUsd` (see src/market/core/quote.ts); `fixed`: this CC
   * price, charged at `exactPriceCcPerSliceHour` when given (its 12-decimal floor must be the price).
   */
  pricing: z.discriminatedUnion("type", [
    z.strictObject({ type: z.literal("listed"), ccUsd: decimalText.nullable() }),
    z.strictObject({
      type: z.literal("fixed"),
      priceCcPerSliceHour: ccPriceSchema,
      exactPriceCcPerSliceHour: exactPriceSchema.optional(),
    }),
  ]),
  source: z.enum(leaseSources),
  sourceId: z.string().max(128).nullable(),
  /**
   * The deployment document the payer attached (JSON text, at most `deploymentBytesMax` bytes),
   * stored with the lease and handed to the node's agent with its assignment.
   */
  deployment: deploymentTextSchema.optional(),
  /**
   * What the reservation claims beside the lease (src/market/store/claims.ts), written with its
   * hold: a claim the database refuses refuses the reservation, and nothing is written.
   */
  claim: reservationClaimSchema.optional(),
  /**
   * The Idempotency-Key's record, stored with the lease's hold (the body: `leaseJson` of the new
   * lease, inside the claim's response when there is a claim).
   */
  record: recordedResponseSchema.optional(),
});
export type ReserveInput = z.infer<typeof reserveSchema>;

export const placeBidSchema = z.strictObject({
  nodeId: nodeIdSchema,
  bidId: bidIdSchema,
  ownerId: ownerIdSchema,
  payerAccountId: accountIdSchema,
  slices: z.number().int().min(1).max(1024),
  priceCcPerSliceHour: ccPriceSchema,
  /** How long the bid stays open, from when the book takes it (the book's clock decides). */
  openMs: z.number().int().min(1).max(bidDurationMsMax),
  /** The Idempotency-Key's record, stored with the bid's hold (the body: `bidJson` of the placed bid). */
  record: recordedResponseSchema.optional(),
});
export type PlaceBidInput = z.infer<typeof placeBidSchema>;

export const bidActionSchema = z.strictObject({
  nodeId: nodeIdSchema,
  bidId: bidIdSchema,
  action: z.enum(["accept", "reject", "cancel"]),
  /** For `cancel`: the bidder; the book refuses a cancel by anyone else unless `asAdmin`. */
  ownerId: ownerIdSchema,
  asAdmin: z.boolean(),
  /**
   * For `accept` and `reject`: the deciding farmer, refused FORBIDDEN unless the node is theirs
   * (so the route reads no node row); null for an admin.
   */
  asFarmer: ownerIdSchema.nullable().optional(),
});
export type BidActionInput = z.infer<typeof bidActionSchema>;

/** Most bids one `getBids` call asks for (the bids listing's bound, `ownerBidHoldsPageSizeMax`). */
export const bidsPerLookupMax = 200;

/** Arguments of `getBids`: some bids of one node, by id. */
export const bidsLookupSchema = z.strictObject({
  nodeId: nodeIdSchema,
  bidIds: z.array(bidIdSchema).max(bidsPerLookupMax),
});

export const leaseRefSchema = z.strictObject({ nodeId: nodeIdSchema, leaseId: leaseIdSchema });
export type LeaseRef = z.infer<typeof leaseRefSchema>;

const minorUnits = z.bigint().min(0n);

/** What the ending request read for the book to settle and release the lease in one write. */
const leaseEndFactsSchema = z.strictObject({
  holds: z.array(holdStateSchema).max(leaseEndRowsMax + 1),
  written: z
    .array(
      z.strictObject({
        id: z.string().min(1).max(256),
        owedMinor: minorUnits,
        chargeMinor: minorUnits,
        unpaidMinor: minorUnits,
        farmerMinor: minorUnits,
        burnMinor: minorUnits,
        threefoldMinor: minorUnits,
        burnTftMinor: minorUnits,
        burnedTftMinor: minorUnits,
      }),
    )
    .max(leaseEndRowsMax),
  prices: z.strictObject({ ccUsd: decimalText, tftUsd: decimalText }).nullable(),
  vaultAvailableMinor: z.bigint(),
}) satisfies z.ZodType<LeaseEndFacts>;

export const endLeaseSchema = leaseRefSchema.extend({ facts: leaseEndFactsSchema.optional() });

/** An ended lease, and what its last periods charged when they were settled at once (else null). */
export type EndedLease = LeaseView & { chargedMinor: bigint | null };

export const leaseEventsSchema = z.strictObject({
  nodeId: nodeIdSchema,
  leaseId: leaseIdSchema,
  afterSeq: z.number().int().min(0),
  limit: z.number().int().min(1).max(200),
});
export type LeaseEventsInput = z.infer<typeof leaseEventsSchema>;

export const setStateSchema = z.strictObject({
  nodeId: nodeIdSchema,
  state: z.enum(nodeStates as [NodeState, ...NodeState[]]),
});

export const setPricesSchema = z.strictObject({
  nodeId: nodeIdSchema,
  pricePerSliceMonth: decimalText,
  pricePerSliceHour: decimalText,
  band: z.strictObject({
    currency: z.enum(["USD", "CC"]),
    profile: z.enum(["memory", "fixed"]),
    minPerSliceMonth: decimalText,
    maxPerSliceMonth: decimalText,
    minPerSliceHour: decimalText,
    maxPerSliceHour: decimalText,
  }),
  minBidCcPerSliceHour: z.string().refine((text) => priceKey(text) !== undefined, "must be a CC price"),
  autoAcceptAboveCcPerSliceHour: z
    .string()
    .refine((text) => priceKey(text) !== undefined, "must be a CC price")
    .nullable(),
  /** USD per CC now, to refresh the book's indicative listed CC price; null keeps it. */
  ccUsd: decimalText.nullable(),
});
export type SetPricesInput = z.infer<typeof setPricesSchema>;

export type BidView = {
  id: string;
  nodeId: string;
  ownerId: string;
  payerAccountId: string;
  slices: number;
  priceCcPerSliceHour: string;
  expiresAtMs: number;
  status: BidStatus;
  holdIds: string[];
  /** The interruptible lease an accepted bid became. */
  leaseId: string | null;
};

/** A reserved lease, and whether its Idempotency-Key record was stored with its hold. */
export type ReservedLease = LeaseView & { recorded?: true };

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A lease as the API answers it, with the CC charged so far (the routes' and the stored Idempotency-Key response). */
export function leaseJson(view: LeaseView, chargedMinor: bigint) {
  return {
    id: view.id,
    nodeId: view.nodeId,
    ownerId: view.ownerId,
    payerAccountId: view.payerAccountId,
    kind: view.kind,
    source: view.source,
    sourceId: view.sourceId,
    slices: view.slices,
    priceCcPerSliceHour: view.priceCcPerSliceHour,
    quoted:
      view.quotedPrice === null || view.quotedCurrency === null
        ? null
        : { price: view.quotedPrice, currency: view.quotedCurrency, ccUsd: view.quotedCcUsd },
    startedAt: new Date(view.startedAtMs).toISOString(),
    endsAt: iso(view.endsAtMs),
    status: view.status,
    pausedReason: view.pausedReason,
    graceUntil: iso(view.graceUntilMs),
    settledThrough: new Date(view.settledThroughMs).toISOString(),
    charged: formatAmount("CC", chargedMinor),
    holdIds: view.holdIds,
  };
}

/** A placed bid, and whether its Idempotency-Key record was stored with its hold. */
export type PlacedBid = BidView & { recorded?: true };

/** A bid as the API answers it (the routes' and the stored Idempotency-Key response). */
export function bidJson(view: BidView) {
  return {
    id: view.id,
    nodeId: view.nodeId,
    ownerId: view.ownerId,
    payerAccountId: view.payerAccountId,
    slices: view.slices,
    priceCcPerSliceHour: view.priceCcPerSliceHour,
    expiresAt: new Date(view.expiresAtMs).toISOString(),
    status: view.status,
    holdIds: view.holdIds,
    leaseId: view.leaseId,
  };
}

export type BookView = {
  nodeId: string;
  state: NodeState;
  sliceCount: number;
  freeSlices: number;
  runningSlices: number;
  /** Indicative: what the listed hourly price was in CC at the last peg the book saw. */
  listedPriceCcPerSliceHour: string;
  minBidCcPerSliceHour: string;
  autoAcceptAboveCcPerSliceHour: string | null;
  leases: number;
  openBids: number;
};

export type EventView = {
  seq: number;
  type: string;
  leaseId: string | null;
  bidId: string | null;
  atMs: number;
  detail: string;
  /** Structured fields of the event; times in `…AtMs` fields (see `EventDetails`). */
  details: EventDetails;
};

export type SettleSummary = {
  nodeId: string;
  periodsSettled: number;
  leasesFailed: number;
  nextWakeMs: number | null;
};

/** Most assignments one page holds. */
export const assignmentsPageMax = 200;
/** A page stops growing once its deployment documents reach this many bytes (at least one assignment goes out). */
export const assignmentsPageBytesMax = 256 * 1024;

/**
 * Who calls on behalf of a node's agent, when it is a farmer's key: the book refuses (FORBIDDEN) a
 * farmer who is not the node's. Null for the node's own key (checked by the Worker) or an admin.
 */
const asFarmerSchema = ownerIdSchema.nullable();

/** Arguments of `assignments`: the changes after cursor `after` (null: everything, from scratch). */
export const assignmentsSchema = z.strictObject({
  nodeId: nodeIdSchema,
  asFarmer: asFarmerSchema,
  after: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable(),
  limit: z.number().int().min(1).max(assignmentsPageMax),
});
export type AssignmentsInput = z.infer<typeof assignmentsSchema>;

/** One report of the node's agent about a lease. */
export const leaseReportSchema = z.strictObject({
  leaseId: leaseIdSchema,
  status: z.enum(agentReports as [AgentReport, ...AgentReport[]]),
});
export type LeaseReport = z.infer<typeof leaseReportSchema>;

/** Arguments of `reportLeases`: the agent's reports (a heartbeat carries its whole view). */
export const reportLeasesSchema = z.strictObject({
  nodeId: nodeIdSchema,
  asFarmer: asFarmerSchema,
  /** Refuse at the first report the book cannot apply (one report), or skip those (a heartbeat's view). */
  strict: z.boolean(),
  reports: z.array(leaseReportSchema).max(leasesPerBookMax),
  /** With one `stopped` report: what its end needs, read by the caller (see `endLeaseSchema`). */
  facts: leaseEndFactsSchema.optional(),
});

/** The agent's word on an assigned lease, as the book keeps it. */
export type AssignmentAgentView = {
  status: AgentStatus;
  sinceMs: number;
  chargeFromRunning: boolean;
  /** While provisioning: the lease is cancelled at this time unless reported running first. */
  deadlineMs: number | null;
};

/** A lease the node holds, as its agent is told it. */
export type AssignmentView = {
  leaseId: string;
  /** The number of the lease's last change (cursors count these). */
  seq: number;
  kind: LeaseKind;
  slices: number;
  sliceIndices: number[];
  status: "running" | "paused";
  pausedReason: PausedReason | null;
  /** Null for a lease accepted before the node had an agent. */
  agent: AssignmentAgentView | null;
  startedAtMs: number;
  endsAtMs: number | null;
  /** The deployment document as stored JSON text, or null. */
  deployment: string | null;
};

/** A page of a node's assignment changes (NodeBidBook `assignments`). */
export type AssignmentsPage = {
  nodeId: string;
  /** One slice's resources (null until the book knows them). */
  slice: SliceResources | null;
  /** Pass back as `after` for what changes next. */
  cursor: number;
  /** This page starts from scratch: the node runs only the leases of this page and the pages after it. */
  reset: boolean;
  /** More changes wait after `cursor`: ask again at once. */
  more: boolean;
  assignments: AssignmentView[];
  removed: { leaseId: string; seq: number; endedAtMs: number }[];
  acknowledged: { cursor: number; atMs: number } | null;
};

/** What `reportLeases` did: each lease's status after the reports, in the order reported. */
export type ReportedLeases = {
  nodeId: string;
  leases: {
    leaseId: string;
    status: LeaseView["status"];
    pausedReason: PausedReason | null;
    agentStatus: AgentStatus | null;
  }[];
};

/** What `slices` slices add up to, each figure rounded down as a slice's are (`sliceFigures`). */
function leaseResources(slice: SliceResources, slices: number) {
  const times = (figure: string) => new Dec(figure).mul(slices).toFixed();
  return sliceFigures({
    cores: times(slice.cores),
    passmark: times(slice.passmark),
    memGb: times(slice.memGb),
    ssdGb: times(slice.ssdGb),
    aiGb: times(slice.aiGb),
    tps: times(slice.tps),
  });
}

/** An assignment as the API and the live feed show it (`run`: whether the node must run it now). */
export function assignmentJson(view: AssignmentView, slice: SliceResources | null) {
  return {
    leaseId: view.leaseId,
    seq: view.seq,
    kind: view.kind,
    slices: view.slices,
    sliceIndices: view.sliceIndices,
    resources: slice === null ? null : leaseResources(slice, view.slices),
    run: view.status === "running" || view.pausedReason === "provisioning" || view.pausedReason === "failed",
    status: view.status,
    pausedReason: view.pausedReason,
    agentStatus: view.agent?.status ?? null,
    agentStatusSince: iso(view.agent?.sinceMs ?? null),
    provisionBy: iso(view.agent?.deadlineMs ?? null),
    chargedFrom: view.agent?.chargeFromRunning ? ("running" as const) : ("acceptance" as const),
    startedAt: new Date(view.startedAtMs).toISOString(),
    endsAt: iso(view.endsAtMs),
    deployment: view.deployment === null ? null : (JSON.parse(view.deployment) as unknown),
  };
}

/** A page of assignment changes as the API and the live feed show it. */
export function assignmentsPageJson(page: AssignmentsPage) {
  return {
    nodeId: page.nodeId,
    cursor: String(page.cursor),
    reset: page.reset,
    more: page.more,
    assignments: page.assignments.map((view) => assignmentJson(view, page.slice)),
    removed: page.removed.map((removal) => ({
      leaseId: removal.leaseId,
      seq: removal.seq,
      endedAt: new Date(removal.endedAtMs).toISOString(),
    })),
    acknowledged:
      page.acknowledged === null
        ? null
        : { cursor: String(page.acknowledged.cursor), at: new Date(page.acknowledged.atMs).toISOString() },
  };
}
