// Proves what `npm run webhook` sends (tools/webhook/events.ts): the command line is read into one
// delivery with the fields each event needs (and refused, naming what is missing, otherwise); the
// bodies are what the service parses; and the signatures are accepted by the very verifiers the
// Worker runs (the `stripe` library's for Stripe, src/credits/bridge.ts for the bridge).
import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { signBridgePayload, verifyBridgeSignature } from "../../src/credits/bridge.ts";
import { verifyStripeEvent } from "../../src/credits/stripe.ts";
import {
  bridgeEventBody,
  parseWebhookCommand,
  stripeEventBody,
  usdCents,
} from "../../tools/webhook/events.ts";

const nowSeconds = 1_800_000_000;

describe("npm run webhook", () => {
  it("builds a checkout.session.completed citing the quote, signed as Stripe signs", async () => {
    const command = parseWebhookCommand([
      "stripe",
      "checkout.session.completed",
      "--quote",
      "chk_abc",
      "--amount",
      "25.5",
      "--id",
      "evt_fixed",
    ]);
    expect(command).toMatchObject({
      provider: "stripe",
      quoteId: "chk_abc",
      amountUsd: "25.5",
      eventId: "evt_fixed",
    });
    if (command.provider !== "stripe") throw new Error("not stripe");
    const payload = stripeEventBody(command, "25.5", nowSeconds);
    const secret = "whsec_helper_test";
    const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp: nowSeconds });
    const verified = await verifyStripeEvent(payload, signature, [secret], nowSeconds * 1000);
    expect(verified.ok).toBe(true);
    expect(verified.ok && verified.value).toMatchObject({
      id: "evt_fixed",
      type: "checkout.session.completed",
      created: nowSeconds,
      data: {
        object: {
          amount_total: 2550,
          currency: "usd",
          client_reference_id: "chk_abc",
          metadata: { cc_quote_id: "chk_abc" },
          payment_intent: command.paymentIntentId,
          payment_status: "paid",
        },
      },
    });
    expect((await verifyStripeEvent(payload, signature, ["whsec_other"], nowSeconds * 1000)).ok).toBe(false);
  });

  it("builds a bridge deposit signed with the bridge's scheme", async () => {
    const command = parseWebhookCommand([
      "bridge",
      "deposit",
      "--account",
      "acc_demo_alice_tfp",
      "--amount",
      "100",
    ]);
    if (command.provider !== "bridge") throw new Error("not bridge");
    const payload = bridgeEventBody(command, nowSeconds);
    expect(JSON.parse(payload)).toEqual({
      id: command.eventId,
      type: "deposit.confirmed",
      created: nowSeconds,
      data: {
        depositId: command.depositId,
        accountId: "acc_demo_alice_tfp",
        amount: "100",
        txHash: command.txHash,
      },
    });
    const header = await signBridgePayload(payload, "bridge_secret", nowSeconds);
    expect((await verifyBridgeSignature(payload, header, ["bridge_secret"], nowSeconds * 1000)).ok).toBe(
      true,
    );
    const failed = parseWebhookCommand(["bridge", "withdrawal.failed", "--withdrawal", "wdr_1"]);
    if (failed.provider !== "bridge") throw new Error("not bridge");
    expect(JSON.parse(bridgeEventBody(failed, nowSeconds))).toMatchObject({
      type: "withdrawal.failed",
      data: { withdrawalId: "wdr_1", reason: expect.any(String) },
    });
  });

  it("refuses a command that lacks what its event needs, saying what", () => {
    const refusals: [string[], string][] = [
      [["stripe", "checkout.session.completed"], "--quote"],
      [["stripe", "charge.refunded", "--payment-intent", "pi_1"], "--amount"],
      [["stripe", "invoice.paid", "--quote", "chk_1"], "stripe events"],
      [["stripe", "payment_intent.succeeded", "--quote", "chk_1", "--amount", "ten"], "decimal"],
      [["bridge", "deposit", "--account", "acc_x"], "--amount"],
      [["bridge", "withdrawal.paid", "--withdrawal", "wdr_1"], "--amount"],
      [["bridge", "deposit", "--account", "acc_x", "--amount", "1", "--colour", "red"], "unknown option"],
      [["paypal", "x"], "stripe or bridge"],
    ];
    for (const [argv, message] of refusals) expect(() => parseWebhookCommand(argv)).toThrow(message);
    expect(usdCents("0.5")).toBe(50);
    expect(usdCents("100000")).toBe(10_000_000);
    expect(() => usdCents("1.001")).toThrow("2 decimals");
  });
});
