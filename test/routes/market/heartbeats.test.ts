// Proves that the cron takes a node that has gone silent (no heartbeat within MARKET_HEARTBEAT_TIMEOUT_HOURS,
// or none since registration) offline, pausing its running leases uncharged with a notice, leaves nodes heard
// from in time and nodes not online alone, that the node's next heartbeat brings it back online and resumes
// its leases, and that a state the farmer sets by hand is never undone by a heartbeat.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { takeSilentNodesOffline } from "../../../src/market/flows/upkeep";
import { call, database, type Seeded, seedKey } from "../../support/harness";
import { ccMinor, fundedUser, hourMs, registerNode, reserve, setPeg } from "./support";

let farmer: Seeded;
// The longest timeout, with contact backdated past it: only this file's nodes are silent that long.
const silenceEnv = { ...env, MARKET_HEARTBEAT_TIMEOUT_HOURS: "720" } as Env;
const longAgoMs = () => Date.now() - 721 * hourMs;

type NodeJson = { id: string; state: string; autoOfflineAt: string | null };

beforeAll(async () => {
  await setPeg();
  farmer = await seedKey("farmer");
});

async function lastContact(nodeId: string, heartbeatAtMs: number | null): Promise<void> {
  await database().execute({
    sql: "UPDATE nodes SET created_at = ?, last_heartbeat_at = ? WHERE id = ?",
    args: [longAgoMs(), heartbeatAtMs, nodeId],
  });
}

async function nodeOf(nodeId: string): Promise<NodeJson> {
  const response = await call<NodeJson>("GET", `/v1/nodes/${nodeId}`);
  expect(response.status).toBe(200);
  return response.body;
}

async function heartbeat(nodeId: string) {
  return call<{ state: string; reliability: string }>("POST", `/v1/nodes/${nodeId}/heartbeat`, {
    key: farmer.key,
  });
}

async function leaseEventTypes(user: Seeded, leaseId: string): Promise<string[]> {
  const response = await call<{ data: { type: string; detail: string }[] }>(
    "GET",
    `/v1/leases/${leaseId}/events?limit=200`,
    { key: user.key },
  );
  expect(response.status).toBe(200);
  return response.body.data.map((event) => `${event.type}:${event.detail}`);
}

async function setState(nodeId: string, state: string) {
  const response = await call<NodeJson>("PUT", `/v1/nodes/${nodeId}/state`, {
    key: farmer.key,
    body: { state },
  });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body;
}

describe("silent nodes", () => {
  it("go offline with their leases paused, and come back with their next heartbeat", async () => {
    const silent = await registerNode(farmer);
    const neverSeen = await registerNode(farmer);
    const heard = await registerNode(farmer);
    const resting = await registerNode(farmer);
    const user = await fundedUser(100n * ccMinor);
    const lease = await reserve(user, silent.id, 2, null);
    expect(lease.status, JSON.stringify(lease.body)).toBe(201);
    await lastContact(silent.id, longAgoMs());
    await lastContact(neverSeen.id, null);
    await lastContact(heard.id, Date.now() - hourMs);
    await setState(resting.id, "maintenance");
    await lastContact(resting.id, longAgoMs());

    const report = await takeSilentNodesOffline(silenceEnv, Date.now());
    expect(report.failed).toEqual([]);
    expect(report.offline).toEqual(expect.arrayContaining([silent.id, neverSeen.id]));
    expect(report.offline).not.toContain(heard.id);
    expect(report.offline).not.toContain(resting.id);
    for (const id of [silent.id, neverSeen.id]) {
      const node = await nodeOf(id);
      expect(node.state).toBe("offline");
      expect(node.autoOfflineAt).not.toBeNull();
    }
    expect((await nodeOf(heard.id)).state).toBe("online");
    expect(await nodeOf(resting.id)).toMatchObject({ state: "maintenance", autoOfflineAt: null });
    expect(await leaseEventTypes(user, lease.body.id)).toContainEqual("paused:paused: node_offline");
    const leaseView = await call<{ status: string }>("GET", `/v1/leases/${lease.body.id}`, { key: user.key });
    expect(leaseView.body.status).toBe("paused");
    // Already offline: a second run leaves them be.
    const again = await takeSilentNodesOffline(silenceEnv, Date.now());
    expect(again.offline).not.toContain(silent.id);

    const beat = await heartbeat(silent.id);
    expect(beat.status).toBe(200);
    expect(beat.body.state).toBe("online");
    expect(await nodeOf(silent.id)).toMatchObject({ state: "online", autoOfflineAt: null });
    const events = await leaseEventTypes(user, lease.body.id);
    expect(events.some((event) => event.startsWith("resumed:"))).toBe(true);
    expect(
      (await call<{ status: string }>("GET", `/v1/leases/${lease.body.id}`, { key: user.key })).body.status,
    ).toBe("running");
    // The resting node's heartbeat changes nothing about its state.
    expect((await heartbeat(resting.id)).body.state).toBe("maintenance");
  });

  it("stay in the state their farmer sets by hand after the market took them offline", async () => {
    const node = await registerNode(farmer);
    await lastContact(node.id, null);
    expect((await takeSilentNodesOffline(silenceEnv, Date.now())).offline).toContain(node.id);
    expect(await setState(node.id, "maintenance")).toMatchObject({
      state: "maintenance",
      autoOfflineAt: null,
    });
    const beat = await heartbeat(node.id);
    expect(beat.body.state).toBe("maintenance");
    expect((await nodeOf(node.id)).state).toBe("maintenance");
  });
});
