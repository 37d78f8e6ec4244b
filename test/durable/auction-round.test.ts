// Proves that an exit round run by its Durable Object conserves TFP and USDC end to end (balances before = after, audit balanced, margin distributed = margin created), and that alarm replays, restarts mid-settlement and replays of already-written batches never pay twice.
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { audit } from "../../src/ledger/accounts";
import type { AuctionRound } from "../../src/pools/object/auction-round";
import { RoundStorage } from "../../src/pools/object/round-storage";
import { type Seeded, seedKey } from "../support/harness";
import {
  accountTotals,
  agePositions,
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

/** A pool with two LPs (10,000 and 30,000 USDC, equally old) and three funded bidders. */
async function scenario() {
  const pool = await createPool(admin);
  const lps = await Promise.all([party("lp", usdc(10_000), 0n), party("lp", usdc(30_000), 0n)]);
  const positions = [
    await contributeUsdc(lps[0]!, pool.id, "10000"),
    await contributeUsdc(lps[1]!, pool.id, "30000"),
  ];
  await agePositions(pool.id, 86_400_000);
  const bidders: Party[] = await Promise.all([
    party("farmer", 0n, tfp(50_000)),
    party("user", 0n, tfp(50_000)),
    party("lp", 0n, tfp(50_000)),
  ]);
  const accounts = [
    pool.usdcAccount,
    pool.tfpAccount,
    ...lps.flatMap((lp) => [lp.usdcAccount, lp.tfpAccount]),
    ...bidders.flatMap((bidder) => [bidder.usdcAccount, bidder.tfpAccount]),
  ];
  return { pool, lps, positions, bidders, accounts };
}

describe("a full round", () => {
  it("clears per §8.5, settles through the ledger and conserves every asset", async () => {
    const { pool, lps, positions, bidders, accounts } = await scenario();
    // Cap: period 5 % of 40,000 USDC = 2,000 USDC at the ceiling 0.04 → 50,000 TFP; lifetime
    // 50 % of 40,000 = 20,000 USDC → 500,000 TFP; solvency 40,000 / 0.05 = 800,000 TFP. So 50,000.
    const roundId = await openRound(admin, pool.id, {
      settlement: { transfersPerBatch: 3, batchesPerAlarm: 2 },
    });
    const placed = [
      await placeBid(bidders[0]!, roundId, "20000", "0.03"),
      await placeBid(bidders[1]!, roundId, "25000", "0.035"),
      await placeBid(bidders[2]!, roundId, "10000", "0.04"), // marginal: 5,000 of 10,000
      await placeBid(bidders[0]!, roundId, "5000", "0.045"), // above the ceiling 0.04: ineligible
      await placeBid(bidders[1]!, roundId, "1000", "0.04"), // after the marginal bid: rejected
    ];
    for (const { response } of placed) expect(response.status, JSON.stringify(response.body)).toBe(201);

    // Sealed: the round shows a count, not the bids.
    const open = await getRound(admin.key, roundId);
    expect(open.body).toMatchObject({ state: "open", bidsCount: 5, result: null });
    const held = await accountTotals([bidders[0]!.tfpAccount]);
    expect(held.get(bidders[0]!.tfpAccount)!.pendingDebits).toBe(tfp(25_000));

    const before = await sumByAsset(accounts);
    const lpUsdcBefore = await accountTotals(lps.map((lp) => lp.usdcAccount));
    await passClose(roundId);
    await settle(roundId);

    const round = await getRound(admin.key, roundId);
    expect(round.body.state).toBe("settled");
    const result = round.body.result!;
    expect(result).toMatchObject({
      referencePrice: "0.05",
      clearingPrice: "0.04",
      filled: "50000.0000000",
      payoutTotal: "2000.000000",
      cap: { amount: "50000.0000000", binding: "period" },
    });
    expect(result.bids.map((bid) => [bid.status, bid.accepted])).toEqual([
      ["filled", "20000.0000000"],
      ["filled", "25000.0000000"],
      ["partial", "5000.0000000"],
      ["ineligible", "0.0000000"],
      ["rejected", "0.0000000"],
    ]);
    expect(result.supplyCurve).toEqual([
      { price: "0.03", cumulative: "20000.0000000" },
      { price: "0.035", cumulative: "45000.0000000" },
      { price: "0.04", cumulative: "56000.0000000" },
    ]);
    // Margin: 50,000 × (0.05 − 0.04) = 500 USDC, split 1 : 3 by value × time.
    expect(result.margin).toMatchObject({
      created: "500.000000",
      distributed: "500.000000",
      undistributed: "0.000000",
    });
    expect(result.margin.credits).toEqual([
      { positionId: positions[0], amount: "125.000000" },
      { positionId: positions[1], amount: "375.000000" },
    ]);

    // Conservation: the same totals per asset across every account the round touched.
    expect(await sumByAsset(accounts)).toEqual(before);
    const after = await accountTotals(accounts);
    expect(after.get(pool.tfpAccount)!.posted).toBe(tfp(50_000));
    expect(after.get(pool.usdcAccount)!.posted).toBe(usdc(40_000 - 2_000 - 500));
    expect(after.get(bidders[0]!.tfpAccount)!).toMatchObject({ posted: tfp(30_000), pendingDebits: 0n });
    expect(after.get(bidders[0]!.usdcAccount)!.posted).toBe(usdc(800));
    expect(after.get(bidders[1]!.usdcAccount)!.posted).toBe(usdc(1_000));
    expect(after.get(bidders[2]!.usdcAccount)!.posted).toBe(usdc(200));
    expect(after.get(bidders[2]!.tfpAccount)!).toMatchObject({ posted: tfp(45_000), pendingDebits: 0n });
    // Margin distributed = margin created, and it reached the LPs' USDC accounts.
    const lpGain = lps.reduce(
      (sum, lp) => sum + after.get(lp.usdcAccount)!.posted - lpUsdcBefore.get(lp.usdcAccount)!.posted,
      0n,
    );
    expect(lpGain).toBe(usdc(500));

    // The pool shows the exit and the rewards.
    const shown = await (await import("../support/harness")).call<{
      totals: Record<string, string>;
      positions: { id: string; rewards: string }[];
    }>("GET", `/v1/pools/${pool.id}`, { key: admin.key });
    expect(shown.body.totals).toMatchObject({
      contributed: "40000.000000",
      exited: "2000.000000",
      exitedTfp: "50000.0000000",
      rewardsPaid: "500.000000",
    });
    expect(shown.body.positions.map((position) => position.rewards)).toEqual(["125.000000", "375.000000"]);

    const report = await audit((await import("../support/harness")).database());
    expect(report.balanced).toBe(true);
  });
});

describe("replays and restarts", () => {
  it("an alarm that runs again after settlement changes nothing", async () => {
    const { pool, bidders, accounts } = await scenario();
    const roundId = await openRound(admin, pool.id);
    await placeBid(bidders[0]!, roundId, "1000", "0.03");
    await passClose(roundId);
    await settle(roundId);
    const before = await accountTotals(accounts);
    await runInDurableObject(stubOf(roundId), (instance: AuctionRound) => instance.alarm());
    await runInDurableObject(stubOf(roundId), (instance: AuctionRound) => instance.alarm());
    expect(await accountTotals(accounts)).toEqual(before);
    expect((await getRound(admin.key, roundId)).body.state).toBe("settled");
  });

  it("a restart mid-settlement resumes where it stopped and pays each bid once", async () => {
    const { pool, bidders, accounts } = await scenario();
    const roundId = await openRound(admin, pool.id, {
      settlement: { transfersPerBatch: 2, batchesPerAlarm: 1 },
    });
    for (const [index, bidder] of bidders.entries()) {
      expect((await placeBid(bidder, roundId, "1000", `0.0${index + 1}`)).response.status).toBe(201);
    }
    const totalsBefore = await sumByAsset(accounts);
    await passClose(roundId);
    // One alarm: clears and writes one batch (one bid: fill and payout), then stops here. The
    // plan: three bid batches of two legs, then one batch of the two positions' margin credits.
    await runInDurableObject(stubOf(roundId), async (instance: AuctionRound, state) => {
      await instance.alarm();
      await state.storage.deleteAlarm();
    });
    const partial = await stubOf(roundId).status();
    expect(
      partial.ok && [partial.value.state, partial.value.batchesDone, partial.value.batchesTotal],
    ).toEqual(["settling", 1, 4]);
    const mid = await accountTotals(bidders.map((bidder) => bidder.usdcAccount));
    // Uniform price: every accepted bid is paid the marginal 0.03; only the first is paid so far.
    expect(bidders.map((bidder) => mid.get(bidder.usdcAccount)!.posted)).toEqual([usdc(30), 0n, 0n]);

    // Restart: the new instance finds the round settling without an alarm and resumes.
    await evictDurableObject(stubOf(roundId));
    await settle(roundId);
    const after = await accountTotals(accounts);
    expect(bidders.map((bidder) => after.get(bidder.usdcAccount)!.posted)).toEqual([
      usdc(30),
      usdc(30),
      usdc(30),
    ]);
    expect(await sumByAsset(accounts)).toEqual(totalsBefore);
  });

  it("batches the ledger wrote but the object did not record are replayed as no-ops", async () => {
    const { pool, bidders, accounts } = await scenario();
    const roundId = await openRound(admin, pool.id, { settlement: { transfersPerBatch: 2 } });
    for (const bidder of bidders)
      expect((await placeBid(bidder, roundId, "2000", "0.02")).response.status).toBe(201);
    const before = await sumByAsset(accounts);
    await passClose(roundId);
    // The object stops after each ledger write, before it records the batch as done: the alarm
    // fails, and its retry (after a restart) writes the same batch again.
    const stops = vi.spyOn(RoundStorage.prototype, "markBatchDone").mockImplementation(() => {
      throw new Error("stopped before recording the batch");
    });
    try {
      await runDurableObjectAlarm(stubOf(roundId));
      await runDurableObjectAlarm(stubOf(roundId));
      expect(stops).toHaveBeenCalledTimes(2);
      const stopped = await stubOf(roundId).status();
      expect(stopped.ok && [stopped.value.state, stopped.value.batchesDone]).toEqual(["settling", 0]);
    } finally {
      stops.mockRestore();
    }
    // The holds, and the first batch the stopped runs wrote (twice the same ids: once).
    expect(await countTransfers(roundId)).toBe(bidders.length + 2);
    await evictDurableObject(stubOf(roundId));
    await settle(roundId);
    const settled = await accountTotals(accounts);
    // Each bid filled and paid once; every batch the retries replayed was answered by the ledger.
    expect(bidders.map((bidder) => settled.get(bidder.usdcAccount)!.posted)).toEqual(
      bidders.map(() => usdc(40)),
    );
    expect(await sumByAsset(accounts)).toEqual(before);
    expect((await audit((await import("../support/harness")).database())).balanced).toBe(true);
  });
});

describe("a bid's Idempotency-Key record", () => {
  it("is written with the hold: an object stopped before marking the bid held replays the truth and recovers it", async () => {
    const { pool, bidders } = await scenario();
    const roundId = await openRound(admin, pool.id);
    const bidder = bidders[0]!;
    // The object stops right after the ledger wrote the hold, its mirror row and the key's record.
    const stops = vi.spyOn(RoundStorage.prototype, "setBidStatus").mockImplementationOnce(() => {
      throw new Error("stopped before marking the bid held");
    });
    let first: Awaited<ReturnType<typeof placeBid>>;
    try {
      first = await placeBid(bidder, roundId, "2000", "0.02");
    } finally {
      stops.mockRestore();
    }
    expect(first.response.status).toBe(500);
    await evictDurableObject(stubOf(roundId));
    // The retry is answered from the record: the bid held, as the ledger holds its TFP.
    const again = await placeBid(bidder, roundId, "2000", "0.02", first.idempotencyKey);
    expect(again.response.status).toBe(201);
    expect(again.response.headers.get("idempotent-replayed")).toBe("true");
    expect(again.response.body).toMatchObject({ id: first.bidId, status: "held" });
    const { database } = await import("../support/harness");
    const hold = await database().execute({
      sql: "SELECT status FROM holds WHERE id = ?",
      args: [again.response.body.holdId],
    });
    expect(hold.rows[0]?.status).toBe("pending");
    // The object still has it placing until it recovers it (on the bid's next touch or the close).
    const recovered = await stubOf(roundId).placeBid({
      bidId: first.bidId,
      ownerId: bidder.ownerId,
      accountId: bidder.tfpAccount,
      payoutAccountId: bidder.usdcAccount,
      amountMinor: tfp(2000).toString(),
      minPrice: "0.02",
    });
    expect(recovered.ok && recovered.value.status).toBe("held");
  });
});

async function countTransfers(roundId: string): Promise<number> {
  const { database } = await import("../support/harness");
  const result = await database().execute({
    sql: "SELECT count(*) AS n FROM transfers WHERE id LIKE ?",
    args: [`${roundId}.%`],
  });
  return Number(result.rows[0]!.n);
}
