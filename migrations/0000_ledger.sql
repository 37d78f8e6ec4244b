CREATE TABLE `accounts` (
	`id` text PRIMARY KEY NOT NULL,
	`owner_id` text,
	`asset` text NOT NULL,
	`kind` text NOT NULL,
	`name` text,
	`flags` integer DEFAULT 0 NOT NULL,
	`debits_pending` integer DEFAULT 0 NOT NULL,
	`debits_posted` integer DEFAULT 0 NOT NULL,
	`credits_pending` integer DEFAULT 0 NOT NULL,
	`credits_posted` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	CONSTRAINT "accounts_totals_non_negative" CHECK("accounts"."debits_pending" >= 0 AND "accounts"."debits_posted" >= 0 AND "accounts"."credits_pending" >= 0 AND "accounts"."credits_posted" >= 0),
	CONSTRAINT "accounts_no_overdraft" CHECK(("accounts"."flags" & 1) = 0 OR "accounts"."credits_posted" - "accounts"."debits_posted" - "accounts"."debits_pending" >= 0)
);
--> statement-breakpoint
CREATE INDEX `accounts_owner` ON `accounts` (`owner_id`,`asset`);--> statement-breakpoint
CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`prefix` text NOT NULL,
	`hash` text NOT NULL,
	`owner_id` text NOT NULL,
	`role` text NOT NULL,
	`name` text,
	`created_at` integer NOT NULL,
	`expires_at` integer,
	`revoked_at` integer,
	`rotated_from_id` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_prefix` ON `api_keys` (`prefix`);--> statement-breakpoint
CREATE INDEX `api_keys_owner` ON `api_keys` (`owner_id`);--> statement-breakpoint
CREATE TABLE `holds` (
	`id` text PRIMARY KEY NOT NULL,
	`debit_account_id` text NOT NULL,
	`credit_account_id` text NOT NULL,
	`asset` text NOT NULL,
	`amount` integer NOT NULL,
	`posted` integer DEFAULT 0 NOT NULL,
	`remaining` integer NOT NULL,
	`status` text NOT NULL,
	`expires_at` integer,
	`updated_at` integer NOT NULL,
	CONSTRAINT "holds_remaining_bounds" CHECK("holds"."remaining" >= 0 AND "holds"."remaining" <= "holds"."amount")
);
--> statement-breakpoint
CREATE INDEX `holds_expiry` ON `holds` (`status`,`expires_at`);--> statement-breakpoint
CREATE TABLE `idempotency_records` (
	`owner_id` text NOT NULL,
	`key` text NOT NULL,
	`fingerprint` text NOT NULL,
	`status` integer NOT NULL,
	`body` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `idempotency_records_key` ON `idempotency_records` (`owner_id`,`key`);--> statement-breakpoint
CREATE TABLE `transfers` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`type` text NOT NULL,
	`debit_account_id` text NOT NULL,
	`credit_account_id` text NOT NULL,
	`asset` text NOT NULL,
	`amount` integer NOT NULL,
	`pending_id` text,
	`pending_released` integer,
	`timeout_at` integer,
	`flags` integer DEFAULT 0 NOT NULL,
	`code` text NOT NULL,
	`metadata` text,
	`link_id` text,
	`fingerprint` text NOT NULL,
	`created_at` integer NOT NULL,
	CONSTRAINT "transfers_amount_positive" CHECK("transfers"."amount" > 0),
	CONSTRAINT "transfers_distinct_accounts" CHECK("transfers"."debit_account_id" <> "transfers"."credit_account_id"),
	CONSTRAINT "transfers_pending_reference" CHECK(("transfers"."type" IN ('post_pending', 'void_pending')) = ("transfers"."pending_id" IS NOT NULL))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `transfers_id` ON `transfers` (`id`);--> statement-breakpoint
CREATE INDEX `transfers_debit` ON `transfers` (`debit_account_id`,`seq`);--> statement-breakpoint
CREATE INDEX `transfers_credit` ON `transfers` (`credit_account_id`,`seq`);