-- A node that stops sending heartbeats is taken offline by the market cron (its running leases
-- pause and are not charged); auto_offline_at records when, so that its next heartbeat brings it
-- back online. A state the farmer sets by hand clears it (and is never undone by a heartbeat).
ALTER TABLE nodes ADD COLUMN auto_offline_at INTEGER;
--> statement-breakpoint
-- The cron's search for silent nodes: online ones by last contact.
CREATE INDEX nodes_heartbeat ON nodes (state, last_heartbeat_at);
--> statement-breakpoint
-- Burn obligations are burned from the vault by the cron once it can cover them
-- (src/market/obligations.ts): when, with tft_minor then the amount burned.
ALTER TABLE burn_obligations ADD COLUMN settled_at INTEGER;
