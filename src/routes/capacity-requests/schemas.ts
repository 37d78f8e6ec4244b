/** Capacity request and offer shapes as the API shows them. */
import { z } from "@hono/zod-openapi";
import { formatAmount } from "../../ledger/core/money";
import type { SliceRequirements } from "../../market/core/requirements";
import type { CapacityOffer, CapacityRequest } from "../../market/flows/capacity-requests";

const minimumSchema = z
  .string()
  .max(20)
  .regex(/^(0|[1-9][0-9]{0,11})(\.[0-9]{1,6})?$/, "must be a decimal with at most 6 decimals")
  .optional();

/** What each slice must offer (§16); every minimum is inclusive. */
export const requirementsSchema = z
  .strictObject({
    minCores: minimumSchema.openapi({ example: "2" }),
    minPassmark: minimumSchema.openapi({ example: "2000" }),
    minMemGb: minimumSchema.openapi({ example: "4" }),
    minSsdGb: minimumSchema,
    minAiGb: minimumSchema,
    minTps: minimumSchema,
    gpuRequired: z.boolean().optional(),
    certifiedRequired: z.boolean().optional(),
    region: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,64}$/)
      .optional(),
  })
  .openapi("SliceRequirements");

export const requestIdParamSchema = z
  .string()
  .regex(/^crq_[A-Za-z0-9]{1,60}$/, "must look like crq_…")
  .openapi({ param: { name: "id", in: "path" } });

export const offerSchema = z
  .object({
    id: z.string(),
    requestId: z.string(),
    nodeId: z.string(),
    farmerId: z.string(),
    priceCcPerSliceHour: z.string(),
    status: z.enum(["open", "accepted", "failed", "lost"]),
    detail: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi("CapacityOffer");

export const requestSchema = z
  .object({
    id: z.string(),
    ownerId: z.string(),
    accountId: z.string(),
    slices: z.number().int(),
    requirements: requirementsSchema,
    durationHours: z.number().int(),
    maxPriceCcPerSliceHour: z.string(),
    budget: z.string().openapi({ description: "Most CC the whole lease may cost." }),
    deadline: z.string(),
    acceptCheapestAtDeadline: z.boolean(),
    status: z.enum(["open", "accepting", "accepted", "expired", "cancelled"]),
    leaseId: z.string().nullable(),
    offers: z
      .array(offerSchema)
      .openapi({ description: "All offers for the requester and admins; a farmer sees its own." }),
    createdAt: z.string(),
  })
  .openapi("CapacityRequest");

export function offerJson(offer: CapacityOffer): z.infer<typeof offerSchema> {
  return {
    id: offer.id,
    requestId: offer.requestId,
    nodeId: offer.nodeId,
    farmerId: offer.farmerId,
    priceCcPerSliceHour: offer.priceCcPerSliceHour,
    status: offer.status,
    detail: offer.detail,
    createdAt: new Date(offer.createdAtMs).toISOString(),
  };
}

export function requestJson(
  request: CapacityRequest,
  offers: readonly CapacityOffer[],
): z.infer<typeof requestSchema> {
  return {
    id: request.id,
    ownerId: request.ownerId,
    accountId: request.accountId,
    slices: request.slices,
    requirements: request.requirements,
    durationHours: request.durationHours,
    maxPriceCcPerSliceHour: request.maxPriceCcPerSliceHour,
    budget: formatAmount("CC", request.budgetMinor),
    deadline: new Date(request.deadlineAtMs).toISOString(),
    acceptCheapestAtDeadline: request.acceptCheapestAtDeadline,
    status: request.status,
    leaseId: request.leaseId,
    offers: offers.map(offerJson),
    createdAt: new Date(request.createdAtMs).toISOString(),
  };
}

/** Requirements as the domain takes them: absent keys left out (not `undefined`). */
export function requirementsOf(input: z.infer<typeof requirementsSchema>): SliceRequirements {
  return Object.fromEntries(
    Object.entries(input).filter(([, value]) => value !== undefined),
  ) as SliceRequirements;
}
