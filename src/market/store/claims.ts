/**
 * What a reservation claims beside its lease, written in the lease's hold batch (NodeBidBook
 * `reserve`): a farmer's commitment to a ThreeFold bid package, or a requester's acceptance of a
 * capacity offer. The database checks that the claim still holds as it writes it (the triggers of
 * migrations/0011_claim_guards.sql: the package's room, the request's status), and a claim that no
 * longer holds aborts the whole batch. So the hold, the claim, its event and the Idempotency-Key's
 * record are written together in one round trip, or nothing is: no claim is taken before the book
 * reserves and given back after it refuses.
 */
import type { InStatement } from "@libsql/client";
import { z } from "zod";
import { eventStatements } from "../../kit/db/events";
import { type Failure, fail } from "../../kit/result";

const idText = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/);

export const reservationClaimSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("packageCommitment"),
    commitmentId: idText,
    packageId: idText,
    farmerId: idText,
  }),
  z.strictObject({
    type: z.literal("capacityAcceptance"),
    requestId: idText,
    offerId: idText,
    farmerId: idText,
  }),
]);
export type ReservationClaim = z.infer<typeof reservationClaimSchema>;

/** The lease a claim is made for. */
export type ClaimedLease = {
  leaseId: string;
  nodeId: string;
  slices: number;
  priceCcPerSliceHour: string;
};

/**
 * The statements that write `claim` for `lease` at `nowMs`, to go in the lease's hold batch.
 * `completing`: the lease already stands (an earlier version reserved it and stopped before it
 * recorded the acceptance); the request is then moved only while it is still `accepting`.
 */
export function claimStatements(
  claim: ReservationClaim,
  lease: ClaimedLease,
  nowMs: number,
  completing = false,
): InStatement[] {
  if (claim.type === "packageCommitment") {
    // A plain insert: a package without room refuses it (LIMIT_REACHED), a used id too (CONFLICT).
    return [
      {
        sql: `INSERT INTO package_commitments (id, package_id, node_id, farmer_id, slices, lease_id, status, created_at, updated_at)
              VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?)`,
        args: [
          claim.commitmentId,
          claim.packageId,
          lease.nodeId,
          claim.farmerId,
          lease.slices,
          lease.leaseId,
          nowMs,
          nowMs,
        ],
      },
    ];
  }
  return [
    // A request no longer open (accepted, expired, cancelled) refuses it (CONFLICT).
    {
      sql: `UPDATE capacity_requests SET status = 'accepted', accepting_offer_id = ?, lease_id = ?, updated_at = ?
            WHERE id = ?${completing ? " AND status = 'accepting' AND accepting_offer_id = ?" : ""}`,
      args: [claim.offerId, lease.leaseId, nowMs, claim.requestId, ...(completing ? [claim.offerId] : [])],
    },
    { sql: "UPDATE capacity_offers SET status = 'accepted' WHERE id = ?", args: [claim.offerId] },
    {
      sql: "UPDATE capacity_offers SET status = 'lost' WHERE request_id = ? AND id <> ? AND status = 'open'",
      args: [claim.requestId, claim.offerId],
    },
    ...eventStatements(
      {
        sourceId: claim.offerId,
        type: "capacity_request.offer_accepted",
        owner: { ownerId: claim.farmerId },
        subjectId: claim.requestId,
        atMs: nowMs,
        data: {
          requestId: claim.requestId,
          offerId: claim.offerId,
          nodeId: lease.nodeId,
          leaseId: lease.leaseId,
          priceCcPerSliceHour: lease.priceCcPerSliceHour,
        },
      },
      nowMs,
    ),
  ];
}

/**
 * What the database's refusal of a batch carrying `claim` tells the caller: the claim's own
 * refusal in its words, any other (say, the payer's insufficient funds) as it is.
 */
export function claimRefusal(claim: ReservationClaim, failure: Failure): Failure {
  if (claim.type === "packageCommitment") {
    if (failure.code === "LIMIT_REACHED") {
      return fail("LIMIT_REACHED", "The package has no room for that many more slices", "slices");
    }
    if (failure.code === "CONFLICT" && failure.detail.includes("package_commitments")) {
      return fail("CONFLICT", "This Idempotency-Key was used for another commitment; send a new one");
    }
    return failure;
  }
  if (failure.code === "CONFLICT") {
    return fail("CONFLICT", "The request is no longer open: another offer was accepted, or it closed");
  }
  return failure;
}

/** The response a reservation carrying `claim` answers, around the new lease's JSON. */
export function claimResponse(claim: ReservationClaim | undefined, lease: unknown): unknown {
  if (claim?.type === "packageCommitment") {
    return { commitmentId: claim.commitmentId, packageId: claim.packageId, lease };
  }
  return lease;
}
