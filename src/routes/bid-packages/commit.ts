/**
 * `POST /v1/bid-packages/{id}/commitments`: a farmer commits slices of an eligible node (every
 * slice meets the package's minimum spec) to a ThreeFold bid package. The slices are reserved as a
 * package lease at the package's price for its lease length — never pre-empted — paid from the
 * ThreeFold treasury and settled 80 / 10 / 10. At most the package's committed slices are taken.
 * The node's farmer or an admin; Idempotency-Key required (the commitment id derives from it).
 * Two round trips: the reads (with the key's record), then the hold with the commitment, checked
 * against the package's room by the database, and the key's record.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { now } from "../../kit/clock";
import { ApiError, orThrow } from "../../kit/http/errors";
import { firstReads, idempotentBatched, recordedByEffect, recordFor } from "../../kit/http/idempotency";
import { requireRoles, transferIdFor } from "../../kit/http/middleware";
import {
  idempotencyHeaderSchema,
  jsonBody,
  jsonResponse,
  nodeIdSchema,
  noQuerySchema,
  problemResponses,
} from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { treasuryAccountId } from "../../ledger/holds";
import { hourMs, marketConfig } from "../../market/config";
import { checkRequirements } from "../../market/core/requirements";
import { bookOf } from "../../market/flows/books";
import { getLeaseRow } from "../../market/store/leases";
import { nodeStatement, sliceOfferOf } from "../../market/store/nodes";
import {
  ensureDefaultPackages,
  packageFrom,
  packagePriceCcPerSliceHour,
  packageStatement,
} from "../../market/store/packages";
import { leaseJson, leaseSchema } from "../leases/schemas";
import { ownNodeFrom } from "../nodes/schemas";
import { packageIdParamSchema } from "./schemas";

const bodySchema = z
  .strictObject({
    nodeId: nodeIdSchema.openapi({ example: "node_3XkPq0fJ2m9Zb7Lr1sYtWc" }),
    slices: z.number().int().min(1).max(1024),
  })
  .openapi("PackageCommitmentInput");

const responseSchema = z
  .object({ commitmentId: z.string(), packageId: z.string(), lease: leaseSchema })
  .openapi("PackageCommitment");

const route = createRoute({
  method: "post",
  path: "/v1/bid-packages/{id}/commitments",
  operationId: "commitToBidPackage",
  tags: ["marketplace"],
  summary: "Commit a node's slices to a ThreeFold bid package (the node's farmer or an admin)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("farmer", "admin"), idempotentBatched] as const,
  request: {
    query: noQuerySchema,
    params: z.strictObject({ id: packageIdParamSchema }),
    headers: idempotencyHeaderSchema,
    body: jsonBody(bodySchema),
  },
  responses: {
    201: jsonResponse(responseSchema, "The commitment and its lease"),
    ...problemResponses(401, 403, 404, 409, 413, 415, 422, 429),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const db = c.get("db");
    const principal = c.get("principal");
    const input = c.req.valid("json");
    const packageId = c.req.valid("param").id;
    const nowMs = now();
    await ensureDefaultPackages(db, nowMs);
    // The Idempotency-Key's record, the package and the node: one round trip.
    const [packageRead, nodeRead] = await firstReads(c, [
      packageStatement(packageId),
      nodeStatement(input.nodeId),
    ]);
    const pkg = packageFrom(packageRead);
    if (!pkg) throw new ApiError("NOT_FOUND", `No bid package ${packageId}`);
    if (!pkg.active) throw new ApiError("CONFLICT", `Bid package ${packageId} takes no new commitments`);
    const node = ownNodeFrom(nodeRead, principal, input.nodeId);
    const met = checkRequirements(sliceOfferOf(node), pkg.requirements);
    if (!met.ok)
      throw new ApiError("REQUIREMENTS_NOT_MET", met.detail, [{ field: "nodeId", detail: met.detail }]);
    if (input.slices > node.sliceCount) {
      throw new ApiError("VALIDATION_FAILED", `The node has ${node.sliceCount} slices`, [
        { field: "slices", detail: `at most ${node.sliceCount}` },
      ]);
    }
    if (pkg.slicesFilled + input.slices > pkg.slicesCommitted) {
      throw new ApiError("LIMIT_REACHED", "The package has no room for that many more slices", [
        { field: "slices", detail: `at most ${Math.max(0, pkg.slicesCommitted - pkg.slicesFilled)} more` },
      ]);
    }
    const price = orThrow(packagePriceCcPerSliceHour(pkg, marketConfig(c.env).parameters));
    const commitmentId = await transferIdFor(
      principal.ownerId,
      c.req.valid("header")["idempotency-key"],
      "pcm",
    );
    // The commitment is written with the lease's hold, and the database refuses it when the
    // package has no room left: one write, or nothing written.
    const lease = orThrow(
      await bookOf(c.env, node.id).reserve({
        nodeId: node.id,
        leaseId: `lse_${commitmentId}`,
        ownerId: "threefold",
        payerAccountId: treasuryAccountId,
        kind: "package",
        slices: input.slices,
        durationMs: pkg.leaseHours * hourMs,
        pricing: { type: "fixed", ...price },
        source: "package",
        sourceId: packageId,
        claim: { type: "packageCommitment", commitmentId, packageId, farmerId: node.farmerId },
        // Stored with the hold: the response below (a new lease, charged nothing).
        record: recordFor(c, 201),
      }),
    );
    if (lease.recorded) recordedByEffect(c);
    // A new lease has been charged nothing; a lease this key reserved before may have been.
    const charged =
      lease.settledThroughMs > lease.startedAtMs
        ? ((await getLeaseRow(db, lease.id))?.chargedMinor ?? 0n)
        : 0n;
    return c.json({ commitmentId, packageId, lease: leaseJson(lease, charged) }, 201);
  });
}
