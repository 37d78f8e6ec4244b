/**
 * The tables of liquidity pools and the Dutch-auction exit (migration 0005). CHECKs live in the
 * migration's SQL; drizzle describes columns and indexes.
 */
import { sql } from "drizzle-orm";
import { index, primaryKey, sqliteTable, text, unique, uniqueIndex } from "drizzle-orm/sqlite-core";
import { int, minorUnits } from "../columns";
import { accounts } from "./ledger";

export const weightRules = ["valueTimesTime", "valueOnly"] as const;

export const pools = sqliteTable(
  "pools",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    usdcAccountId: text("usdc_account_id")
      .notNull()
      .unique()
      .references(() => accounts.id),
    tfpAccountId: text("tfp_account_id")
      .notNull()
      .unique()
      .references(() => accounts.id),
    weightRule: text("weight_rule", { enum: weightRules }).notNull(),
    createdBy: text("created_by"),
    createdAtMs: int("created_at").notNull(),
  },
  (table) => [index("pools_created").on(table.createdAtMs, table.id)],
);

export const poolPositions = sqliteTable(
  "pool_positions",
  {
    id: text("id").primaryKey(),
    poolId: text("pool_id")
      .notNull()
      .references(() => pools.id),
    ownerId: text("owner_id").notNull(),
    asset: text("asset", { enum: ["USDC", "TFP"] }).notNull(),
    amountMinor: minorUnits("amount").notNull(),
    valueUsdcMinor: minorUnits("value_usdc").notNull(),
    priceUsd: text("price_usd").notNull(),
    priceRoundId: text("price_round_id"),
    sourceAccountId: text("source_account_id")
      .notNull()
      .references(() => accounts.id),
    rewardAccountId: text("reward_account_id")
      .notNull()
      .references(() => accounts.id),
    transferId: text("transfer_id").notNull().unique(),
    contributedAtMs: int("contributed_at").notNull(),
  },
  (table) => [
    index("pool_positions_pool").on(table.poolId, table.contributedAtMs, table.id),
    index("pool_positions_owner").on(table.ownerId),
  ],
);

export const auctionRoundStates = ["open", "clearing", "settling", "settled", "void"] as const;

export const auctionRounds = sqliteTable(
  "auction_rounds",
  {
    id: text("id").primaryKey(),
    poolId: text("pool_id")
      .notNull()
      .references(() => pools.id),
    state: text("state", { enum: auctionRoundStates }).notNull(),
    config: text("config").notNull(),
    opensAtMs: int("opens_at").notNull(),
    closesAtMs: int("closes_at").notNull(),
    cancellationDeadlineAtMs: int("cancellation_deadline_at").notNull(),
    createdBy: text("created_by"),
    createdAtMs: int("created_at").notNull(),
    clearedAtMs: int("cleared_at"),
    settledAtMs: int("settled_at"),
    filledTfpMinor: minorUnits("filled_tfp"),
    payoutUsdcMinor: minorUnits("payout_usdc"),
    marginUsdcMinor: minorUnits("margin_usdc"),
    result: text("result"),
    lastError: text("last_error"),
    updatedAtMs: int("updated_at").notNull(),
  },
  (table) => [
    uniqueIndex("auction_rounds_one_active")
      .on(table.poolId)
      .where(sql`state IN ('open', 'clearing', 'settling')`),
    index("auction_rounds_created").on(table.createdAtMs, table.id),
    index("auction_rounds_pool").on(table.poolId, table.createdAtMs),
  ],
);

export const auctionBidStatuses = [
  "held",
  "cancelled",
  "filled",
  "partial",
  "rejected",
  "ineligible",
] as const;

export const auctionBids = sqliteTable(
  "auction_bids",
  {
    id: text("id").primaryKey(),
    roundId: text("round_id")
      .notNull()
      .references(() => auctionRounds.id),
    ownerId: text("owner_id").notNull(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    payoutAccountId: text("payout_account_id")
      .notNull()
      .references(() => accounts.id),
    amountMinor: minorUnits("amount").notNull(),
    minPrice: text("min_price").notNull(),
    submitSeq: int("submit_seq").notNull(),
    holdId: text("hold_id").notNull().unique(),
    status: text("status", { enum: auctionBidStatuses }).notNull(),
    acceptedMinor: minorUnits("accepted"),
    payoutMinor: minorUnits("payout"),
    createdAtMs: int("created_at").notNull(),
    updatedAtMs: int("updated_at").notNull(),
  },
  (table) => [
    unique("auction_bids_round_seq").on(table.roundId, table.submitSeq),
    index("auction_bids_owner").on(table.roundId, table.ownerId),
  ],
);

export const positionRewards = sqliteTable(
  "position_rewards",
  {
    roundId: text("round_id")
      .notNull()
      .references(() => auctionRounds.id),
    positionId: text("position_id")
      .notNull()
      .references(() => poolPositions.id),
    amountMinor: minorUnits("amount").notNull(),
    transferId: text("transfer_id").notNull().unique(),
    createdAtMs: int("created_at").notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.roundId, table.positionId] }),
    index("position_rewards_position").on(table.positionId),
  ],
);
