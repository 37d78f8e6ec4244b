// Proves that POST /v1/auctions/simulate clears given bids with given parameters exactly as a real round does (same shape and numbers, partial and whole-bid modes, ceiling, cap from the pool's figures) without writing anything, and names the field of every bad input.
import { beforeAll, describe, expect, it } from "vitest";
import {
  agePositions,
  areaCounts,
  contributeUsdc,
  createPool,
  getRound,
  openRound,
  party,
  passClose,
  placeBid,
  settle,
  tfp,
  usdc,
} from "../../durable/auction-support";
import { call, type Seeded, seedKey } from "../../support/harness";

type Result = {
  mode: string;
  clearingPrice: string | null;
  filled: string;
  payoutTotal: string;
  priceCeiling: string | null;
  cap: { amount: string; binding: string };
  margin: { created: string; distributed: string; undistributed: string; credits: unknown[] };
  bids: {
    id: string;
    status: string;
    accepted: string;
    remainder: string;
    payout: string;
    reason: string | null;
  }[];
  supplyCurve: { price: string; cumulative: string }[];
};
type Problem = { code: string; errors?: { field: string }[] };

let caller: Seeded;

beforeAll(async () => {
  caller = await seedKey("farmer");
});

/** ECONOMICS §8.7: P (300 @ 0.070), Q (400 @ 0.075), R (500 @ 0.080), S (200 @ 0.085), cap 1,000. */
const example = [
  { id: "P", amount: "300", minPrice: "0.070" },
  { id: "Q", amount: "400", minPrice: "0.075" },
  { id: "R", amount: "500", minPrice: "0.080" },
  { id: "S", amount: "200", minPrice: "0.085" },
];

async function simulate(body: unknown) {
  return call<Result & Problem>("POST", "/v1/auctions/simulate", { key: caller.key, body });
}

describe("simulate", () => {
  it("reproduces the spec's example with partial fill, moving nothing", async () => {
    const before = await areaCounts();
    const response = await simulate({ bids: example, cap: "1000", priceCeiling: null });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      mode: "partialFill",
      clearingPrice: "0.08",
      filled: "1000.0000000",
      payoutTotal: "80.000000",
      priceCeiling: null,
      cap: { amount: "1000.0000000", binding: "given" },
    });
    expect(response.body.bids.map((bid) => [bid.id, bid.status, bid.accepted, bid.remainder])).toEqual([
      ["P", "filled", "300.0000000", "0.0000000"],
      ["Q", "filled", "400.0000000", "0.0000000"],
      ["R", "partial", "300.0000000", "200.0000000"],
      ["S", "rejected", "0.0000000", "200.0000000"],
    ]);
    expect(response.body.supplyCurve).toEqual([
      { price: "0.07", cumulative: "300.0000000" },
      { price: "0.075", cumulative: "700.0000000" },
      { price: "0.08", cumulative: "1200.0000000" },
      { price: "0.085", cumulative: "1400.0000000" },
    ]);
    expect(await areaCounts()).toEqual(before);
  });

  it("reproduces the spec's example in whole-bid mode", async () => {
    const response = await simulate({
      bids: example,
      cap: "1000",
      priceCeiling: null,
      rules: { allowPartialFill: false },
    });
    expect(response.body).toMatchObject({ mode: "wholeBid", clearingPrice: "0.075", filled: "700.0000000" });
    expect(response.body.bids.map((bid) => bid.status)).toEqual(["filled", "filled", "rejected", "rejected"]);
  });

  it("applies the 20 % discount to a reference price and reports the margin", async () => {
    const response = await simulate({ bids: example, cap: "1000", referencePrice: "0.1" });
    // Ceiling 0.08: S is ineligible; margin 1,000 × (0.1 − 0.08) = 20 USDC, no positions → kept.
    expect(response.body).toMatchObject({
      priceCeiling: "0.08",
      clearingPrice: "0.08",
      margin: { created: "20.000000", distributed: "0.000000", undistributed: "20.000000", credits: [] },
    });
    expect(response.body.bids[3]).toMatchObject({ status: "ineligible", reason: "priceAboveCeiling" });
  });

  it("computes the cap from the pool's figures with the rules (period 5 %, lifetime 50 %)", async () => {
    const period = await simulate({
      bids: [{ amount: "100000", minPrice: "0.04" }],
      referencePrice: "0.05",
      pool: { totalContributed: "40000", totalExited: "0", usdcLiquidity: "40000" },
    });
    expect(period.body.cap).toMatchObject({ amount: "50000.0000000", binding: "period" });
    const lifetime = await simulate({
      bids: [{ amount: "100000", minPrice: "0.04" }],
      referencePrice: "0.05",
      pool: { totalContributed: "40000", totalExited: "19900", usdcLiquidity: "40000" },
    });
    // 0.5 × 40,000 − 19,900 = 100 USDC at 0.04 → 2,500 TFP.
    expect(lifetime.body.cap).toMatchObject({ amount: "2500.0000000", binding: "lifetime" });
  });

  it("gives the same result as a real round with the same bids and pool", async () => {
    const admin = await seedKey("admin");
    const pool = await createPool(admin, "simulated twin");
    const lp = await party("lp", usdc(8_000), 0n);
    await contributeUsdc(lp, pool.id, "8000");
    await agePositions(pool.id, 86_400_000);
    const bidders = await Promise.all([party("user", 0n, tfp(10_000)), party("farmer", 0n, tfp(10_000))]);
    const roundId = await openRound(admin, pool.id);
    const bids = [
      { bidder: bidders[0]!, amount: "6000", minPrice: "0.035" },
      { bidder: bidders[1]!, amount: "6000", minPrice: "0.03" },
      { bidder: bidders[0]!, amount: "100", minPrice: "0.041" },
    ];
    const ids: string[] = [];
    for (const bid of bids) ids.push((await placeBid(bid.bidder, roundId, bid.amount, bid.minPrice)).bidId);
    await passClose(roundId);
    await settle(roundId);
    const real = (await getRound(caller.key, roundId)).body.result!;

    const simulated = await simulate({
      bids: bids.map((bid, index) => ({ id: ids[index], amount: bid.amount, minPrice: bid.minPrice })),
      referencePrice: "0.05",
      pool: { totalContributed: "8000", totalExited: "0", usdcLiquidity: "8000" },
    });
    expect(simulated.status).toBe(200);
    expect(Object.keys(simulated.body).sort()).toEqual(Object.keys(real).sort());
    const { margin: simulatedMargin, ...simulatedRest } = simulated.body;
    const { margin: realMargin, ...realRest } = real;
    expect(simulatedRest).toEqual(realRest);
    expect(simulatedMargin.created).toBe(realMargin.created);
    expect(realMargin.distributed).toBe(realMargin.created);
  });
});

describe("bad input names the field", () => {
  const cases: { name: string; body: unknown; field: string }[] = [
    { name: "no bids", body: { bids: [], cap: "1", referencePrice: "0.1" }, field: "bids" },
    { name: "neither cap nor pool", body: { bids: example, referencePrice: "0.1" }, field: "cap" },
    { name: "neither reference nor ceiling", body: { bids: example, cap: "1" }, field: "referencePrice" },
    {
      name: "zero reference",
      body: { bids: example, cap: "1", referencePrice: "0" },
      field: "referencePrice",
    },
    {
      name: "bad price",
      body: { bids: [{ amount: "1", minPrice: "0.1.2" }], cap: "1", referencePrice: "0.1" },
      field: "bids.0.minPrice",
    },
    {
      name: "over-precise amount",
      body: { bids: [{ amount: "1.00000001", minPrice: "0.1" }], cap: "1", referencePrice: "0.1" },
      field: "bids.0.amount",
    },
    {
      name: "duplicate id",
      body: {
        bids: [
          { id: "a", amount: "1", minPrice: "0.1" },
          { id: "a", amount: "1", minPrice: "0.1" },
        ],
        cap: "1",
        referencePrice: "0.1",
      },
      field: "bids.1.id",
    },
    {
      name: "cap with 8 decimals",
      body: { bids: example, cap: "1.00000001", referencePrice: "0.1" },
      field: "cap",
    },
    {
      name: "missing pool figure",
      body: { bids: example, pool: { totalContributed: "1", totalExited: "0" }, referencePrice: "0.1" },
      field: "pool.usdcLiquidity",
    },
    {
      name: "discount above 1",
      body: { bids: example, cap: "1", referencePrice: "0.1", rules: { minDiscount: "2" } },
      field: "rules.minDiscount",
    },
  ];

  it.each(cases)("$name → 422 naming $field", async ({ body, field }) => {
    const before = await areaCounts();
    const response = await simulate(body);
    expect(response.status).toBe(422);
    expect(response.body.code).toBe("VALIDATION_FAILED");
    expect(response.body.errors?.map((error) => error.field)).toContain(field);
    expect(await areaCounts()).toEqual(before);
  });
});
