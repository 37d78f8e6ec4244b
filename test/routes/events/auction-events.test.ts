// Proves the auction event: settling an exit round writes one auction.round_settled event per bid for the bidder, in the settlement batch that pays it, with the bid's fill and payout as decimal strings; an alarm that runs again writes no second one.
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  agePositions,
  contributeUsdc,
  createPool,
  openRound,
  party,
  passClose,
  placeBid,
  settle,
  stubOf,
  tfp,
  usdc,
} from "../../durable/auction-support";
import { call, type Seeded, seedKey } from "../../support/harness";

type EventBody = { type: string; ownerId: string; subjectId: string; data: Record<string, unknown> };

async function eventsOf(owner: Seeded): Promise<EventBody[]> {
  const response = await call<{ data: EventBody[] }>("GET", "/v1/events?type=auction.round_settled", {
    key: owner.key,
  });
  expect(response.status).toBe(200);
  return response.body.data;
}

describe("auction events", () => {
  it("one round_settled event per bid for its bidder, with the fill", async () => {
    const admin = await seedKey("admin");
    const pool = await createPool(admin);
    const lp = await party("lp", usdc(40_000), 0n);
    await contributeUsdc(lp, pool.id, "40000");
    await agePositions(pool.id, 86_400_000);
    const bidder = await party("farmer", 0n, tfp(50_000));
    const other = await party("user", 0n, tfp(50_000));
    const roundId = await openRound(admin, pool.id);
    const filled = await placeBid(bidder, roundId, "20000", "0.03");
    const ineligible = await placeBid(bidder, roundId, "5000", "0.045");
    const theirs = await placeBid(other, roundId, "1000", "0.03");
    for (const { response } of [filled, ineligible, theirs]) expect(response.status).toBe(201);
    await passClose(roundId);
    await settle(roundId);
    await runDurableObjectAlarm(stubOf(roundId));

    const mine = await eventsOf(bidder);
    expect(mine.map((event) => event.subjectId).sort()).toEqual([filled.bidId, ineligible.bidId].sort());
    const byBid = new Map(mine.map((event) => [event.subjectId, event.data]));
    expect(byBid.get(filled.bidId)).toMatchObject({ roundId, status: "filled", filledTfp: "20000.0000000" });
    expect(byBid.get(filled.bidId)!.paidUsdc).toMatch(/^[1-9][0-9]*\.[0-9]{6}$/);
    expect(byBid.get(ineligible.bidId)).toMatchObject({
      status: "ineligible",
      filledTfp: "0.0000000",
      paidUsdc: "0.000000",
    });
    expect((await eventsOf(other)).map((event) => event.subjectId)).toEqual([theirs.bidId]);
  });
});
