/**
 * Benchmark: the request path as a client far from the database sees it. Runs the whole stack as
 * `npm run dev` does (wrangler dev on the Worker bundle, the demo seed) against the project's
 * libSQL server behind a counting, delaying proxy (tools/db-proxy.ts), so each route's database
 * round trips are counted and each can be made to cost a chosen delay, standing in for the
 * distance between a Worker and a remote libSQL (Turso, sqld).
 *
 * For every route: the round trips of one warm call (the median over the samples) and the
 * latency p50 / p90 of sequential calls, with 0 ms and with 50 ms added per round trip; then bids
 * per second into one node through HTTP at concurrency 32 beside `GET /v1/health` in the same run.
 *
 * `npm run bench hotpath` (BENCH_HOTPATH_SAMPLES, default 15, sets the calls per route and delay).
 * Needs no network; asserts nothing.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Client, createClient } from "@libsql/client";
import { createApiKey } from "../../src/kit/auth";
import { randomBase62 } from "../../src/kit/ids";
import { createAccount } from "../../src/ledger/accounts";
import { createTransfers } from "../../src/ledger/store";
import { startDbProxy } from "../db-proxy";
import { startLibsqlServer } from "../libsql-server/server";
import { demoPoolId } from "../seed/pools";
import { startDevStack } from "../stack";

const samples = Number(process.env.BENCH_HOTPATH_SAMPLES ?? 15);
const delaysMs = [0, 50] as const;
const concurrency = 32;
const throughputRequests = 320;
/** Users with a key and a funded CC account (a user keeps at most 20 open bids per node). */
const usersCount = 48;
const nodeId = "node_demo_bob_mini3";
const leaseNodeId = "node_demo_bob_home";

/** A user's key and CC account; for LPs, their TFP account and a USDC account for payouts. */
type User = { key: string; accountId: string; tfp?: string; usdc?: string };
type Call = () => Promise<Response>;
/** A route: its call for a user, made ready before the timing (`call` may do untimed setup first). */
type Route = { name: string; kind: "read" | "write"; call: (user: User) => Call | Promise<Call> };

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? Number.NaN;
}

async function seedUsers(client: Client): Promise<User[]> {
  const users: User[] = [];
  for (let index = 0; index < usersCount; index++) {
    const ownerId = `usr_hot${String(index).padStart(3, "0")}`;
    const key = `tfm_${randomBase62(12)}_${randomBase62(32)}`;
    await createApiKey(client, { ownerId, role: "user", name: "hotpath bench", plaintext: key });
    const account = await createAccount(client, { ownerId, asset: "CC", kind: "user" });
    const funded = await createTransfers(client, [
      {
        type: "posted",
        id: `hot_fund_${index}`,
        debitAccountId: "acc_issuance_cc",
        creditAccountId: account.id,
        asset: "CC",
        amountMinor: 100_000n * 1_000_000n,
        code: "bench_fund",
      },
    ]);
    if (!funded.ok) throw new Error(`funding ${ownerId}: ${funded.detail}`);
    users.push({ key, accountId: account.id });
  }
  return users;
}

/** Mints `amountMinor` of `asset` into a new account of `ownerId`. */
async function fundedAccount(
  client: Client,
  ownerId: string,
  asset: "CC" | "TFP" | "USDC",
  kind: "user" | "farmer" | "lp",
  amountMinor: bigint,
): Promise<string> {
  const account = await createAccount(client, { ownerId, asset, kind });
  if (amountMinor === 0n) return account.id;
  const funded = await createTransfers(client, [
    {
      type: "posted",
      id: `hot_fund_${account.id}`,
      debitAccountId: `acc_issuance_${asset.toLowerCase()}`,
      creditAccountId: account.id,
      asset,
      amountMinor,
      code: "bench_fund",
    },
  ]);
  if (!funded.ok) throw new Error(`funding ${ownerId}: ${funded.detail}`);
  return account.id;
}

/** A key of `role` for `ownerId`. */
async function keyFor(client: Client, ownerId: string, role: "farmer" | "lp" | "admin"): Promise<string> {
  const key = `tfm_${randomBase62(12)}_${randomBase62(32)}`;
  await createApiKey(client, { ownerId, role, name: "hotpath bench", plaintext: key });
  return key;
}

/** LPs of the bench (a round takes at most 20 bids per owner). */
const lpsCount = 4;

/** The bench's farmer (the demo farmer frm_bob) and LPs with TFP to contribute and to offer. */
async function seedOthers(client: Client): Promise<{ farmer: User; lps: User[] }> {
  const farmer = { key: await keyFor(client, "frm_bob", "farmer"), accountId: "acc_demo_bob_cc" };
  const lps: User[] = [];
  for (let index = 0; index < lpsCount; index++) {
    const owner = `lp_hot${index}`;
    const tfp = await fundedAccount(client, owner, "TFP", "lp", 10_000_000n * 10_000_000n);
    const usdc = await fundedAccount(client, owner, "USDC", "lp", 0n);
    lps.push({ key: await keyFor(client, owner, "lp"), accountId: tfp, tfp, usdc });
  }
  return { farmer, lps };
}

/** An exit round on the demo pool, closing in a day (fixed reference price). */
async function openRound(baseUrl: string, adminKey: string): Promise<string> {
  const response = await fetch(`${baseUrl}/v1/auctions`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${adminKey}`,
      "content-type": "application/json",
      "idempotency-key": `hot-round-${randomBase62(12)}`,
    },
    body: JSON.stringify({
      poolId: demoPoolId,
      closesAt: new Date(Date.now() + 86_400_000).toISOString(),
      reference: { source: "fixed", price: "0.05" },
    }),
  });
  const body = (await response.json()) as { id?: string };
  if (!response.ok || !body.id)
    throw new Error(`opening a round: ${response.status} ${JSON.stringify(body)}`);
  return body.id;
}

/** The node a bench farmer registers. */
const benchNode = {
  name: "hotpath node",
  catalogueId: "3node-home",
  region: "eu-west",
  sliceCount: 7,
  pricePerSliceMonth: "3",
  pricePerSliceHour: "0.01",
};

type Others = { farmer: User; lps: User[]; roundId: string; adminKey: string };

/** The value-moving routes of farmers and LPs (each call its own new effect). */
function otherRoutesOf(baseUrl: string, others: Others): Route[] {
  const send = (method: string, path: string, key: string, body: unknown, idempotent: boolean) => () =>
    fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        "content-type": "application/json",
        ...(idempotent ? { "idempotency-key": `hot-${randomBase62(16)}` } : {}),
      },
      body: JSON.stringify(body),
    });
  const { farmer, lps, roundId, adminKey } = others;
  let turn = 0;
  const nextLp = () => lps[turn++ % lps.length]!;
  /** Registers a node of the farmer's (untimed setup), so each call has free slices. */
  const freshNode = async (): Promise<string> => {
    const created = await send("POST", "/v1/nodes", farmer.key, benchNode, false)();
    const body = (await created.json()) as { id?: string };
    if (!body.id) throw new Error(`registering a node: ${created.status} ${JSON.stringify(body)}`);
    return body.id;
  };
  const json = async (response: Promise<Response>, what: string): Promise<{ id: string }> => {
    const answered = await response;
    const body = (await answered.json()) as { id?: string };
    if (!body.id) throw new Error(`${what}: ${answered.status} ${JSON.stringify(body)}`);
    return { id: body.id };
  };
  return [
    {
      name: "POST /v1/nodes",
      kind: "write",
      call: () => send("POST", "/v1/nodes", farmer.key, benchNode, false),
    },
    {
      name: "PUT /v1/nodes/{id}/price",
      kind: "write",
      call: () =>
        send(
          "PUT",
          `/v1/nodes/${nodeId}/price`,
          farmer.key,
          { pricePerSliceMonth: "3", pricePerSliceHour: "0.01" },
          false,
        ),
    },
    {
      name: "POST /v1/nodes/{id}/heartbeat",
      kind: "write",
      call: () => send("POST", `/v1/nodes/${nodeId}/heartbeat`, farmer.key, {}, false),
    },
    {
      name: "POST /v1/bid-packages/{id}/commitments",
      kind: "write",
      // A node registered before the timing; only the commitment (its lease and hold) is timed.
      call: async () => {
        const node = await freshNode();
        return send(
          "POST",
          "/v1/bid-packages/standard-compute/commitments",
          farmer.key,
          { nodeId: node, slices: 1 },
          true,
        );
      },
    },
    {
      name: "POST /v1/capacity-requests/{id}/accept",
      kind: "write",
      // A request and a farmer's offer on a fresh node before the timing; only the acceptance is timed.
      call: async (user) => {
        const request = await json(
          send(
            "POST",
            "/v1/capacity-requests",
            user.key,
            {
              slices: 1,
              requirements: { minMemGb: "4" },
              durationHours: 2,
              maxPriceCcPerSliceHour: "0.3",
              budget: "5",
              deadlineInHours: 1,
              accountId: user.accountId,
            },
            false,
          )(),
          "posting a capacity request",
        );
        const offer = await json(
          send(
            "POST",
            `/v1/capacity-requests/${request.id}/offers`,
            farmer.key,
            { nodeId: await freshNode(), priceCcPerSliceHour: "0.1" },
            false,
          )(),
          "offering",
        );
        return send(
          "POST",
          `/v1/capacity-requests/${request.id}/accept`,
          user.key,
          { offerId: offer.id },
          true,
        );
      },
    },
    {
      name: "GET /v1/ledger/audit",
      kind: "read",
      call: () => () =>
        fetch(`${baseUrl}/v1/ledger/audit`, { headers: { authorization: `Bearer ${adminKey}` } }),
    },
    {
      name: "POST /v1/pools/{id}/positions",
      kind: "write",
      call: () => {
        const lp = nextLp();
        return send(
          "POST",
          `/v1/pools/${demoPoolId}/positions`,
          lp.key,
          { asset: "TFP", amount: "10", accountId: lp.tfp, rewardAccountId: lp.usdc },
          true,
        );
      },
    },
    {
      name: "POST /v1/auctions/{id}/bids",
      kind: "write",
      call: () => {
        const lp = nextLp();
        return send(
          "POST",
          `/v1/auctions/${roundId}/bids`,
          lp.key,
          { amount: "100", minPrice: "0.03", accountId: lp.tfp, payoutAccountId: lp.usdc },
          true,
        );
      },
    },
  ];
}

function routesOf(baseUrl: string, minBid: string): Route[] {
  const get = (path: string, key?: string) => () =>
    fetch(`${baseUrl}${path}`, key ? { headers: { authorization: `Bearer ${key}` } } : {});
  const post = (path: string, key: string, body: unknown, idempotent: boolean) => () =>
    fetch(`${baseUrl}${path}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${key}`,
        "content-type": "application/json",
        ...(idempotent ? { "idempotency-key": `hot-${randomBase62(16)}` } : {}),
      },
      body: JSON.stringify(body),
    });
  return [
    { name: "GET /v1/health", kind: "read", call: () => get("/v1/health") },
    { name: "GET /v1/accounts/{id}", kind: "read", call: (u) => get(`/v1/accounts/${u.accountId}`, u.key) },
    { name: "GET /v1/market/slices", kind: "read", call: () => get("/v1/market/slices?sort=price&limit=50") },
    { name: "GET /v1/nodes/{id}", kind: "read", call: () => get(`/v1/nodes/${nodeId}`) },
    { name: "GET /v1/prices/latest", kind: "read", call: (u) => get("/v1/prices/latest", u.key) },
    {
      name: "POST /v1/credits/checkout",
      kind: "write",
      call: (u) => post("/v1/credits/checkout", u.key, { accountId: u.accountId, amountUsd: "10" }, false),
    },
    {
      name: "POST /v1/nodes/{id}/bids",
      kind: "write",
      call: (u) =>
        post(
          `/v1/nodes/${nodeId}/bids`,
          u.key,
          { slices: 1, priceCcPerSliceHour: minBid, accountId: u.accountId },
          true,
        ),
    },
    {
      name: "POST /v1/leases (then DELETE)",
      kind: "write",
      call: (u) => async () => {
        const created = await post(
          "/v1/leases",
          u.key,
          { nodeId: leaseNodeId, slices: 1, durationHours: 1, accountId: u.accountId },
          true,
        )();
        const lease = (await created.clone().json()) as { id?: string };
        // Frees the slice again outside the timing below (the DELETE is not counted).
        if (lease.id) pending.push(lease.id);
        return created;
      },
    },
    {
      name: "DELETE /v1/leases/{id}",
      kind: "write",
      // The lease is reserved before the timing; only its end is timed.
      call: async (u) => {
        const created = await post(
          "/v1/leases",
          u.key,
          { nodeId: leaseNodeId, slices: 1, durationHours: 1, accountId: u.accountId },
          true,
        )();
        const lease = (await created.json()) as { id?: string };
        return () =>
          fetch(`${baseUrl}/v1/leases/${lease.id}`, {
            method: "DELETE",
            headers: { authorization: `Bearer ${u.key}` },
          });
      },
    },
  ];
}

/** Leases to end after each timed reservation (so the node never fills up). */
const pending: string[] = [];

async function measureRoute(
  route: Route,
  users: readonly User[],
  proxy: { requests(): number },
  endLeases: () => Promise<void>,
): Promise<{ trips: number; p50: number; p90: number; failures: number }> {
  const latencies: number[] = [];
  const trips: number[] = [];
  let failures = 0;
  for (let index = 0; index <= samples; index++) {
    const user = users[index % users.length]!;
    const call = await route.call(user);
    const before = proxy.requests();
    const started = performance.now();
    const response = await call();
    const elapsed = performance.now() - started;
    const used = proxy.requests() - before;
    if (!response.ok) {
      failures += 1;
      if (failures === 1) console.error(`${route.name}: ${response.status} ${await response.clone().text()}`);
    }
    await endLeases();
    await response.arrayBuffer();
    if (index === 0) continue; // the first call warms the isolate (key cache, connections)
    latencies.push(elapsed);
    trips.push(used);
  }
  latencies.sort((a, b) => a - b);
  trips.sort((a, b) => a - b);
  return {
    trips: percentile(trips, 0.5),
    p50: percentile(latencies, 0.5),
    p90: percentile(latencies, 0.9),
    failures,
  };
}

async function throughput(
  count: number,
  call: (index: number) => Call | Promise<Call>,
): Promise<{ perSecond: number; p50: number; failures: number }> {
  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let index = next++; index < count; index = next++) {
        const begun = performance.now();
        const response = await (await call(index))();
        await response.arrayBuffer();
        if (!response.ok) failures += 1;
        latencies.push(performance.now() - begun);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { perSecond: count / seconds, p50: percentile(latencies, 0.5), failures };
}

export async function run() {
  const directory = mkdtempSync(join(tmpdir(), "tfgrid-hotpath-bench-"));
  const server = await startLibsqlServer({ file: join(directory, "hot.db"), port: 0 });
  const proxy = await startDbProxy({ target: server.url });
  const client = createClient({ url: server.url, intMode: "bigint" });
  const stack = await startDevStack({
    port: 0,
    libsqlPort: 0,
    dataDir: directory,
    persistTo: join(directory, "state"),
    database: { url: proxy.url },
    output: "pipe",
  });
  const lines: string[] = [
    `wrangler dev (workerd) on the Worker, the demo seed, local libSQL behind a counting proxy; ${samples} sequential calls per route after one warm-up`,
  ];
  try {
    const users = await seedUsers(client);
    const node = (await (await fetch(`${stack.baseUrl}/v1/nodes/${nodeId}`)).json()) as {
      prices: { minBidCcPerSliceHour: string };
    };
    const routes = routesOf(stack.baseUrl, node.prices.minBidCcPerSliceHour);
    const bidRoute = routes.find((route) => route.name === "POST /v1/nodes/{id}/bids")!;
    const others = {
      ...(await seedOthers(client)),
      roundId: await openRound(stack.baseUrl, stack.adminKey),
      adminKey: stack.adminKey,
    };
    routes.push(...otherRoutesOf(stack.baseUrl, others));
    const endLeases = async () => {
      for (let id = pending.shift(); id !== undefined; id = pending.shift()) {
        const ended = await fetch(`${stack.baseUrl}/v1/leases/${id}`, {
          method: "DELETE",
          headers: { authorization: `Bearer ${stack.adminKey}` },
        });
        await ended.arrayBuffer();
      }
    };
    lines.push("route: round trips; latency p50 / p90 ms with 0 ms | 50 ms added per round trip");
    for (const route of routes) {
      const figures: string[] = [];
      let trips = 0;
      let failures = 0;
      for (const delayMs of delaysMs) {
        proxy.setDelay(delayMs);
        const measured = await measureRoute(route, users, proxy, endLeases);
        trips = measured.trips;
        failures += measured.failures;
        figures.push(`${measured.p50.toFixed(1)} / ${measured.p90.toFixed(1)}`);
      }
      lines.push(
        `  ${route.name} (${route.kind}): ${trips} round trip${trips === 1 ? "" : "s"}; ${figures.join(" | ")}${failures ? `; ${failures} failed` : ""}`,
      );
    }
    proxy.setDelay(0);
    const health = await throughput(throughputRequests, () => () => fetch(`${stack.baseUrl}/v1/health`));
    const bids = await throughput(throughputRequests, (index) => {
      const user = users[index % users.length]!;
      return bidRoute.call(user);
    });
    lines.push(
      `concurrency ${concurrency}, 0 ms added: GET /v1/health ${health.perSecond.toFixed(0)}/s (p50 ${health.p50.toFixed(0)} ms); POST /v1/nodes/{id}/bids into one node ${bids.perSecond.toFixed(0)}/s (p50 ${bids.p50.toFixed(0)} ms${bids.failures ? `, ${bids.failures} failed` : ""}); ratio ${(bids.perSecond / health.perSecond).toFixed(2)}`,
    );
  } finally {
    await stack.stop();
    client.close();
    await proxy.close();
    await server.close();
    rmSync(directory, { recursive: true, force: true });
  }
  return { name: "hotpath", lines };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await run();
  console.log(result.lines.join("\n"));
}
