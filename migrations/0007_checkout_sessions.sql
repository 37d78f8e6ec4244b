-- Card checkout through Stripe: the Checkout Session the service created for a quote (its id and
-- payment page), so a retry with the same Idempotency-Key and GET /v1/credits/checkout/{id} show it.
-- Null for quotes made without a Stripe key (the client creates the session itself).
ALTER TABLE `checkout_quotes` ADD `checkout_session_id` text;--> statement-breakpoint
ALTER TABLE `checkout_quotes` ADD `checkout_url` text;