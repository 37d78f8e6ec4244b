/**
 * Applies the committed migrations (migrations/) to a libSQL database with drizzle's migrator.
 * CLI: `npm run db:migrate` (reads LIBSQL_URL and LIBSQL_AUTH_TOKEN): for production, point it
 * at Turso or sqld before deploying.
 */
import { fileURLToPath } from "node:url";
import { createClient } from "@libsql/client";
import { drizzle } from "drizzle-orm/libsql";
import { migrate } from "drizzle-orm/libsql/migrator";

export const migrationsFolder = fileURLToPath(new URL("../migrations", import.meta.url));

/** Applies every pending migration; safe to run again. */
export async function migrateDatabase(url: string, authToken?: string): Promise<void> {
  const client = createClient({ url, ...(authToken ? { authToken } : {}), intMode: "bigint" });
  try {
    await migrate(drizzle(client), { migrationsFolder });
  } finally {
    client.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const url = process.env.LIBSQL_URL;
  if (!url) {
    console.error("Set LIBSQL_URL (and LIBSQL_AUTH_TOKEN for Turso) to the database to migrate.");
    process.exit(2);
  }
  await migrateDatabase(url, process.env.LIBSQL_AUTH_TOKEN);
  console.log(`Migrations applied to ${url.replace(/\/\/[^@]*@/, "//***@")}`);
}
