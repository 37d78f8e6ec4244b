/**
 * `POST /v1/capacity-requests/{id}/accept`: the requester takes one offer. The slices are reserved
 * on the offer's node at the offer's price for the request's duration and the CC for the prepaid
 * window is held: the acceptance becomes a lease. A refusal (the node can no longer give the slices,
 * the requester is short of CC, the request closed meanwhile) changes nothing. The requester or an
 * admin; Idempotency-Key required. Two round trips: the reads (with the key's record), then the hold
 * with the acceptance and the record.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { ApiError, orThrow } from "../../kit/http/errors";
import { firstReads, idempotentBatched, recordedByEffect, recordFor } from "../../kit/http/idempotency";
import { requireRoles } from "../../kit/http/middleware";
import {
  idempotencyHeaderSchema,
  jsonBody,
  jsonResponse,
  noQuerySchema,
  problemResponses,
} from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import {
  acceptOffer,
  offerFrom,
  offerStatement,
  requestFrom,
  requestStatement,
} from "../../market/flows/capacity-requests";
import { getLeaseRow } from "../../market/store/leases";
import { leaseJson, leaseSchema } from "../leases/schemas";
import { requestParamsSchema, visibleRequest } from "./get";

const bodySchema = z
  .strictObject({
    offerId: z
      .string()
      .regex(/^cof_[A-Za-z0-9]{1,60}$/, "must look like cof_…")
      .openapi({ example: "cof_3XkPq0fJ2m9Zb7Lr1sYtWc" }),
  })
  .openapi("CapacityAcceptance");

const route = createRoute({
  method: "post",
  path: "/v1/capacity-requests/{id}/accept",
  operationId: "acceptCapacityOffer",
  tags: ["marketplace"],
  summary: "Accept an offer: it becomes a lease (the requester or an admin)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("user", "admin"), idempotentBatched] as const,
  request: {
    query: noQuerySchema,
    params: requestParamsSchema,
    headers: idempotencyHeaderSchema,
    body: jsonBody(bodySchema),
  },
  responses: {
    201: jsonResponse(leaseSchema, "The lease"),
    ...problemResponses(401, 403, 404, 409, 413, 415, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const db = c.get("db");
    const principal = c.get("principal");
    const requestId = c.req.valid("param").id;
    const offerId = c.req.valid("json").offerId;
    // The Idempotency-Key's record, the request and the offer: one round trip.
    const [requestRead, offerRead] = await firstReads(c, [
      requestStatement(requestId),
      offerStatement(offerId),
    ]);
    const request = visibleRequest(requestFrom(requestRead), principal, requestId);
    if (principal.role !== "admin" && request.ownerId !== principal.ownerId) {
      throw new ApiError("FORBIDDEN", "Only the requester accepts an offer");
    }
    const offer = offerFrom(offerRead);
    if (!offer || offer.requestId !== request.id) {
      throw new ApiError("NOT_FOUND", `No offer ${offerId} on this request`, [
        { field: "offerId", detail: "not found" },
      ]);
    }
    // The acceptance and the key's record are written with the lease's hold: one more round trip.
    const lease = orThrow(await acceptOffer(c.env, db, request, offer, { record: recordFor(c, 201) }));
    if (lease.recorded) recordedByEffect(c);
    // A new lease has been charged nothing; a lease accepted before may have been.
    const charged =
      lease.settledThroughMs > lease.startedAtMs
        ? ((await getLeaseRow(db, lease.id))?.chargedMinor ?? 0n)
        : 0n;
    return c.json(leaseJson(lease, charged), 201);
  });
}
