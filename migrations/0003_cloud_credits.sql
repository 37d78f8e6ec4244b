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
--> statement-breakpoint
-- Webhook events already handled, per provider: the row is written in the same atomic batch as
-- the event's effect (its transfers), so an event applies exactly once however often it arrives.
CREATE TABLE webhook_events (
  provider TEXT NOT NULL CHECK (provider IN ('stripe', 'tft_bridge')),
  id TEXT NOT NULL,
  type TEXT NOT NULL,
  -- what the event did: applied, duplicate_payment, duplicate_deposit, ignored, unmatched, …
  outcome TEXT NOT NULL,
  detail TEXT,
  -- the provider's event time and ours, ms since the epoch
  created_at INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (provider, id)
);
--> statement-breakpoint
-- TFT deposits announced by the bridge, one row per deposit (whatever event ids announce it).
CREATE TABLE tft_deposits (
  id TEXT PRIMARY KEY NOT NULL,
  event_id TEXT NOT NULL,
  account_id TEXT NOT NULL REFERENCES accounts (id),
  tft_amount INTEGER NOT NULL CHECK (tft_amount > 0),
  tfp_amount INTEGER NOT NULL CHECK (tfp_amount > 0),
  tx_hash TEXT,
  created_at INTEGER NOT NULL
);
--> statement-breakpoint
CREATE INDEX tft_deposits_account ON tft_deposits (account_id, created_at);
--> statement-breakpoint
-- Card checkout quotes: USD → CC at the peg of the moment, valid until expires_at. payment_id is
-- the first payment priced by the quote; a quote prices at most one payment.
CREATE TABLE checkout_quotes (
  id TEXT PRIMARY KEY NOT NULL,
  owner_id TEXT NOT NULL,
  account_id TEXT NOT NULL REFERENCES accounts (id),
  usd_amount INTEGER NOT NULL CHECK (usd_amount > 0),
  cc_amount INTEGER NOT NULL CHECK (cc_amount > 0),
  cc_usd TEXT NOT NULL,
  gold_round_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  payment_id TEXT,
  created_at INTEGER NOT NULL
);
--> statement-breakpoint
CREATE INDEX checkout_quotes_owner ON checkout_quotes (owner_id, created_at);
--> statement-breakpoint
-- Card payments that minted CC (id: the Stripe PaymentIntent id), with what refunds and
-- disputes reversed so far: USD returned, CC burned from the account, CC still owed (claimed).
CREATE TABLE card_payments (
  id TEXT PRIMARY KEY NOT NULL,
  quote_id TEXT,
  account_id TEXT NOT NULL REFERENCES accounts (id),
  usd_paid INTEGER NOT NULL CHECK (usd_paid > 0),
  cc_minted INTEGER NOT NULL CHECK (cc_minted >= 0),
  cc_usd TEXT NOT NULL,
  priced_by TEXT NOT NULL CHECK (priced_by IN ('quote', 'current_peg')),
  usd_reversed INTEGER NOT NULL DEFAULT 0 CHECK (usd_reversed >= 0 AND usd_reversed <= usd_paid),
  cc_burned INTEGER NOT NULL DEFAULT 0 CHECK (cc_burned >= 0),
  cc_claimed INTEGER NOT NULL DEFAULT 0 CHECK (cc_claimed >= 0),
  event_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  CHECK (cc_burned + cc_claimed <= cc_minted)
);
--> statement-breakpoint
-- A quote prices at most one payment: a second payment citing it is priced at the current peg.
CREATE UNIQUE INDEX card_payments_quote ON card_payments (quote_id) WHERE priced_by = 'quote';
--> statement-breakpoint
-- Optimistic concurrency per payment: every write about a payment (its mint, a refund, a
-- dispute) inserts the next revision in its batch, so two writers that read the same state
-- cannot both commit; the loser's batch aborts whole and it re-reads. Also the payment's log.
CREATE TABLE card_payment_revisions (
  payment_id TEXT NOT NULL,
  revision INTEGER NOT NULL,
  event_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (payment_id, revision)
);
--> statement-breakpoint
-- Refunds per payment: the largest cumulative amount Stripe reported (order-independent).
CREATE TABLE card_refunds (
  payment_id TEXT PRIMARY KEY NOT NULL,
  usd_refunded INTEGER NOT NULL CHECK (usd_refunded >= 0),
  updated_at INTEGER NOT NULL
);
--> statement-breakpoint
-- Disputes per payment with their latest status (won / lost / warning_closed are final).
CREATE TABLE card_disputes (
  id TEXT PRIMARY KEY NOT NULL,
  payment_id TEXT NOT NULL,
  usd_amount INTEGER NOT NULL CHECK (usd_amount >= 0),
  status TEXT NOT NULL,
  event_created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
--> statement-breakpoint
CREATE INDEX card_disputes_payment ON card_disputes (payment_id);
--> statement-breakpoint
-- Claims against accounts: CC a refund or dispute took back that the account no longer held.
-- A journal: + records a shortfall, − forgives one (a dispute won); the sum is what is owed.
CREATE TABLE credit_claims (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id TEXT NOT NULL REFERENCES accounts (id),
  payment_id TEXT NOT NULL,
  amount INTEGER NOT NULL CHECK (amount <> 0),
  event_id TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
--> statement-breakpoint
CREATE INDEX credit_claims_account ON credit_claims (account_id);
--> statement-breakpoint
-- CC ↔ TFP conversion quotes; a quote executes at most once (executed_at), through transfers
-- whose ids derive from the quote id.
CREATE TABLE conversion_quotes (
  id TEXT PRIMARY KEY NOT NULL,
  owner_id TEXT NOT NULL,
  pool TEXT NOT NULL CHECK (pool IN ('entry', 'market')),
  from_account_id TEXT NOT NULL REFERENCES accounts (id),
  to_account_id TEXT NOT NULL REFERENCES accounts (id),
  from_asset TEXT NOT NULL CHECK (from_asset IN ('CC', 'TFP')),
  to_asset TEXT NOT NULL CHECK (to_asset IN ('CC', 'TFP')),
  amount_in INTEGER NOT NULL CHECK (amount_in > 0),
  amount_out INTEGER NOT NULL CHECK (amount_out > 0),
  cc_usd TEXT NOT NULL,
  tft_market_usd TEXT NOT NULL,
  gold_round_id TEXT NOT NULL,
  tft_round_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  executed_at INTEGER,
  created_at INTEGER NOT NULL,
  CHECK (from_asset <> to_asset)
);
--> statement-breakpoint
CREATE INDEX conversion_quotes_owner ON conversion_quotes (owner_id, created_at);
--> statement-breakpoint
-- TFP → TFT withdrawals: the outbox the bridge pays from. While pending, the TFP is held
-- (account → acc_burn_tfp) and so is the vault's TFT (acc_vault_tft → acc_issuance_tft); the
-- bridge's signed event posts both (paid) or voids both (failed). paid and failed are final.
CREATE TABLE withdrawals (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  owner_id TEXT NOT NULL,
  account_id TEXT NOT NULL REFERENCES accounts (id),
  tfp_amount INTEGER NOT NULL CHECK (tfp_amount > 0),
  tft_amount INTEGER NOT NULL CHECK (tft_amount > 0),
  destination TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'failed')),
  tfp_hold_id TEXT NOT NULL,
  tft_hold_id TEXT NOT NULL,
  tft_market_usd TEXT NOT NULL,
  tx_hash TEXT,
  failure_reason TEXT,
  settled_event_id TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
--> statement-breakpoint
CREATE INDEX withdrawals_status ON withdrawals (status, seq);
--> statement-breakpoint
CREATE INDEX withdrawals_owner ON withdrawals (owner_id, seq);
--> statement-breakpoint
CREATE TRIGGER withdrawals_final_status BEFORE UPDATE OF status ON withdrawals
WHEN OLD.status <> 'pending' AND NEW.status <> OLD.status
BEGIN
  SELECT RAISE(ABORT, 'LEDGER:CONFLICT');
END;
