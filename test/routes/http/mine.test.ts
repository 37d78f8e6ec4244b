// Proves the "mine" reads: GET /v1/me names the caller's key; GET /v1/accounts, /v1/leases, /v1/keys and /v1/bids list the caller's own items across cursor pages (no repeats, nothing skipped, newest first where it says so), filter by status and node, never list another owner's items (a non-admin naming another owner is a 403; an admin may), and refuse bad input with a 422 naming the field while writing nothing.
import { beforeAll, describe, expect, it } from "vitest";
import { databaseRoundTrips } from "../../../src/kit/db/client";
import { call, fundedAccount, type Seeded, seedKey, tableCounts } from "../../support/harness";
import { bid, ccMinor, fundedUser, type NodeBody, registerNode, reserve, setPeg } from "../market/support";

type Page<T> = { data: T[]; nextCursor: string | null };
type LeaseItem = { id: string; nodeId: string; ownerId: string; status: string; startedAt: string };
type BidItem = { id: string; nodeId: string; ownerId: string; status: string };
type KeyItem = Record<string, unknown> & { id: string; ownerId: string };

let alice: Seeded & { accountId: string };
let bob: Seeded & { accountId: string };
let farmer: Seeded;
let otherFarmer: Seeded;
let admin: Seeded;
let node: NodeBody;
let otherNode: NodeBody;
/** Alice's leases, oldest first: two on `node` (the first ended), one on `otherNode`. */
const aliceLeases: string[] = [];
let bobLease: string;
/** Alice's bids, oldest first: two on `node` (the second cancelled), one on `otherNode`. */
const aliceBids: string[] = [];
let bobBid: string;

/** Every item of a list, following `nextCursor` with pages of `limit`; and how many pages it took. */
async function everyPage<T>(
  key: string,
  path: string,
  limit: number,
): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const separator = path.includes("?") ? "&" : "?";
    const suffix: string = cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`;
    const response = await call<Page<T>>("GET", `${path}${separator}limit=${limit}${suffix}`, { key });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body.data.length).toBeLessThanOrEqual(limit);
    items.push(...response.body.data);
    cursor = response.body.nextCursor;
    pages++;
    expect(pages).toBeLessThan(50);
  } while (cursor !== null);
  return { items, pages };
}

beforeAll(async () => {
  await setPeg();
  alice = await fundedUser(1_000n * ccMinor);
  bob = await fundedUser(1_000n * ccMinor);
  farmer = await seedKey("farmer");
  otherFarmer = await seedKey("farmer");
  admin = await seedKey("admin");
  await fundedAccount(farmer.ownerId, "CC", 0n, "farmer");
  await fundedAccount(otherFarmer.ownerId, "CC", 0n, "farmer");
  node = await registerNode(farmer);
  otherNode = await registerNode(otherFarmer);
  for (const nodeId of [node.id, node.id, otherNode.id]) {
    const lease = await reserve(alice, nodeId, 1, 2);
    expect(lease.status, JSON.stringify(lease.body)).toBe(201);
    aliceLeases.push(lease.body.id);
  }
  const ended = await call("DELETE", `/v1/leases/${aliceLeases[0]}`, { key: alice.key });
  expect(ended.status, JSON.stringify(ended.body)).toBe(200);
  const bobs = await reserve(bob, node.id, 1, 2);
  expect(bobs.status).toBe(201);
  bobLease = bobs.body.id;
  for (const nodeId of [node.id, node.id, otherNode.id]) {
    const placed = await bid(alice, nodeId, 1, "0.02");
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    expect(placed.body.status).toBe("open");
    aliceBids.push(placed.body.id);
  }
  const cancelled = await call("DELETE", `/v1/nodes/${node.id}/bids/${aliceBids[1]}`, { key: alice.key });
  expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
  const bobsBid = await bid(bob, node.id, 1, "0.02");
  expect(bobsBid.status).toBe(201);
  bobBid = bobsBid.body.id;
});

describe("GET /v1/me", () => {
  it("names the caller's owner, role and key, and no node", async () => {
    const me = await call("GET", "/v1/me", { key: alice.key });
    expect(me.status).toBe(200);
    expect(me.body).toEqual({
      ownerId: alice.ownerId,
      role: "user",
      keyId: alice.keyId,
      keyName: "test user",
      keyExpiresAt: null,
      keyRetiresAt: null,
      nodeId: null,
    });
  });

  it("answers every role with its own key", async () => {
    for (const seeded of [farmer, admin]) {
      const me = await call("GET", "/v1/me", { key: seeded.key });
      expect(me.body).toMatchObject({ ownerId: seeded.ownerId, role: seeded.role, keyId: seeded.keyId });
    }
  });
});

describe("GET /v1/accounts", () => {
  it("lists the caller's accounts across pages, oldest first, each as GET /v1/accounts/{id} shows it", async () => {
    const tfp = await fundedAccount(alice.ownerId, "TFP", 25_000_000n);
    const usdc = await fundedAccount(alice.ownerId, "USDC", 0n);
    const { items, pages } = await everyPage<{ id: string }>(alice.key, "/v1/accounts", 2);
    expect(pages).toBe(2);
    expect(items.map((account) => account.id)).toEqual([alice.accountId, tfp, usdc]);
    for (const account of items) {
      const single = await call("GET", `/v1/accounts/${account.id}`, { key: alice.key });
      expect(account).toEqual(single.body);
    }
    // The CC account paid for the lease that ended: its balance in CC's 6 decimals, whatever it is.
    expect(items[0]).toMatchObject({
      asset: "CC",
      balance: { posted: expect.stringMatching(/^\d+\.\d{6}$/) },
    });
    expect(items[1]).toMatchObject({ asset: "TFP", balance: { posted: "2.5000000" } });
  });

  it("never lists another owner's accounts; only an admin may name another owner", async () => {
    const own = await call<Page<{ ownerId: string }>>("GET", "/v1/accounts", { key: bob.key });
    expect(own.body.data.map((account) => account.ownerId)).toEqual([bob.ownerId]);
    const refused = await call("GET", `/v1/accounts?ownerId=${alice.ownerId}`, { key: bob.key });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: "FORBIDDEN" });
    const self = await call<Page<{ id: string }>>("GET", `/v1/accounts?ownerId=${bob.ownerId}`, {
      key: bob.key,
    });
    expect(self.body.data.map((account) => account.id)).toEqual([bob.accountId]);
    const byAdmin = await call<Page<{ id: string }>>("GET", `/v1/accounts?ownerId=${bob.ownerId}`, {
      key: admin.key,
    });
    expect(byAdmin.body.data.map((account) => account.id)).toEqual([bob.accountId]);
  });
});

describe("GET /v1/leases", () => {
  it("lists the leases the caller pays for, newest first, across pages, in the mirror row's shape", async () => {
    const { items, pages } = await everyPage<LeaseItem>(alice.key, "/v1/leases", 1);
    expect(pages).toBe(3);
    expect(new Set(items.map((lease) => lease.id))).toEqual(new Set(aliceLeases));
    expect(items.every((lease) => lease.ownerId === alice.ownerId)).toBe(true);
    const started = items.map((lease) => Date.parse(lease.startedAt));
    expect(started).toEqual([...started].sort((left, right) => right - left));
    const single = await call<Record<string, unknown>>("GET", `/v1/leases/${aliceLeases[0]}`, {
      key: alice.key,
    });
    const listed = items.find((lease) => lease.id === aliceLeases[0]);
    expect(listed).toEqual({ ...single.body, holdIds: [] });
  });

  it("filters by status (one comma list) and by node", async () => {
    const ended = await call<Page<LeaseItem>>("GET", "/v1/leases?status=ended", { key: alice.key });
    expect(ended.body.data.map((lease) => lease.id)).toEqual([aliceLeases[0]]);
    const live = await call<Page<LeaseItem>>("GET", "/v1/leases?status=running,paused", { key: alice.key });
    expect(new Set(live.body.data.map((lease) => lease.id))).toEqual(new Set(aliceLeases.slice(1)));
    const onNode = await call<Page<LeaseItem>>("GET", `/v1/leases?nodeId=${node.id}`, { key: alice.key });
    expect(new Set(onNode.body.data.map((lease) => lease.id))).toEqual(new Set(aliceLeases.slice(0, 2)));
  });

  it("shows a farmer their node's leases whoever pays, and nobody another owner's", async () => {
    const farmed = await call<Page<LeaseItem>>("GET", `/v1/leases?nodeId=${node.id}`, { key: farmer.key });
    expect(new Set(farmed.body.data.map((lease) => lease.id))).toEqual(
      new Set([aliceLeases[0], aliceLeases[1], bobLease]),
    );
    const notTheirs = await call<Page<LeaseItem>>("GET", `/v1/leases?nodeId=${otherNode.id}`, {
      key: farmer.key,
    });
    expect(notTheirs.body.data).toEqual([]);
    const ownOnly = await call<Page<LeaseItem>>("GET", "/v1/leases", { key: farmer.key });
    expect(ownOnly.body.data).toEqual([]);
    const bobs = await call<Page<LeaseItem>>(`GET`, `/v1/leases?nodeId=${node.id}`, { key: bob.key });
    expect(bobs.body.data.map((lease) => lease.id)).toEqual([bobLease]);
    const refused = await call("GET", `/v1/leases?ownerId=${alice.ownerId}`, { key: bob.key });
    expect(refused.status).toBe(403);
    const byAdmin = await call<Page<LeaseItem>>("GET", `/v1/leases?ownerId=${bob.ownerId}`, {
      key: admin.key,
    });
    expect(byAdmin.body.data.map((lease) => lease.id)).toEqual([bobLease]);
  });
});

describe("GET /v1/bids", () => {
  it("lists the caller's bids across nodes, newest first, across pages, as their books hold them", async () => {
    const { items, pages } = await everyPage<BidItem>(alice.key, "/v1/bids", 1);
    expect(pages).toBe(3);
    expect(items.map((item) => item.id)).toEqual([...aliceBids].reverse());
    expect(items.map((item) => item.nodeId)).toEqual([otherNode.id, node.id, node.id]);
    expect(items.map((item) => item.status)).toEqual(["open", "cancelled", "open"]);
    expect(items.every((item) => item.ownerId === alice.ownerId)).toBe(true);
    const open = await call<Page<BidItem>>("GET", `/v1/nodes/${node.id}/bids`, { key: farmer.key });
    expect(items.at(-1)).toEqual(open.body.data.find((item) => item.id === aliceBids[0]));
  });

  it("filters by status, and never lists another owner's bids", async () => {
    const open = await call<Page<BidItem>>("GET", "/v1/bids?status=open", { key: alice.key });
    expect(open.body.data.map((item) => item.id)).toEqual([aliceBids[2], aliceBids[0]]);
    const closed = await call<Page<BidItem>>("GET", "/v1/bids?status=cancelled,rejected", { key: alice.key });
    expect(closed.body.data.map((item) => item.id)).toEqual([aliceBids[1]]);
    const bobs = await call<Page<BidItem>>("GET", "/v1/bids", { key: bob.key });
    expect(bobs.body.data.map((item) => item.id)).toEqual([bobBid]);
    expect((await call("GET", `/v1/bids?ownerId=${alice.ownerId}`, { key: bob.key })).status).toBe(403);
    const byAdmin = await call<Page<BidItem>>("GET", `/v1/bids?ownerId=${bob.ownerId}`, { key: admin.key });
    expect(byAdmin.body.data.map((item) => item.id)).toEqual([bobBid]);
  });
});

describe("GET /v1/bids, its bound and its cost", () => {
  it("a page looks at `limit` bids and keeps those in `status`: short pages still carry the cursor", async () => {
    const first = await call<Page<BidItem>>("GET", "/v1/bids?status=open&limit=2", { key: alice.key });
    expect(first.body.data.map((item) => item.id)).toEqual([aliceBids[2]]);
    expect(first.body.nextCursor).not.toBeNull();
    const second = await call<Page<BidItem>>(
      "GET",
      `/v1/bids?status=open&limit=2&cursor=${first.body.nextCursor}`,
      { key: alice.key },
    );
    expect(second.body).toEqual({ data: [expect.objectContaining({ id: aliceBids[0] })], nextCursor: null });
  });

  it("reads the database once with a warm key, asking the two nodes' books in parallel", async () => {
    await call("GET", "/v1/bids", { key: alice.key });
    const before = databaseRoundTrips();
    const listed = await call<Page<BidItem>>("GET", "/v1/bids", { key: alice.key });
    expect(databaseRoundTrips() - before).toBe(1);
    expect(new Set(listed.body.data.map((item) => item.nodeId))).toEqual(new Set([node.id, otherNode.id]));
  });
});

describe("GET /v1/keys", () => {
  it("lists the caller's keys across pages, newest first, with rotations, never a secret or hash", async () => {
    const owner = await seedKey("lp");
    const second = await seedKey("lp", owner.ownerId);
    const rotated = await call<{ key: { id: string } }>("POST", `/v1/keys/${second.keyId}/rotate`, {
      key: admin.key,
      body: { graceSeconds: 3600 },
    });
    expect(rotated.status).toBe(201);
    const { items, pages } = await everyPage<KeyItem>(owner.key, "/v1/keys", 2);
    expect(pages).toBe(2);
    expect(new Set(items.map((item) => item.id))).toEqual(
      new Set([owner.keyId, second.keyId, rotated.body.key.id]),
    );
    expect(items.every((item) => item.ownerId === owner.ownerId)).toBe(true);
    for (const item of items) {
      expect(Object.keys(item)).not.toEqual(expect.arrayContaining(["key"]));
      expect(Object.keys(item)).not.toEqual(expect.arrayContaining(["hash"]));
    }
    const created = items.map((item) => Date.parse(String(item.createdAt)));
    expect(created).toEqual([...created].sort((left, right) => right - left));
    const retired = items.find((item) => item.id === second.keyId);
    expect(retired).toMatchObject({ rotatedToId: rotated.body.key.id, role: "lp", name: "test lp" });
    expect(retired?.rotatedAt).toEqual(expect.any(String));
    expect(items.find((item) => item.id === rotated.body.key.id)).toMatchObject({
      rotatedFromId: second.keyId,
      rotatedToId: null,
      rotatedAt: null,
    });
  });

  it("never lists another owner's keys; admins list anyone's", async () => {
    const own = await call<Page<KeyItem>>("GET", "/v1/keys", { key: bob.key });
    expect(own.body.data.map((item) => item.id)).toEqual([bob.keyId]);
    expect((await call("GET", `/v1/keys?ownerId=${alice.ownerId}`, { key: bob.key })).status).toBe(403);
    const byAdmin = await call<Page<KeyItem>>("GET", `/v1/keys?ownerId=${alice.ownerId}`, { key: admin.key });
    expect(byAdmin.body.data.map((item) => item.id)).toEqual([alice.keyId]);
    const everyone = await call<Page<KeyItem>>("GET", "/v1/keys?limit=200", { key: admin.key });
    expect(new Set(everyone.body.data.map((item) => item.ownerId)).size).toBeGreaterThan(1);
  });
});

describe("bad input", () => {
  it.each([
    ["/v1/leases?status=runing", "query.status"],
    ["/v1/leases?status=running&status=ended", "query.status"],
    ["/v1/leases?status=", "query.status"],
    ["/v1/leases?nodeId=nope", "query.nodeId"],
    ["/v1/leases?limit=201", "query.limit"],
    ["/v1/accounts?limit=0", "query.limit"],
    ["/v1/accounts?cursor=yesterday", "query.cursor"],
    ["/v1/accounts?ownerId=a%20b", "query.ownerId"],
    ["/v1/keys?cursor=12", "query.cursor"],
    ["/v1/keys?limit=ten", "query.limit"],
    ["/v1/bids?status=won", "query.status"],
    ["/v1/bids?cursor=abc", "query.cursor"],
    ["/v1/bids?limit=500", "query.limit"],
    ["/v1/me?verbose=1", "query.verbose"],
  ])("%s is a 422 naming %s, writing nothing", async (path, field) => {
    const before = await tableCounts();
    const response = await call<{ code: string; errors: { field: string }[] }>("GET", path, {
      key: alice.key,
    });
    expect(response.status).toBe(422);
    expect(response.body.code).toBe("VALIDATION_FAILED");
    expect(response.body.errors.map((error) => error.field)).toContain(field);
    expect(await tableCounts()).toEqual(before);
  });
});
