/**
 * The Worker entry: the Hono app's fetch, the scheduled handler, and the Durable Object classes.
 */
import { buildApp } from "./app";
import { runScheduled } from "./oracle/cron";

export { AuctionRound } from "./durable/auction-round";
export { NodeBidBook } from "./durable/node-bid-book";

const app = buildApp();

export default {
  fetch: app.fetch,
  // The cron (wrangler.toml [triggers]): the steps listed in src/oracle/cron.ts `scheduledSteps`.
  async scheduled(_controller, env) {
    await runScheduled(env, Date.now());
  },
} satisfies ExportedHandler<Env>;
