// Proves the Stripe Checkout configuration and request of card checkout: no STRIPE_SECRET_KEY means no session (quotes only), a malformed key, API base or return URL is a deployment error (thrown, never a silent default), STRIPE_API_BASE is split into the library's protocol, host and port; and the session's parameters carry the quote's cents, its reference on the session and on the PaymentIntent, the return URLs with {QUOTE_ID} filled in and {CHECKOUT_SESSION_ID} left for Stripe, and nothing that depends on the price of the moment (so a retry sends the same parameters under the same Stripe Idempotency-Key).
import { describe, expect, it } from "vitest";
import type { CheckoutQuote } from "../../../src/credits/checkout.ts";
import { checkoutQuoteIdFor } from "../../../src/credits/checkout.ts";
import {
  checkoutSessionIdempotencyKey,
  checkoutSessionParams,
} from "../../../src/credits/checkout-session.ts";
import { stripeCheckoutConfig } from "../../../src/credits/config.ts";
import { InvariantError } from "../../../src/kit/errors.ts";

describe("stripeCheckoutConfig", () => {
  it("is off without a key, and reads the key, the API base and the return URLs", () => {
    expect(stripeCheckoutConfig({})).toBeNull();
    expect(stripeCheckoutConfig({ STRIPE_SECRET_KEY: "", STRIPE_API_BASE: "http://127.0.0.1:1" })).toBeNull();
    expect(stripeCheckoutConfig({ STRIPE_SECRET_KEY: "sk_test_abcdefgh" })).toEqual({
      secretKey: "sk_test_abcdefgh",
      api: null,
      successUrl: null,
      cancelUrl: null,
    });
    expect(
      stripeCheckoutConfig({
        STRIPE_SECRET_KEY: "rk_live_abcdefgh",
        STRIPE_API_BASE: "http://127.0.0.1:12111",
        CHECKOUT_SUCCESS_URL: "https://shop.example/ok?q={QUOTE_ID}",
        CHECKOUT_CANCEL_URL: "https://shop.example/no",
      }),
    ).toEqual({
      secretKey: "rk_live_abcdefgh",
      api: { protocol: "http", host: "127.0.0.1", port: 12111 },
      successUrl: "https://shop.example/ok?q={QUOTE_ID}",
      cancelUrl: "https://shop.example/no",
    });
    expect(
      stripeCheckoutConfig({
        STRIPE_SECRET_KEY: "sk_test_abcdefgh",
        STRIPE_API_BASE: "https://stripe.example",
      })?.api,
    ).toEqual({
      protocol: "https",
      host: "stripe.example",
      port: 443,
    });
  });

  it("throws on a malformed value, naming it", () => {
    const bad = [
      { STRIPE_SECRET_KEY: "pk_test_abcdefgh" },
      { STRIPE_SECRET_KEY: "sk_test_abcdefgh", STRIPE_API_BASE: "ftp://127.0.0.1" },
      { STRIPE_SECRET_KEY: "sk_test_abcdefgh", STRIPE_API_BASE: "http://127.0.0.1:1/v1" },
      { STRIPE_SECRET_KEY: "sk_test_abcdefgh", CHECKOUT_SUCCESS_URL: "javascript:alert(1)" },
      {
        STRIPE_SECRET_KEY: "sk_test_abcdefgh",
        CHECKOUT_CANCEL_URL: `https://x.example/${"a".repeat(2_000)}`,
      },
    ];
    for (const env of bad) {
      const name = Object.keys(env).at(-1) ?? "";
      expect(() => stripeCheckoutConfig(env)).toThrow(InvariantError);
      expect(() => stripeCheckoutConfig(env)).toThrow(name);
    }
  });
});

const quote: CheckoutQuote = {
  id: "chk_0123456789abcdef0123456789abcdef",
  ownerId: "usr_a",
  accountId: "acc_a_cc",
  usdMinor: 1_234n,
  ccMinor: 96_406_250n,
  ccUsd: "0.128",
  goldRoundId: "prc_x",
  expiresAtMs: 1_800_000_000_000,
  paymentId: null,
  createdAtMs: 1_799_998_200_000,
  checkoutSessionId: null,
  checkoutUrl: null,
};

describe("checkoutSessionParams", () => {
  it("carries the quote's cents and reference, and the return URLs", () => {
    const params = checkoutSessionParams(quote, {
      successUrl: "https://shop.example/ok?quote={QUOTE_ID}&session={CHECKOUT_SESSION_ID}",
      cancelUrl: "https://shop.example/no?quote={QUOTE_ID}",
    });
    expect(params).toMatchObject({
      mode: "payment",
      client_reference_id: quote.id,
      metadata: { cc_quote_id: quote.id, cc_account_id: "acc_a_cc" },
      payment_intent_data: { metadata: { cc_quote_id: quote.id, cc_account_id: "acc_a_cc" } },
      line_items: [{ quantity: 1, price_data: { currency: "usd", unit_amount: 1_234 } }],
      success_url: `https://shop.example/ok?quote=${quote.id}&session={CHECKOUT_SESSION_ID}`,
      cancel_url: `https://shop.example/no?quote=${quote.id}`,
    });
    // The price of the moment is not in it: a retry at another peg sends the same parameters.
    const repriced = checkoutSessionParams(
      { ...quote, ccMinor: 1n, ccUsd: "9", goldRoundId: "prc_y", createdAtMs: 0, expiresAtMs: 1 },
      {
        successUrl: "https://shop.example/ok?quote={QUOTE_ID}&session={CHECKOUT_SESSION_ID}",
        cancelUrl: "https://shop.example/no?quote={QUOTE_ID}",
      },
    );
    expect(repriced).toEqual(params);
    expect(checkoutSessionIdempotencyKey(quote.id)).toBe(`cc_checkout_${quote.id}`);
  });

  it("derives a checkout's quote id from the caller and its Idempotency-Key", () => {
    const id = checkoutQuoteIdFor("usr_a", "key-00000001");
    expect(id).toMatch(/^chk_[0-9a-f]{32}$/);
    expect(checkoutQuoteIdFor("usr_a", "key-00000001")).toBe(id);
    expect(checkoutQuoteIdFor("usr_b", "key-00000001")).not.toBe(id);
    expect(checkoutQuoteIdFor("usr_a", "key-00000002")).not.toBe(id);
  });
});
