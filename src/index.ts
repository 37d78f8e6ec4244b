/**
 * The Worker entry: the Hono app's fetch, the scheduled handler, and the Durable Object classes.
 */
import { buildApp } from "./app";

export { AuctionRound } from "./durable/auction-round";
export { NodeBidBook } from "./durable/node-bid-book";

const app = buildApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
