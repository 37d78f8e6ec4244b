// Proves the node agent's live feed: the agent's WebSocket is held by its node's book with the Hibernation API; a lease reserved through the API reaches the socket as soon as the book commits it; an agent that reconnects with its cursor gets exactly what it missed; a socket survives the book's eviction (hibernation) and still receives changes; acknowledgements are kept; bad messages are answered without closing the socket; and a refused upgrade is problem details naming the field.
import { evictDurableObject, SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import {
  type AgentSocket,
  type ApiStatus,
  agentNode,
  assignmentsOf,
  book,
  ccMinor,
  fundedUser,
  openFeed,
  registerNode,
  reportLease,
  reserve,
  setPeg,
} from "../routes/market/support";
import { call, type Seeded, seedKey } from "../support/harness";

let farmer: Seeded;

beforeAll(async () => {
  await setPeg();
  farmer = await seedKey("farmer");
});

function opened(feed: AgentSocket | ApiStatus): AgentSocket {
  if ("status" in feed)
    throw new Error(`the upgrade was refused: ${feed.status} ${JSON.stringify(feed.body)}`);
  return feed;
}

describe("the live feed", () => {
  it("delivers a lease reserved through the API as soon as the book commits it", async () => {
    const { node, agent } = await agentNode(farmer);
    const user = await fundedUser(100n * ccMinor);
    const feed = opened(await openFeed(agent.key, node.id, "0"));
    const first = await feed.next();
    expect(first).toMatchObject({
      type: "assignments",
      nodeId: node.id,
      reset: true,
      assignments: [],
      removed: [],
    });
    const lease = await reserve(user, node.id, 2, null, { deployment: { image: "nginx" } });
    expect(lease.status).toBe(201);
    const change = await feed.next();
    expect(change).toMatchObject({
      type: "assignments",
      reset: false,
      assignments: [
        expect.objectContaining({
          leaseId: lease.body.id,
          sliceIndices: [0, 1],
          run: true,
          agentStatus: "provisioning",
          deployment: { image: "nginx" },
        }),
      ],
    });
    expect(Number(change.cursor)).toBeGreaterThan(Number(first.cursor));
    // Its own report comes back as a change too.
    await reportLease(agent.key, node.id, lease.body.id, "running");
    expect(await feed.next()).toMatchObject({
      assignments: [
        expect.objectContaining({ leaseId: lease.body.id, status: "running", agentStatus: "running" }),
      ],
    });
    feed.close();
  });

  it("resumes from the agent's cursor after a reconnection, missing nothing", async () => {
    const { node, agent } = await agentNode(farmer);
    const user = await fundedUser(100n * ccMinor);
    const first = opened(await openFeed(agent.key, node.id, "0"));
    const start = await first.next();
    const kept = await reserve(user, node.id, 1, null);
    const seen = await first.next();
    first.close();
    // While disconnected: a new lease, and the first one ended.
    const missed = await reserve(user, node.id, 3, null);
    expect((await call("DELETE", `/v1/leases/${kept.body.id}`, { key: user.key })).status).toBe(200);
    const again = opened(await openFeed(agent.key, node.id));
    again.send({ type: "resume", after: seen.cursor });
    const caughtUp = await again.next();
    expect(caughtUp.reset).toBe(false);
    expect(caughtUp.assignments.map((assignment) => assignment.leaseId)).toEqual([missed.body.id]);
    expect(caughtUp.removed.map((removal) => removal.leaseId)).toEqual([kept.body.id]);
    // The same as the HTTP answer after that cursor.
    const http = await assignmentsOf(agent.key, node.id, seen.cursor);
    expect(http.body.cursor).toBe(caughtUp.cursor);
    expect(Number(caughtUp.cursor)).toBeGreaterThan(Number(start.cursor));
    // Resuming from the current cursor answers at once with nothing new.
    again.send({ type: "resume", after: caughtUp.cursor });
    expect(await again.next()).toMatchObject({
      reset: false,
      assignments: [],
      removed: [],
      cursor: caughtUp.cursor,
    });
    again.close();
  });

  it("keeps its sockets through the book's eviction (hibernation) and sends the next change", async () => {
    const { node, agent } = await agentNode(farmer);
    const user = await fundedUser(100n * ccMinor);
    const feed = opened(await openFeed(agent.key, node.id, "0"));
    await feed.next();
    await evictDurableObject(book(node.id));
    const lease = await reserve(user, node.id, 1, 2);
    expect(lease.status).toBe(201);
    expect(await feed.next()).toMatchObject({
      assignments: [expect.objectContaining({ leaseId: lease.body.id })],
    });
    feed.close();
  });

  it("keeps the agent's acknowledgement, answers ping without the book, and refuses bad messages without closing", async () => {
    const { node, agent } = await agentNode(farmer);
    const feed = opened(await openFeed(agent.key, node.id, "0"));
    const page = await feed.next();
    feed.send({ type: "ack", cursor: page.cursor });
    feed.send("ping");
    expect(await feed.next()).toBe("pong" as unknown);
    feed.send("not json");
    expect(await feed.next()).toMatchObject({ type: "error" });
    feed.send({ type: "resume", after: "-3" });
    expect(await feed.next()).toMatchObject({ type: "error", detail: expect.stringContaining("after") });
    feed.send({ type: "dance" });
    expect(await feed.next()).toMatchObject({ type: "error" });
    feed.send({ type: "resume", after: null });
    expect(await feed.next()).toMatchObject({ type: "assignments", reset: true });
    const read = await assignmentsOf(agent.key, node.id);
    expect(read.body.acknowledged).toMatchObject({ cursor: page.cursor });
    feed.close();
  });

  it("refuses an upgrade without a usable key, for another node, or with bad input, as problem details", async () => {
    const { node, agent } = await agentNode(farmer);
    const other = await agentNode(farmer);
    const stranger = await seedKey("farmer");
    const user = await seedKey("user");
    const refusal = async (key: string | null, nodeId: string, query = "", upgrade = true) => {
      const headers: Record<string, string> = {};
      if (upgrade) headers.upgrade = "websocket";
      if (key !== null) headers.authorization = `Bearer ${key}`;
      const response = await SELF.fetch(`http://market.test/v1/nodes/${nodeId}/agent${query}`, { headers });
      expect(response.webSocket).toBeNull();
      expect(response.headers.get("content-type")).toContain("application/problem+json");
      return {
        status: response.status,
        body: (await response.json()) as { code: string; errors: { field: string }[] },
      };
    };
    expect((await refusal(null, node.id)).status).toBe(401);
    expect((await refusal(other.agent.key, node.id)).status).toBe(403);
    expect((await refusal(stranger.key, node.id)).status).toBe(403);
    expect((await refusal(user.key, node.id)).status).toBe(403);
    expect((await refusal(agent.key, node.id, "", false)).body).toMatchObject({
      code: "VALIDATION_FAILED",
      errors: [{ field: "header.upgrade" }],
    });
    expect((await refusal(agent.key, node.id, "?after=x")).body.errors[0]?.field).toBe("query.after");
    expect((await refusal(agent.key, node.id, "?since=1")).status).toBe(422);
    const unknown = await seedKey("admin");
    expect((await refusal(unknown.key, "node_doesnotexist")).status).toBe(404);
    // Its farmer and an admin may watch it too.
    const watched = opened(await openFeed(farmer.key, node.id, "0"));
    expect(await watched.next()).toMatchObject({ reset: true });
    watched.close();
    const unbound = await registerNode(farmer);
    const adminFeed = opened(await openFeed(unknown.key, unbound.id, "0"));
    expect(await adminFeed.next()).toMatchObject({ reset: true, nodeId: unbound.id });
    adminFeed.close();
  });
});
