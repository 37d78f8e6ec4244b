// Proves the bid book's product events reach the owners through its mirror: a bid accepted automatically (bid.accepted, then the lease's lease.started), a bid whose open time ran out (bid.expired), a lease paused and resumed with its node going offline and back (told to its user and to the node's farmer), and a lease whose hold cannot be topped up (hold.low_balance, once per refused top-up), each once.
import { beforeAll, describe, expect, it } from "vitest";
import { call, type Seeded, seedKey } from "../../support/harness";
import {
  bid,
  ccMinor,
  fundedUser,
  hourMs,
  registerNode,
  reserve,
  setPeg,
  settle,
  shift,
} from "../market/support";

type EventBody = { type: string; ownerId: string; subjectId: string; data: Record<string, unknown> };

async function eventsOf(owner: Seeded, types: string): Promise<EventBody[]> {
  const response = await call<{ data: EventBody[] }>("GET", `/v1/events?type=${types}`, { key: owner.key });
  expect(response.status).toBe(200);
  return response.body.data;
}

describe("bid book events", () => {
  beforeAll(async () => {
    await setPeg();
  });

  it("a bid accepted automatically and one expired", async () => {
    const farmer = await seedKey("farmer");
    const node = await registerNode(farmer, { autoAcceptAboveCcPerSliceHour: "0.05" });
    const user = await fundedUser(100n * ccMinor);
    const high = await bid(user, node.id, 1, "0.06");
    expect(high.status, JSON.stringify(high.body)).toBe(201);
    const low = await bid(user, node.id, 1, "0.02", { expiresInHours: 1 });
    expect(low.status).toBe(201);
    shift(2 * hourMs);
    await settle(node.id);
    const events = await eventsOf(user, "bid.accepted,bid.expired,lease.started");
    expect(events.map((event) => [event.type, event.data.bidId ?? null])).toEqual([
      ["bid.accepted", high.body.id],
      ["lease.started", null],
      ["bid.expired", low.body.id],
    ]);
    expect(events[0]!.subjectId).toBe(high.body.leaseId);
    expect(events[1]!.subjectId).toBe(high.body.leaseId);
  });

  it("a lease whose hold cannot be topped up: hold.low_balance once per refused top-up", async () => {
    const farmer = await seedKey("farmer");
    const node = await registerNode(farmer);
    // 24 h of one slice at 0.078125 CC is 1.875 CC: enough to start, not to top up.
    const user = await fundedUser(2n * ccMinor);
    const lease = await reserve(user, node.id, 1, null);
    expect(lease.status, JSON.stringify(lease.body)).toBe(201);
    shift(13 * hourMs);
    await settle(node.id);
    await settle(node.id); // the same pass again: the same fact, no second event
    const low = await eventsOf(user, "hold.low_balance");
    expect(low).toHaveLength(1);
    expect(low[0]).toMatchObject({
      subjectId: lease.body.id,
      data: { leaseId: lease.body.id, code: "INSUFFICIENT_FUNDS" },
    });
  });

  it("a lease paused while its node is offline and resumed when it is back", async () => {
    const farmer = await seedKey("farmer");
    const node = await registerNode(farmer);
    const user = await fundedUser(100n * ccMinor);
    const lease = await reserve(user, node.id, 1, null);
    expect(lease.status).toBe(201);
    for (const state of ["offline", "online"]) {
      const changed = await call("PUT", `/v1/nodes/${node.id}/state`, { key: farmer.key, body: { state } });
      expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    }
    await settle(node.id);
    const events = await eventsOf(user, "lease.started,lease.paused,lease.resumed,lease.ended");
    expect(events.map((event) => [event.type, event.subjectId])).toEqual([
      ["lease.started", lease.body.id],
      ["lease.paused", lease.body.id],
      ["lease.resumed", lease.body.id],
    ]);
    expect(events[1]!.data).toMatchObject({ nodeId: node.id, leaseId: lease.body.id });
    // The node's farmer is told the same about the lease on their node (and owns those copies).
    const farmers = await eventsOf(farmer, "lease.started,lease.paused,lease.resumed,lease.ended");
    expect(farmers.map((event) => [event.type, event.subjectId, event.ownerId])).toEqual(
      events.map((event) => [event.type, event.subjectId, farmer.ownerId]),
    );
    expect(farmers.map((event) => event.data)).toEqual(events.map((event) => event.data));
  });
});
