/**
 * `POST /v1/bid-packages/{id}/commitments`: a farmer commits slices of an eligible node (every
 * slice meets the package's minimum spec) to a ThreeFold bid package. The slices are reserved as a
 * package lease at the package's price for its lease length — never pre-empted — paid from the
 * ThreeFold treasury and settled 80 / 10 / 10. At most the package's committed slices are taken.
 * The node's farmer or an admin; Idempotency-Key required (the commitment id derives from it).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { now } from "../../kit/clock";
import { ApiError, orThrow } from "../../kit/http/errors";
import { firstReads, idempotentBatched } from "../../kit/http/idempotency";
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
  reserveCommitment,
  withdrawCommitment,
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
    const price = orThrow(packagePriceCcPerSliceHour(pkg, marketConfig(c.env).parameters));
    const commitmentId = await transferIdFor(
      principal.ownerId,
      c.req.valid("header")["idempotency-key"],
      "pcm",
    );
    const commitment = orThrow(
      await reserveCommitment(db, {
        id: commitmentId,
        packageId,
        nodeId: node.id,
        farmerId: node.farmerId,
        slices: input.slices,
        leaseId: `lse_${commitmentId}`,
        status: "active",
        createdAtMs: nowMs,
      }),
    );
    const lease = await bookOf(c.env, node.id).reserve({
      nodeId: node.id,
      leaseId: commitment.leaseId,
      ownerId: "threefold",
      payerAccountId: treasuryAccountId,
      kind: "package",
      slices: commitment.slices,
      durationMs: pkg.leaseHours * hourMs,
      pricing: { type: "fixed", ...price },
      source: "package",
      sourceId: packageId,
    });
    if (!lease.ok) {
      // The book reserved and held nothing, so the commitment goes too: a refusal leaves no record.
      // CONFLICT says the lease id is taken, so the commitment may stand behind a lease: it stays.
      if (lease.code !== "CONFLICT") await withdrawCommitment(db, commitment.id, commitment.leaseId);
      throw ApiError.from(lease);
    }
    // Nothing is charged before the lease's first settlement period is recorded.
    const charged =
      lease.value.settledThroughMs === lease.value.startedAtMs
        ? 0n
        : ((await getLeaseRow(db, lease.value.id))?.chargedMinor ?? 0n);
    return c.json({ commitmentId: commitment.id, packageId, lease: leaseJson(lease.value, charged) }, 201);
  });
}
