/**
 * The database client for the Worker: `@libsql/client/web` (HTTP, the only libSQL client that
 * runs in Workers) with integers as `bigint` so amounts above 2^53 stay exact.
 *
 * Its requests go through `transportCheckedFetch`, which turns the failures of the transport
 * (the connection refused or dropped, no answer within `databaseRequestTimeoutMs`, an HTTP 5xx
 * from the server or a proxy in front of it) into one error, `DatabaseUnavailableError`. The HTTP
 * layer answers it with 503 and Retry-After; every other error (a bad statement, a constraint, a
 * bug) stays what it is. Deciding at the fetch, not by reading error messages later, is what
 * makes the recognition exact.
 */
import { type Client, createClient } from "@libsql/client/web";
import { type Failure, fail } from "../result";

export type DatabaseConfig = { LIBSQL_URL: string; LIBSQL_AUTH_TOKEN?: string };

/** Longest wait for one HTTP request to the database before it counts as unreachable: 20 s. */
export const databaseRequestTimeoutMs = 20_000;

/** What every `DatabaseUnavailableError` message starts with (also readable across Durable Object RPC). */
export const databaseUnavailablePrefix = "Database unavailable:";

/** The database could not be reached or answered with a server error; retrying later may work. */
export class DatabaseUnavailableError extends Error {
  override name = "DatabaseUnavailableError";

  constructor(reason: string, options?: { cause?: unknown }) {
    super(`${databaseUnavailablePrefix} ${reason}`, options);
  }
}

/** How deep `isDatabaseUnavailable` follows `cause` links (the client wraps errors at most twice). */
const causeDepthMax = 5;

/**
 * Whether `error` is, or was caused by, a `DatabaseUnavailableError`: the libSQL client passes the
 * fetch's error through, or wraps it (a stream closed by it becomes a `LibsqlError` whose `cause`
 * is it). Errors that crossed a Durable Object RPC boundary keep only their message, hence the
 * prefix check.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < causeDepthMax && current instanceof Error; depth++) {
    if (current instanceof DatabaseUnavailableError) return true;
    if (current.message.startsWith(databaseUnavailablePrefix)) return true;
    current = current.cause;
  }
  return false;
}

/**
 * The failure to answer for a database write that threw: DATABASE_UNAVAILABLE (503, retry later)
 * when the database could not be reached, INTERNAL with `detail` for anything else.
 */
export function writeFailure(error: unknown, detail: string): Failure {
  return isDatabaseUnavailable(error)
    ? fail("DATABASE_UNAVAILABLE", "the database cannot be reached right now; retry shortly")
    : fail("INTERNAL", detail);
}

/** Whether a write answered by `writeFailure` may nonetheless have landed (the database did not say). */
export function isUnknownOutcome(failure: Failure): boolean {
  return failure.code === "DATABASE_UNAVAILABLE" || failure.code === "INTERNAL";
}

type Fetch = (input: Request | string | URL, init?: RequestInit) => Promise<Response>;

let roundTrips = 0;

/**
 * How many HTTP requests this isolate's database clients have sent: each one is a round trip to
 * the database (a query, or a batch of them). Read by the round-trip budget tests around one call.
 */
export function databaseRoundTrips(): number {
  return roundTrips;
}

/**
 * Wraps `baseFetch` so that transport failures become `DatabaseUnavailableError`: a rejected
 * fetch (connection refused or reset, DNS), a timeout after `timeoutMs`, or a 5xx response.
 */
export function transportCheckedFetch(baseFetch: Fetch, timeoutMs = databaseRequestTimeoutMs): Fetch {
  return async (input, init) => {
    // A timer cleared in `finally`, not `AbortSignal.timeout`: a pending timeout signal keeps the
    // Durable Object (and the test runner waiting to evict it) alive for the whole `timeoutMs`.
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    roundTrips += 1;
    try {
      let response: Response;
      try {
        response = await baseFetch(input, { ...init, signal: controller.signal });
      } catch (error) {
        throw new DatabaseUnavailableError(
          timedOut ? `no answer within ${timeoutMs} ms` : "the request failed",
          { cause: error },
        );
      }
      if (response.status >= 500) {
        await response.body?.cancel();
        throw new DatabaseUnavailableError(`the server answered HTTP ${response.status}`);
      }
      // The body is read here, under the same timer, so a stalled body is unavailability too.
      let body: ArrayBuffer;
      try {
        body = await response.arrayBuffer();
      } catch (error) {
        throw new DatabaseUnavailableError(
          timedOut ? `no answer within ${timeoutMs} ms` : "the answer was cut off",
          { cause: error },
        );
      }
      return new Response(body, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
    } finally {
      clearTimeout(timer);
    }
  };
}

/** Opens a client for one request (cheap: it holds no connection until a query runs). */
export function openDatabase(config: DatabaseConfig): Client {
  return createClient({
    url: config.LIBSQL_URL,
    ...(config.LIBSQL_AUTH_TOKEN ? { authToken: config.LIBSQL_AUTH_TOKEN } : {}),
    intMode: "bigint",
    fetch: transportCheckedFetch((input, init) => fetch(input, init)),
  });
}
