/**
 * The OpenAPI document's frame: title, servers, the bearer scheme every operation needs unless it
 * says `security: []` (public reads and signed webhooks), and the tags. The routes' own
 * `createRoute` definitions fill in the paths and schemas. The same frame is served at
 * `/openapi.json` and written to `openapi/openapi.json` by `npm run openapi` for SDK generators.
 */

/** Where `npm run dev` serves the API. */
export const localServerUrl = "http://127.0.0.1:8787";

/**
 * The production server named when `PUBLIC_API_URL` is not set: a placeholder under the reserved
 * `.example` domain, so a generated client never calls a real host by accident.
 */
export const productionServerUrlPlaceholder = "https://tfgrid-market.example";

/** The name of the bearer security scheme (API keys `tfm_<prefix>_<secret>`). */
export const apiKeySchemeName = "apiKey";

/** The security requirement of every operation that does not declare its own. */
const defaultSecurity = [{ [apiKeySchemeName]: [] }];

const tags = [
  { name: "system", description: "Liveness." },
  { name: "accounts", description: "Ledger accounts and their transfers." },
  {
    name: "keys",
    description: "API keys: the caller (`GET /v1/me`), listing, creation, rotation, revocation.",
  },
  { name: "ledger", description: "Supply, the audit and manual adjustments." },
  { name: "prices", description: "The oracle's prices and manual overrides." },
  { name: "credits", description: "Buying Cloud Credits by card." },
  { name: "conversions", description: "CC ↔ TFP conversions." },
  { name: "withdrawals", description: "TFP → TFT withdrawals and the bridge's outbox." },
  {
    name: "webhooks",
    description: "Incoming events from Stripe and the TFT bridge, authenticated by their signatures.",
  },
  {
    name: "events",
    description:
      "Your events (leases, bids, capacity requests, payments, withdrawals, auctions) and their live stream.",
  },
  {
    name: "webhook-endpoints",
    description: "Outbound webhooks: your endpoints, signed deliveries of your events, their log and replay.",
  },
  { name: "calculator", description: "Node catalogue, income calculator and projections." },
  { name: "pools", description: "Liquidity pools and positions." },
  { name: "auctions", description: "Dutch-auction exit rounds and their sealed bids." },
  {
    name: "marketplace",
    description: "Nodes, slices, leases, interruptible bids, capacity requests and bid packages.",
  },
  {
    name: "agents",
    description:
      "A node's agent: its key (role `node`), the leases it must run (`assignments`, by cursor or as a live WebSocket feed) and its reports of their state.",
  },
  {
    name: "development",
    description: "Development only (404 elsewhere): the service's clock and a node's settlement now.",
  },
];

/** The production URL to name: `PUBLIC_API_URL` when it is an absolute http(s) URL, else the placeholder. */
export function productionServerUrl(configured: string | undefined): string {
  if (configured === undefined || configured === "") return productionServerUrlPlaceholder;
  try {
    const url = new URL(configured);
    if (url.protocol !== "https:" && url.protocol !== "http:") return productionServerUrlPlaceholder;
    return url.href.replace(/\/$/, "");
  } catch {
    return productionServerUrlPlaceholder;
  }
}

/** The document's frame for `getOpenAPI31Document` / `doc31`. */
export function openApiDocumentConfig(publicApiUrl?: string) {
  return {
    openapi: "3.1.0",
    info: {
      title: "TFGrid market API",
      version: "1.0.0",
      description:
        "Cloud Credits, the capacity marketplace, liquidity pools and the Dutch-auction exit. Amounts are decimal strings in their asset's scale (CC 6, TFT 7, TFP 7, USDC 6, USD 2 decimals); times are ISO 8601 strings; errors are RFC 9457 problem details. Authenticate with `Authorization: Bearer tfm_…` unless an operation says it needs no key.",
    },
    servers: [
      { url: productionServerUrl(publicApiUrl), description: "Production (set PUBLIC_API_URL)" },
      { url: localServerUrl, description: "Local: npm run dev" },
    ],
    security: defaultSecurity,
    tags,
  };
}
