// Proves card checkout quotes: USD priced in CC at the live peg (rounded down), valid for the
// configured time, only for the caller's own CC account of kind user (purchased CC), bounded in
// amount, refused with 503 ORACLE_HALTED while the oracle is halted, and readable by owner and admin.
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { call, fundedAccount, type Seeded, seedKey } from "../../support/harness";
import { creditCounts, resetPrices, setPrices } from "./support";

type Quote = {
  id: string;
  reference: string;
  amountCc: string;
  status: string;
  expiresAt: string;
  createdAt: string;
  stripe: unknown;
};

let user: Seeded;
let admin: Seeded;
let account: string;

beforeAll(async () => {
  user = await seedKey("user");
  admin = await seedKey("admin");
  account = await fundedAccount(user.ownerId, "CC", 0n, "user");
});

beforeEach(async () => {
  await setPrices({ gold: "131.07", tft: "0.05" }); // 1 CC = 0.13107 USD
});

async function checkout(who: Seeded, body: Record<string, unknown>) {
  return call<Quote & { code?: string }>("POST", "/v1/credits/checkout", { key: who.key, body });
}

describe("POST /v1/credits/checkout", () => {
  it("prices USD in CC at the peg, rounded down, valid for 30 minutes, with the payment reference", async () => {
    const response = await checkout(user, { accountId: account, amountUsd: "100" });
    expect(response.status).toBe(201);
    // 100 / 0.13107 = 762.9510948…, rounded down
    expect(response.body).toMatchObject({
      amountCc: "762.951094",
      status: "open",
      reference: response.body.id,
    });
    expect(response.body.stripe).toEqual({
      checkoutSession: "not_configured",
      clientReferenceId: response.body.id,
      metadata: { cc_quote_id: response.body.id },
    });
    const validMs = Date.parse(response.body.expiresAt) - Date.parse(response.body.createdAt);
    expect(validMs).toBe(30 * 60_000);
    const own = await call<Quote>("GET", `/v1/credits/checkout/${response.body.id}`, { key: user.key });
    expect(own.body).toMatchObject({ id: response.body.id, status: "open" });
    expect((await call("GET", `/v1/credits/checkout/${response.body.id}`, { key: admin.key })).status).toBe(
      200,
    );
    const stranger = await seedKey("user");
    expect(
      (await call("GET", `/v1/credits/checkout/${response.body.id}`, { key: stranger.key })).status,
    ).toBe(403);
  });

  it("credits only the caller's own CC account of kind user", async () => {
    const farmer = await seedKey("farmer");
    const farmerCc = await fundedAccount(farmer.ownerId, "CC", 0n, "farmer");
    const earned = await checkout(farmer, { accountId: farmerCc, amountUsd: "10" });
    expect(earned.status).toBe(422);
    expect(JSON.stringify(earned.body)).toContain("kind user");
    const tfp = await fundedAccount(user.ownerId, "TFP", 0n, "user");
    expect((await checkout(user, { accountId: tfp, amountUsd: "10" })).body).toMatchObject({
      code: "ASSET_MISMATCH",
    });
    expect((await checkout(farmer, { accountId: account, amountUsd: "10" })).status).toBe(403);
    expect((await checkout(user, { accountId: "acc_nobody", amountUsd: "10" })).status).toBe(404);
    expect((await checkout(admin, { accountId: account, amountUsd: "10" })).status).toBe(201);
    const oracle = await seedKey("oracle");
    expect((await checkout(oracle, { accountId: account, amountUsd: "10" })).status).toBe(403);
  });

  it("bounds the amount: 0.50 … 100000.00 USD, cents at most", async () => {
    const before = await creditCounts();
    for (const amountUsd of ["0.49", "100000.01", "10.001", "-5", "ten", "0"]) {
      const response = await checkout(user, { accountId: account, amountUsd });
      expect(response.status).toBe(422);
    }
    expect(await creditCounts()).toEqual(before);
    expect((await checkout(user, { accountId: account, amountUsd: "0.50" })).status).toBe(201);
  });

  it("is refused with 503 ORACLE_HALTED while the oracle is halted", async () => {
    await resetPrices();
    const response = await checkout(user, { accountId: account, amountUsd: "10" });
    expect(response.status).toBe(503);
    expect(response.body).toMatchObject({
      code: "ORACLE_HALTED",
      type: "urn:tfgrid-market:problem:oracle-halted",
    });
    expect(response.headers.get("content-type")).toContain("application/problem+json");
  });
});
