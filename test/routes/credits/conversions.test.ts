// Proves CC ↔ TFP conversions quote then execute atomically and at most once: Pool 1 at the fixed rate
// with the market floor (one-way by default), Pool 2 at the TFT market price for earned (farmer) CC
// only, each burning the input and minting the output in one linked write, rounding down for the
// holder by less than one minor unit, refused when expired, unfunded, halted or not the caller's.
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Dec } from "../../../src/ledger/core/money";
import {
  balances,
  call,
  database,
  expectAuditClean,
  fundedAccount,
  type Seeded,
  seedKey,
} from "../../support/harness";
import { creditCounts, ledgerBalanced, resetPrices, setPrices, supplyOf, uniqueId } from "./support";

type Quote = { id: string; amountIn: string; amountOut: string; status: string; code?: string };
type Conversion = {
  quote: Quote;
  transfers: { id: string; debitAccountId: string; creditAccountId: string; linkId: string }[];
};

let user: Seeded;
let farmer: Seeded;
let userTfp: string;
let userCc: string;
let farmerCc: string;
let farmerTfp: string;

beforeAll(async () => {
  user = await seedKey("user");
  farmer = await seedKey("farmer");
  userTfp = await fundedAccount(user.ownerId, "TFP", 100_000_0000000n, "user"); // 100,000 TFP
  userCc = await fundedAccount(user.ownerId, "CC", 1_000_000000n, "user"); // 1,000 CC
  farmerCc = await fundedAccount(farmer.ownerId, "CC", 10_000_000000n, "farmer"); // 10,000 CC
  farmerTfp = await fundedAccount(farmer.ownerId, "TFP", 0n, "farmer");
});

beforeEach(async () => {
  await setPrices({ gold: "128", tft: "0.05" }); // 1 CC = 0.128 USD; fixed-rate TFT price 0.064
});

async function quote(
  who: Seeded,
  body: { pool: "entry" | "market"; fromAccountId: string; toAccountId: string; amount: string },
) {
  return call<Quote>("POST", "/v1/conversions/quotes", { key: who.key, body });
}

async function execute(who: Seeded, quoteId: string, key = uniqueId("cnv-key")) {
  return call<Conversion & { code?: string }>("POST", "/v1/conversions", {
    key: who.key,
    headers: { "idempotency-key": key },
    body: { quoteId },
  });
}

describe("Pool 1 (entry)", () => {
  it("converts TFP to CC at 2 TFP per CC while TFT trades below the fixed rate, burning and minting once", async () => {
    const tfpBefore = await supplyOf("TFP");
    const ccBefore = await supplyOf("CC");
    const quoted = await quote(user, {
      pool: "entry",
      fromAccountId: userTfp,
      toAccountId: userCc,
      amount: "1000",
    });
    expect(quoted.status).toBe(201);
    expect(quoted.body).toMatchObject({ amountIn: "1000.0000000", amountOut: "500.000000", status: "open" });
    const first = await execute(user, quoted.body.id);
    expect(first.status).toBe(201);
    expect(first.body.quote.status).toBe("executed");
    const [burn, mint] = first.body.transfers;
    expect([burn?.debitAccountId, burn?.creditAccountId]).toEqual([userTfp, "acc_burn_tfp"]);
    expect([mint?.debitAccountId, mint?.creditAccountId]).toEqual(["acc_issuance_cc", userCc]);
    expect(burn?.linkId).toBe(mint?.linkId);
    expect((await supplyOf("TFP")).burnedMinor).toBe(tfpBefore.burnedMinor + 1000_0000000n);
    expect((await supplyOf("CC")).issuedMinor).toBe(ccBefore.issuedMinor + 500_000000n);

    const again = await execute(user, quoted.body.id);
    expect(again.status).toBe(200);
    expect(again.body.transfers.map((transfer) => transfer.id)).toEqual(
      first.body.transfers.map((t) => t.id),
    );
    expect((await supplyOf("CC")).issuedMinor).toBe(ccBefore.issuedMinor + 500_000000n);
    expect(await ledgerBalanced()).toBe(true);
  });

  it("values TFT at the market once it trades above the fixed rate (the floor)", async () => {
    await setPrices({ gold: "128", tft: "0.10" });
    const quoted = await quote(user, {
      pool: "entry",
      fromAccountId: userTfp,
      toAccountId: userCc,
      amount: "1000",
    });
    expect(quoted.body.amountOut).toBe("781.250000"); // 1000 × 0.10 / 0.128
  });

  it("is one-way by default and only between user accounts", async () => {
    const back = await quote(user, {
      pool: "entry",
      fromAccountId: userCc,
      toAccountId: userTfp,
      amount: "10",
    });
    expect(back.status).toBe(403);
    expect(back.body).toMatchObject({ code: "CONVERSION_DISABLED" });
    const earned = await quote(farmer, {
      pool: "entry",
      fromAccountId: farmerTfp,
      toAccountId: farmerCc,
      amount: "10",
    });
    expect(earned.status).toBe(422);
    expect(earned.body).toMatchObject({ code: "ORIGIN_NOT_CONVERTIBLE" });
  });
});

describe("Pool 2 (market)", () => {
  it("converts earned CC to TFP at the market price (500 CC at 0.128 / 0.10 → 640 TFP) and back", async () => {
    await setPrices({ gold: "128", tft: "0.10" });
    const toTfp = await quote(farmer, {
      pool: "market",
      fromAccountId: farmerCc,
      toAccountId: farmerTfp,
      amount: "500",
    });
    expect(toTfp.status).toBe(201);
    expect(toTfp.body.amountOut).toBe("640.0000000");
    expect((await execute(farmer, toTfp.body.id)).status).toBe(201);
    expect((await balances(farmerTfp)).posted).toBe(640_0000000n);
    const back = await quote(farmer, {
      pool: "market",
      fromAccountId: farmerTfp,
      toAccountId: farmerCc,
      amount: "640",
    });
    expect(back.body.amountOut).toBe("500.000000");
    expect((await execute(farmer, back.body.id)).status).toBe(201);
    expect((await balances(farmerCc)).posted).toBe(10_000_000000n);
  });

  it("refuses purchased CC (user accounts) and mixed-kind pairs", async () => {
    const purchased = await quote(user, {
      pool: "market",
      fromAccountId: userCc,
      toAccountId: userTfp,
      amount: "10",
    });
    expect(purchased.status).toBe(422);
    expect(purchased.body).toMatchObject({ code: "ORIGIN_NOT_CONVERTIBLE" });
    const mixedOwner = await fundedAccount(farmer.ownerId, "TFP", 0n, "user");
    const mixed = await quote(farmer, {
      pool: "market",
      fromAccountId: farmerCc,
      toAccountId: mixedOwner,
      amount: "10",
    });
    expect(mixed.status).toBe(422);
    expect(mixed.body).toMatchObject({ code: "ORIGIN_NOT_CONVERTIBLE" });
  });

  it("rounds down for the holder by less than one minor unit, so a round trip never gains", async () => {
    await setPrices({ gold: "128.37", tft: "0.0713" });
    const ccUsd = new Dec("128.37").div(1000);
    const cc = "123.456789";
    const toTfp = await quote(farmer, {
      pool: "market",
      fromAccountId: farmerCc,
      toAccountId: farmerTfp,
      amount: cc,
    });
    const exactTfp = new Dec(cc).mul(ccUsd).div("0.0713").mul(1e7);
    const tfpMinor = new Dec(toTfp.body.amountOut).mul(1e7);
    expect(tfpMinor.lessThanOrEqualTo(exactTfp)).toBe(true);
    expect(exactTfp.minus(tfpMinor).lessThan(1)).toBe(true);
    expect((await execute(farmer, toTfp.body.id)).status).toBe(201);
    const back = await quote(farmer, {
      pool: "market",
      fromAccountId: farmerTfp,
      toAccountId: farmerCc,
      amount: toTfp.body.amountOut,
    });
    const exactCc = new Dec(toTfp.body.amountOut).mul("0.0713").div(ccUsd).mul(1e6);
    const ccMinor = new Dec(back.body.amountOut).mul(1e6);
    expect(ccMinor.lessThanOrEqualTo(exactCc)).toBe(true);
    expect(exactCc.minus(ccMinor).lessThan(1)).toBe(true);
    expect(ccMinor.lessThanOrEqualTo(new Dec(cc).mul(1e6))).toBe(true);
  });
});

describe("refusals", () => {
  it("an expired quote is 409 QUOTE_EXPIRED and moves nothing", async () => {
    const quoted = await quote(user, {
      pool: "entry",
      fromAccountId: userTfp,
      toAccountId: userCc,
      amount: "2",
    });
    await database().execute({
      sql: "UPDATE conversion_quotes SET expires_at = ? WHERE id = ?",
      args: [Date.now() - 1, quoted.body.id],
    });
    const before = await creditCounts();
    const response = await execute(user, quoted.body.id);
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ code: "QUOTE_EXPIRED" });
    expect(await creditCounts()).toEqual(before);
  });

  it("an unfunded conversion is 422 and leaves the quote open", async () => {
    const poor = await fundedAccount(user.ownerId, "TFP", 10_0000000n, "user");
    const quoted = await quote(user, {
      pool: "entry",
      fromAccountId: poor,
      toAccountId: userCc,
      amount: "11",
    });
    expect(quoted.status).toBe(201);
    const response = await execute(user, quoted.body.id);
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ code: "INSUFFICIENT_FUNDS" });
    expect((await balances(poor)).posted).toBe(10_0000000n);
    const row = await database().execute({
      sql: "SELECT executed_at FROM conversion_quotes WHERE id = ?",
      args: [quoted.body.id],
    });
    expect(row.rows[0]?.executed_at).toBeNull();
  });

  it("a halted oracle refuses quotes and executions with 503 ORACLE_HALTED", async () => {
    const open = await quote(user, {
      pool: "entry",
      fromAccountId: userTfp,
      toAccountId: userCc,
      amount: "2",
    });
    await resetPrices();
    const quoted = await quote(user, {
      pool: "entry",
      fromAccountId: userTfp,
      toAccountId: userCc,
      amount: "2",
    });
    expect(quoted.status).toBe(503);
    expect(quoted.body).toMatchObject({
      code: "ORACLE_HALTED",
      type: "urn:tfgrid-market:problem:oracle-halted",
    });
    const executed = await execute(user, open.body.id);
    expect(executed.status).toBe(503);
  });

  it("accounts and quotes of another owner are 403; executing needs an Idempotency-Key", async () => {
    const foreign = await quote(farmer, {
      pool: "entry",
      fromAccountId: userTfp,
      toAccountId: userCc,
      amount: "2",
    });
    expect(foreign.status).toBe(403);
    const mine = await quote(user, {
      pool: "entry",
      fromAccountId: userTfp,
      toAccountId: userCc,
      amount: "2",
    });
    expect((await execute(farmer, mine.body.id)).status).toBe(403);
    const noKey = await call("POST", "/v1/conversions", { key: user.key, body: { quoteId: mine.body.id } });
    expect(noKey.status).toBe(422);
    const overPrecise = await quote(user, {
      pool: "entry",
      fromAccountId: userTfp,
      toAccountId: userCc,
      amount: "1.00000001",
    });
    expect(overPrecise.status).toBe(422);
  });

  it("concurrent executions of one quote move value once", async () => {
    const quoted = await quote(user, {
      pool: "entry",
      fromAccountId: userTfp,
      toAccountId: userCc,
      amount: "20",
    });
    const before = await balances(userCc);
    const responses = await Promise.all(Array.from({ length: 6 }, () => execute(user, quoted.body.id)));
    expect(responses.every((response) => response.status === 200 || response.status === 201)).toBe(true);
    expect((await balances(userCc)).posted).toBe(before.posted + 10_000000n);
    expect(await ledgerBalanced()).toBe(true);
    await expectAuditClean();
  });

  it("answers a retried Idempotency-Key with the first 201 from the record written with the transfers, and 409 for another quote", async () => {
    const [first, second] = await Promise.all(
      ["10", "12"].map((amount) =>
        quote(user, { pool: "entry", fromAccountId: userTfp, toAccountId: userCc, amount }),
      ),
    );
    const key = uniqueId("cnv-retry");
    const before = await balances(userCc);
    const executed = await execute(user, first!.body.id, key);
    expect(executed.status).toBe(201);
    const records = await database().execute({
      sql: "SELECT status, body FROM idempotency_records WHERE owner_id = ? AND key = ?",
      args: [user.ownerId, key],
    });
    expect(records.rows.map((row) => [Number(row.status), JSON.parse(String(row.body))])).toEqual([
      [201, executed.body],
    ]);
    const retried = await execute(user, first!.body.id, key);
    expect([retried.status, retried.body]).toEqual([201, executed.body]);
    const other = await execute(user, second!.body.id, key);
    expect([other.status, other.body.code]).toEqual([409, "IDEMPOTENCY_CONFLICT"]);
    expect((await balances(userCc)).posted).toBe(before.posted + 5_000000n);
    const untouched = await database().execute({
      sql: "SELECT executed_at FROM conversion_quotes WHERE id = ?",
      args: [second!.body.id],
    });
    expect(untouched.rows.map((row) => row.executed_at)).toEqual([null]);
  });
});
