import { defineConfig } from "drizzle-kit";

/** drizzle-kit generates SQL migrations from src/kit/db/schema.ts into migrations/ (committed). */
export default defineConfig({
  dialect: "turso",
  schema: "./src/kit/db/schema.ts",
  out: "./migrations",
  dbCredentials: { url: process.env.LIBSQL_URL ?? "file:.data/drizzle-kit.db" },
});
