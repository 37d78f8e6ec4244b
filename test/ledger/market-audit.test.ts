// Proves that the audit checks the market against the ledger: a clean market reports nothing; a running lease or an open bid whose hold was voided behind the book's back, a live lease hold that no lease owns, a hold still held for a closed bid, a held auction bid or a pending withdrawal without its holds, and live auction or withdrawal holds that belong to nothing are each reported and make the audit unbalanced; a paused lease without a hold is not (it accrues nothing); and the leases come from the books, so a lease mirror that is behind reports nothing false.
import { runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { escrowAccountId } from "../../src/ledger/holds";
import { createTransfers } from "../../src/ledger/store";
import type { NodeBidBook } from "../../src/market/object/node-bid-book";
import { createPool, openRound } from "../durable/auction-support";
import {
  bid,
  book,
  ccMinor,
  fundedUser,
  registerNode,
  reserve,
  setPeg,
  settle,
} from "../routes/market/support";
import {
  call,
  database,
  expectAuditClean,
  fundedAccount,
  type Seeded,
  seedKey,
  uniqueOwner,
} from "../support/harness";

type Mismatch = { kind: string; id: string; holdId: string | null; nodeId: string | null; detail: string };
type AuditBody = {
  balanced: boolean;
  market: { nodesChecked: number; leasesChecked: number; openBidsChecked: number; mismatchesTotal: number };
  marketMismatches: Mismatch[];
};

let admin: Seeded;
let farmer: Seeded;

beforeAll(async () => {
  await setPeg();
  admin = await seedKey("admin");
  farmer = await seedKey("farmer");
});

async function auditReport(): Promise<AuditBody> {
  const response = await call<AuditBody>("GET", "/v1/ledger/audit", { key: admin.key });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body;
}

/** The mismatches about `id` (a lease, bid, hold, auction bid or withdrawal). */
async function mismatchesOf(id: string): Promise<{ balanced: boolean; found: Mismatch[] }> {
  const report = await auditReport();
  return { balanced: report.balanced, found: report.marketMismatches.filter((item) => item.id === id) };
}

async function voidHold(holdId: string): Promise<void> {
  const voided = await createTransfers(database(), [
    { type: "void_pending", id: `test_void_${holdId}`, pendingId: holdId, code: "test_void" },
  ]);
  expect(voided.ok ? "ok" : voided.detail).toBe("ok");
}

/** A live hold payer → `creditAccountId` with `code`, placed straight through the ledger. */
async function strayHold(
  payerAccountId: string,
  code: string,
  metadata: Record<string, unknown>,
  asset: "CC" | "TFP" = "CC",
  creditAccountId = escrowAccountId,
): Promise<string> {
  const holdId = `hold_${uniqueOwner("stray")}`;
  const placed = await createTransfers(database(), [
    {
      type: "pending",
      id: holdId,
      debitAccountId: payerAccountId,
      creditAccountId,
      asset,
      amountMinor: 1_000n,
      timeoutMs: 3_600_000,
      code,
      metadata,
    },
  ]);
  expect(placed.ok ? "ok" : placed.detail).toBe("ok");
  return holdId;
}

describe("a clean market", () => {
  it("reports no mismatch for running leases, open bids and their holds", async () => {
    const node = await registerNode(farmer);
    const user = await fundedUser(100n * ccMinor);
    const lease = await reserve(user, node.id, 2, null);
    expect(lease.status, JSON.stringify(lease.body)).toBe(201);
    const open = await bid(user, node.id, 1, "0.02");
    expect(open.status, JSON.stringify(open.body)).toBe(201);
    expect(open.body.status).toBe("open");
    const report = await auditReport();
    expect(report.market.nodesChecked).toBeGreaterThanOrEqual(1);
    expect(report.market.leasesChecked).toBeGreaterThanOrEqual(1);
    expect(report.market.openBidsChecked).toBeGreaterThanOrEqual(1);
    const ours = report.marketMismatches.filter((item) => item.nodeId === node.id);
    expect(ours).toEqual([]);
    await expectAuditClean();
  });

  it("reads leases from their book, so a lease mirror that is behind reports nothing false", async () => {
    const node = await registerNode(farmer);
    const user = await fundedUser(100n * ccMinor);
    const lease = await reserve(user, node.id, 1, null);
    expect(lease.status).toBe(201);
    // The mirror says ended (as if behind or ahead of the book); the book says running, and its hold is live.
    await database().execute({
      sql: "UPDATE leases SET status = 'ended' WHERE id = ?",
      args: [lease.body.id],
    });
    expect((await mismatchesOf(lease.body.id)).found).toEqual([]);
    await expectAuditClean();
    await database().execute({
      sql: "UPDATE leases SET status = 'running' WHERE id = ?",
      args: [lease.body.id],
    });
  });
});

describe("leases and bids against their holds", () => {
  it("reports a running lease whose hold was voided behind the book's back", async () => {
    const node = await registerNode(farmer);
    const user = await fundedUser(100n * ccMinor);
    const lease = await reserve(user, node.id, 2, null);
    expect(lease.status).toBe(201);
    const holdId = `hold_${lease.body.id}_0`;
    await voidHold(holdId);
    const { balanced, found } = await mismatchesOf(lease.body.id);
    expect(balanced).toBe(false);
    expect(found).toEqual([expect.objectContaining({ kind: "lease_without_hold", holdId, nodeId: node.id })]);
    expect(found[0]!.detail).toContain(`${holdId} is voided`);
    // Ending the lease ends the promise: nothing is left to report.
    const ended = await call("DELETE", `/v1/leases/${lease.body.id}`, { key: user.key });
    expect(ended.status, JSON.stringify(ended.body)).toBe(200);
    expect((await mismatchesOf(lease.body.id)).found).toEqual([]);
  });

  it("does not require a live hold of a paused lease, and a running one gets its hold back from the money pass", async () => {
    const node = await registerNode(farmer);
    const user = await fundedUser(100n * ccMinor);
    const lease = await reserve(user, node.id, 1, null);
    expect(lease.status).toBe(201);
    const offline = await call("PUT", `/v1/nodes/${node.id}/state`, {
      key: farmer.key,
      body: { state: "offline" },
    });
    expect(offline.status, JSON.stringify(offline.body)).toBe(200);
    await voidHold(`hold_${lease.body.id}_0`);
    expect((await mismatchesOf(lease.body.id)).found).toEqual([]);
    const online = await call("PUT", `/v1/nodes/${node.id}/state`, {
      key: farmer.key,
      body: { state: "online" },
    });
    expect(online.status, JSON.stringify(online.body)).toBe(200);
    expect((await mismatchesOf(lease.body.id)).found).toEqual([]);
    await expectAuditClean();
  });

  it("reports an open bid whose hold was voided", async () => {
    const node = await registerNode(farmer);
    const user = await fundedUser(100n * ccMinor);
    const open = await bid(user, node.id, 1, "0.02");
    expect(open.status).toBe(201);
    const holdId = `hold_${open.body.id}`;
    await voidHold(holdId);
    const { balanced, found } = await mismatchesOf(open.body.id);
    expect(balanced).toBe(false);
    expect(found).toEqual([expect.objectContaining({ kind: "bid_without_hold", holdId, nodeId: node.id })]);
    const cancelled = await call("DELETE", `/v1/nodes/${node.id}/bids/${open.body.id}`, { key: user.key });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect((await mismatchesOf(open.body.id)).found).toEqual([]);
  });

  it("reports a live lease hold that no lease owns", async () => {
    const user = await fundedUser(10n * ccMinor);
    const holdId = await strayHold(user.accountId, "lease_hold", {
      leaseId: "lse_nothing",
      nodeId: "node_nothing",
    });
    const { balanced, found } = await mismatchesOf(holdId);
    expect(balanced).toBe(false);
    expect(found).toEqual([
      expect.objectContaining({
        kind: "hold_without_owner",
        holdId,
        // The hold's time as ISO 8601, not epoch milliseconds.
        holdCreatedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      }),
    ]);
    expect(found[0]).not.toHaveProperty("holdCreatedAtMs");
    expect(found[0]!.detail).toContain("lse_nothing");
    await voidHold(holdId);
    expect((await mismatchesOf(holdId)).found).toEqual([]);
  });

  it("reports a hold still held for a bid that is closed", async () => {
    const node = await registerNode(farmer);
    const user = await fundedUser(100n * ccMinor);
    const open = await bid(user, node.id, 1, "0.02");
    expect(open.status).toBe(201);
    const cancelled = await call("DELETE", `/v1/nodes/${node.id}/bids/${open.body.id}`, { key: user.key });
    expect(cancelled.status).toBe(200);
    // A hold the book lists for the cancelled bid but has not released (as if its release had failed).
    const holdId = await strayHold(user.accountId, "bid_hold", { bidId: open.body.id, nodeId: node.id });
    await runInDurableObject(book(node.id), (instance: NodeBidBook) => {
      const funding = (instance as unknown as { state: { funding: Map<string, { holdIds: string[] }> } })
        .state.funding;
      const record = funding.get(open.body.id);
      expect(record).toBeDefined();
      record!.holdIds.push(holdId);
    });
    const { balanced, found } = await mismatchesOf(open.body.id);
    expect(balanced).toBe(false);
    expect(found).toEqual([expect.objectContaining({ kind: "hold_owner_closed", holdId, nodeId: node.id })]);
    // The next money pass releases it.
    await settle(node.id);
    expect((await mismatchesOf(open.body.id)).found).toEqual([]);
    await expectAuditClean();
  });
});

describe("auction bids and withdrawals against their holds", () => {
  it("reports a held auction bid whose hold was voided, and a live auction bid hold with no bid", async () => {
    const bidder = uniqueOwner("bidder");
    const tfpAccount = await fundedAccount(bidder, "TFP", 10_000_000n);
    const usdcAccount = await fundedAccount(bidder, "USDC", 0n);
    const orphan = await strayHold(
      tfpAccount,
      "auction_bid_hold",
      { bidId: "bid_nothing" },
      "TFP",
      "acc_burn_tfp",
    );
    const orphanFound = await mismatchesOf(orphan);
    expect(orphanFound.balanced).toBe(false);
    expect(orphanFound.found).toEqual([
      expect.objectContaining({ kind: "hold_without_owner", holdId: orphan }),
    ]);
    await voidHold(orphan);

    // A held bid row whose hold is voided (the auction tables are written with the hold in one write).
    const roundId = await openRound(admin, (await createPool(admin)).id);
    const holdId = await strayHold(tfpAccount, "auction_bid_hold", { roundId }, "TFP", "acc_burn_tfp");
    const bidId = `bid_${uniqueOwner("audit").slice(4)}`;
    await database().execute({
      sql: `INSERT INTO auction_bids (id, round_id, owner_id, account_id, payout_account_id, amount, min_price, submit_seq,
              hold_id, status, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, 1000, '0.05', (SELECT COALESCE(MAX(submit_seq), 0) + 1 FROM auction_bids WHERE round_id = ?), ?, 'held', ?, ?)`,
      args: [bidId, roundId, bidder, tfpAccount, usdcAccount, roundId, holdId, Date.now(), Date.now()],
    });
    expect((await mismatchesOf(bidId)).found).toEqual([]);
    await voidHold(holdId);
    const { balanced, found } = await mismatchesOf(bidId);
    expect(balanced).toBe(false);
    expect(found).toEqual([expect.objectContaining({ kind: "auction_bid_without_hold", holdId })]);
    expect(found[0]!.detail).toContain("is voided");
    await database().execute({
      sql: "UPDATE auction_bids SET status = 'cancelled' WHERE id = ?",
      args: [bidId],
    });
    expect((await mismatchesOf(bidId)).found).toEqual([]);
  });

  it("reports a pending withdrawal without its holds, and a live withdrawal hold with no withdrawal", async () => {
    const owner = uniqueOwner("withdrawer");
    const tfpAccount = await fundedAccount(owner, "TFP", 100_000_000n);
    const orphan = await strayHold(tfpAccount, "tfp_withdrawal_hold", {}, "TFP", "acc_burn_tfp");
    const orphanFound = await mismatchesOf(orphan);
    expect(orphanFound.balanced).toBe(false);
    expect(orphanFound.found).toEqual([
      expect.objectContaining({ kind: "hold_without_owner", holdId: orphan }),
    ]);

    const withdrawalId = `wdr_${uniqueOwner("w").slice(2)}`;
    await database().execute({
      sql: `INSERT INTO withdrawals (id, owner_id, account_id, tfp_amount, tft_amount, destination, status, tfp_hold_id,
              tft_hold_id, tft_market_usd, created_at, updated_at)
            VALUES (?, ?, ?, 1000, 1000, 'G', 'pending', ?, ?, '0.05', ?, ?)`,
      args: [withdrawalId, owner, tfpAccount, orphan, `${withdrawalId}_tft`, Date.now(), Date.now()],
    });
    // Its TFP hold is now owned; its TFT hold was never placed.
    expect((await mismatchesOf(orphan)).found).toEqual([]);
    const { balanced, found } = await mismatchesOf(withdrawalId);
    expect(balanced).toBe(false);
    expect(found).toEqual([
      expect.objectContaining({ kind: "withdrawal_without_hold", holdId: `${withdrawalId}_tft` }),
    ]);
    expect(found[0]!.detail).toContain("is not in the ledger");
    await voidHold(orphan);
    await database().execute({
      sql: "UPDATE withdrawals SET status = 'failed', updated_at = ? WHERE id = ?",
      args: [Date.now(), withdrawalId],
    });
    expect((await mismatchesOf(withdrawalId)).found).toEqual([]);
    await expectAuditClean();
  });
});
