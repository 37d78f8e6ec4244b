/**
 * The tables of the capacity market (migrations 0004 and 0006): nodes and their uptime, leases
 * and their settlements, burn obligations, capacity requests and offers, bid packages. Single-
 * column and cross-column CHECKs live in the migrations' SQL; drizzle describes columns and
 * indexes.
 */
import { sql } from "drizzle-orm";
import { index, primaryKey, sqliteTable, text, unique } from "drizzle-orm/sqlite-core";
import { int, minorUnits } from "../columns";
import { accounts } from "./ledger";

export const nodes = sqliteTable(
  "nodes",
  {
    id: text("id").primaryKey(),
    farmerId: text("farmer_id").notNull(),
    payoutAccountId: text("payout_account_id")
      .notNull()
      .references(() => accounts.id),
    name: text("name").notNull(),
    catalogueId: text("catalogue_id"),
    region: text("region").notNull(),
    certified: int("certified").notNull(),
    hardware: text("hardware").notNull(),
    hardwareCostUsd: text("hardware_cost_usd").notNull(),
    sliceCount: int("slice_count").notNull(),
    bandProfile: text("band_profile", { enum: ["memory", "fixedMiniAi", "fixedGpu"] }).notNull(),
    sliceCores: text("slice_cores").notNull(),
    slicePassmark: text("slice_passmark").notNull(),
    sliceMemGb: text("slice_mem_gb").notNull(),
    sliceSsdGb: text("slice_ssd_gb").notNull(),
    sliceAiGb: text("slice_ai_gb").notNull(),
    sliceTps: text("slice_tps").notNull(),
    sliceCoresMilli: int("slice_cores_milli").notNull(),
    slicePassmarkMilli: int("slice_passmark_milli").notNull(),
    sliceMemMilli: int("slice_mem_milli").notNull(),
    sliceSsdMilli: int("slice_ssd_milli").notNull(),
    sliceAiMilli: int("slice_ai_milli").notNull(),
    sliceTpsMilli: int("slice_tps_milli").notNull(),
    bandCurrency: text("band_currency", { enum: ["USD", "CC"] }).notNull(),
    bandMinMonth: text("band_min_month").notNull(),
    bandMaxMonth: text("band_max_month").notNull(),
    bandMinHour: text("band_min_hour").notNull(),
    bandMaxHour: text("band_max_hour").notNull(),
    priceMonth: text("price_month").notNull(),
    priceHour: text("price_hour").notNull(),
    priceHourNano: int("price_hour_nano").notNull(),
    minBidCc: text("min_bid_cc").notNull(),
    autoAcceptCc: text("auto_accept_cc"),
    state: text("state", { enum: ["online", "offline", "maintenance"] }).notNull(),
    freeSlices: int("free_slices").notNull(),
    reliabilityBp: int("reliability_bp").notNull().default(0),
    lastHeartbeatAtMs: int("last_heartbeat_at"),
    createdAtMs: int("created_at").notNull(),
    updatedAtMs: int("updated_at").notNull(),
    autoOfflineAtMs: int("auto_offline_at"),
  },
  (table) => [
    index("nodes_farmer").on(table.farmerId, table.createdAtMs, table.id),
    index("nodes_market_price").on(table.state, table.priceHourNano, table.id),
    index("nodes_market_reliability").on(table.state, table.reliabilityBp, table.id),
    index("nodes_market_memory").on(table.state, table.sliceMemMilli, table.id),
    index("nodes_market_cores").on(table.state, table.sliceCoresMilli, table.id),
    index("nodes_market_passmark").on(table.state, table.slicePassmarkMilli, table.id),
    index("nodes_heartbeat").on(table.state, table.lastHeartbeatAtMs),
  ],
);

/** One row per node and hour it was seen up (the migration makes it WITHOUT ROWID). */
export const nodeUptime = sqliteTable(
  "node_uptime",
  {
    nodeId: text("node_id").notNull(),
    hour: int("hour").notNull(),
  },
  (table) => [primaryKey({ columns: [table.nodeId, table.hour] }), index("node_uptime_hour").on(table.hour)],
);

export const leaseKinds = ["onDemand", "interruptible", "package"] as const;
export const leaseSources = ["reservation", "bid", "capacity_request", "package"] as const;
export const leaseStatuses = ["running", "paused", "ended"] as const;

export const leases = sqliteTable(
  "leases",
  {
    id: text("id").primaryKey(),
    nodeId: text("node_id")
      .notNull()
      .references(() => nodes.id),
    farmerId: text("farmer_id").notNull(),
    ownerId: text("owner_id").notNull(),
    payerAccountId: text("payer_account_id").notNull(),
    kind: text("kind", { enum: leaseKinds }).notNull(),
    source: text("source", { enum: leaseSources }).notNull(),
    sourceId: text("source_id"),
    slices: int("slices").notNull(),
    priceCcPerSliceHour: text("price_cc_per_slice_hour").notNull(),
    quotedPrice: text("quoted_price"),
    quotedCurrency: text("quoted_currency"),
    quotedCcUsd: text("quoted_cc_usd"),
    startedAtMs: int("started_at").notNull(),
    endsAtMs: int("ends_at"),
    status: text("status", { enum: leaseStatuses }).notNull(),
    pausedReason: text("paused_reason"),
    graceUntilMs: int("grace_until"),
    settledThroughMs: int("settled_through").notNull(),
    chargedMinor: minorUnits("charged_minor").notNull().default(sql`0`),
    updatedAtMs: int("updated_at").notNull(),
  },
  (table) => [
    index("leases_owner").on(table.ownerId, table.startedAtMs, table.id),
    index("leases_node").on(table.nodeId, table.status),
  ],
);

export const settlements = sqliteTable(
  "settlements",
  {
    id: text("id").primaryKey(),
    leaseId: text("lease_id").notNull(),
    nodeId: text("node_id").notNull(),
    farmerId: text("farmer_id").notNull(),
    payerAccountId: text("payer_account_id").notNull(),
    farmerAccountId: text("farmer_account_id").notNull(),
    periodIndex: int("period_index").notNull(),
    periodStartMs: int("period_start").notNull(),
    periodEndMs: int("period_end").notNull(),
    runningMs: int("running_ms").notNull(),
    owedMinor: minorUnits("owed_minor").notNull(),
    unpaidMinor: minorUnits("unpaid_minor").notNull(),
    chargeMinor: minorUnits("charge_minor").notNull(),
    farmerMinor: minorUnits("farmer_minor").notNull(),
    burnMinor: minorUnits("burn_minor").notNull(),
    threefoldMinor: minorUnits("threefold_minor").notNull(),
    burnTftMinor: minorUnits("burn_tft_minor").notNull(),
    burnedTftMinor: minorUnits("burned_tft_minor").notNull(),
    ccUsd: text("cc_usd"),
    tftUsd: text("tft_usd"),
    createdAtMs: int("created_at").notNull(),
  },
  (table) => [
    index("settlements_farmer_time").on(table.farmerId, table.periodEndMs),
    index("settlements_lease").on(table.leaseId, table.periodIndex),
  ],
);

export const burnObligations = sqliteTable(
  "burn_obligations",
  {
    id: text("id").primaryKey(),
    settlementId: text("settlement_id")
      .notNull()
      .references(() => settlements.id),
    burnCcMinor: minorUnits("burn_cc_minor").notNull(),
    tftMinor: minorUnits("tft_minor"),
    reason: text("reason", { enum: ["vault_shortfall", "no_price"] }).notNull(),
    status: text("status", { enum: ["open", "settled"] })
      .notNull()
      .default("open"),
    createdAtMs: int("created_at").notNull(),
    settledAtMs: int("settled_at"),
  },
  (table) => [index("burn_obligations_status").on(table.status, table.createdAtMs)],
);

export const capacityRequestStatuses = ["open", "accepting", "accepted", "expired", "cancelled"] as const;

export const capacityRequests = sqliteTable(
  "capacity_requests",
  {
    id: text("id").primaryKey(),
    ownerId: text("owner_id").notNull(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    slices: int("slices").notNull(),
    requirements: text("requirements").notNull(),
    durationHours: int("duration_hours").notNull(),
    maxPriceCc: text("max_price_cc").notNull(),
    budgetMinor: minorUnits("budget_minor").notNull(),
    deadlineAtMs: int("deadline_at").notNull(),
    acceptCheapestAtDeadline: int("accept_cheapest_at_deadline").notNull(),
    status: text("status", { enum: capacityRequestStatuses }).notNull(),
    acceptingOfferId: text("accepting_offer_id"),
    leaseId: text("lease_id"),
    createdAtMs: int("created_at").notNull(),
    updatedAtMs: int("updated_at").notNull(),
  },
  (table) => [
    index("capacity_requests_status").on(table.status, table.deadlineAtMs),
    index("capacity_requests_owner").on(table.ownerId, table.createdAtMs),
  ],
);

export const capacityOfferStatuses = ["open", "accepted", "failed", "lost"] as const;

export const capacityOffers = sqliteTable(
  "capacity_offers",
  {
    id: text("id").primaryKey(),
    requestId: text("request_id")
      .notNull()
      .references(() => capacityRequests.id),
    nodeId: text("node_id")
      .notNull()
      .references(() => nodes.id),
    farmerId: text("farmer_id").notNull(),
    priceCc: text("price_cc").notNull(),
    pricePico: int("price_pico").notNull(),
    status: text("status", { enum: capacityOfferStatuses }).notNull(),
    detail: text("detail"),
    createdAtMs: int("created_at").notNull(),
  },
  (table) => [
    unique("capacity_offers_request_node").on(table.requestId, table.nodeId),
    index("capacity_offers_request").on(table.requestId, table.pricePico, table.createdAtMs),
  ],
);

export const bidPackages = sqliteTable("bid_packages", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  requirements: text("requirements").notNull(),
  priceCcPerSliceMonth: text("price_cc_per_slice_month").notNull(),
  slicesCommitted: int("slices_committed").notNull(),
  leaseHours: int("lease_hours").notNull(),
  active: int("active").notNull(),
  createdAtMs: int("created_at").notNull(),
  updatedAtMs: int("updated_at").notNull(),
});

export const packageCommitments = sqliteTable(
  "package_commitments",
  {
    id: text("id").primaryKey(),
    packageId: text("package_id")
      .notNull()
      .references(() => bidPackages.id),
    nodeId: text("node_id")
      .notNull()
      .references(() => nodes.id),
    farmerId: text("farmer_id").notNull(),
    slices: int("slices").notNull(),
    leaseId: text("lease_id").notNull().unique(),
    status: text("status", { enum: ["active", "ended", "refused"] }).notNull(),
    createdAtMs: int("created_at").notNull(),
    updatedAtMs: int("updated_at").notNull(),
  },
  (table) => [index("package_commitments_package").on(table.packageId, table.status)],
);

export const marketCronState = sqliteTable("market_cron_state", {
  name: text("name").primaryKey(),
  value: int("value").notNull(),
});
