// Proves the capacity-request events: an offer stored is one offer_received event for the requester (a refused offer writes none), and accepting it is one offer_accepted event for the farmer who made it, beside the requester's lease.started.
import { beforeAll, describe, expect, it } from "vitest";
import { call, type Seeded, seedKey } from "../../support/harness";
import {
  ccMinor,
  fundedUser,
  idempotencyKey,
  postCapacityRequest,
  registerNode,
  setPeg,
} from "../market/support";

type EventBody = { type: string; ownerId: string; subjectId: string; data: Record<string, unknown> };

async function eventsOf(owner: Seeded, types: string): Promise<EventBody[]> {
  const response = await call<{ data: EventBody[] }>("GET", `/v1/events?type=${types}`, { key: owner.key });
  expect(response.status).toBe(200);
  return response.body.data;
}

describe("capacity request events", () => {
  beforeAll(async () => {
    await setPeg();
  });

  it("an offer received by the requester, its acceptance for the farmer", async () => {
    const user = await fundedUser(50n * ccMinor);
    const farmer = await seedKey("farmer");
    const node = await registerNode(farmer);
    const request = await postCapacityRequest(user);
    const offer = (price: string) =>
      call<{ id: string }>("POST", `/v1/capacity-requests/${request.id}/offers`, {
        key: farmer.key,
        body: { nodeId: node.id, priceCcPerSliceHour: price },
      });
    const made = await offer("0.1");
    expect(made.status).toBe(201);
    expect((await offer("0.09")).status).toBe(409); // a second offer from the node: refused, no event
    const received = await eventsOf(user, "capacity_request.offer_received");
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({
      ownerId: user.ownerId,
      subjectId: request.id,
      data: {
        requestId: request.id,
        offerId: made.body.id,
        nodeId: node.id,
        priceCcPerSliceHour: "0.1",
      },
    });

    const accepted = await call<{ id: string }>("POST", `/v1/capacity-requests/${request.id}/accept`, {
      key: user.key,
      headers: { "idempotency-key": idempotencyKey("accept") },
      body: { offerId: made.body.id },
    });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(201);
    const forFarmer = await eventsOf(farmer, "capacity_request.offer_accepted");
    expect(forFarmer).toHaveLength(1);
    expect(forFarmer[0]!.data).toMatchObject({ offerId: made.body.id, leaseId: accepted.body.id });
    const started = await eventsOf(user, "lease.started");
    expect(started.map((event) => event.subjectId)).toEqual([accepted.body.id]);
    expect(await eventsOf(user, "capacity_request.offer_accepted")).toEqual([]);
  });
});
