// Proves the request path's round-trip budget: with a warm isolate (the key verified once), each route below takes at most its budget of database round trips, counted at the database client's fetch (every libSQL HTTP request, one query or one batch, is one round trip; the Durable Objects' requests count too, as they share the isolate). Reads take one; a replayed or conflicting Idempotency-Key on a batched route is answered from the first read, moving nothing.
import { beforeAll, describe, expect, it } from "vitest";
import { databaseRoundTrips } from "../../../src/kit/db/client";
import { type ApiResponse, call, fundedAccount, type Seeded, seedKey } from "../../support/harness";
import { fundedUser, idempotencyKey, type NodeBody, registerNode, setPeg } from "../market/support";

let user: Seeded & { accountId: string };
let node: NodeBody;

beforeAll(async () => {
  await setPeg();
  user = await fundedUser(1_000_000_000n);
  const farmer = await seedKey("farmer");
  await fundedAccount(farmer.ownerId, "CC", 0n, "farmer");
  node = await registerNode(farmer);
});

/** The response to `request` and the database round trips it took. */
async function measured<T>(request: () => Promise<ApiResponse<T>>) {
  const before = databaseRoundTrips();
  const response = await request();
  return { response, trips: databaseRoundTrips() - before };
}

const bid =
  (key: string, price = "0.02") =>
  () =>
    call("POST", `/v1/nodes/${node.id}/bids`, {
      key: user.key,
      headers: { "idempotency-key": key },
      body: { slices: 1, priceCcPerSliceHour: price },
    });

const lease =
  (key: string, slices = 1) =>
  () =>
    call("POST", "/v1/leases", {
      key: user.key,
      headers: { "idempotency-key": key },
      body: { nodeId: node.id, slices, durationHours: 2 },
    });

/**
 * Each route's budget. Reads: 1. Value-moving: the target is 2; the bid and the reservation are
 * over it today (their Durable Object writes the hold, then the mirror, then the route the
 * idempotency record), and these figures keep them from growing while that work is open.
 */
const routes: { name: string; budget: number; status: number; request: () => () => Promise<ApiResponse> }[] =
  [
    { name: "GET /v1/health", budget: 1, status: 200, request: () => () => call("GET", "/v1/health") },
    {
      name: "GET /v1/accounts/{id}",
      budget: 1,
      status: 200,
      request: () => () => call("GET", `/v1/accounts/${user.accountId}`, { key: user.key }),
    },
    {
      name: "GET /v1/market/slices",
      budget: 1,
      status: 200,
      request: () => () => call("GET", "/v1/market/slices?minMemGb=1&sort=price", { key: user.key }),
    },
    {
      name: "GET /v1/nodes/{id}",
      budget: 1,
      status: 200,
      request: () => () => call("GET", `/v1/nodes/${node.id}`),
    },
    {
      name: "GET /v1/prices/latest",
      budget: 1,
      status: 200,
      request: () => () => call("GET", "/v1/prices/latest", { key: user.key }),
    },
    {
      name: "POST /v1/credits/checkout",
      budget: 2,
      status: 201,
      request: () => () =>
        call("POST", "/v1/credits/checkout", {
          key: user.key,
          body: { accountId: user.accountId, amountUsd: "10" },
        }),
    },
    { name: "POST /v1/nodes/{id}/bids", budget: 3, status: 201, request: () => bid(idempotencyKey("rt")) },
    { name: "POST /v1/leases", budget: 4, status: 201, request: () => lease(idempotencyKey("rt")) },
  ];

describe("round trips per request (warm isolate)", () => {
  it.each(routes)("$name takes at most $budget", async ({ request, budget, status }) => {
    await request()(); // warms the isolate: the key is verified and cached
    const { response, trips } = await measured(request());
    expect(response.status, JSON.stringify(response.body)).toBe(status);
    expect(trips).toBeGreaterThan(0);
    expect(trips).toBeLessThanOrEqual(budget);
  });
});

describe("a repeated Idempotency-Key on a batched route", () => {
  it.each([
    ["POST /v1/nodes/{id}/bids", bid, (key: string) => bid(key, "0.03")],
    ["POST /v1/leases", lease, (key: string) => lease(key, 2)],
  ] as const)(
    "%s: the same request replays the first answer, another is 409, each in one round trip",
    async (_name, same, other) => {
      const key = idempotencyKey("replay");
      const first = await same(key)();
      expect(first.status, JSON.stringify(first.body)).toBe(201);
      const again = await measured(same(key));
      expect(again.response.status).toBe(201);
      expect(again.response.headers.get("idempotent-replayed")).toBe("true");
      expect(again.response.body).toEqual(first.body);
      expect(again.trips).toBe(1);
      const conflict = await measured(other(key));
      expect(conflict.response.status).toBe(409);
      expect(conflict.response.body).toMatchObject({ code: "IDEMPOTENCY_CONFLICT" });
      expect(conflict.trips).toBe(1);
    },
  );
});
