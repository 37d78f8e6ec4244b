// Proves the access rules of every pool and auction route: no key → 401, a role the route does not allow → 403 with nothing written, an allowed role gets past authentication.

import { beforeAll, describe, expect, it } from "vitest";
import { now } from "../../../src/kit/clock";
import type { Role } from "../../../src/kit/db/schema";
import {
  areaCounts,
  contributeUsdc,
  createPool,
  key,
  openRound,
  type PoolInfo,
  party,
} from "../../durable/auction-support";
import { call, type Seeded, seedKey } from "../../support/harness";

const everyRole: Role[] = ["admin", "user", "farmer", "lp", "oracle"];
let keys: Record<Role, Seeded>;
let pool: PoolInfo;
let roundId: string;

beforeAll(async () => {
  keys = Object.fromEntries(
    await Promise.all(everyRole.map(async (role) => [role, await seedKey(role)] as const)),
  ) as Record<Role, Seeded>;
  pool = await createPool(keys.admin, "auth matrix");
  await contributeUsdc(await party("lp", 1_000_000_000n, 0n), pool.id, "1000");
  roundId = await openRound(keys.admin, pool.id);
});

type RouteCase = { name: string; method: string; path: () => string; body?: () => unknown; allowed: Role[] };

const routes: RouteCase[] = [
  {
    name: "create pool",
    method: "POST",
    path: () => "/v1/pools",
    body: () => ({ name: "matrix" }),
    allowed: ["admin"],
  },
  { name: "list pools", method: "GET", path: () => "/v1/pools", allowed: everyRole },
  { name: "get pool", method: "GET", path: () => `/v1/pools/${pool.id}`, allowed: everyRole },
  {
    name: "contribute",
    method: "POST",
    path: () => `/v1/pools/${pool.id}/positions`,
    body: () => ({ asset: "USDC", amount: "1", accountId: "acc_matrix_missing" }),
    allowed: ["lp", "user", "farmer"],
  },
  {
    name: "open round",
    method: "POST",
    path: () => "/v1/auctions",
    body: () => ({ poolId: "pol_matrixmissing", closesAt: new Date(now() + 60_000).toISOString() }),
    allowed: ["admin"],
  },
  { name: "list rounds", method: "GET", path: () => "/v1/auctions", allowed: everyRole },
  { name: "get round", method: "GET", path: () => `/v1/auctions/${roundId}`, allowed: everyRole },
  { name: "own bids", method: "GET", path: () => `/v1/auctions/${roundId}/bids`, allowed: everyRole },
  {
    name: "place bid",
    method: "POST",
    path: () => `/v1/auctions/${roundId}/bids`,
    body: () => ({
      amount: "1",
      minPrice: "0.01",
      accountId: "acc_matrix_missing",
      payoutAccountId: "acc_matrix_missing",
    }),
    allowed: ["lp", "user", "farmer"],
  },
  {
    name: "cancel bid",
    method: "DELETE",
    path: () => `/v1/auctions/${roundId}/bids/bid_matrixmissing`,
    allowed: ["lp", "user", "farmer", "admin"],
  },
  {
    name: "simulate",
    method: "POST",
    path: () => "/v1/auctions/simulate",
    body: () => ({ bids: [{ amount: "1", minPrice: "0.01" }], cap: "1", referencePrice: "0.05" }),
    allowed: everyRole,
  },
];

describe.each(routes)("$name", (route) => {
  it("refuses a request without a key", async () => {
    const response = await call(route.method, route.path(), {
      ...(route.body ? { body: route.body(), headers: { "idempotency-key": key() } } : {}),
    });
    expect(response.status).toBe(401);
  });

  it.each(everyRole)("as %s", async (role) => {
    const before = await areaCounts();
    const response = await call<{ code?: string }>(route.method, route.path(), {
      key: keys[role].key,
      ...(route.body ? { body: route.body(), headers: { "idempotency-key": key() } } : {}),
    });
    if (route.allowed.includes(role)) {
      expect([401, 403]).not.toContain(response.status);
    } else {
      expect([response.status, response.body.code]).toEqual([403, "FORBIDDEN"]);
      expect(await areaCounts()).toEqual(before);
    }
  });
});
