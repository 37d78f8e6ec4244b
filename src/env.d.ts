/** Bindings and variables of the Worker (see wrangler.toml and README "Configuration"). */
declare namespace Cloudflare {
  interface Env {
    LIBSQL_URL: string;
    LIBSQL_AUTH_TOKEN?: string;
    ENVIRONMENT: string;
    /** Hours between automatic exit rounds per pool; "0" = off (see wrangler.toml). */
    AUCTION_CADENCE_HOURS?: string;
    NODE_BOOK: DurableObjectNamespace<import("./durable/node-bid-book").NodeBidBook>;
    AUCTION_ROUND: DurableObjectNamespace<import("./durable/auction-round").AuctionRound>;
  }
}
interface Env extends Cloudflare.Env {}
