// Proves a node's bid book keeps money and slices in step under racing reservations: identical reservations sent at once (2-way and 32-way) all get the one lease, whose hold stays pending and is charged at settlement (identical bids likewise share one bid and one pending hold), and a reservation refused because the slices went to a concurrent one writes no transfer at all (no hold and void pair).
import { beforeAll, describe, expect, it } from "vitest";
import {
  ccMinor,
  fundedUser,
  hourMs,
  idempotencyKey,
  registerNode,
  setPeg,
  settle,
  settlementsOf,
  shift,
} from "../routes/market/support";
import { call, database, expectAuditClean, type Seeded, seedKey } from "../support/harness";

let farmer: Seeded;
let admin: Seeded;

beforeAll(async () => {
  await setPeg();
  [farmer, admin] = await Promise.all([seedKey("farmer"), seedKey("admin")]);
});

type LeaseBody = { id: string; status: string; holdIds: string[]; code?: string };

/** The ledger's rows that involve an account: transfers it is a side of, and its holds. */
async function ledgerRowsOf(accountId: string): Promise<{ transfers: number; holds: number }> {
  const result = await database().execute({
    sql: `SELECT (SELECT count(*) FROM transfers WHERE debit_account_id = ?1 OR credit_account_id = ?1
                    OR pending_id IN (SELECT id FROM holds WHERE debit_account_id = ?1)) AS transfers,
                 (SELECT count(*) FROM holds WHERE debit_account_id = ?1) AS holds`,
    args: [accountId],
  });
  return { transfers: Number(result.rows[0]?.transfers), holds: Number(result.rows[0]?.holds) };
}

async function holdStatus(holdId: string): Promise<string | null> {
  const result = await database().execute({ sql: "SELECT status FROM holds WHERE id = ?", args: [holdId] });
  return result.rows[0] ? String(result.rows[0].status) : null;
}

/**
 * The ledger audit finds every account's totals and every hold as the transfers say, each asset
 * summing to zero, and nothing wrong with this node's leases and holds.
 */
async function expectBalancedLedger(nodeId: string): Promise<void> {
  const report = await call<{
    mismatches: unknown[];
    holdMismatches: unknown[];
    assets: { postedSumMinor: string; pendingDebitsMinor: string; pendingCreditsMinor: string }[];
    marketMismatches?: { nodeId: string | null }[];
  }>("GET", "/v1/ledger/audit", { key: admin.key });
  expect(report.status).toBe(200);
  expect(report.body.mismatches).toEqual([]);
  expect(report.body.holdMismatches).toEqual([]);
  for (const asset of report.body.assets) {
    expect(asset.postedSumMinor).toBe("0");
    expect(asset.pendingDebitsMinor).toBe(asset.pendingCreditsMinor);
  }
  expect((report.body.marketMismatches ?? []).filter((found) => found.nodeId === nodeId)).toEqual([]);
}

describe("identical reservations at once", () => {
  /** Rounds per concurrency: the race lost about half the 2-way rounds before the book serialised. */
  const roundsByConcurrency = [
    [2, 6],
    [32, 2],
  ] as const;

  for (const [concurrency, rounds] of roundsByConcurrency) {
    it(`${concurrency} at once all get the one lease, whose hold stays pending and is charged`, async () => {
      const node = await registerNode(farmer);
      const user = await fundedUser(100n * ccMinor);
      const leaseIds: string[] = [];
      for (let round = 0; round < rounds; round += 1) {
        const key = idempotencyKey(`same-${concurrency}`);
        const responses = await Promise.all(
          Array.from({ length: concurrency }, () =>
            call<LeaseBody>("POST", "/v1/leases", {
              key: user.key,
              headers: { "idempotency-key": key },
              body: { nodeId: node.id, slices: 1, durationHours: null },
            }),
          ),
        );
        for (const response of responses) expect(response.status, JSON.stringify(response.body)).toBe(201);
        const [first] = responses;
        const leaseId = first!.body.id;
        for (const response of responses) {
          expect(response.body).toMatchObject({
            id: leaseId,
            status: "running",
            holdIds: [`hold_${leaseId}_0`],
          });
        }
        expect(await holdStatus(`hold_${leaseId}_0`)).toBe("pending");
        const voids = await database().execute({
          sql: "SELECT count(*) AS count FROM transfers WHERE pending_id = ? AND type = 'void_pending'",
          args: [`hold_${leaseId}_0`],
        });
        expect(Number(voids.rows[0]?.count)).toBe(0);
        leaseIds.push(leaseId);
      }
      shift(hourMs + 1_000);
      await settle(node.id);
      const rows = await settlementsOf(leaseIds);
      expect(rows.map((row) => row.leaseId).sort()).toEqual([...leaseIds].sort());
      for (const row of rows) {
        // One slice at 0.078125 CC per slice-hour, all of it paid from the hold.
        expect(row.chargeMinor).toBe(78_125n);
        expect(row.unpaidMinor).toBe(0n);
      }
      for (const leaseId of leaseIds) {
        const lease = await call<LeaseBody>("GET", `/v1/leases/${leaseId}`, { key: user.key });
        expect(lease.body.status).toBe("running");
      }
      await expectBalancedLedger(node.id);
      await expectAuditClean();
    });
  }
});

describe("a reservation refused because the slices went", () => {
  it("writes no transfer and no hold, even when a concurrent reservation took them", async () => {
    const node = await registerNode(farmer);
    const users = await Promise.all(Array.from({ length: 12 }, () => fundedUser(20n * ccMinor)));
    const before = await Promise.all(users.map((user) => ledgerRowsOf(user.accountId)));
    const responses = await Promise.all(
      users.map((user) =>
        call<LeaseBody>("POST", "/v1/leases", {
          key: user.key,
          headers: { "idempotency-key": idempotencyKey("race") },
          body: { nodeId: node.id, slices: 2, durationHours: null },
        }),
      ),
    );
    const granted = responses.filter((response) => response.status === 201);
    // Seven slices, two each: three reservations fit.
    expect(granted).toHaveLength(3);
    for (const [index, response] of responses.entries()) {
      const after = await ledgerRowsOf(users[index]!.accountId);
      if (response.status === 201) {
        expect(after).toEqual({ transfers: before[index]!.transfers + 1, holds: before[index]!.holds + 1 });
      } else {
        expect(response.status).toBe(409);
        expect(response.body.code).toBe("SLICES_UNAVAILABLE");
        expect(after).toEqual(before[index]);
      }
    }
    await expectBalancedLedger(node.id);
    await expectAuditClean();
  });

  it("writes nothing when the refusal is plain: the node is full", async () => {
    const node = await registerNode(farmer);
    const owner = await fundedUser(20n * ccMinor);
    const late = await fundedUser(20n * ccMinor);
    const full = await call<LeaseBody>("POST", "/v1/leases", {
      key: owner.key,
      headers: { "idempotency-key": idempotencyKey("full") },
      body: { nodeId: node.id, slices: 7, durationHours: null },
    });
    expect(full.status).toBe(201);
    const before = await ledgerRowsOf(late.accountId);
    const refused = await call<LeaseBody>("POST", "/v1/leases", {
      key: late.key,
      headers: { "idempotency-key": idempotencyKey("late") },
      body: { nodeId: node.id, slices: 1, durationHours: null },
    });
    expect(refused.status).toBe(409);
    expect(await ledgerRowsOf(late.accountId)).toEqual(before);
  });
});

describe("identical bids at once", () => {
  it("all get the one bid, behind one pending hold", async () => {
    const node = await registerNode(farmer);
    const user = await fundedUser(50n * ccMinor);
    const key = idempotencyKey("same-bid");
    const responses = await Promise.all(
      Array.from({ length: 8 }, () =>
        call<{ id: string; status: string; holdIds: string[] }>("POST", `/v1/nodes/${node.id}/bids`, {
          key: user.key,
          headers: { "idempotency-key": key },
          body: { slices: 1, priceCcPerSliceHour: "0.05" },
        }),
      ),
    );
    for (const response of responses) expect(response.status, JSON.stringify(response.body)).toBe(201);
    const bidId = responses[0]!.body.id;
    for (const response of responses) {
      expect(response.body).toMatchObject({ id: bidId, status: "open", holdIds: [`hold_${bidId}`] });
    }
    expect(await holdStatus(`hold_${bidId}`)).toBe("pending");
    expect(await ledgerRowsOf(user.accountId)).toEqual({ transfers: 2, holds: 1 });
    await expectBalancedLedger(node.id);
    await expectAuditClean();
  });
});
