// A rejected or cancelled bid gives its hold back in the request's own write, with no read: the
// book knows what a bid's hold holds, and the database checks it. A hold that is no longer as the
// book thinks (voided meanwhile) is found out by the ledger, and nothing is released twice.
import { beforeAll, describe, expect, it } from "vitest";
import { databaseRoundTrips } from "../../../src/kit/db/client";
import { audit } from "../../../src/ledger/accounts";
import { createTransfers } from "../../../src/ledger/store";
import { balances, call, database, type Seeded, seedKey } from "../../support/harness";
import { bid, ccMinor, fundedUser, registerNode, setPeg } from "./support";

let farmer: Seeded;

beforeAll(async () => {
  await setPeg();
  farmer = await seedKey("farmer");
});

/** How many times the ledger released `holdId` (any void of it). */
async function voidsOf(holdId: string): Promise<number> {
  const result = await database().execute({
    sql: "SELECT count(*) AS n FROM transfers WHERE type = 'void_pending' AND pending_id = ?",
    args: [holdId],
  });
  return Number(result.rows[0]?.n);
}

async function openBid() {
  const user = await fundedUser(50n * ccMinor);
  const node = await registerNode(farmer);
  const placed = await bid(user, node.id, 1, "0.05");
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  expect((await balances(user.accountId)).pendingDebits).toBeGreaterThan(0n);
  return { user, node, bidId: placed.body.id };
}

describe("closing a bid", () => {
  it.each([
    ["rejected by the farmer", "reject"],
    ["cancelled by its bidder", "cancel"],
  ] as const)("%s releases its hold in one write", async (_name, action) => {
    const { user, node, bidId } = await openBid();
    const before = await balances(user.accountId);
    const key = action === "reject" ? farmer.key : user.key;
    const close = () =>
      action === "reject"
        ? call<{ status: string }>("POST", `/v1/nodes/${node.id}/bids/${bidId}/reject`, { key })
        : call<{ status: string }>("DELETE", `/v1/nodes/${node.id}/bids/${bidId}`, { key });
    await call("GET", `/v1/nodes/${node.id}/bids/${bidId}`, { key: user.key }); // the keys are cached
    const trips = databaseRoundTrips();
    const closed = await close();
    expect(databaseRoundTrips() - trips).toBe(1);
    expect(closed.status, JSON.stringify(closed.body)).toBe(200);
    expect(closed.body.status).toBe(action === "reject" ? "rejected" : "cancelled");
    // Back with the bidder before the answer: nothing held, nothing spent.
    expect(await balances(user.accountId)).toEqual({
      posted: before.posted,
      available: before.posted,
      pendingDebits: 0n,
    });
    expect(await voidsOf(`hold_${bidId}`)).toBe(1);
    expect((await close()).status).toBe(409);
    expect(await voidsOf(`hold_${bidId}`)).toBe(1);
  });

  it("finds out a hold released meanwhile, and releases nothing twice", async () => {
    const { user, node, bidId } = await openBid();
    const holdId = `hold_${bidId}`;
    // Voided behind the book's back (as the expiry sweeper would).
    const voided = await createTransfers(database(), [
      { type: "void_pending", id: `expire_${holdId}`, pendingId: holdId, code: "hold_expired" },
    ]);
    expect(voided.ok).toBe(true);
    const cancelled = await call<{ status: string }>("DELETE", `/v1/nodes/${node.id}/bids/${bidId}`, {
      key: user.key,
    });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe("cancelled");
    expect(await voidsOf(holdId)).toBe(1);
    expect((await balances(user.accountId)).pendingDebits).toBe(0n);
    const report = await audit(database());
    expect(report.holdMismatches).toEqual([]);
    expect(report.balanced).toBe(true);
  });
});
