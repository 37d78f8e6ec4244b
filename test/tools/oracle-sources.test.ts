// Proves the oracle fetch layer against real local HTTP servers serving the providers' documented
// answer shapes: a round survives refused connections, timeouts, malformed, stale, outlying,
// out-of-bounds and oversize answers without throwing, loses and regains quorum, and keeps secrets out.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { goldHealthRules, health } from "../../src/oracle/core/health";
import {
  fetchQuotes,
  parseSourceConfig,
  runOracleRound,
  type SourceConfig,
  sourcesPerRoundMax,
} from "../../src/oracle/sources";

type Answer = { status?: number; body: string; headers?: Record<string, string>; delayMs?: number };
type Behaviour = (request: IncomingMessage, url: URL) => Answer | "trickle" | "stream-oversize";

/** One stand-in provider: a real HTTP server on 127.0.0.1 whose answer a test can change. */
class Provider {
  requests: Array<{ url: URL; headers: IncomingMessage["headers"] }> = [];
  behaviour: Behaviour;
  private readonly server: Server;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    readonly name: string,
    readonly normal: Behaviour,
  ) {
    this.behaviour = normal;
    this.server = createServer((request, response) => this.handle(request, response));
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  reset(): void {
    this.behaviour = this.normal;
    this.requests = [];
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private later(ms: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, ms);
    this.timers.add(timer);
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? "/", this.origin);
    this.requests.push({ url, headers: request.headers });
    const answer = this.behaviour(request, url);
    if (answer === "trickle") {
      // headers now, then one byte every 100 ms: only a timeout covering the body can stop it
      response.writeHead(200, { "content-type": "application/json" });
      response.write("{");
      const tick = () => {
        if (response.destroyed) return;
        response.write(" ");
        this.later(100, tick);
      };
      this.later(100, tick);
      return;
    }
    if (answer === "stream-oversize") {
      // no content-length: the bound must be enforced while reading
      response.writeHead(200, { "content-type": "application/json" });
      const chunk = `${" ".repeat(16 * 1024)}`;
      const push = (left: number) => {
        if (response.destroyed) return;
        if (left === 0) return void response.end("{}");
        response.write(chunk);
        this.later(1, () => push(left - 1));
      };
      push(64);
      return;
    }
    const send = () => {
      if (response.destroyed) return;
      response.writeHead(answer.status ?? 200, { "content-type": "application/json", ...answer.headers });
      response.end(answer.body);
    };
    if (answer.delayMs === undefined) send();
    else this.later(answer.delayMs, send);
  }
}

const json = (value: unknown, status = 200): Answer => ({ status, body: JSON.stringify(value) });
const isoAgo = (ms: number) => new Date(Date.now() - ms).toISOString();
const secondsAgo = (ms: number) => Math.floor((Date.now() - ms) / 1000);

// Answers in the shapes the providers document (see the adapters' JSDoc).
const coinGeckoAnswer = (prices: Record<string, number>) => (_: IncomingMessage, url: URL) => {
  const id = url.searchParams.get("ids") ?? "";
  const price = prices[id];
  if (price === undefined) return json({});
  return json({ [id]: { usd: price, last_updated_at: secondsAgo(30_000) } });
};
const goldApiAnswer = (price: number, ageMs = 20_000) =>
  json({
    currency: "USD",
    currencySymbol: "$",
    exchangeRate: 1,
    name: "Gold",
    price,
    symbol: "XAU",
    updatedAt: isoAgo(ageMs),
    updatedAtReadable: "a few seconds ago",
  });
const metalsDevKey = "metals-dev-test-key-7f3a";
const coinGeckoKey = "coingecko-test-key-91c2";
const metalsDevAnswer = (goldPerGram: number) => (_: IncomingMessage, url: URL) =>
  url.searchParams.get("api_key") !== metalsDevKey
    ? json({ status: "failure", error_code: 1101, error_message: "Invalid API key" }, 401)
    : json({
        status: "success",
        currency: "USD",
        unit: url.searchParams.get("unit") ?? "toz",
        metals: { gold: goldPerGram, silver: 1.62 },
        currencies: { EUR: 1.05 },
        timestamps: { metal: isoAgo(40_000), currency: isoAgo(40_000) },
      });
const horizonAsset = (code: string) => ({
  asset_type: "credit_alphanum4",
  asset_code: code,
  asset_issuer: "G…",
});
const horizonAnswer = (bid: string, ask: string) =>
  json({
    bids: [{ price_r: { n: 1, d: 1 }, price: bid, amount: "5000.0000000" }],
    asks: [{ price_r: { n: 1, d: 1 }, price: ask, amount: "5000.0000000" }],
    base: horizonAsset("TFT"),
    counter: horizonAsset("USDC"),
  });

const providers = {
  coinGecko: new Provider("coingecko", coinGeckoAnswer({ "pax-gold": 3981.23, "threefold-token": 0.0141 })),
  goldApi: new Provider("gold-api", () => goldApiAnswer(3985)),
  metalsDev: new Provider("metals-dev", metalsDevAnswer(128.05)),
  horizon: new Provider("horizon", () => horizonAnswer("0.0140000", "0.0142000")),
};
/** An origin where nothing listens: connections are refused. */
let refusedOrigin = "";
const env = { METALS_DEV_API_KEY: metalsDevKey, COINGECKO_API_KEY: coinGeckoKey };

beforeAll(async () => {
  await Promise.all(Object.values(providers).map((provider) => provider.start()));
  const closed = new Provider("closed", () => json({}));
  await closed.start();
  refusedOrigin = closed.origin;
  await closed.stop();
});
afterAll(async () => {
  await Promise.all(Object.values(providers).map((provider) => provider.stop()));
});
afterEach(() => {
  for (const provider of Object.values(providers)) provider.reset();
});

function sourcesJson(overrides: Record<string, Partial<Record<string, unknown>>> = {}): unknown[] {
  const base: Array<Record<string, unknown>> = [
    {
      id: "coingecko-paxg",
      kind: "gold",
      url: `${providers.coinGecko.origin}/api/v3/simple/price?ids=pax-gold&vs_currencies=usd&include_last_updated_at=true`,
      adapter: { type: "coingecko_simple_price", coinId: "pax-gold", unit: "usd_per_troy_ounce" },
      apiKeyEnv: "COINGECKO_API_KEY",
      apiKeyHeader: "x-cg-demo-api-key",
    },
    {
      id: "gold-api",
      kind: "gold",
      url: `${providers.goldApi.origin}/price/XAU`,
      adapter: { type: "gold_api" },
    },
    {
      id: "metals-dev",
      kind: "gold",
      url: `${providers.metalsDev.origin}/v1/latest?currency=USD&unit=g`,
      adapter: { type: "metals_dev" },
      apiKeyEnv: "METALS_DEV_API_KEY",
      apiKeyQueryParam: "api_key",
    },
    {
      id: "coingecko-tft",
      kind: "tft",
      url: `${providers.coinGecko.origin}/api/v3/simple/price?ids=threefold-token&vs_currencies=usd`,
      adapter: { type: "coingecko_simple_price", coinId: "threefold-token", unit: "usd" },
    },
    {
      id: "stellar-tft-usdc",
      kind: "tft",
      url: `${providers.horizon.origin}/order_book?selling_asset_code=TFT&buying_asset_code=USDC`,
      adapter: { type: "stellar_order_book" },
    },
  ];
  return base.map((source) => ({ ...source, ...overrides[source.id as string] }));
}

function configured(overrides: Record<string, Partial<Record<string, unknown>>> = {}): SourceConfig[] {
  const parsed = parseSourceConfig(JSON.stringify(sourcesJson(overrides)));
  if (!parsed.ok) throw new Error(parsed.detail);
  return parsed.value;
}

const round = (sources = configured(), options: Parameters<typeof runOracleRound>[3] = { env }) =>
  runOracleRound(sources, fetch, Date.now(), options);

const verdict = (result: Awaited<ReturnType<typeof round>>, source: string) => {
  const record = result.records.find((entry) => entry.source === source);
  return record?.reason ?? record?.status;
};

describe("a healthy round", () => {
  it("aggregates gold and TFT from the providers' real answer shapes", async () => {
    const result = await round();
    // per gram: PAXG 3981.23 / 31.1034768, gold-api 3985 / 31.1034768, metals.dev 128.05
    expect(result.gold).toMatchObject({ quorumMet: true, accepted: "128.05" });
    expect(result.ccUsd).toBe("0.12805");
    expect(result.tft).toMatchObject({ quorumMet: true, accepted: "0.0141" });
    expect(result.records.map((record) => [record.source, record.status])).toEqual([
      ["coingecko-paxg", "accepted"],
      ["gold-api", "accepted"],
      ["metals-dev", "accepted"],
      ["coingecko-tft", "accepted"],
      ["stellar-tft-usdc", "accepted"],
    ]);
    for (const record of result.records) {
      expect(record.httpStatus).toBe(200);
      expect(record.latencyMs).toBeGreaterThanOrEqual(0);
      expect(record.observedAtMs).toBeLessThanOrEqual(result.roundAtMs);
    }
  });

  it("sends each secret where its source says, read from env at call time, and never records it", async () => {
    const result = await round();
    const paxgRequest = providers.coinGecko.requests.find(
      (entry) => entry.url.searchParams.get("ids") === "pax-gold",
    );
    expect(paxgRequest?.headers["x-cg-demo-api-key"]).toBe(coinGeckoKey);
    const tftRequest = providers.coinGecko.requests.find(
      (entry) => entry.url.searchParams.get("ids") === "threefold-token",
    );
    expect(tftRequest?.headers["x-cg-demo-api-key"]).toBeUndefined();
    expect(providers.metalsDev.requests[0]?.url.searchParams.get("api_key")).toBe(metalsDevKey);
    const recorded = JSON.stringify(result);
    expect(recorded).not.toContain(metalsDevKey);
    expect(recorded).not.toContain(coinGeckoKey);
  });

  it("fails a source whose secret is missing without sending its request", async () => {
    const result = await round(configured(), { env: { COINGECKO_API_KEY: coinGeckoKey } });
    const record = result.records.find((entry) => entry.source === "metals-dev");
    expect(record).toMatchObject({ status: "dropped", reason: "fetch_failed" });
    expect(record?.error).toBe("secret METALS_DEV_API_KEY is not set");
    expect(providers.metalsDev.requests).toHaveLength(0);
    expect(result.gold.quorumMet).toBe(true);
  });

  it("reports a provider's refusal of a wrong key as a failed fetch", async () => {
    const result = await round(configured(), { env: { ...env, METALS_DEV_API_KEY: "wrong" } });
    const record = result.records.find((entry) => entry.source === "metals-dev");
    expect(record).toMatchObject({ reason: "fetch_failed", error: "http status 401", httpStatus: 401 });
    expect(JSON.stringify(result)).not.toContain("wrong");
  });
});

describe("failures become quotes, never exceptions", () => {
  it("drops a source whose connection is refused and keeps quorum with the others", async () => {
    const result = await round(configured({ "gold-api": { url: `${refusedOrigin}/price/XAU` } }));
    const record = result.records.find((entry) => entry.source === "gold-api");
    expect(record).toMatchObject({ status: "dropped", reason: "fetch_failed", priceUsd: null });
    expect(record?.error).toMatch(/^network error/);
    expect(result.gold.quorumMet).toBe(true);
  });

  it("returns no price, and no exception, when every source is down", async () => {
    const down = Object.fromEntries(
      sourcesJson().map((source) => [(source as { id: string }).id, { url: `${refusedOrigin}/x` }]),
    );
    const result = await round(configured(down));
    expect(result.gold).toMatchObject({ accepted: null, quorumMet: false });
    expect(result.tft).toMatchObject({ accepted: null, quorumMet: false });
    expect(result.ccUsd).toBeNull();
    expect(result.records.every((record) => record.reason === "fetch_failed")).toBe(true);
  });

  it("times out a slow source on its own clock while the others answer", async () => {
    providers.goldApi.behaviour = () => ({ ...goldApiAnswer(3985), delayMs: 5_000 });
    const started = Date.now();
    const result = await round(configured({ "gold-api": { timeoutMs: 200 } }));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(result.records.find((entry) => entry.source === "gold-api")).toMatchObject({
      reason: "fetch_failed",
      error: "timed out after 200 ms",
    });
    expect(result.gold.quorumMet).toBe(true);
  });

  it("times out a source whose body trickles in after fast headers", async () => {
    providers.goldApi.behaviour = () => "trickle";
    const result = await round(configured({ "gold-api": { timeoutMs: 300 } }));
    expect(result.records.find((entry) => entry.source === "gold-api")).toMatchObject({
      reason: "fetch_failed",
      error: "timed out after 300 ms",
    });
  });

  it.each([
    [
      "malformed JSON",
      { status: 200, body: '{"status": "success", "metals": {' },
      "answer is not valid JSON",
    ],
    ["an HTML error page", { status: 200, body: "<html>maintenance</html>" }, "answer is not valid JSON"],
    [
      "a documented failure answer",
      json({ status: "failure", error_code: 1201 }),
      "metals.dev answer: status",
    ],
  ])("marks %s as unparsable", async (_, answer, error) => {
    providers.metalsDev.behaviour = () => answer;
    const result = await round();
    expect(result.records.find((entry) => entry.source === "metals-dev")).toMatchObject({
      status: "dropped",
      reason: "unparsable",
      failedAt: "parse",
    });
    expect(result.records.find((entry) => entry.source === "metals-dev")?.error).toContain(error);
  });

  it.each([
    [500, "http status 500"],
    [503, "http status 503"],
    [302, "http status 302"], // redirects are not followed
  ])("marks HTTP %i as a failed fetch", async (status, error) => {
    providers.goldApi.behaviour = () => ({
      status,
      body: "{}",
      headers: { location: "http://example.invalid/" },
    });
    const result = await round();
    expect(result.records.find((entry) => entry.source === "gold-api")).toMatchObject({
      reason: "fetch_failed",
      error,
    });
  });

  it("drops a stale answer by the provider's own timestamp", async () => {
    providers.goldApi.behaviour = () => goldApiAnswer(3985, 2 * 3_600_000);
    const result = await round();
    expect(verdict(result, "gold-api")).toBe("stale");
    expect(result.gold.quorumMet).toBe(true);
  });

  it("refuses a provider timestamp far in the future", async () => {
    providers.goldApi.behaviour = () => goldApiAnswer(3985, -3_600_000);
    expect(verdict(await round(), "gold-api")).toBe("unparsable");
  });

  it("drops an outlier and takes the median of the rest", async () => {
    providers.metalsDev.behaviour = metalsDevAnswer(140); // ~9 % above the others
    const result = await round();
    expect(verdict(result, "metals-dev")).toBe("outlier");
    // median of PAXG and gold-api per gram: (3981.23 + 3985) / 2 / 31.1034768, each rounded to 12 places
    expect(result.gold).toMatchObject({ quorumMet: true, accepted: "128.060120918701" });
  });

  it("drops a price outside the plausibility bounds", async () => {
    providers.metalsDev.behaviour = metalsDevAnswer(5_000);
    const result = await round();
    expect(verdict(result, "metals-dev")).toBe("out_of_bounds");
    const tight = await round(configured(), {
      env,
      tftRules: { maxAgeMs: 600_000, minUsd: "0.02", maxUsd: "1", outlierRatio: "0.05", quorum: 2 },
    });
    expect(tight.tft).toMatchObject({ accepted: null, quorumMet: false });
    expect(verdict(tight, "coingecko-tft")).toBe("out_of_bounds");
  });

  it.each([
    [
      "declared by content-length",
      () => {
        const body = JSON.stringify({ padding: "x".repeat(200 * 1024) });
        return { body, headers: { "content-length": String(Buffer.byteLength(body)) } };
      },
    ],
    ["streamed without content-length", () => "stream-oversize" as const],
  ])("refuses an oversize answer %s", async (_, behaviour) => {
    providers.horizon.behaviour = behaviour;
    const result = await round();
    expect(result.records.find((entry) => entry.source === "stellar-tft-usdc")).toMatchObject({
      reason: "fetch_failed",
      error: "response larger than 65536 bytes",
    });
    expect(result.tft.quorumMet).toBe(false);
  });

  it("survives a fetch function that throws synchronously", async () => {
    const throwing = (() => {
      throw new TypeError("boom http://secret@example");
    }) as unknown as typeof fetch;
    const quotes = await fetchQuotes(configured(), throwing, Date.now(), env);
    expect(quotes.every((quote) => quote.error === "network error (TypeError)")).toBe(true);
  });
});

describe("quorum lost, then regained", () => {
  it("loses the gold price while two of three sources fail, and health follows", async () => {
    let lastAcceptedAtMs: number | null = null;
    const start = Date.now();
    const first = await round();
    expect(first.gold.quorumMet).toBe(true);
    lastAcceptedAtMs = first.roundAtMs;

    providers.goldApi.behaviour = () => json({ message: "unavailable" }, 503);
    providers.metalsDev.behaviour = () => json({ message: "unavailable" }, 503);
    const second = await round();
    expect(second.gold).toMatchObject({ accepted: null, quorumMet: false });
    expect(verdict(second, "coingecko-paxg")).toBe("accepted");
    if (second.gold.quorumMet) lastAcceptedAtMs = second.roundAtMs;
    // a Wednesday-style clock 20 minutes on: degraded, not yet halted
    expect(
      health(lastAcceptedAtMs, lastAcceptedAtMs + 20 * 60_000, { ...goldHealthRules, marketClosed: [] }),
    ).toBe("degraded");

    providers.goldApi.reset();
    providers.metalsDev.reset();
    const third = await round();
    expect(third.gold).toMatchObject({ quorumMet: true, accepted: "128.05" });
    if (third.gold.quorumMet) lastAcceptedAtMs = third.roundAtMs;
    expect(lastAcceptedAtMs).toBeGreaterThanOrEqual(start);
    expect(health(lastAcceptedAtMs, third.roundAtMs, goldHealthRules)).toBe("healthy");
  });
});

describe("parseSourceConfig", () => {
  it("accepts the documented list from a JSON string and fills defaults", () => {
    const parsed = parseSourceConfig(JSON.stringify(sourcesJson()));
    expect(parsed.ok).toBe(true);
    if (parsed.ok) {
      expect(parsed.value).toHaveLength(5);
      expect(parsed.value[1]).toMatchObject({ id: "gold-api", timeoutMs: 3_000, responseBytesMax: 65_536 });
      expect(parsed.value[4]?.adapter).toEqual({
        type: "stellar_order_book",
        baseAssetCode: "TFT",
        counterAssetCodes: ["USDC"],
        spreadRatioMax: "0.1",
      });
    }
  });

  const one = (override: Record<string, unknown>) => [
    {
      id: "gold-api",
      kind: "gold",
      url: "https://api.gold-api.com/price/XAU",
      adapter: { type: "gold_api" },
      ...override,
    },
  ];

  it.each([
    ["not JSON", "[{", "not valid JSON"],
    ["an empty list", [], "(root)"],
    ["an object", { sources: [] }, "(root)"],
    ["an ftp url", one({ url: "ftp://example.com/price" }), "url"],
    ["credentials in the url", one({ url: "https://user:pass@example.com/price" }), "url"],
    ["an unknown adapter", one({ adapter: { type: "oracle_of_delphi" } }), "adapter"],
    ["an adapter of the other kind", one({ kind: "tft" }), "gold_api prices gold"],
    ["a header without a secret", one({ apiKeyHeader: "x-api-key" }), "apiKeyEnv"],
    ["a secret value instead of a name", one({ apiKeyEnv: "sk_live_123" }), "apiKeyEnv"],
    [
      "header and query both",
      one({ apiKeyEnv: "K", apiKeyHeader: "x", apiKeyQueryParam: "k" }),
      "apiKeyQueryParam",
    ],
    ["a timeout above the limit", one({ timeoutMs: 60_000 }), "timeoutMs"],
    ["a size bound above the limit", one({ responseBytesMax: 10 * 1024 * 1024 }), "responseBytesMax"],
    ["an unknown field", one({ retries: 3 }), "retries"],
    ["an uppercase id", one({ id: "Gold API" }), "id"],
    ["duplicate ids", [...one({}), ...one({})], "unique"],
    [
      "too many sources",
      Array.from({ length: sourcesPerRoundMax + 1 }, (_, index) => one({ id: `s${index}` })[0]),
      "(root)",
    ],
    ["an oversize string", `[${" ".repeat(70 * 1024)}]`, "too long"],
  ])("refuses %s", (_, input, detail) => {
    const parsed = parseSourceConfig(typeof input === "string" ? input : JSON.stringify(input));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.code).toBe("VALIDATION_FAILED");
      expect(`${parsed.detail} ${parsed.field ?? ""}`).toContain(detail);
    }
  });
});
