-- Cloud Credits: oracle price rounds with every source's quote (manual prices are rounds too).
CREATE TABLE price_rounds (
  id TEXT PRIMARY KEY NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('gold', 'tft')),
  -- accepted price in USD (per gram for gold, per token for TFT) as a decimal string; NULL: no quorum
  price_usd TEXT,
  quorum_met INTEGER NOT NULL CHECK (quorum_met IN (0, 1)),
  source TEXT NOT NULL CHECK (source IN ('oracle', 'manual')),
  reason TEXT,
  expires_at INTEGER,
  created_by TEXT,
  created_at INTEGER NOT NULL,
  CHECK (source = 'oracle' OR (price_usd IS NOT NULL AND reason IS NOT NULL AND expires_at IS NOT NULL))
);
--> statement-breakpoint
CREATE INDEX price_rounds_kind_time ON price_rounds (kind, created_at);
--> statement-breakpoint
CREATE TABLE price_quotes (
  round_id TEXT NOT NULL REFERENCES price_rounds (id),
  source TEXT NOT NULL,
  price_usd TEXT,
  observed_at INTEGER,
  status TEXT NOT NULL CHECK (status IN ('accepted', 'dropped')),
  reason TEXT,
  error TEXT,
  PRIMARY KEY (round_id, source)
);
