// Proves the rate limits: past a binding's limit, refused credentials from one address (failed
// authentication, bad webhook signatures), requests without a key from one address, and requests
// with one key answer 429 RATE_LIMITED with Retry-After, while other addresses and keys are
// unaffected. The real app runs with one binding swapped for a low-limit one (5 a minute).
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { buildApp } from "../../../src/app";
import { rateLimitRetryAfterSeconds } from "../../../src/kit/http/rate-limit";
import { randomBase62 } from "../../../src/kit/ids";
import { seedKey } from "../../support/harness";

/** The limit of the test-only `RATE_LIMIT_TEST_LOW` binding (vitest.config.ts). */
const lowLimit = 5;
const lowLimiter = (env as unknown as { RATE_LIMIT_TEST_LOW: RateLimit }).RATE_LIMIT_TEST_LOW;

const app = buildApp();

/** A documentation-range address no other test uses. */
function uniqueAddress(): string {
  const group = () => Math.floor(Math.random() * 0x10000).toString(16);
  return `2001:db8::${group()}:${group()}:${group()}`;
}

async function callWith(
  binding: "RATE_LIMIT_KEY" | "RATE_LIMIT_ANONYMOUS" | "RATE_LIMIT_FAILURES",
  path: string,
  init: { method?: string; address: string; headers?: Record<string, string>; body?: string },
) {
  const context = createExecutionContext();
  const response = await app.fetch(
    new Request(`http://market.test${path}`, {
      method: init.method ?? "GET",
      headers: { "cf-connecting-ip": init.address, ...init.headers },
      ...(init.body === undefined ? {} : { body: init.body }),
    }),
    { ...env, [binding]: lowLimiter },
    context,
  );
  await waitOnExecutionContext(context);
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as { code?: string },
  };
}

function expectThrottled(response: { status: number; headers: Headers; body: { code?: string } }): void {
  expect(response.status).toBe(429);
  expect(response.body.code).toBe("RATE_LIMITED");
  expect(response.headers.get("retry-after")).toBe(String(rateLimitRetryAfterSeconds));
  expect(response.headers.get("content-type")).toContain("application/problem+json");
}

const wrongKey = () => `tfm_${randomBase62(12)}_${randomBase62(32)}`;

describe("refused credentials per address", () => {
  it("answers 429 after the limit of failed authentications, for that address only", async () => {
    const attacker = uniqueAddress();
    for (let attempt = 0; attempt < lowLimit; attempt++) {
      const response = await callWith("RATE_LIMIT_FAILURES", "/v1/ledger/supply", {
        address: attacker,
        headers: { authorization: `Bearer ${wrongKey()}` },
      });
      expect(response.status).toBe(401);
    }
    expectThrottled(
      await callWith("RATE_LIMIT_FAILURES", "/v1/ledger/supply", {
        address: attacker,
        headers: { authorization: `Bearer ${wrongKey()}` },
      }),
    );
    const other = await callWith("RATE_LIMIT_FAILURES", "/v1/ledger/supply", {
      address: uniqueAddress(),
      headers: { authorization: `Bearer ${wrongKey()}` },
    });
    expect(other.status).toBe(401);
  });

  it("answers 429 after the limit of webhook deliveries with a bad signature", async () => {
    const sender = uniqueAddress();
    const delivery = {
      method: "POST",
      address: sender,
      headers: { "content-type": "application/json", "stripe-signature": "t=1,v1=00" },
      body: JSON.stringify({ id: "evt_forged", type: "checkout.session.completed" }),
    };
    for (let attempt = 0; attempt < lowLimit; attempt++) {
      expect((await callWith("RATE_LIMIT_FAILURES", "/v1/webhooks/stripe", delivery)).status).toBe(400);
    }
    expectThrottled(await callWith("RATE_LIMIT_FAILURES", "/v1/webhooks/stripe", delivery));
  });
});

describe("requests per key", () => {
  it("answers 429 after the key's limit, while another key goes on", async () => {
    const busy = await seedKey("user");
    const calm = await seedKey("user");
    const address = uniqueAddress();
    for (let request = 0; request < lowLimit; request++) {
      const response = await callWith("RATE_LIMIT_KEY", "/v1/ledger/supply", {
        address,
        headers: { authorization: `Bearer ${busy.key}` },
      });
      expect(response.status).toBe(200);
    }
    expectThrottled(
      await callWith("RATE_LIMIT_KEY", "/v1/ledger/supply", {
        address,
        headers: { authorization: `Bearer ${busy.key}` },
      }),
    );
    const other = await callWith("RATE_LIMIT_KEY", "/v1/ledger/supply", {
      address,
      headers: { authorization: `Bearer ${calm.key}` },
    });
    expect(other.status).toBe(200);
  });
});

describe("requests without a key per address", () => {
  it("answers 429 after the address's limit; requests with a key from it are not counted", async () => {
    const visitor = uniqueAddress();
    for (let request = 0; request < lowLimit; request++) {
      expect((await callWith("RATE_LIMIT_ANONYMOUS", "/v1/health", { address: visitor })).status).toBe(200);
    }
    expectThrottled(await callWith("RATE_LIMIT_ANONYMOUS", "/v1/health", { address: visitor }));
    const user = await seedKey("user");
    const withKey = await callWith("RATE_LIMIT_ANONYMOUS", "/v1/ledger/supply", {
      address: visitor,
      headers: { authorization: `Bearer ${user.key}` },
    });
    expect(withKey.status).toBe(200);
    expect((await callWith("RATE_LIMIT_ANONYMOUS", "/v1/health", { address: uniqueAddress() })).status).toBe(
      200,
    );
  });
});
