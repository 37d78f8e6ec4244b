/**
 * The ledger's tables (migrations 0000-0002) and the kit's (API keys, idempotency records).
 * Amounts are INTEGER minor units of the row's asset; times are INTEGER epoch milliseconds. The
 * double-entry rules themselves are enforced by the CHECK constraints below and by the triggers
 * of migration 0001 (see docs/ARCHITECTURE.md): whatever writes to `transfers`, balances follow
 * and never overdraw.
 */
import { sql } from "drizzle-orm";
import { check, index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { int, minorUnits } from "../columns";

/** Account flag bits. */
export const accountFlags = {
  /** Debits (posted + pending) may never exceed credits: user, farmer, lp, escrow accounts. */
  debitsMustNotExceedCredits: 1,
  /** No new transfers may touch the account. */
  closed: 2,
} as const;

/** Transfer flag bits. */
export const transferFlags = {
  /** On a post of a pending transfer: release what is left of the hold. */
  finalPost: 1,
} as const;

export const accountKinds = [
  "user",
  "farmer",
  "lp",
  "treasury",
  "issuance",
  "burn",
  "vault",
  "escrow",
  "pool",
] as const;
export type AccountKind = (typeof accountKinds)[number];

export const transferTypes = ["posted", "pending", "post_pending", "void_pending"] as const;
export type TransferType = (typeof transferTypes)[number];

export const accounts = sqliteTable(
  "accounts",
  {
    id: text("id").primaryKey(),
    ownerId: text("owner_id"),
    asset: text("asset").notNull(),
    kind: text("kind", { enum: accountKinds }).notNull(),
    name: text("name"),
    flags: int("flags").notNull().default(0),
    debitsPendingMinor: minorUnits("debits_pending").notNull().default(sql`0`),
    debitsPostedMinor: minorUnits("debits_posted").notNull().default(sql`0`),
    creditsPendingMinor: minorUnits("credits_pending").notNull().default(sql`0`),
    creditsPostedMinor: minorUnits("credits_posted").notNull().default(sql`0`),
    createdAtMs: int("created_at").notNull(),
  },
  (table) => [
    index("accounts_owner").on(table.ownerId, table.asset),
    check(
      "accounts_totals_non_negative",
      sql`${table.debitsPendingMinor} >= 0 AND ${table.debitsPostedMinor} >= 0 AND ${table.creditsPendingMinor} >= 0 AND ${table.creditsPostedMinor} >= 0`,
    ),
    check(
      "accounts_no_overdraft",
      sql`(${table.flags} & 1) = 0 OR ${table.creditsPostedMinor} - ${table.debitsPostedMinor} - ${table.debitsPendingMinor} >= 0`,
    ),
  ],
);

export const transfers = sqliteTable(
  "transfers",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    id: text("id").notNull(),
    type: text("type", { enum: transferTypes }).notNull(),
    debitAccountId: text("debit_account_id").notNull(),
    creditAccountId: text("credit_account_id").notNull(),
    asset: text("asset").notNull(),
    amountMinor: minorUnits("amount").notNull(),
    pendingId: text("pending_id"),
    /** Filled by the trigger for post/void: how much of the hold this transfer released. */
    pendingReleasedMinor: minorUnits("pending_released"),
    timeoutAtMs: int("timeout_at"),
    flags: int("flags").notNull().default(0),
    code: text("code").notNull(),
    metadata: text("metadata"),
    linkId: text("link_id"),
    fingerprint: text("fingerprint").notNull(),
    createdAtMs: int("created_at").notNull(),
  },
  (table) => [
    uniqueIndex("transfers_id").on(table.id),
    index("transfers_debit").on(table.debitAccountId, table.seq),
    index("transfers_credit").on(table.creditAccountId, table.seq),
    // The bids' holds by payer account, newest last: `GET /v1/bids` reads an owner's (partial:
    // only bid holds, so no other transfer pays for it).
    index("transfers_bid_holds").on(table.debitAccountId, table.seq).where(sql`${table.code} = 'bid_hold'`),
    check("transfers_amount_positive", sql`${table.amountMinor} > 0`),
    check("transfers_distinct_accounts", sql`${table.debitAccountId} <> ${table.creditAccountId}`),
    check(
      "transfers_pending_reference",
      sql`(${table.type} IN ('post_pending', 'void_pending')) = (${table.pendingId} IS NOT NULL)`,
    ),
  ],
);

export const holdStatuses = ["pending", "posted", "voided", "expired"] as const;
export type HoldStatus = (typeof holdStatuses)[number];

/** The live state of each pending transfer: derived from `transfers` by the triggers. */
export const holds = sqliteTable(
  "holds",
  {
    id: text("id").primaryKey(),
    debitAccountId: text("debit_account_id").notNull(),
    creditAccountId: text("credit_account_id").notNull(),
    asset: text("asset").notNull(),
    amountMinor: minorUnits("amount").notNull(),
    postedMinor: minorUnits("posted").notNull().default(sql`0`),
    remainingMinor: minorUnits("remaining").notNull(),
    status: text("status", { enum: holdStatuses }).notNull(),
    expiresAtMs: int("expires_at"),
    updatedAtMs: int("updated_at").notNull(),
  },
  (table) => [
    index("holds_expiry").on(table.status, table.expiresAtMs),
    check(
      "holds_remaining_bounds",
      sql`${table.remainingMinor} >= 0 AND ${table.remainingMinor} <= ${table.amountMinor}`,
    ),
  ],
);

/**
 * Roles of API keys. `node` is a node's agent: a key bound to one node (`api_keys.node_id`), allowed
 * only the agent's calls on that node (its heartbeat, its assignments and their states); its owner is
 * the node's farmer.
 */
export const roles = ["admin", "user", "farmer", "lp", "oracle", "node"] as const;
export type Role = (typeof roles)[number];

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    prefix: text("prefix").notNull(),
    hash: text("hash").notNull(),
    ownerId: text("owner_id").notNull(),
    role: text("role", { enum: roles }).notNull(),
    name: text("name"),
    createdAtMs: int("created_at").notNull(),
    expiresAtMs: int("expires_at"),
    revokedAtMs: int("revoked_at"),
    rotatedFromId: text("rotated_from_id"),
    /** The node a `node` key is bound to; null for every other role. */
    nodeId: text("node_id"),
  },
  (table) => [
    uniqueIndex("api_keys_prefix").on(table.prefix),
    index("api_keys_owner").on(table.ownerId),
    // A key's successor after a rotation (`GET /v1/keys` shows it).
    index("api_keys_rotated_from").on(table.rotatedFromId),
  ],
);

/** Responses of value-moving POSTs, replayed for a repeated Idempotency-Key. */
export const idempotencyRecords = sqliteTable(
  "idempotency_records",
  {
    ownerId: text("owner_id").notNull(),
    key: text("key").notNull(),
    fingerprint: text("fingerprint").notNull(),
    status: int("status").notNull(),
    body: text("body").notNull(),
    createdAtMs: int("created_at").notNull(),
  },
  (table) => [uniqueIndex("idempotency_records_key").on(table.ownerId, table.key)],
);
