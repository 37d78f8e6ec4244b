// Proves that the round's Durable Object serialises bids against the close and cancellations against the deadline: with requests in flight while the clock passes the line (and, for bids, while the close's alarm runs), every request gets one consistent answer, a refused bid holds nothing, a refused cancellation keeps its hold, and the round still settles with every asset conserved.
import { runDurableObjectAlarm } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { audit } from "../../src/ledger/accounts";
import { holdStatesStatement, transferHoldsFrom } from "../../src/ledger/store";
import { call, database, expectAuditClean, type Seeded, seedKey } from "../support/harness";
import {
  clockTo,
  closeOf,
  contributeUsdc,
  createPool,
  getRound,
  openRound,
  type Party,
  party,
  passClose,
  placeBid,
  settle,
  stubOf,
  sumByAsset,
  tfp,
  usdc,
} from "./auction-support";

let admin: Seeded;

beforeAll(async () => {
  admin = await seedKey("admin");
});

async function holdStatus(holdId: string): Promise<string | null> {
  const result = await database().execute({ sql: "SELECT status FROM holds WHERE id = ?", args: [holdId] });
  return result.rows[0] === undefined ? null : String(result.rows[0].status);
}

async function mirrorStatus(bidId: string): Promise<string | null> {
  const result = await database().execute({
    sql: "SELECT status FROM auction_bids WHERE id = ?",
    args: [bidId],
  });
  return result.rows[0] === undefined ? null : String(result.rows[0].status);
}

async function poolWithBidders(count: number) {
  const pool = await createPool(admin);
  const lp = await party("lp", usdc(100_000), 0n);
  await contributeUsdc(lp, pool.id, "100000");
  const bidders: Party[] = await Promise.all(
    Array.from({ length: count }, () => party("farmer", 0n, tfp(10_000))),
  );
  const accounts = [
    pool.usdcAccount,
    pool.tfpAccount,
    lp.usdcAccount,
    ...bidders.flatMap((bidder) => [bidder.usdcAccount, bidder.tfpAccount]),
  ];
  return { pool, bidders, accounts };
}

describe("bids racing the close", () => {
  it("accepts every bid before the close, refuses every bid after it, and the alarm settles the rest", async () => {
    const { pool, bidders, accounts } = await poolWithBidders(8);
    const before = await sumByAsset(accounts);
    const roundId = await openRound(admin, pool.id);
    const { closesAtMs } = await closeOf(roundId);
    const bid = (index: number) =>
      placeBid(bidders[index % bidders.length]!, roundId, "100", `0.0${(index % 4) + 1}`);
    // 16 bids in flight; the first answer moves the clock past the close and starts the close's
    // alarm while the others are still on their way; then 16 more after the close.
    const early = Array.from({ length: 16 }, (_, index) => bid(index));
    await Promise.race(early);
    clockTo(closesAtMs + 1);
    const closing = runDurableObjectAlarm(stubOf(roundId));
    const late = Array.from({ length: 16 }, (_, index) => bid(16 + index));
    const attempts = await Promise.all([...early, ...late]);
    await closing;
    const accepted = attempts.filter((attempt) => attempt.response.status === 201);
    const refused = attempts.filter((attempt) => attempt.response.status !== 201);
    expect(accepted.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThanOrEqual(16);
    for (const attempt of refused) {
      expect(attempt.response.status).toBe(409);
      expect(attempt.response.body.code).toBe("AUCTION_CLOSED");
      expect(await holdStatus(`${roundId}.${attempt.bidId}.hold`)).toBeNull();
      expect(await mirrorStatus(attempt.bidId)).toBeNull();
    }

    await settle(roundId);
    const round = await getRound(admin.key, roundId);
    expect(round.body.state).toBe("settled");
    expect(new Set(round.body.result!.bids.map((bid) => bid.id))).toEqual(
      new Set(accepted.map((attempt) => attempt.bidId)),
    );
    for (const attempt of accepted) {
      expect(await holdStatus(`${roundId}.${attempt.bidId}.hold`)).toMatch(/^(posted|voided)$/);
    }
    expect(await sumByAsset(accounts)).toEqual(before);
    expect((await audit(database())).balanced).toBe(true);
    await expectAuditClean();
  });
});

describe("cancellations racing the deadline", () => {
  it("cancels before the deadline (hold released) and refuses after it (hold kept), then settles the rest", async () => {
    const { pool, bidders, accounts } = await poolWithBidders(4);
    const before = await sumByAsset(accounts);
    const roundId = await openRound(admin, pool.id);
    const placed = await Promise.all(
      Array.from({ length: 16 }, (_, index) => placeBid(bidders[index % 4]!, roundId, "100", "0.03")),
    );
    for (const { response } of placed) expect(response.status).toBe(201);
    const { cancellationDeadlineMs } = await closeOf(roundId);
    const cancel = async ({ bidId }: { bidId: string }, index: number) => {
      const response = await call<{ code?: string; status?: string }>(
        "DELETE",
        `/v1/auctions/${roundId}/bids/${bidId}`,
        { key: bidders[index % 4]!.key },
      );
      return { bidId, response };
    };
    // 8 cancellations in flight; the first answer moves the clock past the deadline while the
    // others are on their way; then 8 more after the deadline.
    const early = placed.slice(0, 8).map((entry, index) => cancel(entry, index));
    await Promise.race(early);
    clockTo(cancellationDeadlineMs + 1);
    const late = placed.slice(8).map((entry, index) => cancel(entry, 8 + index));
    const cancels = await Promise.all([...early, ...late]);
    const cancelled = cancels.filter((entry) => entry.response.status === 200);
    const refused = cancels.filter((entry) => entry.response.status !== 200);
    expect(cancelled.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThanOrEqual(8);
    for (const { bidId, response } of cancelled) {
      expect(response.body.status).toBe("cancelled");
      expect(await holdStatus(`${roundId}.${bidId}.hold`)).toBe("voided");
      expect(await mirrorStatus(bidId)).toBe("cancelled");
    }
    for (const { bidId, response } of refused) {
      expect(response.status).toBe(409);
      expect(response.body.code).toBe("CANCELLATION_DEADLINE_PASSED");
      expect(await holdStatus(`${roundId}.${bidId}.hold`)).toBe("pending");
      expect(await mirrorStatus(bidId)).toBe("held");
    }

    // A cancelled bid cancelled again is the same answer; nothing moves.
    const again = await call<{ status: string }>(
      "DELETE",
      `/v1/auctions/${roundId}/bids/${cancelled[0]!.bidId}`,
      {
        key: bidders[0]!.key,
      },
    );
    expect([again.status, again.body.status]).toEqual([200, "cancelled"]);

    await passClose(roundId);
    await settle(roundId);
    const round = await getRound(admin.key, roundId);
    expect(new Set(round.body.result!.bids.map((bid) => bid.id))).toEqual(
      new Set(refused.map((entry) => entry.bidId)),
    );
    expect(round.body.bidsCount).toBe(refused.length);
    expect(await sumByAsset(accounts)).toEqual(before);
    expect((await audit(database())).balanced).toBe(true);
    await expectAuditClean();
  });

  it("refuses to cancel another owner's bid", async () => {
    const { pool, bidders } = await poolWithBidders(2);
    const roundId = await openRound(admin, pool.id);
    const { bidId, response } = await placeBid(bidders[0]!, roundId, "100", "0.03");
    expect(response.status).toBe(201);
    const other = await call<{ code: string }>("DELETE", `/v1/auctions/${roundId}/bids/${bidId}`, {
      key: bidders[1]!.key,
    });
    expect([other.status, other.body.code]).toEqual([403, "FORBIDDEN"]);
    expect(await holdStatus(`${roundId}.${bidId}.hold`)).toBe("pending");
  });

  it("voids the hold the ledger has, not a stale copy the route read before (the database checks the void)", async () => {
    const { pool, bidders, accounts } = await poolWithBidders(1);
    const before = await sumByAsset(accounts);
    const roundId = await openRound(admin, pool.id);
    const { bidId, response } = await placeBid(bidders[0]!, roundId, "100", "0.03");
    expect(response.status).toBe(201);
    const holdId = `${roundId}.${bidId}.hold`;
    const stale = transferHoldsFrom(await database().execute(holdStatesStatement([holdId]))).get(holdId)!;
    const cancelled = await stubOf(roundId).cancelBid({
      bidId,
      ownerId: bidders[0]!.ownerId,
      asAdmin: false,
      hold: { ...stale, remainingMinor: stale.remainingMinor - 1n },
    });
    expect(cancelled.ok && cancelled.value.status).toBe("cancelled");
    expect(await holdStatus(holdId)).toBe("voided");
    expect(await sumByAsset(accounts)).toEqual(before);
    await expectAuditClean();
  });
});
