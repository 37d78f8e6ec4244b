// Proves that an exit round's allowance bounds the USDC it pays at its clearing price (a round clearing below the ceiling buys more TFP and pays out the whole allowance), that the result, the just-opened round and the simulation show the cap in USDC and in TFP, and that the settled round conserves every asset with the margin distributed as created.

import { beforeAll, describe, expect, it } from "vitest";
import { now } from "../../src/kit/clock";
import { audit } from "../../src/ledger/accounts";
import { call, database, type Seeded, seedKey } from "../support/harness";
import {
  accountTotals,
  agePositions,
  contributeUsdc,
  createPool,
  getRound,
  key,
  party,
  passClose,
  placeBid,
  settle,
  sumByAsset,
  tfp,
  usdc,
} from "./auction-support";

type CapView = {
  unit?: string;
  amount: string | null;
  amountUsdc: string | null;
  conversionPrice: string | null;
  binding?: string;
};

let admin: Seeded;

beforeAll(async () => {
  admin = await seedKey("admin");
});

describe("the cap in two units", () => {
  it("a round clearing below the ceiling pays out its whole USDC allowance, conserving every asset", async () => {
    const pool = await createPool(admin, "cap units pool");
    const lps = await Promise.all([party("lp", usdc(10_000), 0n), party("lp", usdc(30_000), 0n)]);
    await contributeUsdc(lps[0]!, pool.id, "10000");
    await contributeUsdc(lps[1]!, pool.id, "30000");
    await agePositions(pool.id, 86_400_000);
    const bidder = await party("farmer", 0n, tfp(200_000));

    // Fixed reference 0.05: ceiling 0.04. Allowance: period 5 % of 40,000 = 2,000 USDC (lifetime
    // 20,000). A just-opened round already shows it, and its TFP at the ceiling: 50,000.
    const opened = await call<{ id: string; cap: CapView & { indicative: boolean } }>(
      "POST",
      "/v1/auctions",
      {
        key: admin.key,
        headers: { "idempotency-key": key("round") },
        body: {
          poolId: pool.id,
          closesAt: new Date(now() + 3_600_000).toISOString(),
          reference: { source: "fixed", price: "0.05" },
        },
      },
    );
    expect(opened.status, JSON.stringify(opened.body)).toBe(201);
    expect(opened.body.cap).toEqual({
      amount: "50000.0000000",
      amountUsdc: "2000.000000",
      conversionPrice: "0.04",
      referencePrice: "0.05",
      priceCeiling: "0.04",
      indicative: true,
    });
    const roundId = opened.body.id;
    const placed = await placeBid(bidder, roundId, "150000", "0.02");
    expect(placed.response.status).toBe(201);

    const accounts = [
      pool.usdcAccount,
      pool.tfpAccount,
      bidder.usdcAccount,
      bidder.tfpAccount,
      ...lps.map((lp) => lp.usdcAccount),
    ];
    const before = await sumByAsset(accounts);
    await passClose(roundId);
    await settle(roundId);

    const round = await getRound(admin.key, roundId);
    expect(round.body.state).toBe("settled");
    // At the clearing price 0.02 the 2,000 USDC buy 100,000 TFP (the TFP cap at the ceiling would
    // have stopped at 50,000 TFP and paid 1,000 USDC).
    const result = round.body.result as unknown as {
      clearingPrice: string;
      filled: string;
      payoutTotal: string;
      cap: CapView;
      margin: { created: string; distributed: string };
    };
    expect(result).toMatchObject({
      clearingPrice: "0.02",
      filled: "100000.0000000",
      payoutTotal: "2000.000000",
      cap: {
        unit: "usdcAtClearing",
        amount: "100000.0000000",
        amountUsdc: "2000.000000",
        conversionPrice: "0.02",
        binding: "period",
      },
      // 100,000 × (0.05 − 0.02) = 3,000 USDC to the LPs who stay.
      margin: { created: "3000.000000", distributed: "3000.000000" },
    });
    const shown = await call<{ cap: CapView & { indicative: boolean } }>("GET", `/v1/auctions/${roundId}`, {
      key: admin.key,
    });
    expect(shown.body.cap).toMatchObject({
      amount: "100000.0000000",
      amountUsdc: "2000.000000",
      conversionPrice: "0.02",
      indicative: false,
    });

    expect(await sumByAsset(accounts)).toEqual(before);
    const after = await accountTotals(accounts);
    expect(after.get(bidder.usdcAccount)!.posted).toBe(usdc(2_000));
    expect(after.get(bidder.tfpAccount)!).toMatchObject({ posted: tfp(100_000), pendingDebits: 0n });
    expect(after.get(pool.tfpAccount)!.posted).toBe(tfp(100_000));
    expect(after.get(pool.usdcAccount)!.posted).toBe(usdc(40_000 - 2_000 - 3_000));
    expect(after.get(lps[0]!.usdcAccount)!.posted).toBe(usdc(750));
    expect(after.get(lps[1]!.usdcAccount)!.posted).toBe(usdc(2_250));
    expect((await audit(database())).balanced).toBe(true);
  });

  it("the simulation shows issue #11 in both units, and the TFP-at-ceiling reading on request", async () => {
    const body = {
      bids: [{ amount: "10000000", minPrice: "0.05" }],
      referencePrice: "0.1",
      pool: { totalContributed: "1000000", totalExited: "450000", usdcLiquidity: "2000000" },
    };
    const simulated = await call<{ filled: string; payoutTotal: string; cap: CapView }>(
      "POST",
      "/v1/auctions/simulate",
      { key: admin.key, body },
    );
    expect(simulated.status, JSON.stringify(simulated.body)).toBe(200);
    expect(simulated.body).toMatchObject({
      filled: "1000000.0000000",
      payoutTotal: "50000.000000",
      cap: {
        unit: "usdcAtClearing",
        amount: "1000000.0000000",
        amountUsdc: "50000.000000",
        conversionPrice: "0.05",
      },
    });
    const old = await call<{ filled: string; payoutTotal: string; cap: CapView }>(
      "POST",
      "/v1/auctions/simulate",
      {
        key: admin.key,
        body: { ...body, rules: { capUnit: "tfpAtCeiling" } },
      },
    );
    expect(old.body).toMatchObject({
      filled: "625000.0000000",
      payoutTotal: "31250.000000",
      cap: {
        unit: "tfpAtCeiling",
        amount: "625000.0000000",
        amountUsdc: "50000.000000",
        conversionPrice: "0.08",
      },
    });
  });
});
