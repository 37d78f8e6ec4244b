// Proves conservation on nodes run by agents: over a randomised day of reservations, bids and the agents' reports (provisioning, running, failed, stopped, or none until the provisioning timeout), every CC a user paid is exactly what settlements charged, nothing is charged while a lease was not reported running, no hold is left behind and the ledger audit is clean; and concurrent reports of one lease (running and stopped racing) end it once, settle it once and release its hold once.
import { beforeAll, describe, expect, it } from "vitest";
import { audit } from "../../src/ledger/accounts";
import { Prng } from "../../tools/sim/prng";
import {
  agentNode,
  bid,
  ccMinor,
  fundedUser,
  hourMs,
  posted,
  reportLease,
  reserve,
  setPeg,
  settle,
  settlementsOf,
  shift,
} from "../routes/market/support";
import { balances, call, database, expectAuditClean, type Seeded, seedKey } from "../support/harness";

let farmer: Seeded;

beforeAll(async () => {
  await setPeg();
  farmer = await seedKey("farmer");
});

describe("a randomised day on agents' nodes", () => {
  it("charges exactly what users paid, only for reported running time, and leaves no hold", {
    timeout: 120_000,
  }, async () => {
    // Seeded (the simulation's generator), so a failure can be replayed.
    const prng = new Prng(20_261_205);
    const next = () => prng.next();
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
    const nodes = await Promise.all([0, 1].map(() => agentNode(farmer)));
    const users = await Promise.all(Array.from({ length: 4 }, () => fundedUser(40n * ccMinor)));
    const usersBefore = await Promise.all(users.map((user) => balances(user.accountId)));
    const escrowBefore = await posted("acc_escrow_cc");
    const leases: { id: string; nodeId: string; agentKey: string; user: Seeded }[] = [];
    const bids: { id: string; nodeId: string; user: Seeded }[] = [];
    /** Per lease: quarter-hours reported running (charged), to bound what it may be charged. */
    const runningQuarters = new Map<string, number>();
    const running = new Set<string>();
    for (let quarter = 0; quarter < 24 * 4; quarter += 1) {
      for (const { node, agent } of nodes) {
        const roll = next();
        if (roll < 0.12) {
          const user = pick(users);
          const response = await reserve(user, node.id, 1 + Math.floor(next() * 2), pick([null, 2, 6]));
          expect([201, 409, 422]).toContain(response.status);
          if (response.status === 201)
            leases.push({ id: response.body.id, nodeId: node.id, agentKey: agent.key, user });
        } else if (roll < 0.2) {
          const user = pick(users);
          const response = await bid(user, node.id, 1, (0.5 + next()).toFixed(2));
          expect([201, 409, 422]).toContain(response.status);
          if (response.status === 201) bids.push({ id: response.body.id, nodeId: node.id, user });
          if (response.status === 201 && response.body.leaseId)
            leases.push({ id: response.body.leaseId, nodeId: node.id, agentKey: agent.key, user });
        } else if (roll < 0.75) {
          const mine = leases.filter((item) => item.nodeId === node.id);
          if (mine.length > 0) {
            const chosen = pick(mine);
            const status = pick(["running", "running", "running", "failed", "provisioning", "stopped"]);
            const response = await reportLease(agent.key, node.id, chosen.id, status);
            expect([200, 404, 409]).toContain(response.status);
            if (response.status === 200 && response.body.status === "running") running.add(chosen.id);
            else running.delete(chosen.id);
          }
        }
      }
      for (const id of running) runningQuarters.set(id, (runningQuarters.get(id) ?? 0) + 1);
      shift(hourMs / 4);
      // Time-driven changes (the provisioning timeout, pre-emptions, ends) happen in the money pass.
      await Promise.all(nodes.map(({ node }) => settle(node.id)));
      for (const id of [...running]) {
        const view = await call<{ status: string }>("GET", `/v1/leases/${id}`, {
          key: leases.find((item) => item.id === id)!.user.key,
        });
        if (view.body.status !== "running") running.delete(id);
      }
    }
    for (const item of leases) {
      const response = await call("DELETE", `/v1/leases/${item.id}`, { key: item.user.key });
      expect([200, 409]).toContain(response.status);
    }
    for (const item of bids) {
      const response = await call("DELETE", `/v1/nodes/${item.nodeId}/bids/${item.id}`, {
        key: item.user.key,
      });
      expect([200, 409]).toContain(response.status);
    }
    shift(hourMs);
    for (const { node } of nodes) await settle(node.id);
    expect(leases.length).toBeGreaterThan(5);

    const rows = await settlementsOf(leases.map((item) => item.id));
    const charged = rows.reduce((total, row) => total + row.chargeMinor, 0n);
    expect(charged).toBeGreaterThan(0n);
    for (const row of rows)
      expect(row.farmerMinor + row.burnMinor + row.threefoldMinor).toBe(row.chargeMinor);
    // A lease never reported running was charged nothing.
    for (const item of leases) {
      if (runningQuarters.has(item.id)) continue;
      const mine = rows.filter((row) => row.leaseId === item.id);
      expect(
        mine.reduce((sum, row) => sum + row.chargeMinor, 0n),
        item.id,
      ).toBe(0n);
    }
    const usersAfter = await Promise.all(users.map((user) => balances(user.accountId)));
    const paid = usersBefore.reduce(
      (total, before, index) => total + before.posted - usersAfter[index]!.posted,
      0n,
    );
    expect(paid).toBe(charged);
    for (const after of usersAfter) expect(after.pendingDebits).toBe(0n);
    expect(await posted("acc_escrow_cc")).toBe(escrowBefore);
    const report = await audit(database());
    expect(report.mismatches).toEqual([]);
    expect(report.holdMismatches).toEqual([]);
    expect(report.balanced).toBe(true);
    await expectAuditClean();
  });
});

describe("racing reports", () => {
  it("end a lease once, settle it once and release its hold once", async () => {
    const { node, agent } = await agentNode(farmer);
    const user = await fundedUser(50n * ccMinor);
    const lease = await reserve(user, node.id, 2, null);
    expect((await reportLease(agent.key, node.id, lease.body.id, "running")).status).toBe(200);
    shift(hourMs + 30 * 60_000);
    const statuses = ["running", "stopped", "failed", "stopped", "running", "stopped"];
    const responses = await Promise.all(
      Array.from({ length: 32 }, (_, index) =>
        reportLease(agent.key, node.id, lease.body.id, statuses[index % statuses.length]!),
      ),
    );
    for (const response of responses) expect([200, 409]).toContain(response.status);
    expect(
      responses.filter((response) => response.status === 200 && response.body.status === "ended").length,
    ).toBe(1);
    await settle(node.id);
    const rows = await settlementsOf([lease.body.id]);
    expect(rows.map((row) => row.id)).toEqual([`stl_${lease.body.id}_0`, `stl_${lease.body.id}_1`]);
    const after = await balances(user.accountId);
    expect(after.pendingDebits).toBe(0n);
    expect(after.posted).toBe(50n * ccMinor - rows.reduce((total, row) => total + row.chargeMinor, 0n));
    await expectAuditClean();
  });
});
