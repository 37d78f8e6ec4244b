/**
 * Nodes: registration, the libSQL mirror of each node's state and prices, heartbeats and the
 * 30-day reliability score, and the market listing query. The node's bid book (its Durable
 * Object) is the truth for state, prices and free slices; it writes the mirror columns here.
 */
import type { Client, InStatement, ResultSet, Row } from "@libsql/client";
import { decodeRow } from "../../kit/db/rows";
import * as tables from "../../kit/db/schema";
import { hourMs } from "../config";
import type { NodeState } from "../core/bidbook/model";
import type { PriceBand } from "../core/pricing";
import { type BandProfileName, scaledFloor } from "../core/quote";
import type { SliceOffer } from "../core/requirements";
import type { NodeHardware, SliceResources } from "../core/slices";

export type NodeRecord = {
  id: string;
  farmerId: string;
  payoutAccountId: string;
  name: string;
  catalogueId: string | null;
  region: string;
  certified: boolean;
  hardware: NodeHardware;
  hardwareCostUsd: string;
  sliceCount: number;
  bandProfile: BandProfileName;
  slice: SliceResources;
  band: PriceBand;
  pricePerSliceMonth: string;
  pricePerSliceHour: string;
  minBidCcPerSliceHour: string;
  autoAcceptAboveCcPerSliceHour: string | null;
  state: NodeState;
  freeSlices: number;
  reliabilityBp: number;
  lastHeartbeatAtMs: number | null;
  /** When the cron took the node offline for silence (no heartbeat); null otherwise. */
  autoOfflineAtMs: number | null;
  createdAtMs: number;
  updatedAtMs: number;
};

/** Reliability is uptime over this many hours (30 days). */
export const reliabilityWindowHours = 720;

const sliceColumns = ["cores", "passmark", "mem", "ssd", "ai", "tps"] as const;
type SliceColumn = (typeof sliceColumns)[number];

function sliceValue(slice: SliceResources, column: SliceColumn): string {
  switch (column) {
    case "cores":
      return slice.cores;
    case "passmark":
      return slice.passmark;
    case "mem":
      return slice.memGb;
    case "ssd":
      return slice.ssdGb;
    case "ai":
      return slice.aiGb;
    case "tps":
      return slice.tps;
  }
}

/** The INSERT of a newly registered node (its bid book is opened from this row). */
export function insertNodeStatement(node: NodeRecord): InStatement {
  return {
    sql: `INSERT INTO nodes (id, farmer_id, payout_account_id, name, catalogue_id, region, certified, hardware,
            hardware_cost_usd, slice_count, band_profile,
            slice_cores, slice_passmark, slice_mem_gb, slice_ssd_gb, slice_ai_gb, slice_tps,
            slice_cores_milli, slice_passmark_milli, slice_mem_milli, slice_ssd_milli, slice_ai_milli, slice_tps_milli,
            band_currency, band_min_month, band_max_month, band_min_hour, band_max_hour,
            price_month, price_hour, price_hour_nano, min_bid_cc, auto_accept_cc, state, free_slices,
            reliability_bp, last_heartbeat_at, created_at, updated_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    args: [
      node.id,
      node.farmerId,
      node.payoutAccountId,
      node.name,
      node.catalogueId,
      node.region,
      node.certified ? 1 : 0,
      JSON.stringify(node.hardware),
      node.hardwareCostUsd,
      node.sliceCount,
      node.bandProfile,
      ...sliceColumns.map((column) => sliceValue(node.slice, column)),
      ...sliceColumns.map((column) => scaledFloor(sliceValue(node.slice, column), 3)),
      node.band.currency,
      node.band.minPerSliceMonth,
      node.band.maxPerSliceMonth,
      node.band.minPerSliceHour,
      node.band.maxPerSliceHour,
      node.pricePerSliceMonth,
      node.pricePerSliceHour,
      scaledFloor(node.pricePerSliceHour, 9),
      node.minBidCcPerSliceHour,
      node.autoAcceptAboveCcPerSliceHour,
      node.state,
      node.freeSlices,
      node.reliabilityBp,
      node.lastHeartbeatAtMs,
      node.createdAtMs,
      node.updatedAtMs,
    ],
  };
}

function nodeFromRow(row: Row): NodeRecord {
  const {
    certified,
    hardware,
    sliceCores,
    slicePassmark,
    sliceMemGb,
    sliceSsdGb,
    sliceAiGb,
    sliceTps,
    // The scaled copies of the slice and the hourly price only order the market listing.
    sliceCoresMilli: _sliceCoresMilli,
    slicePassmarkMilli: _slicePassmarkMilli,
    sliceMemMilli: _sliceMemMilli,
    sliceSsdMilli: _sliceSsdMilli,
    sliceAiMilli: _sliceAiMilli,
    sliceTpsMilli: _sliceTpsMilli,
    priceHourNano: _priceHourNano,
    bandCurrency,
    bandMinMonth,
    bandMaxMonth,
    bandMinHour,
    bandMaxHour,
    priceMonth,
    priceHour,
    minBidCc,
    autoAcceptCc,
    ...node
  } = decodeRow(tables.nodes, row);
  return {
    ...node,
    certified: certified === 1,
    hardware: JSON.parse(hardware) as NodeHardware,
    slice: {
      sliceCount: node.sliceCount,
      cores: sliceCores,
      passmark: slicePassmark,
      memGb: sliceMemGb,
      ssdGb: sliceSsdGb,
      aiGb: sliceAiGb,
      tps: sliceTps,
    },
    band: {
      currency: bandCurrency,
      profile: node.bandProfile === "memory" ? "memory" : "fixed",
      minPerSliceMonth: bandMinMonth,
      maxPerSliceMonth: bandMaxMonth,
      minPerSliceHour: bandMinHour,
      maxPerSliceHour: bandMaxHour,
    },
    pricePerSliceMonth: priceMonth,
    pricePerSliceHour: priceHour,
    minBidCcPerSliceHour: minBidCc,
    autoAcceptAboveCcPerSliceHour: autoAcceptCc,
  };
}

/** Most nodes on one page of a farmer's nodes. */
export const farmerNodesPageSizeMax = 200;

function farmerNodesLimit(limit: number): number {
  return Math.min(Math.max(1, limit), farmerNodesPageSizeMax);
}

/** A farmer's nodes by id, one page after `cursor` (a node id); `farmerNodesFrom` reads the page and its next cursor. */
export function farmerNodesStatement(
  farmerId: string,
  options: { limit: number; cursor: string | null },
): InStatement {
  return {
    sql: "SELECT * FROM nodes WHERE farmer_id = ? AND id > ? ORDER BY id LIMIT ?",
    args: [farmerId, options.cursor ?? "", farmerNodesLimit(options.limit) + 1],
  };
}

/** The page `farmerNodesStatement` read (`limit` as given to it). */
export function farmerNodesFrom(
  result: ResultSet,
  limit: number,
): { nodes: NodeRecord[]; nextCursor: string | null } {
  const pageSize = farmerNodesLimit(limit);
  const nodes = result.rows.slice(0, pageSize).map(nodeFromRow);
  return { nodes, nextCursor: result.rows.length > pageSize ? (nodes.at(-1)?.id ?? null) : null };
}

export async function getNode(client: Client, id: string): Promise<NodeRecord | null> {
  return nodeFrom(await client.execute(nodeStatement(id)));
}

/** The read of one node, to send in a batch with other reads. */
export function nodeStatement(id: string): InStatement {
  return { sql: "SELECT * FROM nodes WHERE id = ?", args: [id] };
}

/** The node `nodeStatement` read, or null. */
export function nodeFrom(result: ResultSet | undefined): NodeRecord | null {
  const row = result?.rows[0];
  return row ? nodeFromRow(row) : null;
}

/** A node's slice as an offer to requirements (§16): its resources, certification and region. */
export function sliceOfferOf(node: NodeRecord): SliceOffer {
  return { ...node.slice, certified: node.certified, region: node.region };
}

/** What the bid book mirrors of itself onto its node row. */
export type NodeMirror = {
  state: NodeState;
  freeSlices: number;
  pricePerSliceMonth: string;
  pricePerSliceHour: string;
  minBidCcPerSliceHour: string;
  autoAcceptAboveCcPerSliceHour: string | null;
  band: PriceBand;
};

/** The UPDATE that mirrors a bid book's state, free slices and prices onto its node row. */
export function nodeMirrorStatement(nodeId: string, mirror: NodeMirror, nowMs: number): InStatement {
  return {
    sql: `UPDATE nodes SET state = ?, free_slices = ?, price_month = ?, price_hour = ?, price_hour_nano = ?,
            min_bid_cc = ?, auto_accept_cc = ?, band_min_month = ?, band_max_month = ?, band_min_hour = ?,
            band_max_hour = ?, updated_at = ? WHERE id = ?`,
    args: [
      mirror.state,
      mirror.freeSlices,
      mirror.pricePerSliceMonth,
      mirror.pricePerSliceHour,
      scaledFloor(mirror.pricePerSliceHour, 9),
      mirror.minBidCcPerSliceHour,
      mirror.autoAcceptAboveCcPerSliceHour,
      mirror.band.minPerSliceMonth,
      mirror.band.maxPerSliceMonth,
      mirror.band.minPerSliceHour,
      mirror.band.maxPerSliceHour,
      nowMs,
      nodeId,
    ],
  };
}

/**
 * The reliability score in basis points for nodes: heartbeat hours in the window
 * [max(now − 719 h, registration hour), now] divided by the hours of that window that have passed
 * (the current hour counts only once it has a heartbeat), rounded down. A node with no completed
 * hour and no heartbeat yet scores 0. The hour (?1) must be bound as a bigint: the libSQL client
 * sends JS numbers as REAL, which would make the division fractional.
 */
function reliabilitySql(where: string): string {
  return `UPDATE nodes SET reliability_bp = (
      SELECT CASE WHEN span.hours <= 0 THEN 0 ELSE MIN(10000, CAST(span.seen * 10000 / span.hours AS INTEGER)) END FROM (
        SELECT
          (SELECT count(*) FROM node_uptime u WHERE u.node_id = nodes.id AND u.hour BETWEEN
             MAX(?1 - ${reliabilityWindowHours - 1}, nodes.created_at / ${hourMs}) AND ?1) AS seen,
          (?1 - MAX(?1 - ${reliabilityWindowHours - 1}, nodes.created_at / ${hourMs}))
            + EXISTS (SELECT 1 FROM node_uptime c WHERE c.node_id = nodes.id AND c.hour = ?1) AS hours
      ) AS span)
    WHERE ${where}`;
}

/**
 * Records a heartbeat: the node's hour bucket, its last-seen time, and its score again when the
 * bucket is new. Idempotent within an hour.
 */
export async function recordHeartbeat(
  client: Client,
  nodeId: string,
  nowMs: number,
): Promise<{ hour: number; reliabilityBp: number; state: NodeState; autoOfflineAtMs: number | null }> {
  const hour = Math.floor(nowMs / hourMs);
  const [, , , score] = await client.batch(
    [
      { sql: "INSERT OR IGNORE INTO node_uptime (node_id, hour) VALUES (?, ?)", args: [nodeId, hour] },
      { sql: "UPDATE nodes SET last_heartbeat_at = ? WHERE id = ?", args: [nowMs, nodeId] },
      { sql: reliabilitySql("id = ?2"), args: [BigInt(hour), nodeId] },
      { sql: "SELECT reliability_bp, state, auto_offline_at FROM nodes WHERE id = ?", args: [nodeId] },
    ],
    "write",
  );
  const row = score?.rows[0];
  return {
    hour,
    reliabilityBp: Number(row?.reliability_bp ?? 0),
    state: (row?.state ?? "offline") as NodeState,
    autoOfflineAtMs:
      row?.auto_offline_at === null || row?.auto_offline_at === undefined
        ? null
        : Number(row.auto_offline_at),
  };
}

/**
 * Online nodes not heard from since `cutoffMs`: their last heartbeat, or their registration while
 * they have sent none, lies before it. Oldest contact first, at most `limit`.
 */
export async function silentNodes(client: Client, cutoffMs: number, limit: number): Promise<string[]> {
  const result = await client.execute({
    sql: `SELECT id FROM nodes WHERE state = 'online' AND COALESCE(last_heartbeat_at, created_at) < ?
          ORDER BY COALESCE(last_heartbeat_at, created_at), id LIMIT ?`,
    args: [cutoffMs, limit],
  });
  return result.rows.map((row) => String(row.id));
}

/**
 * Records (a time) or clears (null) that the node was taken offline for silence; only a node so
 * marked is brought back online by its next heartbeat.
 */
export async function setAutoOffline(client: Client, nodeId: string, atMs: number | null): Promise<void> {
  await client.execute({ sql: "UPDATE nodes SET auto_offline_at = ? WHERE id = ?", args: [atMs, nodeId] });
}

/** Recomputes every node's score for the current hour and drops buckets older than the window. */
export async function recomputeReliability(client: Client, nowMs: number): Promise<{ pruned: number }> {
  const hour = Math.floor(nowMs / hourMs);
  const [, pruned] = await client.batch(
    [
      { sql: reliabilitySql("1 = 1"), args: [BigInt(hour)] },
      { sql: "DELETE FROM node_uptime WHERE hour < ?", args: [hour - reliabilityWindowHours] },
    ],
    "write",
  );
  return { pruned: Number(pruned?.rowsAffected ?? 0) };
}

/** Sort orders of the market listing: a column and a direction. */
export const listingSorts = {
  price: { column: "price_hour_nano", descending: false },
  "-price": { column: "price_hour_nano", descending: true },
  reliability: { column: "reliability_bp", descending: true },
  "-reliability": { column: "reliability_bp", descending: false },
  memory: { column: "slice_mem_milli", descending: true },
  "-memory": { column: "slice_mem_milli", descending: false },
  cores: { column: "slice_cores_milli", descending: true },
  "-cores": { column: "slice_cores_milli", descending: false },
  passmark: { column: "slice_passmark_milli", descending: true },
  "-passmark": { column: "slice_passmark_milli", descending: false },
} as const;
export type ListingSort = keyof typeof listingSorts;

/** Listing filters; integer fields are already scaled like their columns (milli, nano, basis points). */
export type ListingFilters = {
  state: NodeState;
  minFreeSlices: number;
  minCoresMilli?: bigint;
  minPassmarkMilli?: bigint;
  minMemMilli?: bigint;
  minSsdMilli?: bigint;
  minAiMilli?: bigint;
  minTpsMilli?: bigint;
  gpu?: boolean;
  certified?: boolean;
  region?: string;
  maxPriceHourNano?: bigint;
  minReliabilityBp?: number;
  farmerId?: string;
};

/** Where a listing page ends: the sort column's value and the node id of the last row. */
export type ListingCursor = { value: bigint; id: string };

/**
 * One page of nodes matching the filters, in the sort's order (ties by node id), after `cursor`.
 * Every sort is served by an index on (state, column, id); see migrations/0004.
 */
export async function listMarket(
  client: Client,
  filters: ListingFilters,
  sort: ListingSort,
  cursor: ListingCursor | null,
  limit: number,
): Promise<ListingPage> {
  const query = listMarketQuery(filters, sort, cursor, limit);
  return query.read(await client.execute(query.statement));
}

export type ListingPage = { nodes: NodeRecord[]; nextCursor: ListingCursor | null };

/** `listMarket` as a statement to batch with other reads, and the reading of its answer. */
export function listMarketQuery(
  filters: ListingFilters,
  sort: ListingSort,
  cursor: ListingCursor | null,
  limit: number,
): { statement: InStatement; read: (result: ResultSet) => ListingPage } {
  const { column, descending } = listingSorts[sort];
  const where: string[] = ["state = ?", "free_slices >= ?"];
  const args: (string | number | bigint)[] = [filters.state, filters.minFreeSlices];
  const minimum = (name: string, value: bigint | number | undefined) => {
    if (value === undefined) return;
    where.push(`${name} >= ?`);
    args.push(value);
  };
  minimum("slice_cores_milli", filters.minCoresMilli);
  minimum("slice_passmark_milli", filters.minPassmarkMilli);
  minimum("slice_mem_milli", filters.minMemMilli);
  minimum("slice_ssd_milli", filters.minSsdMilli);
  minimum("slice_ai_milli", filters.minAiMilli);
  minimum("slice_tps_milli", filters.minTpsMilli);
  minimum("reliability_bp", filters.minReliabilityBp);
  if (filters.gpu !== undefined) where.push(filters.gpu ? "slice_ai_milli > 0" : "slice_ai_milli = 0");
  if (filters.certified !== undefined) {
    where.push("certified = ?");
    args.push(filters.certified ? 1 : 0);
  }
  if (filters.region !== undefined) {
    where.push("region = ?");
    args.push(filters.region);
  }
  if (filters.maxPriceHourNano !== undefined) {
    where.push("price_hour_nano <= ?");
    args.push(filters.maxPriceHourNano);
  }
  if (filters.farmerId !== undefined) {
    where.push("farmer_id = ?");
    args.push(filters.farmerId);
  }
  if (cursor !== null) {
    const after = descending ? "<" : ">";
    where.push(`(${column} ${after} ? OR (${column} = ? AND id ${after} ?))`);
    args.push(cursor.value, cursor.value, cursor.id);
  }
  const direction = descending ? "DESC" : "ASC";
  const statement = {
    sql: `SELECT * FROM nodes WHERE ${where.join(" AND ")} ORDER BY ${column} ${direction}, id ${direction} LIMIT ?`,
    args: [...args, limit + 1],
  };
  const read = (result: ResultSet): ListingPage => {
    const rows = result.rows.slice(0, limit);
    const last = rows.at(-1);
    return {
      nodes: rows.map(nodeFromRow),
      nextCursor:
        result.rows.length > limit && last
          ? { value: BigInt(last[column] as bigint), id: String(last.id) }
          : null,
    };
  };
  return { statement, read };
}
