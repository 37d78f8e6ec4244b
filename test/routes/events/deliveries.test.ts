// Proves webhook delivery end to end on the service's clock: a receiver that verifies every signature with the official standardwebhooks library processes each event exactly once and in order per lease, across a 500, a timeout, a dropped connection (the receiver restarting) and a consumer that died mid-delivery; a delivery that keeps failing is retried with exponential backoff over hours, then failed and dead-lettered, without holding back the lease's later events; the delivery log shows every attempt and a replay sends it again; a rotated secret signs alongside the new one during its grace; disabled and deleted endpoints get nothing.
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { retryDelaysSeconds } from "../../../src/events/core/backoff";
import { claimMs, claimStatements } from "../../../src/events/deliveries";
import { now, shiftClock } from "../../../src/kit/clock";
import worker from "../../../src/worker";
import { call, database, type Seeded, seedKey } from "../../support/harness";
import { ccMinor, fundedUser, registerNode, reserve, setPeg } from "../market/support";
import { QueueDriver } from "./queue-driver";
import { configure, endpointAtReceiver, receiverLog } from "./support";

type Delivery = {
  id: string;
  eventId: string;
  eventType: string;
  subjectId: string;
  status: string;
  attempts: number;
  lastError: string | null;
  log: { attempt: number; statusCode: number | null; error: string | null; at: string }[];
};
type DeliveryPage = { data: Delivery[]; nextCursor: string; hasMore: boolean };

const leaseTypes = ["lease.started", "lease.ended"];

async function deliveriesOf(owner: Seeded, endpointId: string): Promise<Delivery[]> {
  const response = await call<DeliveryPage>("GET", `/v1/webhook-endpoints/${endpointId}/deliveries`, {
    key: owner.key,
  });
  expect(response.status).toBe(200);
  return response.body.data;
}

/** Two leases of `user` on a fresh node, the first one ended: three events. */
async function twoLeases(user: Seeded): Promise<{ first: string; second: string }> {
  const farmer = await seedKey("farmer");
  const node = await registerNode(farmer);
  const first = await reserve(user, node.id, 1, 5);
  const second = await reserve(user, node.id, 1, 5);
  expect([first.status, second.status]).toEqual([201, 201]);
  const ended = await call("DELETE", `/v1/leases/${first.body.id}`, { key: user.key });
  expect(ended.status).toBe(200);
  return { first: first.body.id, second: second.body.id };
}

describe("webhook deliveries", () => {
  beforeAll(async () => {
    await setPeg();
  });

  it("delivers every event once, in order per lease, across a 500, a timeout, a drop and a consumer restart", async () => {
    const user = await fundedUser(100n * ccMinor);
    const endpoint = await endpointAtReceiver(user, leaseTypes, ["500", "hang", "drop", "500"]);
    const leases = await twoLeases(user);
    const pending = await deliveriesOf(user, endpoint.id);
    expect(pending.map((delivery) => [delivery.eventType, delivery.subjectId])).toEqual([
      ["lease.started", leases.first],
      ["lease.started", leases.second],
      ["lease.ended", leases.first],
    ]);
    // A consumer claims the first lease's start and dies before it answers.
    const [claim] = await database().batch(claimStatements(pending[0]!.id, now()), "write");
    expect(claim?.rowsAffected).toBe(1);

    const driver = new QueueDriver();
    await driver.sweep([endpoint.id]);
    await driver.drain();
    // The second lease went on; the first waits on the dead consumer's claim, its end behind its start.
    expect((await deliveriesOf(user, endpoint.id)).map((delivery) => delivery.status)).toEqual([
      "pending",
      "delivered",
      "pending",
    ]);
    shiftClock(claimMs);
    await driver.sweep([endpoint.id]); // the claim lapsed: the first lease's start is due again
    await driver.drain();

    const delivered = await deliveriesOf(user, endpoint.id);
    expect(delivered.map((delivery) => delivery.status)).toEqual(["delivered", "delivered", "delivered"]);
    const log = await receiverLog(endpoint.path);
    expect(log.received.every((request) => request.verified)).toBe(true);
    expect(log.received.map((request) => request.action).sort()).toEqual(
      ["500", "500", "drop", "hang", "ok", "ok", "ok"].sort(),
    );
    // Exactly once: each event answered 2xx once, never sent again after.
    const answeredOk = log.received
      .filter((request) => request.action === "ok")
      .map((request) => request.webhookId);
    expect(answeredOk.sort()).toEqual(pending.map((delivery) => delivery.eventId).sort());
    expect(log.processed).toHaveLength(3);
    // In order per lease: the first lease's start before its end.
    const firstLease = log.received
      .filter((request) => request.action === "ok" && request.subjectId === leases.first)
      .map((request) => request.type);
    expect(firstLease).toEqual(["lease.started", "lease.ended"]);
    const errors = delivered.flatMap((delivery) => delivery.log.map((attempt) => attempt.error ?? "ok"));
    expect(errors).toEqual(
      expect.arrayContaining([
        "HTTP 500",
        "no answer within 300 ms",
        expect.stringMatching(/^request failed/),
      ]),
    );
  });

  it("retries with backoff over hours, then fails and dead-letters, and a replay sends it again", async () => {
    const user = await fundedUser(100n * ccMinor);
    const endpoint = await endpointAtReceiver(
      user,
      leaseTypes,
      Array(retryDelaysSeconds.length + 1).fill("500"),
    );
    const farmer = await seedKey("farmer");
    const node = await registerNode(farmer);
    const lease = await reserve(user, node.id, 1, 5);
    expect((await call("DELETE", `/v1/leases/${lease.body.id}`, { key: user.key })).status).toBe(200);
    const driver = new QueueDriver();
    const startMs = now();
    await driver.sweep([endpoint.id]);
    await driver.drain();
    const scheduleMs = retryDelaysSeconds.reduce((sum, seconds) => sum + seconds * 1000, 0);
    expect(now() - startMs).toBeGreaterThanOrEqual(scheduleMs);
    expect(scheduleMs).toBeGreaterThan(12 * 3_600_000);

    const deliveries = await deliveriesOf(user, endpoint.id);
    expect(deliveries.map((delivery) => [delivery.eventType, delivery.status])).toEqual([
      ["lease.started", "failed"],
      ["lease.ended", "delivered"],
    ]);
    const dead = deliveries[0]!;
    expect(dead.log).toHaveLength(retryDelaysSeconds.length + 1);
    expect(dead.log.every((attempt) => attempt.statusCode === 500)).toBe(true);
    const gapsSeconds = dead.log
      .slice(1)
      .map((attempt, index) => (Date.parse(attempt.at) - Date.parse(dead.log[index]!.at)) / 1000);
    gapsSeconds.forEach((gap, index) => {
      expect(gap).toBeGreaterThanOrEqual(retryDelaysSeconds[index]!);
    });
    expect(driver.deadLetters).toEqual([{ deliveryId: dead.id }]);
    // The lease's end went only after its start was given up: its one attempt is the later one.
    expect(Date.parse(deliveries[1]!.log[0]!.at)).toBeGreaterThanOrEqual(Date.parse(dead.log.at(-1)!.at));

    const replayed = await call<Delivery>(
      "POST",
      `/v1/webhook-endpoints/${endpoint.id}/deliveries/${dead.id}/replay`,
      { key: user.key },
    );
    expect(replayed.status, JSON.stringify(replayed.body)).toBe(202);
    expect(replayed.body).toMatchObject({ status: "pending", attempts: 0 });
    const again = await call("POST", `/v1/webhook-endpoints/${endpoint.id}/deliveries/${dead.id}/replay`, {
      key: user.key,
    });
    expect([202, 409]).toContain(again.status);
    // The replay went to the real queue: its consumer delivers it (poll, bounded).
    let status = "pending";
    for (let round = 0; round < 100 && status !== "delivered"; round++) {
      status = (await deliveriesOf(user, endpoint.id)).find((delivery) => delivery.id === dead.id)!.status;
      if (status !== "delivered") await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe("delivered");
    expect((await receiverLog(endpoint.path)).processed).toContain(dead.eventId);
  });

  it("marks a dead-lettered pending delivery failed", async () => {
    const user = await fundedUser(100n * ccMinor);
    const endpoint = await endpointAtReceiver(user, ["lease.started"]);
    const farmer = await seedKey("farmer");
    const node = await registerNode(farmer);
    expect((await reserve(user, node.id, 1, 5)).status).toBe(201);
    const [pending] = await deliveriesOf(user, endpoint.id);
    const batch = createMessageBatch("tfgrid-market-webhooks-dead", [
      { id: "dead_1", timestamp: now(), attempts: 1, body: { deliveryId: pending!.id } },
    ]);
    const context = createExecutionContext();
    await worker.queue!(batch, new QueueDriver().env, context);
    const result = await getQueueResult(batch, context);
    expect(result.explicitAcks).toEqual(["dead_1"]);
    const [after] = await deliveriesOf(user, endpoint.id);
    expect(after).toMatchObject({ status: "failed", lastError: "dead-lettered" });
  });

  it("signs with the old secret too during a rotation's grace, then only with the new one", async () => {
    const user = await fundedUser(100n * ccMinor);
    const endpoint = await endpointAtReceiver(user, ["lease.started"]);
    const rotated = await call<{ secret: string }>(
      "POST",
      `/v1/webhook-endpoints/${endpoint.id}/rotate-secret`,
      {
        key: user.key,
        body: { graceSeconds: 600 },
      },
    );
    expect(rotated.status).toBe(200);
    const farmer = await seedKey("farmer");
    const node = await registerNode(farmer);
    // The receiver knows only the old secret: the delivery still verifies.
    expect((await reserve(user, node.id, 1, 5)).status).toBe(201);
    const driver = new QueueDriver();
    await driver.sweep([endpoint.id]);
    await driver.drain();
    let log = await receiverLog(endpoint.path);
    expect(log.received.map((request) => [request.verified, request.signatures])).toEqual([[true, 2]]);
    // After the grace only the new secret signs.
    shiftClock(601_000);
    await configure(endpoint.path, { secrets: [rotated.body.secret] });
    expect((await reserve(user, node.id, 1, 5)).status).toBe(201);
    await driver.sweep([endpoint.id]);
    await driver.drain();
    log = await receiverLog(endpoint.path);
    expect(log.received.map((request) => [request.verified, request.signatures])).toEqual([
      [true, 2],
      [true, 1],
    ]);
  });

  it("creates no deliveries for a disabled endpoint and gives up a deleted one's", async () => {
    const user = await fundedUser(100n * ccMinor);
    const disabled = await endpointAtReceiver(user, ["lease.started"]);
    const deleted = await endpointAtReceiver(user, ["lease.started"]);
    const off = await call("PUT", `/v1/webhook-endpoints/${disabled.id}`, {
      key: user.key,
      body: { disabled: true },
    });
    expect(off.status).toBe(200);
    const farmer = await seedKey("farmer");
    const node = await registerNode(farmer);
    expect((await reserve(user, node.id, 1, 5)).status).toBe(201);
    expect(await deliveriesOf(user, disabled.id)).toEqual([]);
    const [pending] = await deliveriesOf(user, deleted.id);
    expect(pending?.status).toBe("pending");
    expect((await call("DELETE", `/v1/webhook-endpoints/${deleted.id}`, { key: user.key })).status).toBe(200);
    const rows = await database().execute({
      sql: "SELECT status, last_error FROM webhook_deliveries WHERE id = ?",
      args: [pending!.id],
    });
    expect(rows.rows[0]).toMatchObject({ status: "failed", last_error: "endpoint deleted" });
  });
});
