/**
 * `POST /v1/leases`: reserve `slices` of a node on demand at its listed price, for a duration or
 * open-ended. The price is fixed in CC per slice-hour when the lease starts (see
 * src/market/core/quote.ts: monthly rate for a month or more, hourly otherwise, through the live
 * peg); the payer's CC is held for the prepaid window and topped up as the lease runs. On-demand
 * leases are never pre-empted. Users and admins; moves value, so an Idempotency-Key is required
 * (the lease id derives from it). An optional deployment document (any JSON, at most 16 KiB) is
 * stored with the lease and handed to the node's agent with its assignment; on a node with an
 * agent the lease starts `provisioning` (GET /v1/nodes/{id}/assignments).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { now } from "../../kit/clock";
import { ApiError, orThrow } from "../../kit/http/errors";
import { firstReads, idempotentBatched, recordedByEffect, recordFor } from "../../kit/http/idempotency";
import { requireRoles, transferIdFor } from "../../kit/http/middleware";
import {
  accountIdSchema,
  idempotencyHeaderSchema,
  jsonBody,
  jsonResponse,
  nodeIdSchema,
  noQuerySchema,
  problemResponses,
} from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { hourMs } from "../../market/config";
import { leaseDurationMsMax } from "../../market/core/bidbook/model";
import { bookOf, ccUsdOf } from "../../market/flows/books";
import { deploymentBytesMax, utf8Bytes } from "../../market/object/contract";
import { getLeaseRow } from "../../market/store/leases";
import { nodeFrom, nodeStatement } from "../../market/store/nodes";
import { pegFrom, pegStatements } from "../../oracle/prices";
import { leaseJson, leaseSchema, payerFrom, payerStatement } from "./schemas";

const bodySchema = z
  .strictObject({
    nodeId: nodeIdSchema.openapi({ example: "node_3XkPq0fJ2m9Zb7Lr1sYtWc" }),
    slices: z.number().int().min(1).max(1024).openapi({ example: 2 }),
    durationHours: z
      .number()
      .int()
      .min(1)
      .max(leaseDurationMsMax / hourMs)
      .nullable()
      .openapi({ example: 24, description: "null: open-ended, until ended with DELETE." }),
    accountId: accountIdSchema
      .optional()
      .openapi({ description: "The CC account that pays; default: your CC user account." }),
    deployment: z
      .unknown()
      .refine(
        (value) =>
          value === null || value === undefined || utf8Bytes(JSON.stringify(value)) <= deploymentBytesMax,
        `must be at most ${deploymentBytesMax} bytes as JSON`,
      )
      .optional()
      .openapi({
        description: `What the node's agent should run: any JSON (a workload manifest or a reference to one), at most ${deploymentBytesMax} bytes serialized. Stored with the lease and handed to the agent with its assignment; null or absent: none.`,
        example: { image: "ghcr.io/example/app:1.4", ports: [8080] },
      }),
  })
  .openapi("LeaseRequest");

const route = createRoute({
  method: "post",
  path: "/v1/leases",
  operationId: "createLease",
  tags: ["marketplace"],
  summary: "Reserve slices of a node at its listed price (user or admin)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("user", "admin"), idempotentBatched] as const,
  request: { query: noQuerySchema, headers: idempotencyHeaderSchema, body: jsonBody(bodySchema) },
  responses: {
    201: jsonResponse(leaseSchema, "The running lease"),
    ...problemResponses(401, 403, 404, 409, 413, 415, 422, 503),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const db = c.get("db");
    const principal = c.get("principal");
    const input = c.req.valid("json");
    const key = c.req.valid("header")["idempotency-key"];
    const nowMs = now();
    // The Idempotency-Key's record, the node, the paying account and the peg in one round trip.
    const [nodeRead, payerRead, ...pegReads] = await firstReads(c, [
      nodeStatement(input.nodeId),
      payerStatement(principal, input.accountId),
      ...pegStatements(nowMs),
    ]);
    const node = nodeFrom(nodeRead);
    if (!node) throw new ApiError("NOT_FOUND", `No node ${input.nodeId}`);
    if (input.slices > node.sliceCount) {
      throw new ApiError("VALIDATION_FAILED", `The node has ${node.sliceCount} slices`, [
        { field: "slices", detail: `at most ${node.sliceCount}` },
      ]);
    }
    const payerAccountId = payerFrom(payerRead, principal, input.accountId);
    const ccUsd = node.band.currency === "USD" ? ccUsdOf(pegFrom(pegReads, nowMs)) : null;
    const leaseId = await transferIdFor(principal.ownerId, key, "lse");
    const lease = orThrow(
      await bookOf(c.env, node.id).reserve({
        nodeId: node.id,
        leaseId,
        ownerId: principal.ownerId,
        payerAccountId,
        kind: "onDemand",
        slices: input.slices,
        durationMs: input.durationHours === null ? null : input.durationHours * hourMs,
        pricing: { type: "listed", ccUsd },
        source: "reservation",
        sourceId: null,
        ...(input.deployment === undefined || input.deployment === null
          ? {}
          : { deployment: JSON.stringify(input.deployment) }),
        // Stored with the lease's hold: the response below (a new lease, charged nothing).
        record: recordFor(c, 201),
      }),
    );
    if (lease.recorded) recordedByEffect(c);
    // A new lease has been charged nothing; a lease this key reserved before may have been.
    const charged =
      lease.settledThroughMs > lease.startedAtMs
        ? ((await getLeaseRow(db, lease.id))?.chargedMinor ?? 0n)
        : 0n;
    return c.json(leaseJson(lease, charged), 201);
  });
}
