// Proves card payments mint CC exactly once from Stripe events signed by the `stripe` library itself:
// duplicates, a second event type for the same payment, forged, tampered and expired signatures,
// expired quotes (current peg), a halted oracle (503, retried later), refunds, disputes and
// out-of-order delivery, with the USD and CC legs linked and the ledger balanced throughout.
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { call, database, fundedAccount, type Seeded, seedKey } from "../../support/harness";
import {
  checkoutSession,
  creditCounts,
  deliverStripe,
  dispute,
  ledgerBalanced,
  paymentIntent,
  posted,
  refundedCharge,
  resetPrices,
  setPrices,
  stripeEvent,
  stripeSignature,
  uniqueId,
} from "./support";

type Quote = {
  id: string;
  amountCc: string;
  amountUsd: string;
  ccUsd: string;
  status: string;
  expiresAt: string;
};

let user: Seeded;
let account: string;

beforeAll(async () => {
  user = await seedKey("user");
  account = await fundedAccount(user.ownerId, "CC", 0n, "user");
});

beforeEach(async () => {
  await setPrices({ gold: "128", tft: "0.05" });
});

async function quote(amountUsd: string): Promise<Quote> {
  const response = await call<Quote>("POST", "/v1/credits/checkout", {
    key: user.key,
    body: { accountId: account, amountUsd },
  });
  expect(response.status).toBe(201);
  return response.body;
}

async function paymentRow(paymentId: string) {
  const result = await database().execute({
    sql: "SELECT * FROM card_payments WHERE id = ?",
    args: [paymentId],
  });
  return result.rows[0];
}

async function claimed(accountId: string): Promise<bigint> {
  const result = await database().execute({
    sql: "SELECT COALESCE(SUM(amount), 0) AS owed FROM credit_claims WHERE account_id = ?",
    args: [accountId],
  });
  return BigInt(result.rows[0]!.owed as bigint);
}

describe("a completed checkout", () => {
  it("mints the quoted CC and records the USD, once however often it is delivered", async () => {
    const q = await quote("25.00");
    expect(q).toMatchObject({ amountUsd: "25.00", amountCc: "195.312500", ccUsd: "0.128", status: "open" });
    const before = { cc: await posted(account), usd: await posted("acc_treasury_usd") };
    const pi = uniqueId("pi");
    const payload = stripeEvent(
      "checkout.session.completed",
      checkoutSession({ paymentIntent: pi, quoteId: q.id, amountCents: 2500 }),
    );
    const first = await deliverStripe(payload);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ outcome: "minted", duplicate: false });
    expect(await posted(account)).toBe(before.cc + 195_312_500n);
    expect(await posted("acc_treasury_usd")).toBe(before.usd + 2500n);

    for (let attempt = 0; attempt < 3; attempt++) {
      const again = await deliverStripe(payload);
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ outcome: "minted", duplicate: true });
    }
    expect(await posted(account)).toBe(before.cc + 195_312_500n);

    // The same payment announced by payment_intent.succeeded: a different event, no second mint.
    const other = await deliverStripe(
      stripeEvent("payment_intent.succeeded", paymentIntent({ id: pi, quoteId: q.id, amountCents: 2500 })),
    );
    expect(other.body).toMatchObject({ outcome: "duplicate_payment", duplicate: false });
    expect(await posted(account)).toBe(before.cc + 195_312_500n);

    const status = await call<Quote>("GET", `/v1/credits/checkout/${q.id}`, { key: user.key });
    expect(status.body).toMatchObject({ status: "paid", paymentId: pi });
    expect(await paymentRow(pi)).toMatchObject({ priced_by: "quote", cc_minted: 195_312_500n });
    expect(await ledgerBalanced()).toBe(true);
  });

  it("links the USD and the CC leg with the event's record", async () => {
    const q = await quote("10.00");
    const eventId = uniqueId("evt");
    const payload = stripeEvent(
      "checkout.session.completed",
      checkoutSession({ paymentIntent: uniqueId("pi"), quoteId: q.id, amountCents: 1000 }),
      { id: eventId },
    );
    expect((await deliverStripe(payload)).status).toBe(200);
    const legs = await database().execute({
      sql: "SELECT id, debit_account_id, credit_account_id, asset, amount, link_id FROM transfers WHERE id IN (?, ?) ORDER BY id",
      args: [`stripe_${eventId}_cc`, `stripe_${eventId}_usd`],
    });
    expect(
      legs.rows.map((row) => [row.debit_account_id, row.credit_account_id, row.asset, row.amount]),
    ).toEqual([
      ["acc_issuance_cc", account, "CC", 78_125_000n],
      ["acc_issuance_usd", "acc_treasury_usd", "USD", 1000n],
    ]);
    expect(new Set(legs.rows.map((row) => row.link_id)).size).toBe(1);
    const recorded = await database().execute({
      sql: "SELECT outcome FROM webhook_events WHERE provider = 'stripe' AND id = ?",
      args: [eventId],
    });
    expect(recorded.rows[0]?.outcome).toBe("minted");
  });
});

describe("signatures", () => {
  it("refuses forged, tampered, missing and expired signatures with a 4xx and changes nothing", async () => {
    const q = await quote("5.00");
    const payload = stripeEvent(
      "checkout.session.completed",
      checkoutSession({ paymentIntent: uniqueId("pi"), quoteId: q.id, amountCents: 500 }),
    );
    const before = await creditCounts();
    const forged = await deliverStripe(payload, { secret: "whsec_someone_else" });
    expect(forged.status).toBe(400);
    expect(forged.body).toMatchObject({ code: "SIGNATURE_INVALID" });
    const tampered = await deliverStripe(payload.replace('"amount_total":500', '"amount_total":50000'), {
      signature: await stripeSignature(payload),
    });
    expect(tampered.status).toBe(400);
    expect(tampered.body).toMatchObject({ code: "SIGNATURE_INVALID" });
    const missing = await deliverStripe(payload, { signature: null });
    expect(missing.status).toBe(400);
    const garbage = await deliverStripe(payload, { signature: "t=abc,v1=nothex" });
    expect(garbage.status).toBe(400);
    const expired = await deliverStripe(payload, { timestampSeconds: Math.floor(Date.now() / 1000) - 301 });
    expect(expired.status).toBe(400);
    expect(expired.body).toMatchObject({ code: "TIMESTAMP_OUT_OF_TOLERANCE" });
    expect(expired.headers.get("content-type")).toContain("application/problem+json");
    expect(await creditCounts()).toEqual(before);

    // The genuine delivery still works: the refusals recorded nothing.
    const genuine = await deliverStripe(payload);
    expect(genuine.body).toMatchObject({ outcome: "minted", duplicate: false });
  });
});

describe("signatures dated in the future", () => {
  it("refuses a genuine signature dated beyond the tolerance ahead of the clock (400) and mints nothing", async () => {
    const q = await quote("5.00");
    const eventId = uniqueId("evt");
    const payload = stripeEvent(
      "checkout.session.completed",
      checkoutSession({ paymentIntent: uniqueId("pi"), quoteId: q.id, amountCents: 500 }),
      { id: eventId },
    );
    const before = await creditCounts();
    const nowSeconds = Math.floor(Date.now() / 1000);
    const future = await deliverStripe(payload, { timestampSeconds: nowSeconds + 400 });
    expect(future.status).toBe(400);
    expect(future.body).toMatchObject({ code: "TIMESTAMP_OUT_OF_TOLERANCE" });
    // A fresh `t=` prepended to the captured header does not hide the signed (last) one.
    const signed = await stripeSignature(payload, { timestampSeconds: nowSeconds + 400 });
    const disguised = await deliverStripe(payload, { signature: `t=${nowSeconds},${signed}` });
    expect(disguised.status).toBe(400);
    expect(await creditCounts()).toEqual(before);
    const recorded = await database().execute({
      sql: "SELECT count(*) AS n FROM webhook_events WHERE provider = 'stripe' AND id = ?",
      args: [eventId],
    });
    expect(Number(recorded.rows[0]!.n)).toBe(0);

    // Within the tolerance ahead (a signer's clock slightly fast) it is accepted.
    const nearFuture = await deliverStripe(payload, { timestampSeconds: nowSeconds + 60 });
    expect(nearFuture.body).toMatchObject({ outcome: "minted", duplicate: false });
  });
});

describe("pricing", () => {
  it("mints at the current peg when the quote expired before the payment", async () => {
    const q = await quote("12.80");
    expect(q.amountCc).toBe("100.000000");
    await database().execute({
      sql: "UPDATE checkout_quotes SET expires_at = ? WHERE id = ?",
      args: [Date.now() - 1000, q.id],
    });
    const expired = await call<Quote>("GET", `/v1/credits/checkout/${q.id}`, { key: user.key });
    expect(expired.body.status).toBe("expired");
    await setPrices({ gold: "160", tft: "0.05" }); // 1 CC = 0.16 USD now
    const pi = uniqueId("pi");
    const before = await posted(account);
    const response = await deliverStripe(
      stripeEvent(
        "checkout.session.completed",
        checkoutSession({ paymentIntent: pi, quoteId: q.id, amountCents: 1280 }),
      ),
    );
    expect(response.body).toMatchObject({ outcome: "minted" });
    expect(await posted(account)).toBe(before + 80_000_000n); // 12.80 / 0.16
    expect(await paymentRow(pi)).toMatchObject({ priced_by: "current_peg", cc_usd: "0.16" });
  });

  it("mints at the current peg when the amount paid differs from the quote", async () => {
    const q = await quote("12.80");
    const pi = uniqueId("pi");
    const before = await posted(account);
    await deliverStripe(
      stripeEvent(
        "checkout.session.completed",
        checkoutSession({ paymentIntent: pi, quoteId: q.id, amountCents: 2560 }),
      ),
    );
    expect(await posted(account)).toBe(before + 200_000_000n);
    expect(await paymentRow(pi)).toMatchObject({ priced_by: "current_peg" });
  });

  it("refuses with 503 ORACLE_HALTED when an expired quote meets a halted oracle, and mints on redelivery", async () => {
    const q = await quote("12.80");
    await database().execute({
      sql: "UPDATE checkout_quotes SET expires_at = ? WHERE id = ?",
      args: [Date.now() - 1000, q.id],
    });
    await resetPrices();
    const payload = stripeEvent(
      "checkout.session.completed",
      checkoutSession({ paymentIntent: uniqueId("pi"), quoteId: q.id, amountCents: 1280 }),
    );
    const before = await creditCounts();
    const halted = await deliverStripe(payload);
    expect(halted.status).toBe(503);
    expect(halted.body).toMatchObject({
      code: "ORACLE_HALTED",
      type: "urn:tfgrid-market:problem:oracle-halted",
    });
    expect(await creditCounts()).toEqual(before);
    await setPrices({ gold: "128", tft: "0.05" });
    const retried = await deliverStripe(payload);
    expect(retried.body).toMatchObject({ outcome: "minted", duplicate: false });
  });

  it("honours a valid quote even while the oracle is halted (its price was fixed when quoted)", async () => {
    const q = await quote("12.80");
    await resetPrices();
    const before = await posted(account);
    const response = await deliverStripe(
      stripeEvent(
        "checkout.session.completed",
        checkoutSession({ paymentIntent: uniqueId("pi"), quoteId: q.id, amountCents: 1280 }),
      ),
    );
    expect(response.body).toMatchObject({ outcome: "minted" });
    expect(await posted(account)).toBe(before + 100_000_000n);
  });

  it("records a payment it cannot match, and events it does not handle, without moving value", async () => {
    const before = await posted("acc_treasury_usd");
    const unmatched = await deliverStripe(
      stripeEvent(
        "checkout.session.completed",
        checkoutSession({ paymentIntent: uniqueId("pi"), quoteId: "chk_doesnotexist", amountCents: 999 }),
      ),
    );
    expect(unmatched.body).toMatchObject({ outcome: "unmatched" });
    const euro = await deliverStripe(
      stripeEvent(
        "checkout.session.completed",
        checkoutSession({ paymentIntent: uniqueId("pi"), quoteId: null, amountCents: 999, currency: "eur" }),
      ),
    );
    expect(euro.body).toMatchObject({ outcome: "ignored" });
    const unpaid = await deliverStripe(
      stripeEvent(
        "checkout.session.completed",
        checkoutSession({
          paymentIntent: uniqueId("pi"),
          quoteId: null,
          amountCents: 999,
          paymentStatus: "unpaid",
        }),
      ),
    );
    expect(unpaid.body).toMatchObject({ outcome: "ignored" });
    const other = await deliverStripe(
      stripeEvent("customer.created", { id: uniqueId("cus"), object: "customer" }),
    );
    expect(other.status).toBe(200);
    expect(other.body).toMatchObject({ outcome: "ignored" });
    expect(await posted("acc_treasury_usd")).toBe(before);
  });

  it("records a payment whose quote reference holds a NUL as unmatched (200), moving no value", async () => {
    const pi = uniqueId("pi");
    const before = await posted(account);
    const response = await deliverStripe(
      stripeEvent(
        "payment_intent.succeeded",
        paymentIntent({ id: pi, quoteId: "quo_\u0000x", amountCents: 700 }),
      ),
    );
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body).toMatchObject({ outcome: "unmatched", duplicate: false });
    expect(await posted(account)).toBe(before);
  });

  it("refuses a signed event of a handled type that it cannot read (422), recording nothing", async () => {
    const before = await creditCounts();
    const response = await deliverStripe(
      stripeEvent("checkout.session.completed", { id: "cs_x", amount_total: "ten" }),
    );
    expect(response.status).toBe(422);
    expect(await creditCounts()).toEqual(before);
  });
});

describe("refunds and disputes", () => {
  async function paidPayment(amountUsd: string, cents: number) {
    const owner = await seedKey("user");
    const own = await fundedAccount(owner.ownerId, "CC", 0n, "user");
    const response = await call<Quote>("POST", "/v1/credits/checkout", {
      key: owner.key,
      body: { accountId: own, amountUsd },
    });
    const pi = uniqueId("pi");
    const delivered = await deliverStripe(
      stripeEvent(
        "checkout.session.completed",
        checkoutSession({ paymentIntent: pi, quoteId: response.body.id, amountCents: cents }),
      ),
    );
    expect(delivered.body).toMatchObject({ outcome: "minted" });
    return { account: own, pi };
  }

  it("burns the refunded share (rounded up), with cumulative refunds in any order", async () => {
    const { account: own, pi } = await paidPayment("10.00", 1000); // 78.125 CC
    const usdBefore = await posted("acc_treasury_usd");
    const burnedBefore = await posted("acc_burn_cc");
    const partial = stripeEvent(
      "charge.refunded",
      refundedCharge({ paymentIntent: pi, amountCents: 1000, amountRefundedCents: 333 }),
      { createdMs: Date.now() - 60_000 },
    );
    const full = stripeEvent(
      "charge.refunded",
      refundedCharge({ paymentIntent: pi, amountCents: 1000, amountRefundedCents: 1000 }),
    );
    expect((await deliverStripe(partial)).body).toMatchObject({ outcome: "reversed" });
    // 78.125 CC × 333 / 1000 = 26.015625 CC exactly
    expect(await posted(own)).toBe(78_125_000n - 26_015_625n);
    expect(await posted("acc_treasury_usd")).toBe(usdBefore - 333n);
    expect((await deliverStripe(full)).body).toMatchObject({ outcome: "reversed" });
    expect(await posted(own)).toBe(0n);
    // The partial refund delivered again, or late: nothing more happens.
    expect((await deliverStripe(partial)).body).toMatchObject({ duplicate: true });
    const late = stripeEvent(
      "charge.refunded",
      refundedCharge({ paymentIntent: pi, amountCents: 1000, amountRefundedCents: 500 }),
    );
    expect((await deliverStripe(late)).body).toMatchObject({ outcome: "reversed" });
    expect(await posted(own)).toBe(0n);
    expect(await posted("acc_treasury_usd")).toBe(usdBefore - 1000n);
    expect(await posted("acc_burn_cc")).toBe(burnedBefore + 78_125_000n);
    expect(await paymentRow(pi)).toMatchObject({
      usd_reversed: 1000n,
      cc_burned: 78_125_000n,
      cc_claimed: 0n,
    });
    expect(await ledgerBalanced()).toBe(true);
  });

  it("records what the account no longer holds as a claim against it", async () => {
    const { account: own, pi } = await paidPayment("10.00", 1000);
    // The user spends 70 CC of the 78.125 (a transfer to someone else).
    const elsewhere = await fundedAccount(uniqueId("usr"), "CC", 0n, "user");
    const admin = await seedKey("admin");
    const spent = await call("POST", "/v1/transfers", {
      key: admin.key,
      headers: { "idempotency-key": uniqueId("spend") },
      body: {
        transfers: [
          {
            type: "posted",
            debitAccountId: own,
            creditAccountId: elsewhere,
            asset: "CC",
            amount: "70",
            code: "spend",
          },
        ],
      },
    });
    expect(spent.status).toBe(201);
    const refund = await deliverStripe(
      stripeEvent(
        "charge.refunded",
        refundedCharge({ paymentIntent: pi, amountCents: 1000, amountRefundedCents: 1000 }),
      ),
    );
    expect(refund.body).toMatchObject({ outcome: "reversed" });
    expect(await posted(own)).toBe(0n);
    expect(await claimed(own)).toBe(70_000_000n);
    expect(await paymentRow(pi)).toMatchObject({ cc_burned: 8_125_000n, cc_claimed: 70_000_000n });
  });

  it("applies a refund that arrives before its payment when the payment arrives", async () => {
    const q = await quote("10.00");
    const pi = uniqueId("pi");
    const refund = await deliverStripe(
      stripeEvent(
        "charge.refunded",
        refundedCharge({ paymentIntent: pi, amountCents: 1000, amountRefundedCents: 400 }),
      ),
    );
    expect(refund.body).toMatchObject({ outcome: "recorded" });
    const before = await posted(account);
    const paid = await deliverStripe(
      stripeEvent(
        "checkout.session.completed",
        checkoutSession({ paymentIntent: pi, quoteId: q.id, amountCents: 1000 }),
      ),
    );
    expect(paid.body).toMatchObject({ outcome: "minted" });
    // 78.125 CC minted, 40 % (31.25 CC) burned in the same write
    expect(await posted(account)).toBe(before + 78_125_000n - 31_250_000n);
    expect(await paymentRow(pi)).toMatchObject({ usd_reversed: 400n, cc_burned: 31_250_000n });
  });

  it("takes disputed CC back, gives it back when the dispute is won, and ignores stale dispute events", async () => {
    const { account: own, pi } = await paidPayment("10.00", 1000);
    const disputeId = uniqueId("dp");
    const createdAt = Date.now() - 120_000;
    const opened = stripeEvent(
      "charge.dispute.created",
      dispute({ id: disputeId, paymentIntent: pi, amountCents: 1000, status: "needs_response" }),
      { createdMs: createdAt },
    );
    expect((await deliverStripe(opened)).body).toMatchObject({ outcome: "reversed" });
    expect(await posted(own)).toBe(0n);
    const won = stripeEvent(
      "charge.dispute.closed",
      dispute({ id: disputeId, paymentIntent: pi, amountCents: 1000, status: "won" }),
    );
    expect((await deliverStripe(won)).body).toMatchObject({ outcome: "reversed" });
    expect(await posted(own)).toBe(78_125_000n);
    // An older "under review" update delivered after the close changes nothing.
    const stale = stripeEvent(
      "charge.dispute.updated",
      dispute({ id: disputeId, paymentIntent: pi, amountCents: 1000, status: "under_review" }),
      { createdMs: createdAt + 1000 },
    );
    expect((await deliverStripe(stale)).body).toMatchObject({ outcome: "reversed" });
    expect(await posted(own)).toBe(78_125_000n);
    expect(await paymentRow(pi)).toMatchObject({ usd_reversed: 0n, cc_burned: 0n, cc_claimed: 0n });
    expect(await ledgerBalanced()).toBe(true);
  });
});
