// Proves that while the database cannot be reached, reading and value-moving requests answer
// 503 DATABASE_UNAVAILABLE with Retry-After (problem details), not 500; that transport failures
// (refused connection, HTTP 5xx, timeout) are recognised exactly; and that other database errors
// are not mistaken for them.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { createClient } from "@libsql/client/web";
import { describe, expect, it } from "vitest";
import { buildApp, databaseRetryAfterSeconds } from "../../../src/app";
import {
  DatabaseUnavailableError,
  isDatabaseUnavailable,
  transportCheckedFetch,
} from "../../../src/kit/db/client";
import { database, seedKey } from "../../support/harness";

/** Nothing listens on port 1, so every connection to it is refused at once. */
const unreachableUrl = "http://127.0.0.1:1";

const app = buildApp();

/** Calls the real app with the real bindings except a database URL that cannot be reached. */
async function callWithoutDatabase(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
) {
  const context = createExecutionContext();
  const response = await app.fetch(
    new Request(`http://market.test${path}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
    { ...env, LIBSQL_URL: unreachableUrl },
    context,
  );
  await waitOnExecutionContext(context);
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

describe("an unreachable database", () => {
  it("answers a read and a value-moving request with 503 and Retry-After", async () => {
    const admin = await seedKey("admin");
    const auth = { authorization: `Bearer ${admin.key}` };
    const read = await callWithoutDatabase("GET", "/v1/ledger/supply", auth);
    expect(read.status).toBe(503);
    expect(read.headers.get("retry-after")).toBe(String(databaseRetryAfterSeconds));
    expect(read.headers.get("content-type")).toContain("application/problem+json");
    expect(read.body).toMatchObject({ code: "DATABASE_UNAVAILABLE", status: 503 });
    expect(JSON.stringify(read.body)).not.toContain("127.0.0.1");

    const write = await callWithoutDatabase(
      "POST",
      "/v1/transfers",
      { ...auth, "idempotency-key": "outage-transfer-1" },
      {
        transfers: [
          {
            type: "posted",
            debitAccountId: "acc_issuance_cc",
            creditAccountId: "acc_treasury_cc",
            asset: "CC",
            amount: "1",
            code: "manual_adjustment",
          },
        ],
      },
    );
    expect(write.status).toBe(503);
    expect(write.headers.get("retry-after")).toBe(String(databaseRetryAfterSeconds));
    expect(write.body).toMatchObject({ code: "DATABASE_UNAVAILABLE" });

    const health = await callWithoutDatabase("GET", "/v1/health", {});
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ status: "degraded", database: "unreachable" });
  });
});

describe("recognising transport failures", () => {
  it("treats an HTTP 5xx from the server (or a proxy) as unavailable, through the libSQL client", async () => {
    for (const status of [500, 502, 503, 504]) {
      const client = createClient({
        url: env.LIBSQL_URL,
        fetch: transportCheckedFetch(async () => new Response("upstream down", { status })),
      });
      const error = await client.execute("SELECT 1").then(
        () => null,
        (caught: unknown) => caught,
      );
      expect(isDatabaseUnavailable(error), `HTTP ${status}`).toBe(true);
    }
  });

  it("treats no answer within the timeout as unavailable", async () => {
    const never = (_input: Request | string | URL, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener("abort", () => reject(init.signal?.reason));
      });
    const error = await transportCheckedFetch(
      never,
      1,
    )("http://db.test/v3").then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect(String(error)).toContain("no answer within 1 ms");
  });

  it("does not mistake a statement error, a 4xx or an unrelated error for an outage", async () => {
    const syntax = await database()
      .execute("SELEC 1")
      .then(
        () => null,
        (caught: unknown) => caught,
      );
    expect(syntax).toBeInstanceOf(Error);
    expect(isDatabaseUnavailable(syntax)).toBe(false);
    const unauthorised = createClient({
      url: env.LIBSQL_URL,
      fetch: transportCheckedFetch(async () => new Response("no", { status: 401 })),
    });
    const refused = await unauthorised.execute("SELECT 1").then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(isDatabaseUnavailable(refused)).toBe(false);
    expect(isDatabaseUnavailable(new TypeError("Cannot read properties of undefined"))).toBe(false);
  });
});
