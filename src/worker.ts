/**
 * The Worker entry: the Hono app's fetch, the scheduled handler, and the Durable Object classes.
 */
import { buildApp } from "./app";
import { consumeDeadLetters, consumeDeliveries, type DeliveryMessage } from "./events/consumer";
import { now } from "./kit/clock";
import { openDatabase } from "./kit/db/client";
import { minuteCron, minuteSteps, runScheduled } from "./scheduled";

export { NodeBidBook } from "./market/object/node-bid-book";
export { AuctionRound } from "./pools/object/auction-round";

const app = buildApp();

export default {
  fetch: app.fetch,
  // The cron (wrangler.toml [triggers]): the steps listed in src/scheduled.ts `scheduledSteps`.
  // The every-minute cron runs only the webhook outbox sweep.
  async scheduled(controller, env) {
    await runScheduled(env, now(), controller.cron === minuteCron ? { steps: minuteSteps } : {});
  },
  // The webhook delivery queue and its dead-letter queue (wrangler.toml [[queues.consumers]]).
  async queue(batch, env, _context) {
    const db = openDatabase(env);
    if (batch.queue.endsWith("-dead")) await consumeDeadLetters(batch as MessageBatch<DeliveryMessage>, db);
    else await consumeDeliveries(batch as MessageBatch<DeliveryMessage>, env, db);
  },
} satisfies ExportedHandler<Env>;
