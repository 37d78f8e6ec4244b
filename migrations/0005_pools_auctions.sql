-- Liquidity pools and the Dutch-auction exit (ECONOMICS §8, §9). Amounts are INTEGER minor units
-- (TFP scale 7, USDC scale 6); a position's value is frozen in USDC minor units (1 USDC = 1 USD).
-- Money itself lives in the ledger: each pool owns one USDC and one TFP account of kind 'pool'.
CREATE TABLE pools (
  id TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  usdc_account_id TEXT NOT NULL UNIQUE REFERENCES accounts(id),
  tfp_account_id TEXT NOT NULL UNIQUE REFERENCES accounts(id),
  -- §9.2 share rule: 'valueTimesTime' (default) or 'valueOnly'
  weight_rule TEXT NOT NULL CHECK (weight_rule IN ('valueTimesTime', 'valueOnly')),
  created_by TEXT,
  created_at INTEGER NOT NULL
);
--> statement-breakpoint
CREATE INDEX pools_created ON pools (created_at, id);
--> statement-breakpoint
-- One contribution: permanent, not transferable, no LP token (§9.1). Written in the same atomic
-- write as the ledger transfer that moved the asset into the pool (transfer_id).
CREATE TABLE pool_positions (
  id TEXT PRIMARY KEY NOT NULL,
  pool_id TEXT NOT NULL REFERENCES pools(id),
  owner_id TEXT NOT NULL,
  asset TEXT NOT NULL CHECK (asset IN ('USDC', 'TFP')),
  amount INTEGER NOT NULL CHECK (amount > 0),
  -- value at contribution time, USDC minor units, rounded down; never re-priced
  value_usdc INTEGER NOT NULL CHECK (value_usdc >= 0),
  -- USD per unit of the asset used for value_usdc ('1' for USDC, the TFT market price for TFP)
  price_usd TEXT NOT NULL,
  price_round_id TEXT,
  source_account_id TEXT NOT NULL REFERENCES accounts(id),
  -- the owner's USDC account that receives this position's share of exit margins
  reward_account_id TEXT NOT NULL REFERENCES accounts(id),
  transfer_id TEXT NOT NULL UNIQUE,
  contributed_at INTEGER NOT NULL
);
--> statement-breakpoint
CREATE INDEX pool_positions_pool ON pool_positions (pool_id, contributed_at, id);
--> statement-breakpoint
CREATE INDEX pool_positions_owner ON pool_positions (owner_id);
--> statement-breakpoint
-- One exit round; its Durable Object (AuctionRound) is the single writer of its state, this row
-- mirrors it so rounds can be listed without waking every object.
CREATE TABLE auction_rounds (
  id TEXT PRIMARY KEY NOT NULL,
  pool_id TEXT NOT NULL REFERENCES pools(id),
  state TEXT NOT NULL CHECK (state IN ('open', 'clearing', 'settling', 'settled', 'void')),
  -- the round's configuration as JSON (rules, limits, reference price source, settlement batches)
  config TEXT NOT NULL,
  opens_at INTEGER NOT NULL,
  closes_at INTEGER NOT NULL,
  cancellation_deadline_at INTEGER NOT NULL,
  created_by TEXT,
  created_at INTEGER NOT NULL,
  cleared_at INTEGER,
  settled_at INTEGER,
  -- after clearing: TFP minor units accepted, USDC minor units paid to winners, margin created
  filled_tfp INTEGER,
  payout_usdc INTEGER,
  margin_usdc INTEGER,
  -- after clearing: the published result as JSON
  result TEXT,
  last_error TEXT,
  updated_at INTEGER NOT NULL,
  CHECK (opens_at < closes_at AND cancellation_deadline_at <= closes_at)
);
--> statement-breakpoint
-- At most one unsettled round per pool: the lifetime cap reads past exits, so rounds of one pool
-- must not clear concurrently.
CREATE UNIQUE INDEX auction_rounds_one_active ON auction_rounds (pool_id) WHERE state IN ('open', 'clearing', 'settling');
--> statement-breakpoint
CREATE INDEX auction_rounds_created ON auction_rounds (created_at, id);
--> statement-breakpoint
CREATE INDEX auction_rounds_pool ON auction_rounds (pool_id, created_at);
--> statement-breakpoint
-- Bids as the ledger saw them: inserted with the bid's hold, updated with its cancellation or
-- settlement, in the same atomic writes. Sealed until the round clears (the API shows a caller
-- only their own bids before that).
CREATE TABLE auction_bids (
  id TEXT PRIMARY KEY NOT NULL,
  round_id TEXT NOT NULL REFERENCES auction_rounds(id),
  owner_id TEXT NOT NULL,
  account_id TEXT NOT NULL REFERENCES accounts(id),
  payout_account_id TEXT NOT NULL REFERENCES accounts(id),
  amount INTEGER NOT NULL CHECK (amount > 0),
  min_price TEXT NOT NULL,
  submit_seq INTEGER NOT NULL,
  hold_id TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL CHECK (status IN ('held', 'cancelled', 'filled', 'partial', 'rejected', 'ineligible')),
  accepted INTEGER,
  payout INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (round_id, submit_seq)
);
--> statement-breakpoint
CREATE INDEX auction_bids_owner ON auction_bids (round_id, owner_id);
--> statement-breakpoint
-- Exit margins credited to positions (§8.6), one row per round and position, each with the
-- ledger transfer that paid it.
CREATE TABLE position_rewards (
  round_id TEXT NOT NULL REFERENCES auction_rounds(id),
  position_id TEXT NOT NULL REFERENCES pool_positions(id),
  amount INTEGER NOT NULL CHECK (amount > 0),
  transfer_id TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (round_id, position_id)
);
--> statement-breakpoint
CREATE INDEX position_rewards_position ON position_rewards (position_id);
