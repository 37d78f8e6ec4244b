/** Node shapes as the API shows them, and the lookups the node routes share. */
import { z } from "@hono/zod-openapi";
import type { Client, ResultSet } from "@libsql/client";
import type { Principal } from "../../kit/auth";
import { ApiError } from "../../kit/http/errors";
import { bandFigures, figureText, sliceFigures } from "../../kit/http/figures";
import { assertNodeAgent, assertOwner } from "../../kit/http/middleware";
import { nodeIdSchema } from "../../kit/http/schemas";
import { nodeStates } from "../../market/core/bidbook/model";
import { inCc } from "../../market/core/quote";
import { getNode, type NodeRecord, nodeFrom } from "../../market/store/nodes";

export const nodeIdParamSchema = nodeIdSchema.openapi({
  param: { name: "id", in: "path" },
  example: "node_3XkPq0fJ2m9Zb7Lr1sYtWc",
});

export const nodeParamsSchema = z.strictObject({ id: nodeIdParamSchema });

/** A plain decimal string (no sign, no exponent). */
export const plainDecimalSchema = z
  .string()
  .max(40)
  .regex(/^(0|[1-9][0-9]*)(\.[0-9]+)?$/, "must be a non-negative decimal string");

/** A farmer's listed price: a decimal with at most 9 decimals, in the band currency. */
export const listedPriceSchema = z
  .string()
  .max(40)
  .regex(/^(0|[1-9][0-9]{0,8})(\.[0-9]{1,9})?$/, "must be a decimal with at most 9 decimals");

/** A CC price per slice-hour for bids: at most 12 decimals, at most 1,000,000. */
export const ccPricePerHourSchema = z
  .string()
  .max(32)
  .regex(/^(0|[1-9][0-9]{0,6})(\.[0-9]{1,12})?$/, "must be a CC price with at most 12 decimals")
  .openapi({ example: "0.025" });

export const sliceSchema = z
  .object({
    cores: z.string(),
    passmark: z.string(),
    memGb: z.string(),
    ssdGb: z.string(),
    aiGb: z.string(),
    tps: z.string(),
  })
  .openapi("MarketSlice", {
    description:
      "One slice's resources (§11.3), rounded down (the slice has at least this): cores to 3 decimals, Passmark to whole points, GB to 2 decimals, tokens per second to 2.",
  });

export const bandSchema = z
  .object({
    currency: z.enum(["USD", "CC"]),
    profile: z.enum(["memory", "fixed"]),
    minPerSliceMonth: z.string(),
    maxPerSliceMonth: z.string(),
    minPerSliceHour: z.string(),
    maxPerSliceHour: z.string(),
  })
  .openapi("MarketPriceBand", {
    description:
      "The node's price band per slice (§12.2), in `currency`: monthly figures to 2 decimals in USD or 6 in CC, hourly to 6; minimums rounded up and maximums down, so every price shown inside the band is accepted.",
  });

export const pricesSchema = z
  .object({
    currency: z.enum(["USD", "CC"]),
    perSliceMonth: z.string().openapi({ example: "3" }),
    perSliceHour: z.string().openapi({ example: "0.01" }),
    inCc: z
      .object({ perSliceMonth: z.string(), perSliceHour: z.string(), ccUsd: z.string().nullable() })
      .nullable()
      .openapi({
        description:
          "The same prices in CC at the live peg, rounded down to 6 decimals (null while the oracle is halted).",
      }),
    minBidCcPerSliceHour: z.string().openapi({
      description: "Lowest interruptible bid, rounded up to 6 decimals: a bid at it is accepted.",
    }),
    autoAcceptAboveCcPerSliceHour: z
      .string()
      .nullable()
      .openapi({ description: "Rounded up to 6 decimals." }),
  })
  .openapi("MarketPrices");

export const nodeSchema = z
  .object({
    id: z.string(),
    farmerId: z.string(),
    name: z.string(),
    catalogueId: z.string().nullable(),
    region: z.string(),
    certified: z.boolean(),
    state: z.enum(nodeStates as ["online", "offline", "maintenance"]),
    sliceCount: z.number().int(),
    freeSlices: z.number().int(),
    reliability: z.string().openapi({ description: "Uptime over the last 30 days, 0–1.", example: "0.9875" }),
    hardware: z.object({
      cores: z.string(),
      passmark: z.string(),
      memGb: z.string(),
      ssdGb: z.string(),
      aiGb: z.string(),
      tps: z.string(),
      maxSlices: z.number().int(),
    }),
    hardwareCostUsd: z.string(),
    slice: sliceSchema,
    band: bandSchema,
    prices: pricesSchema,
    lastHeartbeatAt: z.string().nullable(),
    autoOfflineAt: z.string().nullable().openapi({
      description:
        "When the market took the node offline for sending no heartbeat (MARKET_HEARTBEAT_TIMEOUT_HOURS); its next heartbeat brings it back online. Null otherwise.",
    }),
    createdAt: z.string(),
  })
  .openapi("MarketNode");

/** Basis points as a 0–1 decimal string. */
export function reliabilityText(basisPoints: number): string {
  return (basisPoints / 10_000).toFixed(4);
}

/** A node as the API shows it, prices also in CC at `ccUsd` (USD per CC). */
export function nodeJson(node: NodeRecord, ccUsd: string | null): z.infer<typeof nodeSchema> {
  const monthCc = inCc(node.pricePerSliceMonth, node.band.currency, ccUsd);
  const hourCc = inCc(node.pricePerSliceHour, node.band.currency, ccUsd);
  const month = monthCc === null ? null : figureText(monthCc, "cc", "floor");
  const hour = hourCc === null ? null : figureText(hourCc, "pricePerHour", "floor");
  return {
    id: node.id,
    farmerId: node.farmerId,
    name: node.name,
    catalogueId: node.catalogueId,
    region: node.region,
    certified: node.certified,
    state: node.state,
    sliceCount: node.sliceCount,
    freeSlices: node.freeSlices,
    reliability: reliabilityText(node.reliabilityBp),
    hardware: node.hardware,
    hardwareCostUsd: node.hardwareCostUsd,
    slice: sliceFigures(node.slice),
    band: bandFigures(node.band),
    prices: {
      currency: node.band.currency,
      perSliceMonth: node.pricePerSliceMonth,
      perSliceHour: node.pricePerSliceHour,
      inCc:
        month === null || hour === null
          ? null
          : { perSliceMonth: month, perSliceHour: hour, ccUsd: node.band.currency === "CC" ? null : ccUsd },
      minBidCcPerSliceHour: figureText(node.minBidCcPerSliceHour, "pricePerHour", "ceil"),
      autoAcceptAboveCcPerSliceHour:
        node.autoAcceptAboveCcPerSliceHour === null
          ? null
          : figureText(node.autoAcceptAboveCcPerSliceHour, "pricePerHour", "ceil"),
    },
    lastHeartbeatAt: node.lastHeartbeatAtMs === null ? null : new Date(node.lastHeartbeatAtMs).toISOString(),
    autoOfflineAt: node.autoOfflineAtMs === null ? null : new Date(node.autoOfflineAtMs).toISOString(),
    createdAt: new Date(node.createdAtMs).toISOString(),
  };
}

/** The node, or 404. */
export async function requireNode(db: Client, id: string): Promise<NodeRecord> {
  const node = await getNode(db, id);
  if (!node) throw new ApiError("NOT_FOUND", `No node ${id}`);
  return node;
}

/** The node, or 404; 403 unless the principal is its farmer or an admin. */
export async function requireOwnNode(db: Client, principal: Principal, id: string): Promise<NodeRecord> {
  const node = await requireNode(db, id);
  assertOwner(principal, node.farmerId);
  return node;
}

/** `requireOwnNode` from a batch's answer to `nodeStatement(id)`. */
export function ownNodeFrom(result: ResultSet | undefined, principal: Principal, id: string): NodeRecord {
  const node = nodeFrom(result);
  if (!node) throw new ApiError("NOT_FOUND", `No node ${id}`);
  assertOwner(principal, node.farmerId);
  return node;
}

/**
 * Who calls a node's agent routes, for the book: 403 at once for a `node` key bound to another
 * node; null for the node's own key or an admin; the farmer's id for a farmer's key (the book
 * refuses it for another farmer's node, so the route reads no node row).
 */
export function agentCaller(principal: Principal, nodeId: string): string | null {
  assertNodeAgent(principal, nodeId, principal.role === "farmer" ? principal.ownerId : null);
  return principal.role === "farmer" ? principal.ownerId : null;
}

/** The node, or 404; 403 unless the principal may act as its agent (`assertNodeAgent`). */
export async function requireAgentNode(db: Client, principal: Principal, id: string): Promise<NodeRecord> {
  if (principal.role === "node") assertNodeAgent(principal, id, null);
  const node = await requireNode(db, id);
  assertNodeAgent(principal, id, node.farmerId);
  return node;
}
