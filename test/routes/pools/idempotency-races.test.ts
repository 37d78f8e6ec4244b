// Proves that racing requests sharing one Idempotency-Key on the pool and auction routes that move value (positions, bids, rounds) answer 201 only with what each caller sent (the first request's result, replayed) and 409 IDEMPOTENCY_CONFLICT to any caller whose body differs, with the value moved exactly once and the ledger audit balanced.

import { beforeAll, describe, expect, it } from "vitest";
import { now } from "../../../src/kit/clock";
import { audit } from "../../../src/ledger/accounts";
import {
  accountTotals,
  contributeUsdc,
  createPool,
  key,
  openRound,
  party,
  placeBid,
  tfp,
  usdc,
} from "../../durable/auction-support";
import { call, database, expectAuditClean, fundedAccount, type Seeded, seedKey } from "../../support/harness";

/** Requests fired at once with one key: enough for several to pass the idempotency check together. */
const racersCount = 32;

type Problem = { code?: string };

let admin: Seeded;

beforeAll(async () => {
  admin = await seedKey("admin");
});

/**
 * Removes the middleware's stored response for a key, so the next request reaches the effect as a
 * racing request does (it passed the stored-response check before the first response was stored).
 */
async function forgetStoredResponse(ownerId: string, idempotencyKey: string): Promise<void> {
  await database().execute({
    sql: "DELETE FROM idempotency_records WHERE owner_id = ? AND key = ?",
    args: [ownerId, idempotencyKey],
  });
}

/** Every response is a 201 that describes what its own caller sent, or a 409 IDEMPOTENCY_CONFLICT. */
function expectOwnAnswers<T>(
  responses: readonly { status: number; body: T & Problem }[],
  sent: readonly string[],
  shown: (body: T) => string,
): string {
  const created = new Set<string>();
  responses.forEach((response, index) => {
    if (response.status === 201) {
      expect(shown(response.body), `request ${index}`).toBe(sent[index]);
      created.add(sent[index]!);
    } else {
      expect([response.status, response.body.code], `request ${index}`).toEqual([
        409,
        "IDEMPOTENCY_CONFLICT",
      ]);
    }
  });
  // One body won: every 201 describes it, every other body was refused.
  expect(created.size).toBe(1);
  return [...created][0]!;
}

describe("one Idempotency-Key, two bodies, in parallel", () => {
  it("positions: each 201 shows the caller's own amount, the others get 409, the money moves once", async () => {
    const pool = await createPool(admin, "idempotency race pool");
    const lp = await party("lp", usdc(10_000), 0n);
    const idempotencyKey = key("race");
    const amounts = Array.from({ length: racersCount }, (_, index) => (index % 2 === 0 ? "100" : "250"));
    const responses = await Promise.all(
      amounts.map((amount) =>
        call<{ id: string; amount: string } & Problem>("POST", `/v1/pools/${pool.id}/positions`, {
          key: lp.key,
          headers: { "idempotency-key": idempotencyKey },
          body: { asset: "USDC", amount, accountId: lp.usdcAccount },
        }),
      ),
    );
    const won = expectOwnAnswers(
      responses,
      amounts.map((amount) => `${amount}.000000`),
      (body) => body.amount,
    );

    const moved = usdc(won.replace(".000000", ""));
    const totals = await accountTotals([lp.usdcAccount, pool.usdcAccount]);
    expect(totals.get(lp.usdcAccount)!.posted).toBe(usdc(10_000) - moved);
    expect(totals.get(pool.usdcAccount)!.posted).toBe(moved);
    const positions = await database().execute({
      sql: "SELECT count(*) AS n FROM pool_positions WHERE pool_id = ?",
      args: [pool.id],
    });
    expect(Number(positions.rows[0]!.n)).toBe(1);
    expect((await audit(database())).balanced).toBe(true);
    await expectAuditClean();
  });

  it("positions: a loser that finds the winner's position already written gets 409, not the winner's body", async () => {
    // The race, one step at a time: the winner wrote its position and the loser passed the
    // middleware's stored-response check before the winner's response was stored (removed here).
    const pool = await createPool(admin, "idempotency step pool");
    const lp = await party("lp", usdc(1_000), 0n);
    const idempotencyKey = key("step");
    const send = (amount: string) =>
      call<{ amount: string } & Problem>("POST", `/v1/pools/${pool.id}/positions`, {
        key: lp.key,
        headers: { "idempotency-key": idempotencyKey },
        body: { asset: "USDC", amount, accountId: lp.usdcAccount },
      });
    expect((await send("100")).status).toBe(201);
    await forgetStoredResponse(lp.ownerId, idempotencyKey);
    const loser = await send("250");
    expect([loser.status, loser.body.code]).toEqual([409, "IDEMPOTENCY_CONFLICT"]);
    await forgetStoredResponse(lp.ownerId, idempotencyKey);
    const replay = await send("100");
    expect([replay.status, replay.body.amount]).toEqual([201, "100.000000"]);
    const totals = await accountTotals([lp.usdcAccount]);
    expect(totals.get(lp.usdcAccount)!.posted).toBe(usdc(900));
    await expectAuditClean();
  });

  it("positions: the same amount to another reward account is another body: 409", async () => {
    const pool = await createPool(admin, "idempotency reward pool");
    const lp = await party("lp", usdc(1_000), 0n);
    const otherRewardAccount = await fundedAccount(lp.ownerId, "USDC", 0n, "lp");
    const idempotencyKey = key("reward");
    const first = await call<{ rewardAccountId: string }>("POST", `/v1/pools/${pool.id}/positions`, {
      key: lp.key,
      headers: { "idempotency-key": idempotencyKey },
      body: { asset: "USDC", amount: "10", accountId: lp.usdcAccount, rewardAccountId: lp.usdcAccount },
    });
    expect(first.status).toBe(201);
    await forgetStoredResponse(lp.ownerId, idempotencyKey);
    const second = await call<Problem>("POST", `/v1/pools/${pool.id}/positions`, {
      key: lp.key,
      headers: { "idempotency-key": idempotencyKey },
      body: { asset: "USDC", amount: "10", accountId: lp.usdcAccount, rewardAccountId: otherRewardAccount },
    });
    expect([second.status, second.body.code]).toEqual([409, "IDEMPOTENCY_CONFLICT"]);
    await expectAuditClean();
  });

  it("bids: each 201 shows the caller's own amount, the others get 409, one hold", async () => {
    const pool = await createPool(admin, "idempotency bid pool");
    const lp = await party("lp", usdc(10_000), 0n);
    await contributeUsdc(lp, pool.id, "10000");
    const roundId = await openRound(admin, pool.id);
    const bidder = await party("user", 0n, tfp(10_000));
    const idempotencyKey = key("bidrace");
    const amounts = Array.from({ length: racersCount }, (_, index) => (index % 2 === 0 ? "100" : "250"));
    const attempts = await Promise.all(
      amounts.map((amount) => placeBid(bidder, roundId, amount, "0.03", idempotencyKey)),
    );
    const responses = attempts.map((attempt) => attempt.response as typeof attempt.response & Problem);
    const won = expectOwnAnswers(
      responses.map((response) => ({
        status: response.status,
        body: response.body as { amount?: string } & Problem,
      })),
      amounts.map((amount) => `${amount}.0000000`),
      (body) => body.amount ?? "",
    );
    const totals = await accountTotals([bidder.tfpAccount]);
    expect(totals.get(bidder.tfpAccount)!.pendingDebits).toBe(tfp(won.replace(".0000000", "")));
    expect((await audit(database())).balanced).toBe(true);
    await expectAuditClean();
  });

  it("bids: the same key in another round is another request: 409 IDEMPOTENCY_CONFLICT, nothing held", async () => {
    const pools = [
      await createPool(admin, "idempotency pool A"),
      await createPool(admin, "idempotency pool B"),
    ];
    const rounds = [await openRound(admin, pools[0]!.id), await openRound(admin, pools[1]!.id)];
    const bidder = await party("user", 0n, tfp(1_000));
    const idempotencyKey = key("tworounds");
    const first = await placeBid(bidder, rounds[0]!, "100", "0.03", idempotencyKey);
    expect(first.response.status).toBe(201);
    await forgetStoredResponse(bidder.ownerId, idempotencyKey);
    const second = await placeBid(bidder, rounds[1]!, "100", "0.03", idempotencyKey);
    const problem = second.response.body as unknown as Problem;
    expect([second.response.status, problem.code]).toEqual([409, "IDEMPOTENCY_CONFLICT"]);
    const totals = await accountTotals([bidder.tfpAccount]);
    expect(totals.get(bidder.tfpAccount)!.pendingDebits).toBe(tfp(100));
    await expectAuditClean();
  });

  it("rounds: each 201 shows the caller's own close, the others get 409, one round", async () => {
    const pool = await createPool(admin, "idempotency round pool");
    const idempotencyKey = key("roundrace");
    const nowMs = now();
    const closes = Array.from({ length: racersCount }, (_, index) =>
      new Date(nowMs + (index % 2 === 0 ? 3_600_000 : 7_200_000)).toISOString(),
    );
    const responses = await Promise.all(
      closes.map((closesAt) =>
        call<{ closesAt: string } & Problem>("POST", "/v1/auctions", {
          key: admin.key,
          headers: { "idempotency-key": idempotencyKey },
          body: { poolId: pool.id, closesAt, reference: { source: "fixed", price: "0.05" } },
        }),
      ),
    );
    const won = expectOwnAnswers(responses, closes, (body) => body.closesAt);
    const rounds = await database().execute({
      sql: "SELECT count(*) AS n FROM auction_rounds WHERE pool_id = ?",
      args: [pool.id],
    });
    expect(Number(rounds.rows[0]!.n)).toBe(1);

    // The same steps one at a time: a request that finds the round already open compares bodies.
    await forgetStoredResponse(admin.ownerId, idempotencyKey);
    const body = { poolId: pool.id, reference: { source: "fixed", price: "0.05" } };
    const other = closes.find((closesAt) => closesAt !== won)!;
    const loser = await call<Problem>("POST", "/v1/auctions", {
      key: admin.key,
      headers: { "idempotency-key": idempotencyKey },
      body: { ...body, closesAt: other },
    });
    expect([loser.status, loser.body.code]).toEqual([409, "IDEMPOTENCY_CONFLICT"]);
    const replay = await call<{ closesAt: string }>("POST", "/v1/auctions", {
      key: admin.key,
      headers: { "idempotency-key": idempotencyKey },
      body: { ...body, closesAt: won },
    });
    expect([replay.status, replay.body.closesAt]).toEqual([201, won]);
    await expectAuditClean();
  });
});
