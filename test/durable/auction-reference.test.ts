// Proves that a round takes its reference price from the oracle at the close, waits for one while the oracle is halted, voids itself (every hold released, nothing paid) when none comes in time, and that the cron's scheduled rounds open once per pool and period.
import { env, runDurableObjectAlarm } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { dayMs, hourMs, now } from "../../src/kit/clock";
import { recordRound } from "../../src/oracle/prices";
import { openScheduledRounds } from "../../src/pools/flows/auctions";
import { database, type Seeded, seedKey } from "../support/harness";
import {
  accountTotals,
  agePositions,
  clockTo,
  closeOf,
  contributeUsdc,
  createPool,
  getRound,
  openRound,
  party,
  passClose,
  placeBid,
  settle,
  stubOf,
  sumByAsset,
  tfp,
  usdc,
  withoutTftPrice,
} from "./auction-support";

let admin: Seeded;

beforeAll(async () => {
  admin = await seedKey("admin");
});

async function poolWithBid(
  reference: { source: "oracle" } | { source: "fixed"; price: string },
  referenceWaitSeconds = 3_600,
) {
  const pool = await createPool(admin);
  const lp = await party("lp", usdc(10_000), 0n);
  await contributeUsdc(lp, pool.id, "10000");
  await agePositions(pool.id, 3_600_000);
  const bidder = await party("user", 0n, tfp(1_000));
  const roundId = await openRound(admin, pool.id, { reference, settlement: { referenceWaitSeconds } });
  const { response } = await placeBid(bidder, roundId, "1000", "0.06");
  expect(response.status).toBe(201);
  const accounts = [pool.usdcAccount, pool.tfpAccount, lp.usdcAccount, bidder.usdcAccount, bidder.tfpAccount];
  return { pool, lp, bidder, roundId, accounts };
}

describe("reference price from the oracle", () => {
  it("uses the TFT market price in force at the close as the reference (USDC = 1 USD)", async () => {
    // A month ahead of real time, so no price another test file records (at real time) falls
    // between this one and the close: it is the price in force at the close.
    clockTo(now() + 30 * dayMs);
    const recordedAtMs = now();
    await recordRound(
      database(),
      {
        kind: "tft",
        priceUsd: "0.1",
        quorumMet: true,
        source: "manual",
        reason: "auction reference test",
        expiresAtMs: recordedAtMs + 2 * hourMs,
        createdBy: "test_pools",
      },
      recordedAtMs,
    );
    const { roundId, bidder } = await poolWithBid({ source: "oracle" });
    await passClose(roundId);
    await settle(roundId);
    const round = await getRound(admin.key, roundId);
    // Ceiling 0.8 × 0.1 = 0.08 ≥ 0.06: the bid clears at 0.06, within the period cap (500 USDC).
    expect(round.body.result).toMatchObject({
      referencePrice: "0.1",
      clearingPrice: "0.06",
      filled: "1000.0000000",
    });
    expect((await accountTotals([bidder.usdcAccount])).get(bidder.usdcAccount)!.posted).toBe(usdc(60));
  });

  it("waits while the oracle is halted, then voids the round and releases every hold", async () => {
    await withoutTftPrice(async () => {
      const { roundId, bidder, accounts } = await poolWithBid({ source: "oracle" });
      const before = await sumByAsset(accounts);
      await passClose(roundId);
      await runDurableObjectAlarm(stubOf(roundId));
      const waiting = await getRound(admin.key, roundId);
      expect(waiting.body.state).toBe("clearing");
      expect(waiting.body.lastError).toMatch(/halted/);
      expect((await accountTotals([bidder.tfpAccount])).get(bidder.tfpAccount)!.pendingDebits).toBe(
        tfp(1_000),
      );

      // The wait (an hour after the close) is over: the round is void.
      clockTo((await closeOf(roundId)).closesAtMs + hourMs);
      await settle(roundId);
      const voided = await getRound(admin.key, roundId);
      expect(voided.body).toMatchObject({ state: "void", result: null });
      expect((await accountTotals([bidder.tfpAccount])).get(bidder.tfpAccount)).toMatchObject({
        posted: tfp(1_000),
        pendingDebits: 0n,
      });
      expect(await sumByAsset(accounts)).toEqual(before);
      const mirrored = await database().execute({
        sql: "SELECT status, accepted FROM auction_bids WHERE round_id = ?",
        args: [roundId],
      });
      expect(mirrored.rows.map((row) => [row.status, Number(row.accepted)])).toEqual([["rejected", 0]]);
    });
  });
});

describe("scheduled rounds", () => {
  it("opens one round per pool and period at the configured cadence, and none when it is 0", async () => {
    const pool = await createPool(admin);
    const nowMs = now();
    expect(await openScheduledRounds({ ...env, AUCTION_CADENCE_HOURS: "0" }, nowMs)).toEqual([]);
    const opened = await openScheduledRounds({ ...env, AUCTION_CADENCE_HOURS: "24" }, nowMs);
    const mine = await database().execute({
      sql: "SELECT id, state, closes_at, cancellation_deadline_at, created_by FROM auction_rounds WHERE pool_id = ?",
      args: [pool.id],
    });
    expect(mine.rows).toHaveLength(1);
    const row = mine.rows[0]!;
    expect(opened).toContain(String(row.id));
    expect([row.state, Number(row.closes_at), Number(row.cancellation_deadline_at), row.created_by]).toEqual([
      "open",
      nowMs + 86_400_000,
      nowMs + 86_400_000 - 3_600_000,
      "cron",
    ]);
    // Again in the same period: the pool has an unsettled round, nothing new.
    expect(await openScheduledRounds({ ...env, AUCTION_CADENCE_HOURS: "24" }, nowMs + 1_000)).not.toContain(
      String(row.id),
    );
    const count = await database().execute({
      sql: "SELECT count(*) AS n FROM auction_rounds WHERE pool_id = ?",
      args: [pool.id],
    });
    expect(Number(count.rows[0]!.n)).toBe(1);
  });
});
