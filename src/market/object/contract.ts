/**
 * The bid book's RPC contract: the zod schemas every NodeBidBook method parses its argument with,
 * and the views it returns. Kept apart from the Durable Object class so routes, tools and tests
 * can use the types without the Workers runtime.
 */
import { z } from "zod";
import { recordedResponseSchema } from "../../kit/db/idempotency";
import { accountIdSchema, bidIdSchema, leaseIdSchema, nodeIdSchema } from "../../kit/ids";
import { formatAmount } from "../../ledger/core/money";
import type { BidStatus, EventDetails, NodeState } from "../core/bidbook/model";
import { bidDurationMsMax, leaseDurationMsMax, nodeStates, priceKey } from "../core/bidbook/model";
import { exactPriceCharsMax, parseExactPrice } from "../core/bidbook/rate";
import { type LeaseView, leaseSources } from "../core/views";

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
});
export type RegisteredNode = z.infer<typeof registeredNodeSchema>;

/** Arguments of `open`: the node, and for a node registered just now, its row and the peg then. */
export const openBookSchema = openSchema.extend({
  registered: z.strictObject({ node: registeredNodeSchema, ccUsd: decimalText.nullable() }).optional(),
});

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
  /** The Idempotency-Key's record, stored with the lease's hold (the body: `leaseJson` of the new lease). */
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
