// Proves the real queue path: the outbox sweep (run directly, by the every-minute cron, and by a write itself) sends due deliveries to the WEBHOOK_DELIVERIES queue (a real producer binding under Miniflare), the Worker's own queue consumer delivers them to the receiver, signed so the official library verifies them, and the delivery log shows them delivered.
import {
  createExecutionContext,
  createScheduledController,
  env,
  waitOnExecutionContext,
} from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { enqueueDueDeliveries } from "../../../src/events/consumer";
import { now } from "../../../src/kit/clock";
import { minuteCron } from "../../../src/scheduled";
import worker from "../../../src/worker";
import { call, database, seedKey } from "../../support/harness";
import { ccMinor, fundedUser, registerNode, reserve, setPeg } from "../market/support";
import { endpointAtReceiver, receiverLog } from "./support";

type DeliveryPage = { data: { status: string; eventType: string; subjectId: string }[] };

/**
 * The endpoint's delivery log once every delivery in it is delivered, or as it is after 10 s: the
 * queue hands its batch to the consumer after its batch timeout (1 s), so this polls, bounded.
 */
async function deliveredPage(key: string, endpointId: string): Promise<DeliveryPage> {
  let page: DeliveryPage = { data: [] };
  for (let round = 0; round < 100; round++) {
    page = (await call<DeliveryPage>("GET", `/v1/webhook-endpoints/${endpointId}/deliveries`, { key })).body;
    if (page.data.length > 0 && page.data.every((delivery) => delivery.status === "delivered")) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return page;
}

describe("webhook deliveries through the real queue", () => {
  beforeAll(async () => {
    await setPeg();
  });

  it("delivers a lease's start through the queue consumer", async () => {
    const farmer = await seedKey("farmer");
    const node = await registerNode(farmer);
    const user = await fundedUser(100n * ccMinor);
    const endpoint = await endpointAtReceiver(user, ["lease.started"]);
    const lease = await reserve(user, node.id, 1, 5);
    expect(lease.status).toBe(201);
    const swept = await enqueueDueDeliveries(env, database(), now());
    expect(swept.enqueued).toBeGreaterThanOrEqual(1);
    const page = await deliveredPage(user.key, endpoint.id);
    expect(page.data.map((delivery) => [delivery.eventType, delivery.subjectId, delivery.status])).toEqual([
      ["lease.started", lease.body.id, "delivered"],
    ]);
    const log = await receiverLog(endpoint.path);
    expect(log.received.every((delivery) => delivery.verified)).toBe(true);
    expect(log.processed).toHaveLength(1);
  });

  it("the every-minute cron runs the outbox sweep, and the queue delivers what it sent", async () => {
    const farmer = await seedKey("farmer");
    const node = await registerNode(farmer);
    const user = await fundedUser(100n * ccMinor);
    const endpoint = await endpointAtReceiver(user, ["lease.started"]);
    const lease = await reserve(user, node.id, 1, 5);
    expect(lease.status).toBe(201);
    await worker.scheduled!(createScheduledController({ cron: minuteCron }), env);
    const page = await deliveredPage(user.key, endpoint.id);
    expect(page.data.map((delivery) => delivery.status)).toEqual(["delivered"]);
    expect((await receiverLog(endpoint.path)).processed).toHaveLength(1);
  });

  it("a write sweeps the outbox itself: its event is delivered through the queue without the cron", async () => {
    const farmer = await seedKey("farmer");
    const node = await registerNode(farmer);
    const user = await fundedUser(100n * ccMinor);
    const endpoint = await endpointAtReceiver(user, ["lease.started"]);
    // The Worker as deployed (the suite's bindings turn the sweep after writes off).
    const context = createExecutionContext();
    const response = await worker.fetch!(
      new Request("http://market.test/v1/leases", {
        method: "POST",
        headers: {
          authorization: `Bearer ${user.key}`,
          "content-type": "application/json",
          "idempotency-key": `sweep-${node.id}`,
        },
        body: JSON.stringify({ nodeId: node.id, slices: 1, durationHours: 5 }),
      }) as Request<unknown, IncomingRequestCfProperties>,
      { ...env, WEBHOOK_SWEEP_AFTER_WRITES: "on" },
      context,
    );
    expect(response.status, await response.clone().text()).toBe(201);
    const lease = (await response.json()) as { id: string };
    await waitOnExecutionContext(context);
    // No sweep runs here but the one the write started.
    const page = await deliveredPage(user.key, endpoint.id);
    expect(page.data.map((delivery) => [delivery.eventType, delivery.subjectId, delivery.status])).toEqual([
      ["lease.started", lease.id, "delivered"],
    ]);
    expect((await receiverLog(endpoint.path)).processed).toHaveLength(1);
  });
});
