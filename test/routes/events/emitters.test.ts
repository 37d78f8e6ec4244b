// Proves that money effects write their events in their own batch, once however often the effect is delivered: a card payment's mint (payment.minted) and refund (payment.refunded) for the paying account's owner, a withdrawal's payment (withdrawal.paid) and failure (withdrawal.failed), with amounts as decimal strings.
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { call, fundedAccount, type Seeded, seedKey } from "../../support/harness";
import {
  bridgeEvent,
  checkoutSession,
  deliverBridge,
  deliverStripe,
  refundedCharge,
  resetPrices,
  setPrices,
  stripeEvent,
  uniqueId,
} from "../credits/support";

type EventBody = { type: string; ownerId: string; subjectId: string; data: Record<string, unknown> };

async function eventsOf(owner: Seeded, types: string): Promise<EventBody[]> {
  const response = await call<{ data: EventBody[] }>("GET", `/v1/events?type=${types}`, { key: owner.key });
  expect(response.status).toBe(200);
  return response.body.data;
}

describe("money events", () => {
  beforeEach(async () => {
    await setPrices({ gold: "128", tft: "0.10" });
  });
  afterAll(async () => {
    await resetPrices();
  });

  it("a card payment's mint and refund, once each", async () => {
    const user = await seedKey("user");
    const account = await fundedAccount(user.ownerId, "CC", 0n, "user");
    const quote = await call<{ id: string }>("POST", "/v1/credits/checkout", {
      key: user.key,
      body: { accountId: account, amountUsd: "25.00" },
    });
    expect(quote.status).toBe(201);
    const paymentIntent = uniqueId("pi");
    const completed = stripeEvent(
      "checkout.session.completed",
      checkoutSession({ paymentIntent, quoteId: quote.body.id, amountCents: 2500 }),
    );
    expect((await deliverStripe(completed)).status).toBe(200);
    expect((await deliverStripe(completed)).status).toBe(200);
    const minted = await eventsOf(user, "payment.minted");
    expect(minted).toHaveLength(1);
    expect(minted[0]).toMatchObject({
      ownerId: user.ownerId,
      subjectId: paymentIntent,
      data: { paymentId: paymentIntent, accountId: account, paidUsd: "25.00", mintedCc: "195.312500" },
    });

    const refund = stripeEvent(
      "charge.refunded",
      refundedCharge({ paymentIntent, amountCents: 2500, amountRefundedCents: 1000 }),
    );
    expect((await deliverStripe(refund)).status).toBe(200);
    expect((await deliverStripe(refund)).status).toBe(200);
    const refunded = await eventsOf(user, "payment.refunded");
    expect(refunded).toHaveLength(1);
    expect(refunded[0]!.data).toMatchObject({
      paymentId: paymentIntent,
      cause: "refund",
      reversedUsd: "10.00",
    });
  });

  it("a withdrawal's payment and another's failure, once each", async () => {
    const user = await seedKey("user");
    const tfpAccount = await fundedAccount(user.ownerId, "TFP", 0n, "user");
    const deposit = bridgeEvent("deposit.confirmed", {
      depositId: uniqueId("dep"),
      accountId: tfpAccount,
      amount: "100",
      txHash: uniqueId("tx"),
    });
    expect((await deliverBridge(deposit)).status).toBe(200);
    const withdraw = async () => {
      const response = await call<{ id: string; amountTft: string }>("POST", "/v1/withdrawals", {
        key: user.key,
        headers: { "idempotency-key": uniqueId("wdr") },
        body: { accountId: tfpAccount, amount: "5", destination: `G${"A".repeat(55)}` },
      });
      expect(response.status, JSON.stringify(response.body)).toBe(201);
      return response.body;
    };
    const first = await withdraw();
    const paid = bridgeEvent("withdrawal.paid", {
      withdrawalId: first.id,
      amount: first.amountTft,
      txHash: `tx_${first.id}`,
    });
    expect((await deliverBridge(paid)).status).toBe(200);
    expect((await deliverBridge(paid)).status).toBe(200);
    const second = await withdraw();
    const failed = bridgeEvent("withdrawal.failed", { withdrawalId: second.id, reason: "no trustline" });
    expect((await deliverBridge(failed)).status).toBe(200);
    const events = await eventsOf(user, "withdrawal.paid,withdrawal.failed");
    expect(events.map((event) => [event.type, event.subjectId])).toEqual([
      ["withdrawal.paid", first.id],
      ["withdrawal.failed", second.id],
    ]);
    expect(events[0]!.data).toMatchObject({ amountTft: first.amountTft, txHash: `tx_${first.id}` });
    expect(events[1]!.data).toMatchObject({ reason: "no trustline" });
  });
});
