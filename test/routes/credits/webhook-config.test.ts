// Proves that a webhook whose secret this service does not have answers 503 WEBHOOK_NOT_CONFIGURED (problem details naming the missing setting; the provider retries later) and records nothing, for Stripe and the TFT bridge, instead of a 500.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { buildApp } from "../../../src/app";
import { signBridgePayload } from "../../../src/credits/bridge";
import { bridgeEvent, bridgeSecret, creditCounts, deliverBridge, stripeEvent, uniqueId } from "./support";

const app = buildApp();

/** Delivers `payload` to `path` through the real app with the given secrets removed from the bindings. */
async function deliverWithout(
  path: string,
  payload: string,
  headers: Record<string, string>,
  unset: string[],
) {
  const bindings: Record<string, unknown> = { ...env };
  for (const name of unset) delete bindings[name];
  const context = createExecutionContext();
  const response = await app.fetch(
    new Request(`http://market.test${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: payload,
    }),
    bindings as unknown as Env,
    context,
  );
  await waitOnExecutionContext(context);
  return {
    status: response.status,
    type: response.headers.get("content-type"),
    body: (await response.json()) as Record<string, unknown>,
  };
}

describe("a webhook without its secret", () => {
  it("answers 503 WEBHOOK_NOT_CONFIGURED for the bridge and records nothing", async () => {
    const payload = bridgeEvent("deposit.confirmed", {
      depositId: uniqueId("dep"),
      accountId: "acc_whatever",
      amount: "1",
      txHash: uniqueId("tx"),
    });
    const before = await creditCounts();
    const answer = await deliverWithout(
      "/v1/webhooks/tft-bridge",
      payload,
      { "x-bridge-signature": await signBridgePayload(payload, bridgeSecret, Math.floor(Date.now() / 1000)) },
      ["BRIDGE_WEBHOOK_SECRET", "BRIDGE_WEBHOOK_SECRET_PREVIOUS"],
    );
    expect(answer.status).toBe(503);
    expect(answer.type).toContain("application/problem+json");
    expect(answer.body).toMatchObject({ code: "WEBHOOK_NOT_CONFIGURED", status: 503 });
    expect(String(answer.body.detail)).toContain("BRIDGE_WEBHOOK_SECRET");
    expect(await creditCounts()).toEqual(before);
    // With the secret back (the normal bindings), the same delivery is handled.
    expect((await deliverBridge(payload)).status).not.toBe(503);
  });

  it("answers 503 WEBHOOK_NOT_CONFIGURED for Stripe and records nothing", async () => {
    const payload = stripeEvent("charge.refunded", { id: uniqueId("ch"), object: "charge" });
    const before = await creditCounts();
    const answer = await deliverWithout(
      "/v1/webhooks/stripe",
      payload,
      { "stripe-signature": `t=${Math.floor(Date.now() / 1000)},v1=${"0".repeat(64)}` },
      ["STRIPE_WEBHOOK_SECRET", "STRIPE_WEBHOOK_SECRET_PREVIOUS"],
    );
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ code: "WEBHOOK_NOT_CONFIGURED", status: 503 });
    expect(String(answer.body.detail)).toContain("STRIPE_WEBHOOK_SECRET");
    expect(await creditCounts()).toEqual(before);
  });
});
