/**
 * The Worker entry: the Hono app's fetch, the scheduled handler, and the Durable Object classes.
 */
import { buildApp } from "./app";
import { now } from "./kit/clock";
import { runScheduled } from "./scheduled";

export { NodeBidBook } from "./market/object/node-bid-book";
export { AuctionRound } from "./pools/object/auction-round";

const app = buildApp();

export default {
  fetch: app.fetch,
  // The cron (wrangler.toml [triggers]): the steps listed in src/scheduled.ts `scheduledSteps`.
  async scheduled(_controller, env) {
    await runScheduled(env, now());
  },
} satisfies ExportedHandler<Env>;
