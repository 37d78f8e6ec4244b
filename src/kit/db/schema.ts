/**
 * The database schema (drizzle, libSQL): every table the migrations create, one file per area
 * under ./tables/. Amounts are INTEGER minor units of the row's asset, read as `bigint`; times
 * are INTEGER epoch milliseconds. Triggers and CHECK constraints that drizzle does not describe
 * stay in the migrations' SQL. drizzle-kit reads this module (`npm run db:generate` must find
 * nothing to generate) and test/tools/db-schema.test.ts checks it against a migrated database.
 */
export * from "./tables/credits";
export * from "./tables/events";
export * from "./tables/ledger";
export * from "./tables/market";
export * from "./tables/pools";
