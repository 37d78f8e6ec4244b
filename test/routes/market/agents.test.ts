// Proves the node agent's routes: a node key is created by the node's farmer or an admin and bound to that node; GET /v1/nodes/{id}/assignments tells the agent which leases to run (slice indices, resources, status, deployment document) with a cursor that returns only what changed; the agent's reports move a lease provisioning → running → failed / stopped, and it is charged from its `running` report only (failed hours uncharged, a stopped lease ended like its payer's end); a lease not reported running in time is cancelled with its hold released; a heartbeat carries the agent's view; and bad input gets problem details naming the field and writes nothing.
import { beforeAll, describe, expect, it } from "vitest";
import { databaseRoundTrips } from "../../../src/kit/db/client";
import {
  balances,
  call,
  database,
  expectAuditClean,
  type Seeded,
  seedKey,
  tableCounts,
} from "../../support/harness";
import {
  agentNode,
  assignmentsOf,
  book,
  ccMinor,
  fundedUser,
  hourMs,
  idempotencyKey,
  registerNode,
  reportLease,
  reserve,
  setPeg,
  settle,
  settlementsOf,
  shift,
} from "./support";

let farmer: Seeded;
let admin: Seeded;

/** 2 slices at 0.078125 CC per slice-hour. */
const hourlyChargeMinor = 156_250n;

beforeAll(async () => {
  await setPeg();
  farmer = await seedKey("farmer");
  admin = await seedKey("admin");
});

async function leaseOf(user: Seeded, leaseId: string) {
  const response = await call<{
    status: string;
    pausedReason: string | null;
    holdIds: string[];
    charged: string;
  }>("GET", `/v1/leases/${leaseId}`, { key: user.key });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body;
}

async function eventTypes(user: Seeded, leaseId: string): Promise<string[]> {
  const response = await call<{ data: { type: string; detail: string }[] }>(
    "GET",
    `/v1/leases/${leaseId}/events?limit=200`,
    { key: user.key },
  );
  return response.body.data.map((event) => event.type);
}

describe("node keys", () => {
  it("are created by the node's farmer or an admin, bound to the node and owned by its farmer", async () => {
    const node = await registerNode(farmer);
    const byFarmer = await call<Record<string, unknown>>("POST", `/v1/nodes/${node.id}/keys`, {
      key: farmer.key,
      body: { name: "rack 3", expiresInDays: 30 },
    });
    expect(byFarmer.status, JSON.stringify(byFarmer.body)).toBe(201);
    expect(byFarmer.body).toMatchObject({
      role: "node",
      nodeId: node.id,
      ownerId: farmer.ownerId,
      name: "rack 3",
    });
    expect(byFarmer.body.expiresAt).not.toBeNull();
    const byAdmin = await call("POST", `/v1/nodes/${node.id}/keys`, { key: admin.key, body: {} });
    expect(byAdmin.status).toBe(201);
    const me = await call("GET", "/v1/me", { key: String(byFarmer.body.key) });
    expect(me.body).toMatchObject({ role: "node", nodeId: node.id, ownerId: farmer.ownerId });
    const listed = await call<{ data: { id: string; nodeId: string | null }[] }>("GET", "/v1/keys", {
      key: farmer.key,
    });
    expect(listed.body.data.find((key) => key.id === byFarmer.body.id)?.nodeId).toBe(node.id);
  });

  it("refuses another farmer, an unknown node, bad input, and node keys through POST /v1/keys, writing nothing", async () => {
    const node = await registerNode(farmer);
    const other = await seedKey("farmer");
    const before = await tableCounts();
    const foreign = await call("POST", `/v1/nodes/${node.id}/keys`, { key: other.key, body: {} });
    expect(foreign.status).toBe(403);
    const unknown = await call("POST", "/v1/nodes/node_doesnotexist/keys", { key: farmer.key, body: {} });
    expect(unknown.status).toBe(404);
    const badName = await call("POST", `/v1/nodes/${node.id}/keys`, {
      key: farmer.key,
      body: { name: "a\u0000b" },
    });
    expect(badName.status).toBe(422);
    expect(badName.body).toMatchObject({ errors: [expect.objectContaining({ field: "name" })] });
    const badExpiry = await call("POST", `/v1/nodes/${node.id}/keys`, {
      key: farmer.key,
      body: { expiresInDays: 0, extra: 1 },
    });
    expect(badExpiry.status).toBe(422);
    expect((badExpiry.body as { errors: { field: string }[] }).errors.map((error) => error.field)).toEqual(
      expect.arrayContaining(["expiresInDays", "extra"]),
    );
    const viaKeys = await call("POST", "/v1/keys", {
      key: admin.key,
      body: { ownerId: farmer.ownerId, role: "node" },
    });
    expect(viaKeys.status).toBe(422);
    expect(viaKeys.body).toMatchObject({ code: "VALIDATION_FAILED", errors: [{ field: "role" }] });
    expect(await tableCounts()).toEqual(before);
  });

  it("are revoked by their farmer (who may revoke no other key) or an admin, at once", async () => {
    const { node, agent } = await agentNode(farmer);
    const other = await seedKey("farmer");
    expect((await call("DELETE", `/v1/keys/${agent.keyId}`, { key: other.key })).status).toBe(404);
    expect((await call("DELETE", `/v1/keys/${farmer.keyId}`, { key: farmer.key })).status).toBe(403);
    const revoked = await call("DELETE", `/v1/keys/${agent.keyId}`, { key: farmer.key });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id: agent.keyId, role: "node", nodeId: node.id });
    expect((await assignmentsOf(agent.key, node.id)).status).toBe(401);
    expect((await call("GET", "/v1/ledger/supply", { key: farmer.key })).status).toBe(200);
  });

  it("a node key works only on its own node, and only for the agent's calls", async () => {
    const { node, agent } = await agentNode(farmer);
    const sibling = await registerNode(farmer);
    expect((await call("POST", `/v1/nodes/${node.id}/heartbeat`, { key: agent.key })).status).toBe(200);
    expect((await assignmentsOf(agent.key, node.id)).status).toBe(200);
    for (const response of [
      await call("POST", `/v1/nodes/${sibling.id}/heartbeat`, { key: agent.key }),
      await assignmentsOf(agent.key, sibling.id),
      await reportLease(agent.key, sibling.id, "lse_nothere", "running"),
      await call("PUT", `/v1/nodes/${node.id}/state`, { key: agent.key, body: { state: "offline" } }),
      await call("POST", `/v1/nodes/${node.id}/keys`, { key: agent.key, body: {} }),
      await call("GET", `/v1/nodes/${node.id}/bids`, { key: agent.key }),
      await reserve(agent, node.id, 1, 1),
    ]) {
      expect(response.status).toBe(403);
      expect(response.body).toMatchObject({ code: "FORBIDDEN" });
    }
  });
});

describe("assignments", () => {
  it("list the node's leases with slice indices, resources and deployment, then only what changed after a cursor", async () => {
    const { node, agent } = await agentNode(farmer);
    const user = await fundedUser(100n * ccMinor);
    const empty = await assignmentsOf(agent.key, node.id);
    expect(empty.status, JSON.stringify(empty.body)).toBe(200);
    expect(empty.body).toMatchObject({
      nodeId: node.id,
      reset: true,
      more: false,
      assignments: [],
      removed: [],
    });
    const deployment = { image: "ghcr.io/example/app:1.4", env: { MODE: "prod" }, ports: [8080] };
    const first = await reserve(user, node.id, 2, null, { deployment });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body).toMatchObject({ status: "paused", pausedReason: "provisioning" });
    const second = await reserve(user, node.id, 3, 24);
    expect(second.status).toBe(201);

    const all = await assignmentsOf(agent.key, node.id);
    expect(all.body.reset).toBe(true);
    expect(all.body.assignments.map((assignment) => assignment.leaseId)).toEqual([
      first.body.id,
      second.body.id,
    ]);
    const [a, b] = all.body.assignments;
    expect(a).toMatchObject({
      slices: 2,
      sliceIndices: [0, 1],
      run: true,
      status: "paused",
      pausedReason: "provisioning",
      agentStatus: "provisioning",
      chargedFrom: "running",
      deployment,
    });
    expect(a?.provisionBy).not.toBeNull();
    // A 3Node Home (16 cores, 32 GB, 1 TB) in 7 slices: 2 slices of 2.285714… cores, rounded down.
    expect(a?.resources).toMatchObject({ cores: "4.571" });
    expect(b).toMatchObject({ slices: 3, sliceIndices: [2, 3, 4], deployment: null });

    const unchanged = await assignmentsOf(agent.key, node.id, all.body.cursor);
    expect(unchanged.body).toMatchObject({
      reset: false,
      more: false,
      assignments: [],
      removed: [],
      cursor: all.body.cursor,
    });

    expect((await reportLease(agent.key, node.id, first.body.id, "running")).status).toBe(200);
    const ended = await call("DELETE", `/v1/leases/${second.body.id}`, { key: user.key });
    expect(ended.status).toBe(200);
    const changes = await assignmentsOf(agent.key, node.id, all.body.cursor);
    expect(changes.body.reset).toBe(false);
    expect(changes.body.assignments).toEqual([
      expect.objectContaining({
        leaseId: first.body.id,
        status: "running",
        agentStatus: "running",
        run: true,
      }),
    ]);
    expect(changes.body.removed).toEqual([expect.objectContaining({ leaseId: second.body.id })]);
    // The freed slices go to the next lease: the lowest free indices.
    const third = await reserve(user, node.id, 1, 1);
    const latest = await assignmentsOf(agent.key, node.id, changes.body.cursor);
    expect(latest.body.assignments).toEqual([
      expect.objectContaining({ leaseId: third.body.id, sliceIndices: [2] }),
    ]);
  });

  it("page by count, with `more` until the last page", async () => {
    const { node, agent } = await agentNode(farmer);
    const user = await fundedUser(100n * ccMinor);
    const leases = [];
    for (let index = 0; index < 5; index += 1) leases.push((await reserve(user, node.id, 1, 2)).body.id);
    const seen: string[] = [];
    let page = await assignmentsOf(agent.key, node.id, undefined, 2);
    expect(page.body).toMatchObject({ reset: true, more: true });
    seen.push(...page.body.assignments.map((assignment) => assignment.leaseId));
    while (page.body.more) {
      page = await assignmentsOf(agent.key, node.id, page.body.cursor, 2);
      seen.push(...page.body.assignments.map((assignment) => assignment.leaseId));
    }
    expect(seen).toEqual(leases);
  });

  it("refuse a bad cursor or limit and an oversized deployment document, naming the field and writing nothing", async () => {
    const { node, agent } = await agentNode(farmer);
    const user = await fundedUser(100n * ccMinor);
    for (const [query, field] of [
      ["after=-1", "query.after"],
      ["after=abc", "query.after"],
      ["limit=0", "query.limit"],
      ["limit=201", "query.limit"],
      ["cursor=1", "query.cursor"],
    ] as const) {
      const response = await call("GET", `/v1/nodes/${node.id}/assignments?${query}`, { key: agent.key });
      expect(response.status, query).toBe(422);
      expect(response.body).toMatchObject({
        code: "VALIDATION_FAILED",
        errors: [expect.objectContaining({ field })],
      });
    }
    const before = await tableCounts();
    const balance = await balances(user.accountId);
    const big = { blob: "x".repeat(16 * 1024) };
    const refused = await call("POST", "/v1/leases", {
      key: user.key,
      headers: { "idempotency-key": idempotencyKey("deploy") },
      body: { nodeId: node.id, slices: 1, durationHours: 1, deployment: big },
    });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({
      code: "VALIDATION_FAILED",
      errors: [expect.objectContaining({ field: "deployment" })],
    });
    expect(await tableCounts()).toEqual(before);
    expect(await balances(user.accountId)).toEqual(balance);
    expect((await assignmentsOf(agent.key, node.id)).body.assignments).toEqual([]);
  });
});

describe("reports and charging", () => {
  it("charges a lease from its agent's running report, not while provisioning or failed", async () => {
    const { node, agent } = await agentNode(farmer);
    const user = await fundedUser(100n * ccMinor);
    const lease = await reserve(user, node.id, 2, null);
    expect(lease.status).toBe(201);
    expect((await balances(user.accountId)).pendingDebits).toBe(24n * hourlyChargeMinor);
    shift(10 * 60_000);
    const provisioning = await reportLease(agent.key, node.id, lease.body.id, "provisioning");
    expect(provisioning.body).toMatchObject({
      status: "paused",
      pausedReason: "provisioning",
      agentStatus: "provisioning",
    });
    const running = await reportLease(agent.key, node.id, lease.body.id, "running");
    expect(running.status, JSON.stringify(running.body)).toBe(200);
    expect(running.body).toMatchObject({ status: "running", pausedReason: null, agentStatus: "running" });
    // Again: nothing changes.
    expect((await reportLease(agent.key, node.id, lease.body.id, "running")).body).toMatchObject({
      status: "running",
    });

    // Two hours in: the first period had 50 minutes of running, the second a whole hour.
    shift(hourMs + 50 * 60_000 + 1_000);
    await settle(node.id);
    let rows = await settlementsOf([lease.body.id]);
    expect(rows).toHaveLength(2);
    expect(rows[0]?.chargeMinor).toBeLessThanOrEqual((hourlyChargeMinor * 50n) / 60n + 1n);
    expect(rows[0]?.chargeMinor).toBeGreaterThanOrEqual((hourlyChargeMinor * 49n) / 60n);
    expect(rows[1]?.chargeMinor).toBe(hourlyChargeMinor);

    // Failed for an hour: not charged for it.
    const failed = await reportLease(agent.key, node.id, lease.body.id, "failed");
    expect(failed.body).toMatchObject({ status: "paused", pausedReason: "failed", agentStatus: "failed" });
    shift(hourMs);
    await settle(node.id);
    rows = await settlementsOf([lease.body.id]);
    expect(rows).toHaveLength(3);
    expect(rows[2]?.chargeMinor).toBeLessThan(hourlyChargeMinor / 30n);
    expect((await reportLease(agent.key, node.id, lease.body.id, "running")).body.status).toBe("running");
    expect(await eventTypes(user, lease.body.id)).toEqual(
      expect.arrayContaining(["started", "paused", "agent_status", "resumed"]),
    );

    // Stopped: the lease ends like its payer's end, its last period settled and its hold released.
    const stopped = await reportLease(agent.key, node.id, lease.body.id, "stopped");
    expect(stopped.body).toMatchObject({ status: "ended" });
    const after = await leaseOf(user, lease.body.id);
    expect(after).toMatchObject({ status: "ended", holdIds: [] });
    expect((await balances(user.accountId)).pendingDebits).toBe(0n);
    const total = (await settlementsOf([lease.body.id])).reduce((sum, row) => sum + row.chargeMinor, 0n);
    expect((await balances(user.accountId)).posted).toBe(100n * ccMinor - total);
    const again = await reportLease(agent.key, node.id, lease.body.id, "running");
    expect(again.status).toBe(409);
    await expectAuditClean();
  });

  it("cancels a lease no agent reports running in time, releasing its hold uncharged", async () => {
    const { node, agent } = await agentNode(farmer);
    const user = await fundedUser(100n * ccMinor);
    const lease = await reserve(user, node.id, 2, 24);
    expect((await balances(user.accountId)).pendingDebits).toBeGreaterThan(0n);
    // The book wakes at the deadline (not at the end of the lease's first hour).
    const summary = await book(node.id).settleNow({ nodeId: node.id });
    expect(summary.ok && summary.value.nextWakeMs).toBe(
      Date.parse(String(lease.body.startedAt)) + 30 * 60_000,
    );
    shift(29 * 60_000);
    await settle(node.id);
    expect((await leaseOf(user, lease.body.id)).status).toBe("paused");
    shift(2 * 60_000);
    await settle(node.id);
    const after = await leaseOf(user, lease.body.id);
    expect(after).toMatchObject({ status: "ended", holdIds: [], charged: "0.000000" });
    expect(await balances(user.accountId)).toEqual({
      posted: 100n * ccMinor,
      available: 100n * ccMinor,
      pendingDebits: 0n,
    });
    const page = await assignmentsOf(agent.key, node.id);
    expect(page.body.assignments).toEqual([]);
    const events = await call<{ data: { type: string; details: Record<string, unknown> }[] }>(
      "GET",
      `/v1/leases/${lease.body.id}/events?limit=200`,
      { key: user.key },
    );
    expect(events.body.data).toContainEqual(
      expect.objectContaining({ type: "ended", details: { cause: "provisioning_timeout" } }),
    );
    await expectAuditClean();
  });

  it("refuses reports on unknown or ended leases and bad statuses, naming the field", async () => {
    const { node, agent } = await agentNode(farmer);
    expect((await reportLease(agent.key, node.id, "lse_unknown", "running")).status).toBe(404);
    const bad = await reportLease(agent.key, node.id, "lse_unknown", "exploded");
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({ errors: [expect.objectContaining({ field: "status" })] });
    const badId = await call("PUT", `/v1/nodes/${node.id}/assignments/nope/status`, {
      key: agent.key,
      body: { status: "running" },
    });
    expect(badId.status).toBe(422);
    expect(badId.body).toMatchObject({ errors: [expect.objectContaining({ field: "param.leaseId" })] });
  });

  it("takes the agent's view from a heartbeat, skipping leases the book no longer has", async () => {
    const { node, agent } = await agentNode(farmer);
    const user = await fundedUser(100n * ccMinor);
    const lease = await reserve(user, node.id, 1, null);
    const beat = await call<{ leases: { leaseId: string; status: string; agentStatus: string }[] }>(
      "POST",
      `/v1/nodes/${node.id}/heartbeat`,
      {
        key: agent.key,
        body: {
          leases: [
            { leaseId: lease.body.id, status: "running" },
            { leaseId: "lse_gone", status: "running" },
          ],
        },
      },
    );
    expect(beat.status, JSON.stringify(beat.body)).toBe(200);
    expect(beat.body.leases).toEqual([
      { leaseId: lease.body.id, status: "running", pausedReason: null, agentStatus: "running" },
    ]);
    const bad = await call("POST", `/v1/nodes/${node.id}/heartbeat`, {
      key: agent.key,
      body: { leases: [{ leaseId: lease.body.id, status: "sleeping" }] },
    });
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({ errors: [expect.objectContaining({ field: "leases.0.status" })] });
  });

  it("keep the agent's calls within their round-trip budgets", async () => {
    const { node, agent } = await agentNode(farmer);
    const user = await fundedUser(100n * ccMinor);
    const lease = await reserve(user, node.id, 1, null);
    const trips = async (request: () => Promise<{ status: number }>) => {
      const before = databaseRoundTrips();
      const response = await request();
      expect(response.status).toBe(200);
      return databaseRoundTrips() - before;
    };
    await assignmentsOf(agent.key, node.id); // the key verified and cached
    // Answered by the book alone; a report mirrors its change; a heartbeat writes once (and mirrors a change).
    expect(await trips(() => assignmentsOf(agent.key, node.id))).toBe(0);
    expect(await trips(() => reportLease(agent.key, node.id, lease.body.id, "running"))).toBe(1);
    expect(await trips(() => reportLease(agent.key, node.id, lease.body.id, "running"))).toBe(0);
    const beat = (status: string) => () =>
      call("POST", `/v1/nodes/${node.id}/heartbeat`, {
        key: agent.key,
        body: { leases: [{ leaseId: lease.body.id, status }] },
      });
    expect(await trips(beat("running"))).toBe(1);
    expect(await trips(beat("failed"))).toBe(2);
  });

  it("leaves a node without an agent charged from acceptance, as before", async () => {
    const node = await registerNode(farmer);
    const user = await fundedUser(100n * ccMinor);
    const lease = await reserve(user, node.id, 2, null);
    expect(lease.body).toMatchObject({ status: "running", pausedReason: null });
    expect((await reportLease(farmer.key, node.id, lease.body.id, "running")).status).toBe(409);
    shift(hourMs + 1_000);
    await settle(node.id);
    expect((await settlementsOf([lease.body.id]))[0]?.chargeMinor).toBe(hourlyChargeMinor);
    await database().execute("SELECT 1");
  });
});
