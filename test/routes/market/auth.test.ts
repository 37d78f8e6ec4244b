// Proves the marketplace's access rules: public reads need no key; every other route answers 401 without a key, 403 to a role it does not allow (or to a farmer or user acting on another's node, lease or earnings, or a node's key on another node), and lets its roles through; a node's key (role node) passes only its node's agent routes.
import { beforeAll, describe, expect, it } from "vitest";
import type { Role } from "../../../src/kit/db/schema";
import { call, fundedAccount, type Seeded, seedKey } from "../../support/harness";
import { agentNode, ccMinor, idempotencyKey, reserve, setPeg } from "./support";

const everyRole: Role[] = ["admin", "user", "farmer", "lp", "oracle", "node"];
/** Roles with keys of their own; the node's key is made for the node below. */
const personRoles: Role[] = everyRole.filter((role) => role !== "node");
let keys: Record<Role, Seeded>;
let nodeId: string;
let leaseId: string;
let requestId: string;

beforeAll(async () => {
  await setPeg();
  keys = Object.fromEntries(
    await Promise.all(personRoles.map(async (role) => [role, await seedKey(role)] as const)),
  ) as Record<Role, Seeded>;
  await Promise.all(personRoles.map((role) => fundedAccount(keys[role].ownerId, "CC", 100n * ccMinor)));
  const agent = await agentNode(keys.farmer);
  nodeId = agent.node.id;
  keys.node = agent.agent;
  const lease = await reserve(keys.user, nodeId, 1, 2);
  expect(lease.status).toBe(201);
  leaseId = lease.body.id;
  const request = await call<{ id: string }>("POST", "/v1/capacity-requests", {
    key: keys.user.key,
    body: {
      slices: 1,
      requirements: { minMemGb: "1" },
      durationHours: 2,
      maxPriceCcPerSliceHour: "1",
      budget: "10",
      deadlineInHours: 2,
    },
  });
  expect(request.status).toBe(201);
  requestId = request.body.id;
});

type RouteCase = {
  name: string;
  method: string;
  path: () => string;
  body?: () => unknown;
  idempotent?: boolean;
  /** Roles that get past authentication and authorisation; "public" needs no key at all. */
  allowed: Role[] | "public";
};

const missingBid = "bid_0000000000000000000000000000000000";

const routes: RouteCase[] = [
  {
    name: "register node",
    method: "POST",
    path: () => "/v1/nodes",
    body: () => ({
      name: "n",
      catalogueId: "no-such-node",
      region: "eu",
      sliceCount: 1,
      pricePerSliceMonth: "1",
      pricePerSliceHour: "1",
    }),
    allowed: ["admin", "farmer"],
  },
  { name: "get node", method: "GET", path: () => `/v1/nodes/${nodeId}`, allowed: "public" },
  {
    name: "set price",
    method: "PUT",
    path: () => `/v1/nodes/${nodeId}/price`,
    body: () => ({ pricePerSliceMonth: "3", pricePerSliceHour: "0.01" }),
    allowed: ["admin", "farmer"],
  },
  {
    name: "set state",
    method: "PUT",
    path: () => `/v1/nodes/${nodeId}/state`,
    body: () => ({ state: "online" }),
    allowed: ["admin", "farmer"],
  },
  {
    name: "heartbeat",
    method: "POST",
    path: () => `/v1/nodes/${nodeId}/heartbeat`,
    allowed: ["admin", "farmer", "node"],
  },
  {
    name: "node key",
    method: "POST",
    path: () => `/v1/nodes/${nodeId}/keys`,
    body: () => ({ name: "matrix" }),
    allowed: ["admin", "farmer"],
  },
  {
    name: "assignments",
    method: "GET",
    path: () => `/v1/nodes/${nodeId}/assignments`,
    allowed: ["admin", "farmer", "node"],
  },
  {
    name: "report a lease",
    method: "PUT",
    path: () => `/v1/nodes/${nodeId}/assignments/lse_doesnotexist/status`,
    body: () => ({ status: "running" }),
    allowed: ["admin", "farmer", "node"],
  },
  { name: "open bids", method: "GET", path: () => `/v1/nodes/${nodeId}/bids`, allowed: ["admin", "farmer"] },
  {
    name: "place bid",
    method: "POST",
    path: () => `/v1/nodes/${nodeId}/bids`,
    body: () => ({ slices: 1000, priceCcPerSliceHour: "0.05" }),
    idempotent: true,
    allowed: ["admin", "user"],
  },
  {
    name: "accept bid",
    method: "POST",
    path: () => `/v1/nodes/${nodeId}/bids/${missingBid}/accept`,
    allowed: ["admin", "farmer"],
  },
  {
    name: "reject bid",
    method: "POST",
    path: () => `/v1/nodes/${nodeId}/bids/${missingBid}/reject`,
    allowed: ["admin", "farmer"],
  },
  {
    name: "cancel bid",
    method: "DELETE",
    path: () => `/v1/nodes/${nodeId}/bids/${missingBid}`,
    allowed: ["admin", "user"],
  },
  { name: "market listing", method: "GET", path: () => "/v1/market/slices", allowed: "public" },
  {
    name: "reserve",
    method: "POST",
    path: () => "/v1/leases",
    body: () => ({ nodeId, slices: 1000, durationHours: 1 }),
    idempotent: true,
    allowed: ["admin", "user"],
  },
  {
    name: "get lease",
    method: "GET",
    path: () => `/v1/leases/${leaseId}`,
    allowed: ["admin", "user", "farmer"],
  },
  {
    name: "lease events",
    method: "GET",
    path: () => `/v1/leases/${leaseId}/events`,
    allowed: ["admin", "user", "farmer"],
  },
  {
    name: "capacity request",
    method: "POST",
    path: () => "/v1/capacity-requests",
    body: () => ({
      slices: 1,
      requirements: {},
      durationHours: 1,
      maxPriceCcPerSliceHour: "1",
      budget: "0.000001",
      deadlineInHours: 1,
    }),
    allowed: ["admin", "user"],
  },
  {
    name: "list capacity requests",
    method: "GET",
    path: () => "/v1/capacity-requests",
    allowed: personRoles,
  },
  {
    name: "get capacity request",
    method: "GET",
    path: () => `/v1/capacity-requests/${requestId}`,
    allowed: personRoles,
  },
  {
    name: "offer",
    method: "POST",
    path: () => `/v1/capacity-requests/${requestId}/offers`,
    body: () => ({ nodeId, priceCcPerSliceHour: "1000000" }),
    allowed: ["admin", "farmer"],
  },
  {
    name: "accept offer",
    method: "POST",
    path: () => `/v1/capacity-requests/${requestId}/accept`,
    body: () => ({ offerId: "cof_doesnotexist" }),
    idempotent: true,
    allowed: ["admin", "user"],
  },
  { name: "bid packages", method: "GET", path: () => "/v1/bid-packages", allowed: "public" },
  {
    name: "configure package",
    method: "PUT",
    path: () => "/v1/bid-packages/auth-matrix",
    body: () => ({
      name: "x",
      requirements: {},
      priceCcPerSliceMonth: "1",
      slicesCommitted: 0,
      active: false,
    }),
    allowed: ["admin"],
  },
  {
    name: "commit to package",
    method: "POST",
    path: () => "/v1/bid-packages/auth-matrix/commitments",
    body: () => ({ nodeId, slices: 1 }),
    idempotent: true,
    allowed: ["admin", "farmer"],
  },
  {
    name: "own earnings",
    method: "GET",
    path: () => `/v1/farmers/${keys.farmer.ownerId}/earnings`,
    allowed: ["admin", "farmer"],
  },
  {
    name: "own nodes",
    method: "GET",
    path: () => `/v1/farmers/${keys.farmer.ownerId}/nodes`,
    allowed: ["admin", "farmer"],
  },
];

function request(route: RouteCase, key?: string) {
  return call(route.method, route.path(), {
    ...(key === undefined ? {} : { key }),
    ...(route.body ? { body: route.body() } : {}),
    headers: route.idempotent ? { "idempotency-key": idempotencyKey("auth") } : {},
  });
}

describe.each(routes)("$name", (route) => {
  it("answers by role", async () => {
    const anonymous = await request(route);
    if (route.allowed === "public") {
      expect(anonymous.status).toBe(200);
      return;
    }
    expect(anonymous.status).toBe(401);
    for (const role of everyRole) {
      const response = await request(route, keys[role].key);
      if (route.allowed.includes(role)) {
        expect([401, 403], `${role} should pass: ${JSON.stringify(response.body)}`).not.toContain(
          response.status,
        );
      } else {
        expect(response.status, `${role} should be refused`).toBe(403);
      }
    }
  });
});

describe("ownership", () => {
  it("keeps a farmer off another farmer's node and earnings, and a user off another user's lease", async () => {
    const otherFarmer = await seedKey("farmer");
    const otherUser = await seedKey("user");
    const price = await call("PUT", `/v1/nodes/${nodeId}/price`, {
      key: otherFarmer.key,
      body: { pricePerSliceMonth: "3", pricePerSliceHour: "0.01" },
    });
    expect(price.status).toBe(403);
    expect((await call("POST", `/v1/nodes/${nodeId}/heartbeat`, { key: otherFarmer.key })).status).toBe(403);
    for (const path of [`/v1/nodes/${nodeId}/assignments`, `/v1/nodes/${nodeId}/keys`]) {
      const method = path.endsWith("keys") ? "POST" : "GET";
      const response = await call(method, path, {
        key: otherFarmer.key,
        ...(method === "POST" ? { body: {} } : {}),
      });
      expect(response.status, path).toBe(403);
    }
    const foreignReport = await call("PUT", `/v1/nodes/${nodeId}/assignments/${leaseId}/status`, {
      key: otherFarmer.key,
      body: { status: "running" },
    });
    expect(foreignReport.status).toBe(403);
    // A node's key on another node of the same farmer.
    const sibling = await agentNode(keys.farmer);
    expect((await call("POST", `/v1/nodes/${nodeId}/heartbeat`, { key: sibling.agent.key })).status).toBe(
      403,
    );
    expect((await call("GET", `/v1/nodes/${nodeId}/assignments`, { key: sibling.agent.key })).status).toBe(
      403,
    );
    expect(
      (await call("GET", `/v1/farmers/${keys.farmer.ownerId}/earnings`, { key: otherFarmer.key })).status,
    ).toBe(403);
    expect((await call("GET", `/v1/leases/${leaseId}`, { key: otherUser.key })).status).toBe(403);
    expect((await call("DELETE", `/v1/leases/${leaseId}`, { key: otherUser.key })).status).toBe(403);
    expect((await call("GET", `/v1/leases/${leaseId}`, { key: otherFarmer.key })).status).toBe(403);
    const notAdmin = await call("POST", "/v1/nodes", {
      key: otherFarmer.key,
      body: {
        name: "n",
        catalogueId: "3node-home",
        region: "eu",
        sliceCount: 7,
        pricePerSliceMonth: "3",
        pricePerSliceHour: "0.01",
        farmerId: keys.farmer.ownerId,
      },
    });
    expect(notAdmin.status).toBe(403);
  });
});
