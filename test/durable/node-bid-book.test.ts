// Proves the node bid book's settlement: each hour is charged from the lease's hold and split 80/10/10 exactly (remainder to ThreeFold, TFT burned from the vault or owed), an alarm that fires twice, a restarted object or a crash between the ledger write and the book's record never charges twice, ending a lease settles the last partial hour and releases the rest, and a user who runs out of CC is paused for the grace period and then reclaimed (or resumed when funds arrive).
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { createTransfers } from "../../src/ledger/store";
import type { Lease } from "../../src/market/core/bidbook";
import { duePeriods } from "../../src/market/core/bidbook/settlement";
import { defaultMarketParameters } from "../../src/market/core/parameters";
import { settleLeases } from "../../src/market/store/settlement";
import {
  book,
  ccMinor,
  fundedUser,
  hourMs,
  posted,
  registerNode,
  reserve,
  setPeg,
  settle,
  settlementsOf,
  shift,
} from "../routes/market/support";
import { balances, call, database, type Seeded, seedKey } from "../support/harness";

let farmer: Seeded;
let payout: string;

/** 2 slices at 0.078125 CC per slice-hour: 0.15625 CC per hour. */
const hourlyChargeMinor = 156_250n;

beforeAll(async () => {
  await setPeg();
  farmer = await seedKey("farmer");
});

async function leaseEvents(user: Seeded, leaseId: string): Promise<{ type: string; detail: string }[]> {
  const response = await call<{ data: { type: string; detail: string }[] }>(
    "GET",
    `/v1/leases/${leaseId}/events?limit=200`,
    {
      key: user.key,
    },
  );
  expect(response.status).toBe(200);
  return response.body.data;
}

async function storedLease(nodeId: string, leaseId: string): Promise<Lease> {
  return runInDurableObject(book(nodeId), (_instance, state) => {
    const row = state.storage.sql
      .exec<{ body: string }>("SELECT body FROM leases WHERE id = ?", leaseId)
      .one();
    return JSON.parse(row.body) as Lease;
  });
}

async function transferCount(prefix: string): Promise<number> {
  const result = await database().execute({
    sql: "SELECT count(*) AS count FROM transfers WHERE id LIKE ?",
    args: [`${prefix}%`],
  });
  return Number(result.rows[0]?.count);
}

describe("hourly settlement", () => {
  it("charges each hour from the hold, splits it exactly and moves the money between the right accounts", async () => {
    const node = await registerNode(farmer);
    payout = String(
      (await database().execute({ sql: "SELECT payout_account_id FROM nodes WHERE id = ?", args: [node.id] }))
        .rows[0]?.payout_account_id,
    );
    const user = await fundedUser(100n * ccMinor);
    const [burnBefore, treasuryBefore, escrowBefore, farmerBefore] = await Promise.all([
      posted("acc_burn_cc"),
      posted("acc_treasury_cc"),
      posted("acc_escrow_cc"),
      posted(payout),
    ]);
    const lease = await reserve(user, node.id, 2, null);
    expect(lease.status, JSON.stringify(lease.body)).toBe(201);
    expect(lease.body.priceCcPerSliceHour).toBe("0.078125");
    expect((await balances(user.accountId)).pendingDebits).toBe(24n * hourlyChargeMinor);

    shift(3 * hourMs + 1_000);
    await settle(node.id);
    const rows = await settlementsOf([lease.body.id]);
    expect(rows.map((row) => row.id)).toEqual([0, 1, 2].map((k) => `stl_${lease.body.id}_${k}`));
    for (const row of rows) {
      expect(row.chargeMinor).toBe(hourlyChargeMinor);
      expect([row.farmerMinor, row.burnMinor, row.threefoldMinor]).toEqual([125_000n, 15_625n, 15_625n]);
      // 0.015625 CC at 0.128 USD/CC and 0.05 USD/TFT is 0.04 TFT; the empty vault owes it.
      expect(row.burnTftMinor).toBe(400_000n);
    }
    expect((await posted("acc_burn_cc")) - burnBefore).toBe(3n * 15_625n);
    expect((await posted("acc_treasury_cc")) - treasuryBefore).toBe(3n * 15_625n);
    expect((await posted(payout)) - farmerBefore).toBe(3n * 125_000n);
    expect(await posted("acc_escrow_cc")).toBe(escrowBefore);
    expect((await balances(user.accountId)).posted).toBe(100n * ccMinor - 3n * hourlyChargeMinor);
    const account = await database().execute({
      sql: "SELECT kind FROM accounts WHERE id = ?",
      args: [payout],
    });
    expect(account.rows[0]?.kind).toBe("farmer");
  });

  it("gives the rounding remainder to ThreeFold and burns TFT from the vault while it lasts", async () => {
    // 1 slice at 0.01 USD / 0.128 = 0.078125 CC: 10 % is 7,812.5 minor units, so ThreeFold gets the half unit.
    const node = await registerNode(farmer);
    const user = await fundedUser(50n * ccMinor);
    // Lock 0.03 TFT in the vault: one hour's burn is 0.0199987 TFT, so it covers the first hour but
    // not the second (unless other tests left TFT there).
    const locked = await createTransfers(database(), [
      {
        type: "posted",
        id: `test_vault_${node.id}`,
        debitAccountId: "acc_issuance_tft",
        creditAccountId: "acc_vault_tft",
        asset: "TFT",
        amountMinor: 300_000n,
        code: "test_vault_lock",
      },
    ]);
    expect(locked.ok).toBe(true);
    const vault = await database().execute(
      "SELECT credits_posted - debits_posted - debits_pending AS available FROM accounts WHERE id = 'acc_vault_tft'",
    );
    const vaultBefore = BigInt(vault.rows[0]?.available as bigint);
    const lease = await reserve(user, node.id, 1, null);
    expect(lease.status).toBe(201);
    shift(2 * hourMs + 1_000);
    await settle(node.id);
    const rows = await settlementsOf([lease.body.id]);
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.chargeMinor).toBe(78_125n);
      expect([row.farmerMinor, row.burnMinor, row.threefoldMinor]).toEqual([62_500n, 7_812n, 7_813n]);
      expect(row.burnedTftMinor).toBeLessThanOrEqual(row.burnTftMinor);
    }
    const burned = rows.reduce((sum, row) => sum + row.burnedTftMinor, 0n);
    const owed = await database().execute({
      sql: "SELECT COALESCE(SUM(tft_minor), 0) AS owed FROM burn_obligations WHERE settlement_id IN (?, ?)",
      args: rows.map((row) => row.id),
    });
    expect(burned + BigInt(owed.rows[0]?.owed as bigint)).toBe(
      rows.reduce((sum, row) => sum + row.burnTftMinor, 0n),
    );
    expect(burned).toBeGreaterThanOrEqual(199_987n);
    expect(burned).toBeLessThanOrEqual(vaultBefore);
  });

  it("never charges twice: a second alarm, a restart, or a crash between the ledger write and the book's record", async () => {
    const node = await registerNode(farmer);
    const user = await fundedUser(100n * ccMinor);
    const lease = await reserve(user, node.id, 2, null);
    shift(2 * hourMs + 1_000);
    expect(await runDurableObjectAlarm(book(node.id))).toBe(true);
    expect(await settlementsOf([lease.body.id])).toHaveLength(2);
    const afterFirst = await balances(user.accountId);

    // The alarm again, the money pass again, then a restart and the pass once more.
    await runDurableObjectAlarm(book(node.id));
    await settle(node.id);
    await evictDurableObject(book(node.id));
    await settle(node.id);
    expect(await settlementsOf([lease.body.id])).toHaveLength(2);
    expect(await balances(user.accountId)).toEqual(afterFirst);

    // A crash after the ledger write: the next hour is written by the settlement service directly,
    // as the object would have, but the object never records it; after a restart it finds it.
    const stored = await storedLease(node.id, lease.body.id);
    const due = duePeriods(stored, stored.settledThroughMs + hourMs + 1_000);
    expect(due).toHaveLength(1);
    const [written] = await settleLeases(
      database(),
      [
        {
          lease: stored,
          parties: {
            leaseId: stored.id,
            nodeId: node.id,
            farmerId: farmer.ownerId,
            farmerAccountId: String(
              (
                await database().execute({
                  sql: "SELECT payout_account_id FROM nodes WHERE id = ?",
                  args: [node.id],
                })
              ).rows[0]?.payout_account_id,
            ),
            payerAccountId: user.accountId,
            holdIds: [`hold_${lease.body.id}_0`],
          },
          periods: due,
        },
      ],
      { nowMs: Date.now() + 10 * hourMs, parameters: defaultMarketParameters },
    );
    expect(written?.failure).toBeNull();
    const transfersBefore = await transferCount(`stl_${lease.body.id}_`);
    await evictDurableObject(book(node.id));
    shift(hourMs);
    await settle(node.id);
    expect(await transferCount(`stl_${lease.body.id}_`)).toBe(transfersBefore);
    expect(await settlementsOf([lease.body.id])).toHaveLength(3);
    expect((await balances(user.accountId)).posted).toBe(100n * ccMinor - 3n * hourlyChargeMinor);
    const view = await book(node.id).getLease({ nodeId: node.id, leaseId: lease.body.id });
    expect(view.ok && view.value.settledThroughMs).toBe(stored.startedAtMs + 3 * hourMs);
  });

  it("ending a lease settles the last partial hour and releases what the hold has left", async () => {
    const node = await registerNode(farmer);
    const user = await fundedUser(10n * ccMinor);
    const lease = await reserve(user, node.id, 2, 48);
    expect(lease.status).toBe(201);
    shift(hourMs + 30 * 60_000);
    const ended = await call<{ status: string; charged: string; holdIds: string[] }>(
      "DELETE",
      `/v1/leases/${lease.body.id}`,
      {
        key: user.key,
      },
    );
    expect(ended.status, JSON.stringify(ended.body)).toBe(200);
    expect(ended.body.status).toBe("ended");
    expect(ended.body.holdIds).toEqual([]);
    const rows = await settlementsOf([lease.body.id]);
    expect(rows).toHaveLength(2);
    expect(rows[0]?.chargeMinor).toBe(hourlyChargeMinor);
    // Half an hour and a few milliseconds of the test's own time: at least half the hourly charge.
    expect(rows[1]?.chargeMinor).toBeGreaterThanOrEqual(hourlyChargeMinor / 2n);
    expect(rows[1]?.chargeMinor).toBeLessThan(hourlyChargeMinor);
    const total = rows.reduce((sum, row) => sum + row.chargeMinor, 0n);
    expect(ended.body.charged).toBe((Number(total) / 1e6).toFixed(6));
    const after = await balances(user.accountId);
    expect(after.pendingDebits).toBe(0n);
    expect(after.posted).toBe(10n * ccMinor - total);
    const again = await call("DELETE", `/v1/leases/${lease.body.id}`, { key: user.key });
    expect(again.status).toBe(409);
  });
});

describe("running out of funds", () => {
  it("tops up while it can, pauses with a grace period when it cannot, then reclaims the slices", async () => {
    const node = await registerNode(farmer);
    // Exactly one prepaid window: 24 hours of 2 slices.
    const user = await fundedUser(24n * hourlyChargeMinor);
    const lease = await reserve(user, node.id, 2, null);
    expect(lease.status).toBe(201);
    shift(13 * hourMs + 1_000);
    await settle(node.id);
    let events = await leaseEvents(user, lease.body.id);
    expect(events.some((event) => event.type === "top_up_failed")).toBe(true);
    let view = await call<{ status: string }>("GET", `/v1/leases/${lease.body.id}`, { key: user.key });
    expect(view.body.status).toBe("running");

    shift(10 * hourMs);
    await settle(node.id);
    view = await call<{ status: string; pausedReason: string; graceUntil: string }>(
      "GET",
      `/v1/leases/${lease.body.id}`,
      {
        key: user.key,
      },
    );
    expect(view.body).toMatchObject({ status: "paused", pausedReason: "insufficient_funds" });
    events = await leaseEvents(user, lease.body.id);
    expect(events.find((event) => event.type === "paused")?.detail).toContain("insufficient_funds");
    const listing = await call<{ freeSlices: number }>("GET", `/v1/nodes/${node.id}`);
    expect(listing.body.freeSlices).toBe(5);

    shift(25 * hourMs);
    await settle(node.id);
    view = await call<{ status: string }>("GET", `/v1/leases/${lease.body.id}`, { key: user.key });
    expect(view.body.status).toBe("ended");
    events = await leaseEvents(user, lease.body.id);
    expect(events.some((event) => event.type === "reclaimed")).toBe(true);
    const rows = await settlementsOf([lease.body.id]);
    const charged = rows.reduce((sum, row) => sum + row.chargeMinor, 0n);
    expect(rows.every((row) => row.unpaidMinor === 0n)).toBe(true);
    const after = await balances(user.accountId);
    expect(after.pendingDebits).toBe(0n);
    expect(after.posted).toBe(24n * hourlyChargeMinor - charged);
    expect((await call<{ freeSlices: number }>("GET", `/v1/nodes/${node.id}`)).body.freeSlices).toBe(7);
  });

  it("resumes a lease paused for funds as soon as a top-up succeeds", async () => {
    const node = await registerNode(farmer);
    const user = await fundedUser(24n * hourlyChargeMinor);
    const lease = await reserve(user, node.id, 2, null);
    shift(23 * hourMs + 1_000);
    await settle(node.id);
    let view = await call<{ status: string }>("GET", `/v1/leases/${lease.body.id}`, { key: user.key });
    expect(view.body.status).toBe("paused");
    // The user pays in more CC.
    const top = await call("POST", "/v1/transfers", {
      key: (await seedKey("admin")).key,
      headers: { "idempotency-key": `topup-${lease.body.id.slice(4, 40)}` },
      body: {
        transfers: [
          {
            type: "posted",
            debitAccountId: "acc_issuance_cc",
            creditAccountId: user.accountId,
            asset: "CC",
            amount: "50",
            code: "test_top_up",
          },
        ],
      },
    });
    expect(top.status).toBe(201);
    shift(hourMs);
    await settle(node.id);
    view = await call<{ status: string }>("GET", `/v1/leases/${lease.body.id}`, { key: user.key });
    expect(view.body.status).toBe("running");
    const events = await leaseEvents(user, lease.body.id);
    expect(events.map((event) => event.type)).toEqual(expect.arrayContaining(["topped_up", "resumed"]));
  });
});
