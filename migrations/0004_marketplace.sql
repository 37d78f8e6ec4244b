-- Capacity marketplace (ECONOMICS §10–§17). Each node's bid book lives in its Durable Object
-- (NodeBidBook): these tables are the queryable mirror of it (nodes, leases) plus the records that
-- ride in the same ledger write as the money they describe (settlements, burn obligations).
-- Amounts are INTEGER minor units (CC scale 6, TFT scale 7); times are epoch milliseconds;
-- exact decimals (prices, per-slice resources) are TEXT, with scaled INTEGER twins for filtering.
CREATE TABLE nodes (
  id TEXT PRIMARY KEY NOT NULL,
  farmer_id TEXT NOT NULL,
  -- the farmer's CC account (kind 'farmer') that receives the 80 % share
  payout_account_id TEXT NOT NULL REFERENCES accounts(id),
  name TEXT NOT NULL,
  catalogue_id TEXT,
  region TEXT NOT NULL,
  certified INTEGER NOT NULL CHECK (certified IN (0, 1)),
  -- NodeHardware as JSON: cores, passmark, memGb, ssdGb, aiGb, tps (decimal strings), maxSlices
  hardware TEXT NOT NULL,
  hardware_cost_usd TEXT NOT NULL,
  slice_count INTEGER NOT NULL CHECK (slice_count BETWEEN 1 AND 1024),
  band_profile TEXT NOT NULL CHECK (band_profile IN ('memory', 'fixedMiniAi', 'fixedGpu')),
  -- per-slice resources (§11.3), exact
  slice_cores TEXT NOT NULL,
  slice_passmark TEXT NOT NULL,
  slice_mem_gb TEXT NOT NULL,
  slice_ssd_gb TEXT NOT NULL,
  slice_ai_gb TEXT NOT NULL,
  slice_tps TEXT NOT NULL,
  -- the same, floor(value × 1000): a filter "≥ m" with m of at most 3 decimals is exact on these
  slice_cores_milli INTEGER NOT NULL,
  slice_passmark_milli INTEGER NOT NULL,
  slice_mem_milli INTEGER NOT NULL,
  slice_ssd_milli INTEGER NOT NULL,
  slice_ai_milli INTEGER NOT NULL,
  slice_tps_milli INTEGER NOT NULL,
  -- the price band (§12) and the farmer's prices, per slice, in band_currency
  band_currency TEXT NOT NULL CHECK (band_currency IN ('USD', 'CC')),
  band_min_month TEXT NOT NULL,
  band_max_month TEXT NOT NULL,
  band_min_hour TEXT NOT NULL,
  band_max_hour TEXT NOT NULL,
  price_month TEXT NOT NULL,
  price_hour TEXT NOT NULL,
  -- price_hour × 10^9 (prices carry at most 9 decimals, so this is exact)
  price_hour_nano INTEGER NOT NULL CHECK (price_hour_nano > 0),
  -- interruptible bids, in CC per slice-hour
  min_bid_cc TEXT NOT NULL,
  auto_accept_cc TEXT,
  state TEXT NOT NULL CHECK (state IN ('online', 'offline', 'maintenance')),
  -- mirrored from the bid book after every change of held slices
  free_slices INTEGER NOT NULL CHECK (free_slices >= 0),
  -- uptime over the last 30 days in basis points (0–10,000), from node_uptime
  reliability_bp INTEGER NOT NULL DEFAULT 0 CHECK (reliability_bp BETWEEN 0 AND 10000),
  last_heartbeat_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  CHECK (free_slices <= slice_count)
);
--> statement-breakpoint
CREATE INDEX nodes_farmer ON nodes (farmer_id, created_at, id);
--> statement-breakpoint
-- Market listing: one index per sort order, led by the state every listing filters on.
CREATE INDEX nodes_market_price ON nodes (state, price_hour_nano, id);
--> statement-breakpoint
CREATE INDEX nodes_market_reliability ON nodes (state, reliability_bp, id);
--> statement-breakpoint
CREATE INDEX nodes_market_memory ON nodes (state, slice_mem_milli, id);
--> statement-breakpoint
CREATE INDEX nodes_market_cores ON nodes (state, slice_cores_milli, id);
--> statement-breakpoint
CREATE INDEX nodes_market_passmark ON nodes (state, slice_passmark_milli, id);
--> statement-breakpoint
-- One row per node and hour (epoch hour) in which the node sent a heartbeat.
CREATE TABLE node_uptime (
  node_id TEXT NOT NULL,
  hour INTEGER NOT NULL,
  PRIMARY KEY (node_id, hour)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE INDEX node_uptime_hour ON node_uptime (hour);
--> statement-breakpoint
-- Mirror of every lease of every bid book, for ownership checks, listings and earnings.
CREATE TABLE leases (
  id TEXT PRIMARY KEY NOT NULL,
  node_id TEXT NOT NULL REFERENCES nodes(id),
  farmer_id TEXT NOT NULL,
  -- who pays: the user's owner id, or 'threefold' for bid-package leases
  owner_id TEXT NOT NULL,
  payer_account_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('onDemand', 'interruptible', 'package')),
  source TEXT NOT NULL CHECK (source IN ('reservation', 'bid', 'capacity_request', 'package')),
  source_id TEXT,
  slices INTEGER NOT NULL CHECK (slices >= 1),
  price_cc_per_slice_hour TEXT NOT NULL,
  -- what the CC price came from: the listed price, its currency and the peg (USD per CC) used
  quoted_price TEXT,
  quoted_currency TEXT,
  quoted_cc_usd TEXT,
  started_at INTEGER NOT NULL,
  ends_at INTEGER,
  status TEXT NOT NULL CHECK (status IN ('running', 'paused', 'ended')),
  paused_reason TEXT,
  grace_until INTEGER,
  settled_through INTEGER NOT NULL,
  charged_minor INTEGER NOT NULL DEFAULT 0 CHECK (charged_minor >= 0),
  updated_at INTEGER NOT NULL
);
--> statement-breakpoint
CREATE INDEX leases_owner ON leases (owner_id, started_at, id);
--> statement-breakpoint
CREATE INDEX leases_node ON leases (node_id, status);
--> statement-breakpoint
-- One row per settled lease period, written in the same atomic ledger write as its transfers.
CREATE TABLE settlements (
  -- stl_<leaseId>_<periodIndex>
  id TEXT PRIMARY KEY NOT NULL,
  lease_id TEXT NOT NULL,
  node_id TEXT NOT NULL,
  farmer_id TEXT NOT NULL,
  payer_account_id TEXT NOT NULL,
  farmer_account_id TEXT NOT NULL,
  period_index INTEGER NOT NULL CHECK (period_index >= 0),
  period_start INTEGER NOT NULL,
  period_end INTEGER NOT NULL,
  running_ms INTEGER NOT NULL CHECK (running_ms >= 0),
  -- what was owed for the period, and what of it could not be collected (forgiven)
  owed_minor INTEGER NOT NULL CHECK (owed_minor >= 0),
  unpaid_minor INTEGER NOT NULL CHECK (unpaid_minor >= 0),
  -- what was collected and split: charge = farmer + burn + threefold, exactly
  charge_minor INTEGER NOT NULL CHECK (charge_minor >= 0),
  farmer_minor INTEGER NOT NULL CHECK (farmer_minor >= 0),
  burn_minor INTEGER NOT NULL CHECK (burn_minor >= 0),
  threefold_minor INTEGER NOT NULL CHECK (threefold_minor >= 0),
  -- the burn's TFT equivalent at the oracle price, what the vault burned, and the shortfall
  burn_tft_minor INTEGER NOT NULL CHECK (burn_tft_minor >= 0),
  burned_tft_minor INTEGER NOT NULL CHECK (burned_tft_minor >= 0),
  cc_usd TEXT,
  tft_usd TEXT,
  created_at INTEGER NOT NULL,
  CHECK (farmer_minor + burn_minor + threefold_minor = charge_minor),
  CHECK (charge_minor + unpaid_minor = owed_minor),
  CHECK (burned_tft_minor <= burn_tft_minor)
);
--> statement-breakpoint
CREATE INDEX settlements_farmer_time ON settlements (farmer_id, period_end);
--> statement-breakpoint
CREATE INDEX settlements_lease ON settlements (lease_id, period_index);
--> statement-breakpoint
-- TFT the burn owed but the vault could not cover (or could not be valued): bought back later.
CREATE TABLE burn_obligations (
  id TEXT PRIMARY KEY NOT NULL,
  settlement_id TEXT NOT NULL REFERENCES settlements(id),
  burn_cc_minor INTEGER NOT NULL CHECK (burn_cc_minor > 0),
  -- TFT still to buy back and burn; NULL when no TFT price was known to value it
  tft_minor INTEGER CHECK (tft_minor IS NULL OR tft_minor > 0),
  reason TEXT NOT NULL CHECK (reason IN ('vault_shortfall', 'no_price')),
  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'settled')),
  created_at INTEGER NOT NULL
);
--> statement-breakpoint
CREATE INDEX burn_obligations_status ON burn_obligations (status, created_at);
--> statement-breakpoint
-- Reverse auctions: a user's requirements, farmers' offers, one accepted offer becomes a lease.
CREATE TABLE capacity_requests (
  id TEXT PRIMARY KEY NOT NULL,
  owner_id TEXT NOT NULL,
  account_id TEXT NOT NULL REFERENCES accounts(id),
  slices INTEGER NOT NULL CHECK (slices >= 1),
  -- SliceRequirements as JSON
  requirements TEXT NOT NULL,
  duration_hours INTEGER NOT NULL CHECK (duration_hours >= 1),
  max_price_cc TEXT NOT NULL,
  budget_minor INTEGER NOT NULL CHECK (budget_minor > 0),
  deadline_at INTEGER NOT NULL,
  accept_cheapest_at_deadline INTEGER NOT NULL CHECK (accept_cheapest_at_deadline IN (0, 1)),
  status TEXT NOT NULL CHECK (status IN ('open', 'accepting', 'accepted', 'expired', 'cancelled')),
  accepting_offer_id TEXT,
  lease_id TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
--> statement-breakpoint
CREATE INDEX capacity_requests_status ON capacity_requests (status, deadline_at);
--> statement-breakpoint
CREATE INDEX capacity_requests_owner ON capacity_requests (owner_id, created_at);
--> statement-breakpoint
CREATE TABLE capacity_offers (
  id TEXT PRIMARY KEY NOT NULL,
  request_id TEXT NOT NULL REFERENCES capacity_requests(id),
  node_id TEXT NOT NULL REFERENCES nodes(id),
  farmer_id TEXT NOT NULL,
  price_cc TEXT NOT NULL,
  -- price × 10^12, for ordering offers by price
  price_pico INTEGER NOT NULL CHECK (price_pico > 0),
  status TEXT NOT NULL CHECK (status IN ('open', 'accepted', 'failed', 'lost')),
  detail TEXT,
  created_at INTEGER NOT NULL,
  UNIQUE (request_id, node_id)
);
--> statement-breakpoint
CREATE INDEX capacity_offers_request ON capacity_offers (request_id, price_pico, created_at);
--> statement-breakpoint
-- ThreeFold's standing bids (§16), configured by admins.
CREATE TABLE bid_packages (
  id TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  requirements TEXT NOT NULL,
  price_cc_per_slice_month TEXT NOT NULL,
  slices_committed INTEGER NOT NULL CHECK (slices_committed >= 0),
  lease_hours INTEGER NOT NULL CHECK (lease_hours >= 1),
  active INTEGER NOT NULL CHECK (active IN (0, 1)),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
--> statement-breakpoint
CREATE TABLE package_commitments (
  id TEXT PRIMARY KEY NOT NULL,
  package_id TEXT NOT NULL REFERENCES bid_packages(id),
  node_id TEXT NOT NULL REFERENCES nodes(id),
  farmer_id TEXT NOT NULL,
  slices INTEGER NOT NULL CHECK (slices >= 1),
  lease_id TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL CHECK (status IN ('active', 'ended', 'refused')),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
--> statement-breakpoint
CREATE INDEX package_commitments_package ON package_commitments (package_id, status);
--> statement-breakpoint
-- Progress markers of the market's cron steps (e.g. the last hour reliability was recomputed for).
CREATE TABLE market_cron_state (
  name TEXT PRIMARY KEY NOT NULL,
  value INTEGER NOT NULL
);
