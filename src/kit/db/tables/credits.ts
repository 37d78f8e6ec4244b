/**
 * The tables of Cloud Credits and the oracle (migration 0003): prices, webhooks, deposits, card
 * payments and their reversals, conversions and withdrawals. Single-column CHECKs and the
 * withdrawal status trigger live in the migration's SQL; drizzle describes columns and indexes.
 */
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { int, minorUnits } from "../columns";
import { accounts } from "./ledger";

export const priceRounds = sqliteTable(
  "price_rounds",
  {
    id: text("id").primaryKey(),
    kind: text("kind", { enum: ["gold", "tft"] }).notNull(),
    priceUsd: text("price_usd"),
    quorumMet: int("quorum_met").notNull(),
    source: text("source", { enum: ["oracle", "manual"] }).notNull(),
    reason: text("reason"),
    expiresAtMs: int("expires_at"),
    createdBy: text("created_by"),
    createdAtMs: int("created_at").notNull(),
  },
  (table) => [index("price_rounds_kind_time").on(table.kind, table.createdAtMs)],
);

export const priceQuotes = sqliteTable(
  "price_quotes",
  {
    roundId: text("round_id")
      .notNull()
      .references(() => priceRounds.id),
    source: text("source").notNull(),
    priceUsd: text("price_usd"),
    observedAtMs: int("observed_at"),
    status: text("status", { enum: ["accepted", "dropped"] }).notNull(),
    reason: text("reason"),
    error: text("error"),
  },
  (table) => [primaryKey({ columns: [table.roundId, table.source] })],
);

export const webhookEvents = sqliteTable(
  "webhook_events",
  {
    provider: text("provider", { enum: ["stripe", "tft_bridge"] }).notNull(),
    id: text("id").notNull(),
    type: text("type").notNull(),
    outcome: text("outcome").notNull(),
    detail: text("detail"),
    createdAtMs: int("created_at").notNull(),
    receivedAtMs: int("received_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.provider, table.id] })],
);

export const tftDeposits = sqliteTable(
  "tft_deposits",
  {
    id: text("id").primaryKey(),
    eventId: text("event_id").notNull(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    tftMinor: minorUnits("tft_amount").notNull(),
    tfpMinor: minorUnits("tfp_amount").notNull(),
    txHash: text("tx_hash"),
    createdAtMs: int("created_at").notNull(),
  },
  (table) => [index("tft_deposits_account").on(table.accountId, table.createdAtMs)],
);

export const checkoutQuotes = sqliteTable(
  "checkout_quotes",
  {
    id: text("id").primaryKey(),
    ownerId: text("owner_id").notNull(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    usdMinor: minorUnits("usd_amount").notNull(),
    ccMinor: minorUnits("cc_amount").notNull(),
    ccUsd: text("cc_usd").notNull(),
    goldRoundId: text("gold_round_id").notNull(),
    expiresAtMs: int("expires_at").notNull(),
    paymentId: text("payment_id"),
    createdAtMs: int("created_at").notNull(),
    /** The Stripe Checkout Session created for the quote (null: made without a Stripe key). */
    checkoutSessionId: text("checkout_session_id"),
    /** That session's payment page. */
    checkoutUrl: text("checkout_url"),
  },
  (table) => [index("checkout_quotes_owner").on(table.ownerId, table.createdAtMs)],
);

export const cardPayments = sqliteTable(
  "card_payments",
  {
    id: text("id").primaryKey(),
    quoteId: text("quote_id"),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    usdPaidMinor: minorUnits("usd_paid").notNull(),
    ccMintedMinor: minorUnits("cc_minted").notNull(),
    ccUsd: text("cc_usd").notNull(),
    pricedBy: text("priced_by", { enum: ["quote", "current_peg"] }).notNull(),
    usdReversedMinor: minorUnits("usd_reversed").notNull().default(sql`0`),
    ccBurnedMinor: minorUnits("cc_burned").notNull().default(sql`0`),
    ccClaimedMinor: minorUnits("cc_claimed").notNull().default(sql`0`),
    eventId: text("event_id").notNull(),
    createdAtMs: int("created_at").notNull(),
    updatedAtMs: int("updated_at").notNull(),
  },
  (table) => [uniqueIndex("card_payments_quote").on(table.quoteId).where(sql`priced_by = 'quote'`)],
);

export const cardPaymentRevisions = sqliteTable(
  "card_payment_revisions",
  {
    paymentId: text("payment_id").notNull(),
    revision: int("revision").notNull(),
    eventId: text("event_id").notNull(),
    createdAtMs: int("created_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.paymentId, table.revision] })],
);

export const cardRefunds = sqliteTable("card_refunds", {
  paymentId: text("payment_id").primaryKey(),
  usdRefundedMinor: minorUnits("usd_refunded").notNull(),
  updatedAtMs: int("updated_at").notNull(),
});

export const cardDisputes = sqliteTable(
  "card_disputes",
  {
    id: text("id").primaryKey(),
    paymentId: text("payment_id").notNull(),
    usdMinor: minorUnits("usd_amount").notNull(),
    status: text("status").notNull(),
    eventCreatedAtMs: int("event_created_at").notNull(),
    updatedAtMs: int("updated_at").notNull(),
  },
  (table) => [index("card_disputes_payment").on(table.paymentId)],
);

export const creditClaims = sqliteTable(
  "credit_claims",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    paymentId: text("payment_id").notNull(),
    amountMinor: minorUnits("amount").notNull(),
    eventId: text("event_id").notNull(),
    createdAtMs: int("created_at").notNull(),
  },
  (table) => [index("credit_claims_account").on(table.accountId)],
);

export const conversionQuotes = sqliteTable(
  "conversion_quotes",
  {
    id: text("id").primaryKey(),
    ownerId: text("owner_id").notNull(),
    pool: text("pool", { enum: ["entry", "market"] }).notNull(),
    fromAccountId: text("from_account_id")
      .notNull()
      .references(() => accounts.id),
    toAccountId: text("to_account_id")
      .notNull()
      .references(() => accounts.id),
    fromAsset: text("from_asset", { enum: ["CC", "TFP"] }).notNull(),
    toAsset: text("to_asset", { enum: ["CC", "TFP"] }).notNull(),
    amountInMinor: minorUnits("amount_in").notNull(),
    amountOutMinor: minorUnits("amount_out").notNull(),
    ccUsd: text("cc_usd").notNull(),
    tftMarketUsd: text("tft_market_usd").notNull(),
    goldRoundId: text("gold_round_id").notNull(),
    tftRoundId: text("tft_round_id").notNull(),
    expiresAtMs: int("expires_at").notNull(),
    executedAtMs: int("executed_at"),
    createdAtMs: int("created_at").notNull(),
  },
  (table) => [index("conversion_quotes_owner").on(table.ownerId, table.createdAtMs)],
);

export const withdrawals = sqliteTable(
  "withdrawals",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    id: text("id").notNull().unique(),
    ownerId: text("owner_id").notNull(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    tfpMinor: minorUnits("tfp_amount").notNull(),
    tftMinor: minorUnits("tft_amount").notNull(),
    destination: text("destination").notNull(),
    status: text("status", { enum: ["pending", "paid", "failed"] }).notNull(),
    tfpHoldId: text("tfp_hold_id").notNull(),
    tftHoldId: text("tft_hold_id").notNull(),
    tftMarketUsd: text("tft_market_usd").notNull(),
    txHash: text("tx_hash"),
    failureReason: text("failure_reason"),
    settledEventId: text("settled_event_id"),
    createdAtMs: int("created_at").notNull(),
    updatedAtMs: int("updated_at").notNull(),
  },
  (table) => [
    index("withdrawals_status").on(table.status, table.seq),
    index("withdrawals_owner").on(table.ownerId, table.seq),
  ],
);
