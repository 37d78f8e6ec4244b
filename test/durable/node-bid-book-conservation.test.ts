// Proves conservation over a randomised day of marketplace activity on several nodes (reservations, bids, acceptances, ends, nodes going offline, a user running dry): the ledger audit stays balanced, CC issued − burned equals what all accounts hold, every charge is split exactly, every CC a user paid reached the farmers, the burn account or ThreeFold, the escrow gives out what it took in, and no hold is left behind.
import { beforeAll, describe, expect, it } from "vitest";
import { audit, supply } from "../../src/ledger/accounts";
import {
  bid,
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

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const seed = 20_261_124;
const hours = 24;

let farmers: Seeded[];

beforeAll(async () => {
  await setPeg();
  farmers = await Promise.all([seedKey("farmer"), seedKey("farmer")]);
});

async function ccHeldByAccounts(): Promise<bigint> {
  const result = await database().execute(
    "SELECT COALESCE(SUM(credits_posted - debits_posted), 0) AS held FROM accounts WHERE asset = 'CC' AND kind NOT IN ('issuance', 'burn')",
  );
  return BigInt(result.rows[0]?.held as bigint);
}

async function escrowPendingCredits(): Promise<bigint> {
  const result = await database().execute("SELECT credits_pending FROM accounts WHERE id = 'acc_escrow_cc'");
  return BigInt(result.rows[0]?.credits_pending as bigint);
}

describe("a randomised day", () => {
  it("conserves every CC and TFT and splits every charge exactly", { timeout: 120_000 }, async () => {
    const next = random(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
    const nodes = await Promise.all(
      [0, 1, 2].map((index) =>
        registerNode(farmers[index % 2]!, {
          name: `day node ${index}`,
          ...(index === 2
            ? { catalogueId: "mini-3", sliceCount: 25, pricePerSliceMonth: "5", pricePerSliceHour: "0.02" }
            : {}),
        }),
      ),
    );
    const users = await Promise.all([
      ...Array.from({ length: 5 }, () => fundedUser(40n * ccMinor)),
      fundedUser(2_500_000n),
    ]);
    const payouts = await Promise.all(
      nodes.map(async (node) => {
        const row = await database().execute({
          sql: "SELECT payout_account_id FROM nodes WHERE id = ?",
          args: [node.id],
        });
        return String(row.rows[0]?.payout_account_id);
      }),
    );
    const uniquePayouts = [...new Set(payouts)];
    const [burnBefore, treasuryBefore, escrowBefore, escrowPendingBefore] = await Promise.all([
      posted("acc_burn_cc"),
      posted("acc_treasury_cc"),
      posted("acc_escrow_cc"),
      escrowPendingCredits(),
    ]);
    const farmersBefore = await Promise.all(uniquePayouts.map(posted));
    const usersBefore = await Promise.all(users.map((user) => balances(user.accountId)));

    const leases: { id: string; nodeId: string; user: Seeded }[] = [];
    const bids: { id: string; nodeId: string; user: Seeded }[] = [];
    /** The money passes of the hour that just passed, running while the next hour's activity arrives. */
    let settling: Promise<number>[] = [];
    for (let hour = 0; hour < hours; hour += 1) {
      for (const [index, node] of nodes.entries()) {
        const farmer = farmers[index % 2]!;
        const user = pick(users);
        const roll = next();
        if (roll < 0.35) {
          const response = await reserve(user, node.id, 1 + Math.floor(next() * 3), pick([null, 3, 30]));
          expect([201, 409, 422]).toContain(response.status);
          if (response.status === 201) leases.push({ id: response.body.id, nodeId: node.id, user });
        } else if (roll < 0.6) {
          const price = (0.02 + Math.floor(next() * 20) / 100).toFixed(2);
          const response = await bid(user, node.id, 1 + Math.floor(next() * 2), price, { expiresInHours: 4 });
          expect([201, 409, 422]).toContain(response.status);
          if (response.status === 201) bids.push({ id: response.body.id, nodeId: node.id, user });
        } else if (roll < 0.75) {
          const open = bids.filter((item) => item.nodeId === node.id);
          if (open.length > 0) {
            const chosen = pick(open);
            const response = await call<{ leaseId: string | null }>(
              "POST",
              `/v1/nodes/${node.id}/bids/${chosen.id}/accept`,
              {
                key: farmer.key,
              },
            );
            expect([200, 409]).toContain(response.status);
            if (response.status === 200 && response.body.leaseId) {
              leases.push({ id: response.body.leaseId, nodeId: node.id, user: chosen.user });
            }
          }
        } else if (roll < 0.88) {
          const mine = leases.filter((item) => item.nodeId === node.id);
          if (mine.length > 0) {
            const chosen = pick(mine);
            const response = await call("DELETE", `/v1/leases/${chosen.id}`, { key: chosen.user.key });
            expect([200, 409]).toContain(response.status);
          }
        } else if (roll < 0.94) {
          const state = pick(["offline", "maintenance", "online", "online"]);
          const response = await call("PUT", `/v1/nodes/${node.id}/state`, {
            key: farmer.key,
            body: { state },
          });
          expect(response.status).toBe(200);
        }
      }
      // An hour passes on the shared clock; every book settles it while the next hour's activity
      // already arrives.
      await Promise.all(settling);
      shift(hourMs);
      settling = nodes.map((node) => settle(node.id));
    }
    await Promise.all(settling);
    // Close the day: every node online, every lease ended, every open bid cancelled, settled.
    for (const [index, node] of nodes.entries()) {
      await call("PUT", `/v1/nodes/${node.id}/state`, {
        key: farmers[index % 2]!.key,
        body: { state: "online" },
      });
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
    for (const node of nodes) await settle(node.id);
    expect(leases.length).toBeGreaterThan(5);

    // Every charge split exactly; the farmers, the burn and ThreeFold received exactly that.
    const rows = await settlementsOf(leases.map((item) => item.id));
    expect(rows.length).toBeGreaterThan(20);
    for (const row of rows) {
      expect(row.farmerMinor + row.burnMinor + row.threefoldMinor).toBe(row.chargeMinor);
      expect(row.chargeMinor + row.unpaidMinor).toBe(row.owedMinor);
      expect(row.threefoldMinor - row.burnMinor).toBeGreaterThanOrEqual(0n);
      expect(row.threefoldMinor - row.burnMinor).toBeLessThanOrEqual(2n);
    }
    const sum = (pick: (row: (typeof rows)[number]) => bigint) =>
      rows.reduce((total, row) => total + pick(row), 0n);
    const charged = sum((row) => row.chargeMinor);
    expect(charged).toBeGreaterThan(0n);
    expect((await posted("acc_burn_cc")) - burnBefore).toBe(sum((row) => row.burnMinor));
    expect((await posted("acc_treasury_cc")) - treasuryBefore).toBe(sum((row) => row.threefoldMinor));
    const farmersAfter = await Promise.all(uniquePayouts.map(posted));
    expect(farmersAfter.reduce((a, b) => a + b, 0n) - farmersBefore.reduce((a, b) => a + b, 0n)).toBe(
      sum((row) => row.farmerMinor),
    );
    // What users paid is what was charged; nothing is still held; the escrow passed it all on.
    const usersAfter = await Promise.all(users.map((user) => balances(user.accountId)));
    const paid = usersBefore.reduce(
      (total, before, index) => total + before.posted - usersAfter[index]!.posted,
      0n,
    );
    expect(paid).toBe(charged);
    for (const after of usersAfter) expect(after.pendingDebits).toBe(0n);
    expect(await posted("acc_escrow_cc")).toBe(escrowBefore);
    expect(await escrowPendingCredits()).toBe(escrowPendingBefore);
    for (const node of nodes) {
      const state = await book(node.id).open({ nodeId: node.id });
      expect(state.ok && state.value.runningSlices).toBe(0);
    }

    // The ledger as a whole: balanced, and CC issued − burned is what the accounts hold.
    const report = await audit(database());
    expect(report.mismatches).toEqual([]);
    expect(report.holdMismatches).toEqual([]);
    expect(report.balanced).toBe(true);
    const cc = (await supply(database())).find((item) => item.asset === "CC")!;
    expect(cc.issuedMinor - cc.burnedMinor).toBe(await ccHeldByAccounts());
    // Each burn's TFT equivalent was burned from the vault or recorded as owed.
    const tft = await database().execute({
      sql: `SELECT COALESCE(SUM(s.burn_tft_minor), 0) AS due, COALESCE(SUM(s.burned_tft_minor), 0) AS burned,
              COALESCE((SELECT SUM(o.tft_minor) FROM burn_obligations o WHERE o.settlement_id IN (SELECT id FROM settlements WHERE lease_id IN (${leases.map(() => "?").join(", ")}))), 0) AS owed
            FROM settlements s WHERE s.lease_id IN (${leases.map(() => "?").join(", ")})`,
      args: [...leases.map((item) => item.id), ...leases.map((item) => item.id)],
    });
    const figures = tft.rows[0]!;
    expect(BigInt(figures.burned as bigint) + BigInt(figures.owed as bigint)).toBe(
      BigInt(figures.due as bigint),
    );
  });
});
