/**
 * The database client for the Worker: `@libsql/client/web` (HTTP, the only libSQL client that
 * runs in Workers) with integers as `bigint` so amounts above 2^53 stay exact.
 */
import { type Client, createClient } from "@libsql/client/web";

export type DatabaseConfig = { LIBSQL_URL: string; LIBSQL_AUTH_TOKEN?: string };

/** Opens a client for one request (cheap: it holds no connection until a query runs). */
export function openDatabase(config: DatabaseConfig): Client {
  return createClient({
    url: config.LIBSQL_URL,
    ...(config.LIBSQL_AUTH_TOKEN ? { authToken: config.LIBSQL_AUTH_TOKEN } : {}),
    intMode: "bigint",
  });
}
