// Proves real card checkout: with a Stripe key configured, POST /v1/credits/checkout creates the Stripe Checkout Session through the official `stripe` library (against a local stand-in of Stripe's API that records what it is sent) with the quote's USD, reference and metadata on the session and its PaymentIntent, the configured (or default) return URLs and an Idempotency-Key derived from the quote, in at most 2 database round trips; a retry with the same Idempotency-Key answers the same quote and session without asking Stripe again, and another body under it is 409; the payment then mints once through the webhook; when Stripe refuses, fails or cannot be reached the answer is 502/503 and nothing is written; without a key the quote is answered as before, with checkoutUrl null.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildApp } from "../../../src/app";
import { databaseRoundTrips } from "../../../src/kit/db/client";
import type { RecordedStripeRequest } from "../../setup/stripe";
import { call, fundedAccount, type Seeded, seedKey } from "../../support/harness";
import {
  checkoutSession,
  creditCounts,
  deliverStripe,
  posted,
  setPrices,
  stripeEvent,
  uniqueId,
} from "./support";

type Quote = {
  id: string;
  amountUsd: string;
  amountCc: string;
  checkoutUrl: string | null;
  checkoutSessionId: string | null;
  stripe: { checkoutSession: string; clientReferenceId: string; metadata: Record<string, string> };
  code?: string;
  detail?: string;
};

const standIn = env.STRIPE_API_BASE ?? "";
const stripeKey = "sk_test_standin_key";
const app = buildApp();

let user: Seeded;
let account: string;

beforeAll(async () => {
  user = await seedKey("user");
  account = await fundedAccount(user.ownerId, "CC", 0n, "user");
  // Warm the isolate's key cache, as the round-trip budget assumes (test/routes/http/round-trips.test.ts).
  expect((await call("GET", `/v1/accounts/${account}`, { key: user.key })).status).toBe(200);
});

beforeEach(async () => {
  await setPrices({ gold: "128", tft: "0.05" }); // 1 CC = 0.128 USD
  await standInMode("ok");
});

async function standInMode(mode: "ok" | "refuse" | "fail"): Promise<void> {
  const response = await fetch(`${standIn}/__reset`, { method: "POST", body: JSON.stringify({ mode }) });
  expect(response.status).toBe(200);
}

async function stripeRequests(): Promise<RecordedStripeRequest[]> {
  return (await (await fetch(`${standIn}/__requests`)).json()) as RecordedStripeRequest[];
}

/** POST /v1/credits/checkout through the real app with `bindings` added to the test's. */
async function checkout(
  body: Record<string, unknown>,
  options: { bindings?: Record<string, string>; idempotencyKey?: string } = {},
) {
  const context = createExecutionContext();
  const before = databaseRoundTrips();
  const response = await app.fetch(
    new Request("http://market.test/v1/credits/checkout", {
      method: "POST",
      headers: {
        authorization: `Bearer ${user.key}`,
        "content-type": "application/json",
        ...(options.idempotencyKey ? { "idempotency-key": options.idempotencyKey } : {}),
      },
      body: JSON.stringify(body),
    }),
    { ...env, STRIPE_SECRET_KEY: stripeKey, ...options.bindings } as unknown as Env,
    context,
  );
  await waitOnExecutionContext(context);
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Quote,
    trips: databaseRoundTrips() - before,
  };
}

const urls = {
  CHECKOUT_SUCCESS_URL: "https://shop.example/paid?quote={QUOTE_ID}&session={CHECKOUT_SESSION_ID}",
  CHECKOUT_CANCEL_URL: "https://shop.example/cancelled?quote={QUOTE_ID}",
};

describe("POST /v1/credits/checkout with a Stripe key", () => {
  it("creates the Checkout Session with the quote's amount, reference and return URLs", async () => {
    const idempotencyKey = uniqueId("checkout");
    const response = await checkout(
      { accountId: account, amountUsd: "25.00" },
      { bindings: urls, idempotencyKey },
    );
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    expect(response.trips).toBeLessThanOrEqual(2);
    const quote = response.body;
    expect(quote).toMatchObject({ amountUsd: "25.00", amountCc: "195.312500" });
    expect(quote.checkoutSessionId).toMatch(/^cs_test_standin_/);
    expect(quote.checkoutUrl).toBe(`https://checkout.stripe.test/c/pay/${quote.checkoutSessionId}`);
    expect(quote.stripe).toEqual({
      checkoutSession: "created",
      clientReferenceId: quote.id,
      metadata: { cc_quote_id: quote.id },
    });

    const requests = await stripeRequests();
    expect(requests).toHaveLength(1);
    const [sent] = requests;
    expect(sent?.path).toBe("/v1/checkout/sessions");
    expect(sent?.headers.authorization).toBe(`Bearer ${stripeKey}`);
    expect(sent?.headers["idempotency-key"]).toBe(`cc_checkout_${quote.id}`);
    expect(sent?.headers["content-type"]).toContain("application/x-www-form-urlencoded");
    expect(sent?.form).toMatchObject({
      mode: "payment",
      client_reference_id: quote.id,
      "metadata[cc_quote_id]": quote.id,
      "metadata[cc_account_id]": account,
      "payment_intent_data[metadata][cc_quote_id]": quote.id,
      "payment_intent_data[metadata][cc_account_id]": account,
      "line_items[0][quantity]": "1",
      "line_items[0][price_data][currency]": "usd",
      "line_items[0][price_data][unit_amount]": "2500",
      "line_items[0][price_data][product_data][name]": "Cloud Credits",
      success_url: `https://shop.example/paid?quote=${quote.id}&session={CHECKOUT_SESSION_ID}`,
      cancel_url: `https://shop.example/cancelled?quote=${quote.id}`,
    });

    // The quote keeps its session: its owner reads the payment page back.
    const read = await call<Quote>("GET", `/v1/credits/checkout/${quote.id}`, { key: user.key });
    expect(read.body).toMatchObject({
      checkoutUrl: quote.checkoutUrl,
      checkoutSessionId: quote.checkoutSessionId,
    });

    // The same checkout again under the same key: the same quote and session, Stripe not asked again.
    const again = await checkout(
      { accountId: account, amountUsd: "25.00" },
      { bindings: urls, idempotencyKey },
    );
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toMatchObject({
      id: quote.id,
      checkoutUrl: quote.checkoutUrl,
      amountCc: quote.amountCc,
    });
    expect(again.trips).toBe(1);
    const counts = await creditCounts();
    const conflict = await checkout(
      { accountId: account, amountUsd: "26.00" },
      { bindings: urls, idempotencyKey },
    );
    expect(conflict.status).toBe(409);
    expect(conflict.body.code).toBe("IDEMPOTENCY_CONFLICT");
    expect(await creditCounts()).toEqual(counts);
    expect(await stripeRequests()).toHaveLength(1);

    // Stripe reports the payment: CC is minted once, at the quote.
    const before = await posted(account);
    const paid = stripeEvent(
      "checkout.session.completed",
      checkoutSession({ paymentIntent: uniqueId("pi"), quoteId: quote.id, amountCents: 2500 }),
    );
    expect((await deliverStripe(paid)).body).toMatchObject({ outcome: "minted" });
    expect((await deliverStripe(paid)).body).toMatchObject({ duplicate: true });
    expect((await posted(account)) - before).toBe(195_312_500n);
  });

  it("sends the payer back to this service's dashboard when no return URL is configured", async () => {
    const response = await checkout({ accountId: account, amountUsd: "0.50" });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    const [sent] = await stripeRequests();
    expect(sent?.form).toMatchObject({
      "line_items[0][price_data][unit_amount]": "50",
      success_url: `http://market.test/?checkout=success&quote=${response.body.id}`,
      cancel_url: `http://market.test/?checkout=cancel&quote=${response.body.id}`,
    });
    // Without an Idempotency-Key each checkout is its own quote, with its own Stripe key.
    const other = await checkout({ accountId: account, amountUsd: "0.50" });
    expect(other.body.id).not.toBe(response.body.id);
    const keys = (await stripeRequests()).map((request) => request.headers["idempotency-key"]);
    expect(keys).toEqual([`cc_checkout_${response.body.id}`, `cc_checkout_${other.body.id}`]);
  });

  it("answers 502 when Stripe refuses and writes nothing; a retry under the key then succeeds", async () => {
    await standInMode("refuse");
    const idempotencyKey = uniqueId("checkout");
    const before = await creditCounts();
    const refused = await checkout({ accountId: account, amountUsd: "10" }, { idempotencyKey });
    expect(refused.status).toBe(502);
    expect(refused.headers.get("content-type")).toContain("application/problem+json");
    expect(refused.body).toMatchObject({ code: "PAYMENT_PROVIDER_REFUSED", status: 502 });
    expect(refused.body.detail).toContain("invalid_request_error");
    expect(refused.body.detail).not.toContain("sk_test");
    expect(await creditCounts()).toEqual(before);
    expect(await stripeRequests()).toHaveLength(1);

    await standInMode("ok");
    const retried = await checkout({ accountId: account, amountUsd: "10" }, { idempotencyKey });
    expect(retried.status).toBe(201);
    expect(retried.headers.get("idempotent-replayed")).toBeNull();
    expect(retried.body.checkoutUrl).toMatch(/^https:\/\/checkout\.stripe\.test\//);
  });

  it("answers 503 with Retry-After when Stripe fails or cannot be reached, and writes nothing", async () => {
    await standInMode("fail");
    const before = await creditCounts();
    const failed = await checkout({ accountId: account, amountUsd: "10" });
    expect(failed.status).toBe(503);
    expect(failed.body.code).toBe("PAYMENT_PROVIDER_UNAVAILABLE");
    expect(failed.headers.get("retry-after")).toBe("5");
    // The library retried once, with the same Idempotency-Key.
    const keys = new Set((await stripeRequests()).map((request) => request.headers["idempotency-key"]));
    expect(keys.size).toBe(1);

    // Nothing listens on port 9 of this machine: the connection is refused.
    const unreachable = await checkout(
      { accountId: account, amountUsd: "10" },
      { bindings: { STRIPE_API_BASE: "http://127.0.0.1:9" } },
    );
    expect(unreachable.status).toBe(503);
    expect(unreachable.body.code).toBe("PAYMENT_PROVIDER_UNAVAILABLE");
    expect(await creditCounts()).toEqual(before);
  });

  it("refuses bad input before asking Stripe", async () => {
    const response = await checkout({ accountId: account, amountUsd: "0.49" });
    expect(response.status).toBe(422);
    const otherUser = await seedKey("user");
    const theirs = await fundedAccount(otherUser.ownerId, "CC", 0n, "user");
    expect((await checkout({ accountId: theirs, amountUsd: "10" })).status).toBe(403);
    const badKey = await checkout({ accountId: account, amountUsd: "10" }, { idempotencyKey: "short" });
    expect(badKey.status).toBe(422);
    expect(JSON.stringify(badKey.body)).toContain("idempotency-key");
    expect(await stripeRequests()).toHaveLength(0);
  });
});

describe("POST /v1/credits/checkout without a Stripe key", () => {
  it("answers the quote with checkoutUrl null and asks nothing of Stripe", async () => {
    const response = await call<Quote>("POST", "/v1/credits/checkout", {
      key: user.key,
      body: { accountId: account, amountUsd: "10" },
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      checkoutUrl: null,
      checkoutSessionId: null,
      stripe: { checkoutSession: "not_configured", clientReferenceId: response.body.id },
    });
    expect(await stripeRequests()).toHaveLength(0);
  });
});
