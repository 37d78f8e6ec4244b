// Ending a lease: its last periods are settled 80 / 10 / 10 and what its holds have left goes back
// to the payer in the ending request's own write (one read, one write), with the book's mirror
// and the product event; a copy of the facts gone stale is refused by the database and the money
// pass settles instead, so nothing is charged twice and nothing is left held.
import { beforeAll, describe, expect, it } from "vitest";
import { now } from "../../../src/kit/clock";
import { databaseRoundTrips } from "../../../src/kit/db/client";
import { audit } from "../../../src/ledger/accounts";
import { formatAmount } from "../../../src/ledger/core/money";
import { leaseEndQuery } from "../../../src/market/store/settlement";
import { call, database, type Seeded, seedKey } from "../../support/harness";
import {
  agentNode,
  book,
  ccMinor,
  fundedUser,
  posted,
  registerNode,
  reserve,
  setPeg,
  settle,
  settlementsOf,
  shift,
} from "./support";

let farmer: Seeded;

beforeAll(async () => {
  await setPeg();
  farmer = await seedKey("farmer");
});

/** What the account has pending against it (its holds). */
async function pending(accountId: string): Promise<bigint> {
  const result = await database().execute({
    sql: "SELECT debits_pending FROM accounts WHERE id = ?",
    args: [accountId],
  });
  return BigInt(result.rows[0]?.debits_pending as bigint);
}

/** A user with CC and a 2-slice lease on a fresh node, 90 minutes into it (nothing settled yet). */
async function leaseNinetyMinutesOld() {
  const user = await fundedUser(1_000n * ccMinor);
  const node = await registerNode(farmer);
  const reserved = await reserve(user, node.id, 2, 24);
  expect(reserved.status).toBe(201);
  shift(90 * 60_000);
  return { user, node, leaseId: reserved.body.id };
}

async function expectSettledOnce(leaseId: string, accountId: string, before: bigint) {
  const settlements = await settlementsOf([leaseId]);
  expect(settlements.map((row) => row.id)).toEqual([`stl_${leaseId}_0`, `stl_${leaseId}_1`]);
  const charged = settlements.reduce((sum, row) => sum + row.chargeMinor, 0n);
  expect(charged).toBeGreaterThan(0n);
  expect(settlements.every((row) => row.chargeMinor === row.owedMinor)).toBe(true);
  // The payer paid exactly the charge; nothing of theirs is still held.
  expect(before - (await posted(accountId))).toBe(charged);
  expect(await pending(accountId)).toBe(0n);
  return charged;
}

describe("DELETE /v1/leases/{id}", () => {
  it("settles the last periods and releases the holds in one read and one write", async () => {
    const { user, node, leaseId } = await leaseNinetyMinutesOld();
    const before = await posted(user.accountId);
    await call("GET", `/v1/leases/${leaseId}`, { key: user.key }); // a warm isolate: the key is cached
    const trips = databaseRoundTrips();
    const ended = await call<{ status: string; charged: string }>("DELETE", `/v1/leases/${leaseId}`, {
      key: user.key,
    });
    const used = databaseRoundTrips() - trips;
    expect(ended.status, JSON.stringify(ended.body)).toBe(200);
    expect(used).toBe(2);
    expect(ended.body.status).toBe("ended");
    const charged = await expectSettledOnce(leaseId, user.accountId, before);
    expect(ended.body.charged).toBe(formatAmount("CC", charged));

    // The mirror and the product event went with the write; a money pass after it finds nothing to do.
    const row = await database().execute({
      sql: "SELECT status, charged_minor FROM leases WHERE id = ?",
      args: [leaseId],
    });
    expect(row.rows[0]).toMatchObject({ status: "ended", charged_minor: charged });
    const events = await call<{ data: { type: string; data: { leaseId?: string } }[] }>(
      "GET",
      "/v1/events?type=lease.ended",
      { key: user.key },
    );
    expect(events.body.data.filter((event) => event.data.leaseId === leaseId)).toHaveLength(1);
    expect(await settle(node.id)).toBe(0);
    await expectSettledOnce(leaseId, user.accountId, before);
    const again = await call<{ charged: string; status: string }>("GET", `/v1/leases/${leaseId}`, {
      key: user.key,
    });
    expect(again.body).toMatchObject({ status: "ended", charged: ended.body.charged });
    // Ending it again changes nothing.
    const twice = await call("DELETE", `/v1/leases/${leaseId}`, { key: user.key });
    expect(twice.status).toBe(409);
    await expectSettledOnce(leaseId, user.accountId, before);
    const report = await audit(database());
    expect(report.holdMismatches).toEqual([]);
    expect(report.balanced).toBe(true);
  });

  it("settles each period once when its facts went stale before the write", async () => {
    const { user, node, leaseId } = await leaseNinetyMinutesOld();
    const before = await posted(user.accountId);
    // The request's read, then the book settles the first hour before the end reaches it: the
    // hold has less left than the facts say, which the database refuses (the void's amount); the
    // write is made again from the ledger's holds, and period 0 is not settled twice.
    const query = leaseEndQuery(leaseId, now());
    const facts = query.read(await database().batch(query.statements, "read"));
    expect(facts.holds.map((hold) => hold.id)).toEqual([`hold_${leaseId}_0`]);
    expect(await settle(node.id)).toBe(1);
    const ended = await book(node.id).endLease({ nodeId: node.id, leaseId, facts });
    expect(ended.ok).toBe(true);
    if (!ended.ok) return;
    expect(ended.value.status).toBe("ended");
    await expectSettledOnce(leaseId, user.accountId, before);
    const last = (await settlementsOf([leaseId]))[1]!;
    expect(ended.value.chargedMinor).toBe(last.chargeMinor);
    const report = await audit(database());
    expect(report.holdMismatches).toEqual([]);
    expect(report.balanced).toBe(true);
  });

  it("ends a lease once when two DELETEs race: one answers 200, the other 409, each period charged once", async () => {
    const { user, node, leaseId } = await leaseNinetyMinutesOld();
    const before = await posted(user.accountId);
    // Both read the same facts before either reaches the book, which takes them one at a time.
    const answers = await Promise.all(
      [0, 1].map(() =>
        call<{ status: string; charged: string }>("DELETE", `/v1/leases/${leaseId}`, { key: user.key }),
      ),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
    const ended = answers.find((answer) => answer.status === 200)!;
    const charged = await expectSettledOnce(leaseId, user.accountId, before);
    expect(ended.body.charged).toBe(formatAmount("CC", charged));
    expect(await settle(node.id)).toBe(0);
    await expectSettledOnce(leaseId, user.accountId, before);
    const events = await call<{ data: { data: { leaseId?: string } }[] }>(
      "GET",
      "/v1/events?type=lease.ended",
      {
        key: user.key,
      },
    );
    expect(events.body.data.filter((event) => event.data.leaseId === leaseId)).toHaveLength(1);
    const report = await audit(database());
    expect(report.holdMismatches).toEqual([]);
    expect(report.balanced).toBe(true);
  });

  it("leaves the lease to the money pass when the caller read no facts", async () => {
    const { user, node, leaseId } = await leaseNinetyMinutesOld();
    const before = await posted(user.accountId);
    const ended = await book(node.id).endLease({ nodeId: node.id, leaseId });
    expect(ended.ok).toBe(true);
    if (!ended.ok) return;
    expect(ended.value.chargedMinor).toBeNull();
    await expectSettledOnce(leaseId, user.accountId, before);
  });

  it("ends a lease its agent reports stopped the same way, in two round trips", async () => {
    const user = await fundedUser(1_000n * ccMinor);
    const { node, agent } = await agentNode(farmer);
    const reserved = await reserve(user, node.id, 2, 24);
    expect(reserved.status).toBe(201);
    const leaseId = reserved.body.id;
    const report = (status: string) =>
      call<{ status: string }>("PUT", `/v1/nodes/${node.id}/assignments/${leaseId}/status`, {
        key: agent.key,
        body: { status },
      });
    expect((await report("running")).status).toBe(200);
    shift(90 * 60_000);
    const before = await posted(user.accountId);
    await call("GET", "/v1/me", { key: agent.key }); // a warm isolate: the key is cached
    const trips = databaseRoundTrips();
    const stopped = await report("stopped");
    expect(databaseRoundTrips() - trips).toBe(2);
    expect(stopped.status, JSON.stringify(stopped.body)).toBe(200);
    expect(stopped.body.status).toBe("ended");
    // Charged from the running report: the hour and the half hour since, each once.
    await expectSettledOnce(leaseId, user.accountId, before);
    expect(await settle(node.id)).toBe(0);
    await expectSettledOnce(leaseId, user.accountId, before);
  });

  it("refuses another owner's lease and writes nothing", async () => {
    const { user, leaseId } = await leaseNinetyMinutesOld();
    const stranger = await seedKey("user");
    const refused = await call("DELETE", `/v1/leases/${leaseId}`, { key: stranger.key });
    expect(refused.status).toBe(403);
    expect(await settlementsOf([leaseId])).toEqual([]);
    expect(await pending(user.accountId)).toBeGreaterThan(0n);
    const lease = await call<{ status: string }>("GET", `/v1/leases/${leaseId}`, { key: user.key });
    expect(lease.body.status).toBe("running");
  });
});
