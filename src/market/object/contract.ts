/**
 * The bid book's RPC contract: the zod schemas every NodeBidBook method parses its argument with,
 * and the views it returns. Kept apart from the Durable Object class so routes, tools and tests
 * can use the types without the Workers runtime.
 */
import { z } from "zod";
import { accountIdSchema, bidIdSchema, leaseIdSchema, nodeIdSchema } from "../../kit/ids";
import type { BidStatus, EventDetails, NodeState } from "../core/bidbook/model";
import { bidDurationMsMax, leaseDurationMsMax, nodeStates, priceKey } from "../core/bidbook/model";
import { exactPriceCharsMax, parseExactPrice } from "../core/bidbook/rate";
import { leaseSources } from "../core/views";

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
