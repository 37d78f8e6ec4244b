/**
 * `POST /v1/nodes`: a farmer registers a node — from a catalogue preset or its own hardware — cut
 * into `sliceCount` slices (≤ its maximum), with prices per slice inside the node's band (a price
 * outside it is a 422 naming the band). Farmers register their own nodes; admins may register one
 * for a farmer. The node's bid book opens from the row on its first use.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { now } from "../../kit/clock";
import { ApiError, orThrow } from "../../kit/http/errors";
import { requireRoles } from "../../kit/http/middleware";
import {
  accountIdSchema,
  jsonBody,
  jsonResponse,
  nameCharsMax,
  noQuerySchema,
  problemResponses,
  textField,
} from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { newId } from "../../kit/ids";
import { marketConfig } from "../../market/config";
import { findCatalogueNode } from "../../market/core/catalogue";
import { bandProfileNames } from "../../market/core/quote";
import { slicesPerNodeMax } from "../../market/core/slices";
import { bookOf, ccUsdOf } from "../../market/flows/books";
import type { RegisteredNode } from "../../market/object/contract";
import { insertNodeStatement, type NodeRecord } from "../../market/store/nodes";
import { payoutAccountFrom, payoutAccountStatement, planNode } from "../../market/store/registration";
import { pegFrom, pegStatements } from "../../oracle/prices";
import { ccPricePerHourSchema, listedPriceSchema, nodeJson, nodeSchema, plainDecimalSchema } from "./schemas";

const hardwareInputSchema = z.strictObject({
  cores: plainDecimalSchema.openapi({ example: "16" }),
  passmark: plainDecimalSchema.openapi({ example: "22000" }),
  memGb: plainDecimalSchema.openapi({ example: "32" }),
  ssdGb: plainDecimalSchema.openapi({ example: "1000" }),
  aiGb: plainDecimalSchema.default("0").openapi({ description: "AI/GPU memory in GB (0: none)." }),
  tps: plainDecimalSchema.default("0").openapi({ description: "Tokens per second (0: none)." }),
  maxSlices: z.number().int().min(1).max(slicesPerNodeMax).openapi({ example: 25 }),
});

const bodySchema = z
  .strictObject({
    name: textField({ maxChars: nameCharsMax }).openapi({ example: "Bob's 3Node in Ghent" }),
    catalogueId: z.string().max(64).optional().openapi({
      description:
        "A catalogue preset (GET /v1/catalog/nodes): hardware, cost and certification come from it.",
      example: "3node-home",
    }),
    hardware: hardwareInputSchema.optional(),
    hardwareCostUsd: plainDecimalSchema.optional().openapi({ example: "500" }),
    certified: z.boolean().optional(),
    region: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,64}$/)
      .openapi({ example: "eu-west" }),
    sliceCount: z.number().int().min(1).max(1024).openapi({ example: 7 }),
    bandProfile: z.enum(bandProfileNames).optional().openapi({
      description: "memory (default without AI memory), fixedMiniAi or fixedGpu (default with AI memory).",
    }),
    pricePerSliceMonth: listedPriceSchema.openapi({ example: "3", description: "In the band currency." }),
    pricePerSliceHour: listedPriceSchema.openapi({ example: "0.01", description: "In the band currency." }),
    minBidCcPerSliceHour: ccPricePerHourSchema.optional().openapi({
      description: "Lowest interruptible bid; default: the band's hourly minimum in CC at the live peg.",
    }),
    autoAcceptAboveCcPerSliceHour: ccPricePerHourSchema.nullable().optional(),
    payoutAccountId: accountIdSchema
      .optional()
      .openapi({ description: "The farmer's CC account of kind farmer; default: found or created." }),
    farmerId: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,64}$/)
      .optional()
      .openapi({ description: "Admins only: the farmer the node belongs to." }),
  })
  .openapi("NodeRegistration");

const route = createRoute({
  method: "post",
  path: "/v1/nodes",
  operationId: "registerNode",
  tags: ["marketplace"],
  summary: "Register a node with its slices and prices (farmer; admin for a farmer)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("farmer", "admin")] as const,
  request: { query: noQuerySchema, body: jsonBody(bodySchema) },
  responses: {
    201: jsonResponse(nodeSchema, "The node, open for reservations once online"),
    ...problemResponses(401, 403, 413, 415, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const db = c.get("db");
    const principal = c.get("principal");
    const input = c.req.valid("json");
    const market = marketConfig(c.env);
    let farmerId = principal.ownerId;
    if (input.farmerId !== undefined) {
      if (principal.role !== "admin") {
        throw new ApiError("FORBIDDEN", "Only admins register nodes for another farmer", [
          { field: "farmerId", detail: "admins only" },
        ]);
      }
      farmerId = input.farmerId;
    }
    const preset = input.catalogueId === undefined ? undefined : findCatalogueNode(input.catalogueId);
    if (input.catalogueId !== undefined && preset === undefined) {
      throw new ApiError("VALIDATION_FAILED", `No catalogue node ${input.catalogueId}`, [
        { field: "catalogueId", detail: "unknown catalogue node" },
      ]);
    }
    const hardware = input.hardware ?? preset?.hardware;
    const hardwareCostUsd = input.hardwareCostUsd ?? preset?.hardwareCostUsd;
    if (hardware === undefined || hardwareCostUsd === undefined) {
      const field = hardware === undefined ? "hardware" : "hardwareCostUsd";
      throw new ApiError("VALIDATION_FAILED", `${field} is required without a catalogueId`, [
        { field, detail: "required without catalogueId" },
      ]);
    }
    const certified = input.certified ?? preset?.certified ?? false;
    const nowMs = now();
    const requested = input.payoutAccountId ?? null;
    // The peg and the payout account in one round trip.
    const [payoutRead, ...pegReads] = await db.batch(
      [payoutAccountStatement(farmerId, requested), ...pegStatements(nowMs)],
      "read",
    );
    const ccUsd = ccUsdOf(pegFrom(pegReads, nowMs));
    const planned = orThrow(
      planNode(
        {
          id: newId("node"),
          farmerId,
          // Resolved below, once the registration is valid, so a refused one creates no account.
          payoutAccountId: "acc_unresolved",
          name: input.name,
          catalogueId: preset?.id ?? null,
          region: input.region,
          certified,
          hardware,
          hardwareCostUsd,
          sliceCount: input.sliceCount,
          bandProfile: input.bandProfile ?? null,
          pricePerSliceMonth: input.pricePerSliceMonth,
          pricePerSliceHour: input.pricePerSliceHour,
          minBidCcPerSliceHour: input.minBidCcPerSliceHour ?? null,
          autoAcceptAboveCcPerSliceHour: input.autoAcceptAboveCcPerSliceHour ?? null,
          state: "online",
        },
        market.parameters,
        ccUsd,
        nowMs,
      ),
    );
    const payout = orThrow(payoutAccountFrom(payoutRead, farmerId, requested, nowMs));
    const node = { ...planned, payoutAccountId: payout.id };
    // The payout account (when new) and the node in one write.
    await db.batch([...payout.create, insertNodeStatement(node)], "write");
    // The book opens from the row just written (not read back).
    const book = orThrow(
      await bookOf(c.env, node.id).open({
        nodeId: node.id,
        registered: { node: registeredNodeOf(node), ccUsd },
      }),
    );
    const opened: NodeRecord = {
      ...node,
      state: book.state,
      freeSlices: book.freeSlices,
      minBidCcPerSliceHour: book.minBidCcPerSliceHour,
      autoAcceptAboveCcPerSliceHour: book.autoAcceptAboveCcPerSliceHour,
    };
    return c.json(nodeJson(opened, ccUsd), 201);
  });
}

/** What the book opens from, of a node row about to be written. */
function registeredNodeOf(node: NodeRecord): RegisteredNode {
  return {
    farmerId: node.farmerId,
    payoutAccountId: node.payoutAccountId,
    sliceCount: node.sliceCount,
    state: node.state,
    pricePerSliceMonth: node.pricePerSliceMonth,
    pricePerSliceHour: node.pricePerSliceHour,
    band: node.band,
    minBidCcPerSliceHour: node.minBidCcPerSliceHour,
    autoAcceptAboveCcPerSliceHour: node.autoAcceptAboveCcPerSliceHour,
    slice: {
      sliceCount: node.slice.sliceCount,
      cores: node.slice.cores,
      passmark: node.slice.passmark,
      memGb: node.slice.memGb,
      ssdGb: node.slice.ssdGb,
      aiGb: node.slice.aiGb,
      tps: node.slice.tps,
    },
  };
}
