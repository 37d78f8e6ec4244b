// Proves the access rules of every route: no key → 401, a bad or revoked key → 401, a key of a
// role the route does not allow → 403, an allowed role gets past authentication (any non-401/403).
// A node's key (role node, bound to one node) passes only its node's agent routes and GET /v1/me:
// it can do no farmer's, user's or admin's work.
import { beforeAll, describe, expect, it } from "vitest";
import type { Role } from "../../src/kit/db/schema";
import { call, fundedAccount, type Seeded, seedKey } from "../support/harness";
import { agentNode, setPeg } from "./market/support";

const everyRole: Role[] = ["admin", "user", "farmer", "lp", "oracle", "node"];
let keys: Record<Role, Seeded>;
let ownAccount: Record<Role, string>;
/** The farmer's node, whose agent holds the node key. */
let nodeId: string;

beforeAll(async () => {
  await setPeg();
  keys = Object.fromEntries(
    await Promise.all(
      everyRole.filter((role) => role !== "node").map(async (role) => [role, await seedKey(role)] as const),
    ),
  ) as Record<Role, Seeded>;
  const agent = await agentNode(keys.farmer);
  nodeId = agent.node.id;
  keys.node = agent.agent;
  ownAccount = Object.fromEntries(
    await Promise.all(
      people.map(async (role) => [role, await fundedAccount(keys[role].ownerId, "CC", 0n)] as const),
    ),
  ) as Record<Role, string>;
  // The node's key has its farmer as owner: the farmer's account is "its own" by owner id, and still refused.
  ownAccount.node = ownAccount.farmer;
});

/** Every role but a node's agent. */
const people: Role[] = ["admin", "user", "farmer", "lp", "oracle"];

type RouteCase = {
  name: string;
  method: string;
  path: (role: Role) => string;
  body?: (role: Role) => unknown;
  idempotent?: boolean;
  allowed: Role[];
};

const routes: RouteCase[] = [
  {
    name: "create account",
    method: "POST",
    path: () => "/v1/accounts",
    body: (role) => ({ ownerId: keys[role].ownerId, asset: "CC", kind: "user" }),
    allowed: ["admin"],
  },
  {
    name: "get own account",
    method: "GET",
    path: (role) => `/v1/accounts/${ownAccount[role]}`,
    allowed: people,
  },
  {
    name: "own account transfers",
    method: "GET",
    path: (role) => `/v1/accounts/${ownAccount[role]}/transfers`,
    allowed: people,
  },
  {
    name: "create key",
    method: "POST",
    path: () => "/v1/keys",
    body: () => ({ ownerId: "usr_matrix", role: "user" }),
    allowed: ["admin"],
  },
  {
    name: "revoke key",
    method: "DELETE",
    path: () => "/v1/keys/key_doesnotexist",
    allowed: ["admin", "farmer"],
  },
  {
    name: "rotate key",
    method: "POST",
    path: () => "/v1/keys/key_doesnotexist/rotate",
    body: () => ({}),
    allowed: ["admin"],
  },
  { name: "supply", method: "GET", path: () => "/v1/ledger/supply", allowed: people },
  { name: "me", method: "GET", path: () => "/v1/me", allowed: everyRole },
  { name: "own accounts", method: "GET", path: () => "/v1/accounts", allowed: people },
  { name: "own leases", method: "GET", path: () => "/v1/leases", allowed: people },
  { name: "own bids", method: "GET", path: () => "/v1/bids", allowed: people },
  { name: "own keys", method: "GET", path: () => "/v1/keys", allowed: people },
  { name: "prices", method: "GET", path: () => "/v1/prices/latest", allowed: people },
  { name: "pools", method: "GET", path: () => "/v1/pools", allowed: people },
  // A farmer's and a user's work on the node: not for its agent's key.
  {
    name: "set node state",
    method: "PUT",
    path: () => `/v1/nodes/${nodeId}/state`,
    body: () => ({ state: "online" }),
    allowed: ["admin", "farmer"],
  },
  {
    name: "set node price",
    method: "PUT",
    path: () => `/v1/nodes/${nodeId}/price`,
    body: () => ({ pricePerSliceMonth: "3", pricePerSliceHour: "0.01" }),
    allowed: ["admin", "farmer"],
  },
  { name: "node bids", method: "GET", path: () => `/v1/nodes/${nodeId}/bids`, allowed: ["admin", "farmer"] },
  {
    name: "farmer earnings",
    method: "GET",
    path: (role) => `/v1/farmers/${keys[role].ownerId}/earnings`,
    allowed: ["admin", "farmer"],
  },
  {
    name: "reserve a lease",
    method: "POST",
    path: () => "/v1/leases",
    body: () => ({ nodeId, slices: 1, durationHours: 1 }),
    idempotent: true,
    allowed: ["admin", "user"],
  },
  {
    name: "bid on the node",
    method: "POST",
    path: () => `/v1/nodes/${nodeId}/bids`,
    body: () => ({ slices: 1, priceCcPerSliceHour: "0.5" }),
    idempotent: true,
    allowed: ["admin", "user"],
  },
  // The agent's routes.
  {
    name: "node key",
    method: "POST",
    path: () => `/v1/nodes/${nodeId}/keys`,
    body: () => ({}),
    allowed: ["admin", "farmer"],
  },
  {
    name: "heartbeat",
    method: "POST",
    path: () => `/v1/nodes/${nodeId}/heartbeat`,
    allowed: ["admin", "farmer", "node"],
  },
  {
    name: "assignments",
    method: "GET",
    path: () => `/v1/nodes/${nodeId}/assignments`,
    allowed: ["admin", "farmer", "node"],
  },
  {
    name: "lease report",
    method: "PUT",
    path: () => `/v1/nodes/${nodeId}/assignments/lse_doesnotexist/status`,
    body: () => ({ status: "running" }),
    allowed: ["admin", "farmer", "node"],
  },
  { name: "own events", method: "GET", path: () => "/v1/events", allowed: people },
  { name: "own webhook endpoints", method: "GET", path: () => "/v1/webhook-endpoints", allowed: people },
  {
    name: "create webhook endpoint",
    method: "POST",
    path: () => "/v1/webhook-endpoints",
    // A local address with nothing listening: nothing leaves the machine if it is ever delivered to.
    body: () => ({ url: "http://127.0.0.1:9/hooks/matrix", eventTypes: ["lease.started"] }),
    allowed: people,
  },
  { name: "audit", method: "GET", path: () => "/v1/ledger/audit", allowed: ["admin"] },
  {
    name: "manual transfer",
    method: "POST",
    path: () => "/v1/transfers",
    body: (role) => ({
      transfers: [
        {
          type: "posted",
          debitAccountId: "acc_issuance_cc",
          creditAccountId: ownAccount[role],
          asset: "CC",
          amount: "1",
          code: "manual_adjustment",
        },
      ],
    }),
    idempotent: true,
    allowed: ["admin"],
  },
];

describe.each(routes)("$method $name", (route) => {
  it("refuses a request without a key (401, problem details)", async () => {
    const response = await call(route.method, route.path("user"), { body: route.body?.("user") });
    expect(response.status).toBe(401);
    expect(response.headers.get("content-type")).toContain("application/problem+json");
    expect(response.body).toMatchObject({ code: "UNAUTHENTICATED", status: 401 });
  });

  it("refuses a malformed or unknown key (401)", async () => {
    for (const key of ["nonsense", "tfm_AAAAAAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"]) {
      const response = await call(route.method, route.path("user"), { key, body: route.body?.("user") });
      expect(response.status).toBe(401);
    }
  });

  it.each(everyRole)("role %s", async (role) => {
    const headers: Record<string, string> = route.idempotent
      ? { "idempotency-key": `matrix-${role}-${route.name.replaceAll(" ", "-")}` }
      : {};
    const response = await call(route.method, route.path(role), {
      key: keys[role].key,
      body: route.body?.(role),
      headers,
    });
    if (route.allowed.includes(role)) {
      expect([401, 403]).not.toContain(response.status);
      expect(response.status).toBeLessThan(500);
    } else {
      expect(response.status).toBe(403);
      expect(response.body).toMatchObject({ code: "FORBIDDEN" });
    }
  });
});

describe("ownership", () => {
  it("a key sees only its owner's accounts; admins see all", async () => {
    const other = await call("GET", `/v1/accounts/${ownAccount.farmer}`, { key: keys.user.key });
    expect(other.status).toBe(403);
    const history = await call("GET", `/v1/accounts/${ownAccount.farmer}/transfers`, { key: keys.user.key });
    expect(history.status).toBe(403);
    const admin = await call("GET", `/v1/accounts/${ownAccount.farmer}`, { key: keys.admin.key });
    expect(admin.status).toBe(200);
    expect(admin.body).toMatchObject({ id: ownAccount.farmer, ownerId: keys.farmer.ownerId });
  });

  it("the mine lists show a key only its owner's items; naming another owner is for admins", async () => {
    for (const role of people.filter((candidate) => candidate !== "admin")) {
      const seeded = keys[role];
      const accounts = await call<{ data: { id: string; ownerId: string }[] }>("GET", "/v1/accounts", {
        key: seeded.key,
      });
      // The farmer also has its node's payout account, and its node's agent key.
      expect(accounts.body.data.map((account) => account.id)).toContain(ownAccount[role]);
      expect(accounts.body.data.every((account) => account.ownerId === seeded.ownerId)).toBe(true);
      expect(accounts.body.data).toHaveLength(role === "farmer" ? 2 : 1);
      const ownKeys = await call<{ data: { id: string; role: string; nodeId: string | null }[] }>(
        "GET",
        "/v1/keys",
        {
          key: seeded.key,
        },
      );
      // The farmer's other keys are its node's agent keys (the matrix above made some more).
      expect(ownKeys.body.data.filter((key) => key.role !== "node").map((key) => key.id)).toEqual([
        seeded.keyId,
      ]);
      const agentKeys = ownKeys.body.data.filter((key) => key.role === "node");
      expect(agentKeys.every((key) => key.nodeId === nodeId)).toBe(true);
      expect(agentKeys.length > 0).toBe(role === "farmer");
      const me = await call("GET", "/v1/me", { key: seeded.key });
      expect(me.body).toMatchObject({ ownerId: seeded.ownerId, role, keyId: seeded.keyId });
      const other = role === "user" ? keys.farmer.ownerId : keys.user.ownerId;
      for (const path of ["/v1/accounts", "/v1/keys", "/v1/leases", "/v1/bids"]) {
        const refused = await call("GET", `${path}?ownerId=${other}`, { key: seeded.key });
        expect(refused.status, `${role} ${path}`).toBe(403);
        expect(refused.body).toMatchObject({ code: "FORBIDDEN" });
      }
    }
    const byAdmin = await call<{ data: { id: string }[] }>(
      "GET",
      `/v1/accounts?ownerId=${keys.user.ownerId}`,
      {
        key: keys.admin.key,
      },
    );
    expect(byAdmin.body.data.map((account) => account.id)).toEqual([ownAccount.user]);
  });

  it("a revoked key stops working at once", async () => {
    const user = await seedKey("user");
    expect((await call("GET", "/v1/ledger/supply", { key: user.key })).status).toBe(200);
    const revoked = await call("DELETE", `/v1/keys/${user.keyId}`, { key: keys.admin.key });
    expect(revoked.status).toBe(200);
    expect((await call("GET", "/v1/ledger/supply", { key: user.key })).status).toBe(401);
  });

  it("a rotated key keeps working through its grace period only", async () => {
    const user = await seedKey("user");
    const rotated = await call<{ key: { key: string }; previous: { revokedAt: string } }>(
      "POST",
      `/v1/keys/${user.keyId}/rotate`,
      {
        key: keys.admin.key,
        body: { graceSeconds: 3600 },
      },
    );
    expect(rotated.status).toBe(201);
    expect((await call("GET", "/v1/ledger/supply", { key: rotated.body.key.key })).status).toBe(200);
    expect((await call("GET", "/v1/ledger/supply", { key: user.key })).status).toBe(200);
    const immediate = await call<{ key: { key: string; id: string } }>(
      "POST",
      `/v1/keys/${user.keyId}/rotate`,
      { key: keys.admin.key, body: { graceSeconds: 0 } },
    );
    expect(immediate.status).toBe(409); // the old key is already retiring: rotate the new one instead
    expect(immediate.body).toMatchObject({ code: "CONFLICT" });
    const again = await call<{ key: { key: string } }>(
      "POST",
      `/v1/keys/${(rotated.body.key as { id?: string }).id}/rotate`,
      { key: keys.admin.key, body: { graceSeconds: 0 } },
    );
    expect(again.status).toBe(201);
    expect((await call("GET", "/v1/ledger/supply", { key: rotated.body.key.key })).status).toBe(401);
  });
});
