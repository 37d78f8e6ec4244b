import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/**
 * Four projects: pure domain and tool tests in plain Node (fast); route / Durable Object /
 * ledger tests inside workerd against a real local libSQL server started by the global setup; a
 * few workerd tests that need a database of their own ("fresh"); and browser end-to-end tests
 * (Node, headless Chromium via playwright-core) against the whole service started like
 * `npm run dev` by their global setup (tools/stack.ts).
 */

/** The workerd runtime of the Worker (wrangler.toml), bound to a local libSQL server its project's global setup started. */
function workerd() {
  return cloudflareTest(({ inject }) => ({
    wrangler: { configPath: "./wrangler.toml" },
    miniflare: {
      bindings: {
        LIBSQL_URL: inject("libsqlUrl"),
        ENVIRONMENT: "test",
        // Test-only webhook secrets (test/routes/credits signs with the same values).
        STRIPE_WEBHOOK_SECRET: "whsec_test_current_secret",
        BRIDGE_WEBHOOK_SECRET: "bridge_test_current_secret",
        BRIDGE_WEBHOOK_SECRET_PREVIOUS: "bridge_test_previous_secret",
        // The local stand-in of Stripe's API (test/setup/stripe.ts). No STRIPE_SECRET_KEY
        // here: checkout only quotes unless a test adds a key to the bindings it calls with.
        STRIPE_API_BASE: inject("stripeApiUrl"),
        // Webhook deliveries time out fast here: test/routes/events proves the timeout
        // against the local receiver (test/setup/webhook-receiver.ts).
        WEBHOOK_TIMEOUT_MS: "300",
        EVENTS_STREAM_POLL_MS: "50",
        WEBHOOK_RECEIVER_URL: inject("webhookReceiverUrl"),
        // The files share one database, so a sweep after one file's write would deliver what
        // another file's test drives through its own queue on its own clock: off here, and
        // test/routes/events/queue-live.test.ts turns it on for the request it proves it with.
        WEBHOOK_SWEEP_AFTER_WRITES: "off",
      },
      // The suite sends thousands of requests from one address with few keys, so the
      // production limits (wrangler.toml) are raised out of reach here; the LOW binding
      // lets test/routes/http/rate-limit.test.ts prove throttling by standing in for a
      // real one.
      ratelimits: {
        RATE_LIMIT_KEY: { namespace_id: "1101", simple: { limit: 1_000_000, period: 60 } },
        RATE_LIMIT_ANONYMOUS: { namespace_id: "1102", simple: { limit: 1_000_000, period: 60 } },
        RATE_LIMIT_FAILURES: { namespace_id: "1103", simple: { limit: 1_000_000, period: 60 } },
        RATE_LIMIT_TEST_LOW: { namespace_id: "1901", simple: { limit: 5, period: 60 } },
      },
    },
  }));
}

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          include: ["test/domain/**/*.test.ts", "test/tools/**/*.test.ts", "test/sim/**/*.test.ts"],
          environment: "node",
          testTimeout: 30_000,
        },
      },
      {
        plugins: [workerd()],
        test: {
          name: "workers",
          include: ["test/routes/**/*.test.ts", "test/durable/**/*.test.ts", "test/ledger/**/*.test.ts"],
          globalSetup: ["test/setup/libsql.ts", "test/setup/stripe.ts", "test/setup/webhook-receiver.ts"],
          // Files share one database; audits and row counts read it whole, so files run one at a time.
          fileParallelism: false,
          testTimeout: 30_000,
        },
      },
      {
        // Tests that need a database no other file wrote to (a whole-database figure, such as the
        // audit of a clean market): the same runtime, their own libSQL server.
        plugins: [workerd()],
        test: {
          name: "fresh",
          include: ["test/fresh/**/*.test.ts"],
          globalSetup: ["test/setup/libsql.ts", "test/setup/stripe.ts", "test/setup/webhook-receiver.ts"],
          fileParallelism: false,
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          globalSetup: ["test/setup/e2e.ts"],
          // One browser flow at a time against one service: the machine has 2 shared cores.
          fileParallelism: false,
          testTimeout: 30_000,
          hookTimeout: 90_000,
        },
      },
    ],
  },
});
