// Proves the request path's round-trip budget: with a warm isolate (the key verified once), each route below takes at most its budget of database round trips, counted at the database client's fetch (every libSQL HTTP request, one query or one batch, is one round trip; the Durable Objects' requests count too, as they share the isolate). Reads take one; a replayed or conflicting Idempotency-Key on a batched route is answered from the first read, moving nothing.
import { beforeAll, describe, expect, it } from "vitest";
import { databaseRoundTrips } from "../../../src/kit/db/client";
import {
  contributeUsdc,
  createPool,
  key as freshKey,
  openRound,
  type Party,
  type PoolInfo,
  party,
  placeBid,
  tfp,
  usdc,
} from "../../durable/auction-support";
import { type ApiResponse, call, database, fundedAccount, type Seeded, seedKey } from "../../support/harness";
import {
  bridgeEvent,
  checkoutSession,
  deliverBridge,
  deliverStripe,
  setPrices,
  stripeEvent,
  uniqueId,
} from "../credits/support";
import { fundedUser, idempotencyKey, type NodeBody, registerNode, setPeg, shift } from "../market/support";

let user: Seeded & { accountId: string };
let farmer: Seeded;
let node: NodeBody;
let lp: Party;
let bidder: Party;
let pool: PoolInfo;
let roundId: string;
let bridgeTfp: string;

beforeAll(async () => {
  await setPeg();
  await setPrices({ gold: "128", tft: "0.05" });
  user = await fundedUser(1_000_000_000n);
  farmer = await seedKey("farmer");
  await fundedAccount(farmer.ownerId, "CC", 0n, "farmer");
  node = await registerNode(farmer);
  const admin = await seedKey("admin");
  pool = await createPool(admin);
  lp = await party("lp", usdc(100_000), 0n);
  await contributeUsdc(lp, pool.id, "100");
  roundId = await openRound(admin, pool.id);
  bidder = await party("farmer", 0n, tfp(10_000));
  bridgeTfp = await fundedAccount((await seedKey("user")).ownerId, "TFP", 0n, "user");
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
 * Ending a lease: the route reads the lease's row; the book's money pass settles the final period
 * (its reads in one batch, then its write), releases each hold (a read and a write), mirrors; the
 * route reads the row back (on a book with nothing else due): 7, or 8 when the book's own alarm
 * pass runs meanwhile. Over the target of 2; this figure keeps it from growing.
 */
const endLeaseBudget = 2;

/** A node registration from the catalogue. */
const nodeRegistration = {
  name: "round-trip node",
  catalogueId: "3node-home",
  region: "eu-west",
  sliceCount: 7,
  pricePerSliceMonth: "3",
  pricePerSliceHour: "0.01",
};

/** A contribution of `amount` USDC to the pool under `key`. */
const position =
  (key: string, amount = "10") =>
  () =>
    call("POST", `/v1/pools/${pool.id}/positions`, {
      key: lp.key,
      headers: { "idempotency-key": key },
      body: { asset: "USDC", amount, accountId: lp.usdcAccount },
    });

/** An exit bid of 100 TFP under `key`. */
const exitBid =
  (key: string, minPrice = "0.03") =>
  () =>
    placeBid(bidder, roundId, "100", minPrice, key).then(({ response }) => response);

/**
 * Each route's budget: reads 1, value-moving requests 2 (their one batched first read, then one
 * write carrying the effect and its Idempotency-Key record). Every other route: the sweep in
 * ./every-route-round-trips.test.ts.
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
      // The band is in USD here: the CC limit is converted at the peg a listing of this isolate
      // read at most 30 s ago (the warming call).
      name: "GET /v1/market/slices with a CC price limit",
      budget: 1,
      status: 200,
      request: () => () => call("GET", "/v1/market/slices?maxPriceCcPerSliceHour=5", { key: user.key }),
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
    {
      name: "GET /v1/accounts/{id}/transfers",
      budget: 1,
      status: 200,
      request: () => () => call("GET", `/v1/accounts/${user.accountId}/transfers`, { key: user.key }),
    },
    {
      name: "GET /v1/ledger/supply",
      budget: 1,
      status: 200,
      request: () => () => call("GET", "/v1/ledger/supply", { key: user.key }),
    },
    { name: "POST /v1/nodes/{id}/bids", budget: 2, status: 201, request: () => bid(idempotencyKey("rt")) },
    { name: "POST /v1/leases", budget: 2, status: 201, request: () => lease(idempotencyKey("rt")) },
    {
      name: "PUT /v1/nodes/{id}/price",
      budget: 2,
      status: 200,
      request: () => () =>
        call("PUT", `/v1/nodes/${node.id}/price`, {
          key: farmer.key,
          body: { pricePerSliceMonth: "3", pricePerSliceHour: "0.01" },
        }),
    },
    {
      name: "POST /v1/nodes (the farmer's payout account exists)",
      budget: 2,
      status: 201,
      request: () => () => call("POST", "/v1/nodes", { key: farmer.key, body: nodeRegistration }),
    },
    {
      name: "POST /v1/nodes/{id}/heartbeat",
      budget: 2,
      status: 200,
      request: () => () => call("POST", `/v1/nodes/${node.id}/heartbeat`, { key: farmer.key, body: {} }),
    },
    {
      name: "POST /v1/pools/{id}/positions",
      budget: 2,
      status: 201,
      request: () => position(freshKey("lp")),
    },
    {
      name: "POST /v1/auctions/{id}/bids",
      budget: 2,
      status: 201,
      request: () => () => placeBid(bidder, roundId, "100", "0.03").then(({ response }) => response),
    },
    {
      name: "GET /v1/me",
      budget: 1,
      status: 200,
      request: () => () => call("GET", "/v1/me", { key: user.key }),
    },
    {
      name: "GET /v1/accounts",
      budget: 1,
      status: 200,
      request: () => () => call("GET", "/v1/accounts?limit=10", { key: user.key }),
    },
    {
      name: "GET /v1/leases",
      budget: 1,
      status: 200,
      request: () => () =>
        call("GET", `/v1/leases?status=running,paused&nodeId=${node.id}`, { key: user.key }),
    },
    {
      name: "GET /v1/keys",
      budget: 1,
      status: 200,
      request: () => () => call("GET", "/v1/keys", { key: user.key }),
    },
    {
      name: "GET /v1/bids (the node bids and reservations above placed holds; their book answers, warm)",
      budget: 1,
      status: 200,
      request: () => () => call("GET", "/v1/bids?status=open", { key: user.key }),
    },
  ];

/** A new webhook delivery of each provider, then the same delivery again. */
const webhooks: { name: string; delivery: () => Promise<() => Promise<ApiResponse>> }[] = [
  {
    name: "TFT bridge deposit",
    delivery: async () => {
      const payload = bridgeEvent("deposit.confirmed", {
        depositId: uniqueId("dep"),
        accountId: bridgeTfp,
        amount: "1",
        txHash: uniqueId("tx"),
      });
      return () => deliverBridge(payload);
    },
  },
  {
    name: "Stripe checkout.session.completed",
    delivery: async () => {
      const quote = await call<{ id: string }>("POST", "/v1/credits/checkout", {
        key: user.key,
        body: { accountId: user.accountId, amountUsd: "10" },
      });
      const payload = stripeEvent(
        "checkout.session.completed",
        checkoutSession({ paymentIntent: uniqueId("pi"), quoteId: quote.body.id, amountCents: 1000 }),
      );
      return () => deliverStripe(payload);
    },
  },
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

describe("webhooks", () => {
  it.each(webhooks)("$name: a new delivery takes at most 2, the same one again 1", async ({ delivery }) => {
    await (await delivery())(); // warms the isolate
    const deliver = await delivery();
    const first = await measured(deliver);
    expect(first.response.status, JSON.stringify(first.response.body)).toBe(200);
    expect(first.response.body).toMatchObject({ duplicate: false });
    expect(first.trips).toBeLessThanOrEqual(2);
    const again = await measured(deliver);
    expect(again.response.body).toMatchObject({ duplicate: true });
    expect(again.trips).toBe(1);
  });
});

describe("a response stored with its effect", () => {
  it("a contribution answers the position as the pool then reports it", async () => {
    const created = await position(freshKey("lp"), "12.5")();
    expect(created.status).toBe(201);
    const read = await call<{ positions: Record<string, unknown>[] }>("GET", `/v1/pools/${pool.id}`, {
      key: lp.key,
    });
    const listed = read.body.positions.find((candidate) => candidate.id === created.body.id);
    expect(listed).toMatchObject(created.body);
  });
});

describe("a node's registration", () => {
  it("by a farmer without a payout account creates it with the node, in at most 2", async () => {
    const fresh = await seedKey("farmer");
    await call("GET", "/v1/ledger/supply", { key: fresh.key }); // warms the key
    const { response, trips } = await measured(() =>
      call<{ id: string }>("POST", "/v1/nodes", {
        key: fresh.key,
        body: nodeRegistration,
      }),
    );
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    expect(trips).toBeLessThanOrEqual(2);
    const account = await database().execute({
      sql: "SELECT a.asset, a.kind FROM nodes n JOIN accounts a ON a.id = n.payout_account_id WHERE n.id = ? AND a.owner_id = ?",
      args: [response.body.id, fresh.ownerId],
    });
    expect(account.rows.map((row) => [row.asset, row.kind])).toEqual([["CC", "farmer"]]);
    // The book opened from the row the registration wrote: the same node either way.
    const read = await call("GET", `/v1/nodes/${response.body.id}`, { key: fresh.key });
    expect(read.body).toMatchObject(response.body);
  });
});

describe("ending a lease", () => {
  it("DELETE /v1/leases/{id} settles and releases within its budget (over the target of 2 today)", async () => {
    // A node of its own: the book's money pass also does whatever else of the book is due.
    const own = await registerNode(farmer);
    const created = await call<{ id: string }>("POST", "/v1/leases", {
      key: user.key,
      headers: { "idempotency-key": idempotencyKey("end") },
      body: { nodeId: own.id, slices: 1, durationHours: 2 },
    });
    expect(created.status).toBe(201);
    await call("GET", `/v1/leases/${created.body.id}`, { key: user.key }); // warms the route
    const { response, trips } = await measured(() =>
      call<{ status: string }>("DELETE", `/v1/leases/${created.body.id}`, { key: user.key }),
    );
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body.status).toBe("ended");
    expect(trips).toBeLessThanOrEqual(endLeaseBudget);
  });
});

describe("a market listing with a CC price limit in a USD band", () => {
  it("converts at the peg the isolate last read, checked in the same batch: read again only when the peg moved", async () => {
    type Listing = { ccUsd: string | null; data: { id: string }[] };
    const list = () =>
      measured(() => call<Listing>("GET", "/v1/market/slices?maxPriceCcPerSliceHour=5&limit=200"));
    await setPeg("128");
    await call("GET", "/v1/market/slices?limit=1"); // a listing reads the peg with it
    const warm = await list();
    expect(warm.response.status).toBe(200);
    expect(warm.trips).toBe(1);
    expect(warm.response.body.ccUsd).toBe("0.128");
    // However long ago it was read, a peg that has not moved is still the peg.
    shift(5 * 60_000);
    const later = await list();
    expect(later.trips).toBe(1);
    expect(later.response.body).toEqual(warm.response.body);
    // The peg moved: the listing is read again at the new one, never answered at the old.
    await setPeg("256");
    const moved = await list();
    expect(moved.trips).toBe(2);
    expect(moved.response.body.ccUsd).toBe("0.256");
    // 5 CC is worth twice as many USD now: every node the old limit let through still passes.
    const before = new Set(warm.response.body.data.map((node) => node.id));
    const after = new Set(moved.response.body.data.map((node) => node.id));
    expect([...before].filter((id) => !after.has(id))).toEqual([]);
    const again = await list();
    expect(again.trips).toBe(1);
    expect(again.response.body.ccUsd).toBe("0.256");
    await setPeg("128");
  });
});

describe("a refusal", () => {
  it("POST /v1/withdrawals from another owner's account is refused from its one batched first read", async () => {
    const holder = await seedKey("user");
    const stranger = await fundedAccount((await seedKey("user")).ownerId, "TFP", 10_000_000_000n, "user");
    const withdraw = () =>
      call("POST", "/v1/withdrawals", {
        key: holder.key,
        headers: { "idempotency-key": idempotencyKey("wdr") },
        body: { accountId: stranger, amount: "10", destination: `G${"A".repeat(55)}` },
      });
    await withdraw();
    const refused = await measured(withdraw);
    expect(refused.response.status).toBe(403);
    expect(refused.response.body).toMatchObject({ code: "FORBIDDEN" });
    expect(refused.trips).toBe(1);
  });
});

describe("a repeated Idempotency-Key on a batched route", () => {
  it.each([
    ["POST /v1/nodes/{id}/bids", bid, (key: string) => bid(key, "0.03")],
    ["POST /v1/leases", lease, (key: string) => lease(key, 2)],
    ["POST /v1/auctions/{id}/bids", exitBid, (key: string) => exitBid(key, "0.04")],
    ["POST /v1/pools/{id}/positions", position, (key: string) => position(key, "11")],
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
