/** Bindings and variables of the Worker (see wrangler.toml and README "Configuration"). */
declare namespace Cloudflare {
  interface Env {
    LIBSQL_URL: string;
    LIBSQL_AUTH_TOKEN?: string;
    ENVIRONMENT: string;
    /** The public base URL named first in the OpenAPI document's servers (src/kit/http/openapi.ts). */
    PUBLIC_API_URL?: string;
    /** Hours between automatic exit rounds per pool; "0" = off (see wrangler.toml). */
    AUCTION_CADENCE_HOURS?: string;
    // Capacity marketplace (src/market/config.ts): band currency, parameter overrides, lease funding.
    MARKET_BAND_CURRENCY?: string;
    MARKET_PARAMETERS?: string;
    MARKET_PREPAID_HOURS?: string;
    MARKET_TOP_UP_BELOW_HOURS?: string;
    MARKET_GRACE_HOURS?: string;
    MARKET_HEARTBEAT_TIMEOUT_HOURS?: string;
    MARKET_CHARGE_FROM?: string;
    MARKET_PROVISIONING_TIMEOUT_MINUTES?: string;
    NODE_BOOK: DurableObjectNamespace<import("./market/object/node-bid-book").NodeBidBook>;
    AUCTION_ROUND: DurableObjectNamespace<import("./pools/object/auction-round").AuctionRound>;
    // Cloud Credits (src/credits/config.ts, src/scheduled.ts): vars, then secrets.
    ORACLE_SOURCES?: string;
    ORACLE_QUORUM?: string;
    PEG_TFT_PER_CC_FIXED?: string;
    PEG_UNLOCK_THRESHOLD?: string;
    CC_TO_TFP_ENTRY_ENABLED?: string;
    CC_TO_TFP_MARKET_ENABLED?: string;
    CHECKOUT_QUOTE_TTL_SECONDS?: string;
    CONVERSION_QUOTE_TTL_SECONDS?: string;
    STRIPE_WEBHOOK_SECRET?: string;
    /** Card checkout through Stripe Checkout (src/credits/config.ts stripeCheckoutConfig): a secret. */
    STRIPE_SECRET_KEY?: string;
    /** Another address for Stripe's API (tests: a local stand-in); unset in production. */
    STRIPE_API_BASE?: string;
    CHECKOUT_SUCCESS_URL?: string;
    CHECKOUT_CANCEL_URL?: string;
    STRIPE_WEBHOOK_SECRET_PREVIOUS?: string;
    BRIDGE_WEBHOOK_SECRET?: string;
    BRIDGE_WEBHOOK_SECRET_PREVIOUS?: string;
    // Outbound webhooks (wrangler.toml [[queues.producers]], src/events/consumer.ts).
    WEBHOOK_DELIVERIES: Queue<import("./events/consumer").DeliveryMessage>;
    WEBHOOK_DEAD_LETTERS: Queue<import("./events/consumer").DeliveryMessage>;
    WEBHOOK_TIMEOUT_MS?: string;
    /** "off": webhook deliveries wait for the every-minute sweep instead of one soon after each write. */
    WEBHOOK_SWEEP_AFTER_WRITES?: string;
    /** Time between two polls of `GET /v1/events/stream`, ms (src/routes/events/stream.ts; default 2000). */
    EVENTS_STREAM_POLL_MS?: string;
    // Rate Limiting bindings (wrangler.toml [[ratelimits]], src/kit/http/rate-limit.ts); absent = no limit.
    RATE_LIMIT_KEY?: RateLimit;
    RATE_LIMIT_ANONYMOUS?: RateLimit;
    RATE_LIMIT_FAILURES?: RateLimit;
  }
}
interface Env extends Cloudflare.Env {}
