// Proves the scheduled handler end to end inside workerd: the oracle round fetches every configured
// source (stand-in providers injected as the fetch function, answering in the providers' documented
// JSON shapes), records both kinds with every quote's verdict, survives a source that is down or
// times out, loses and regains quorum — with minting refused (503 ORACLE_HALTED) while halted — and
// runs the other cron steps even when one step fails; the exported `scheduled` handler does the same.
import { createScheduledController, env } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createTransfers } from "../../../src/ledger/store";
import { parseSourceConfig } from "../../../src/oracle/sources";
import { runScheduled, type ScheduledStep, scheduledSteps } from "../../../src/scheduled";
import worker from "../../../src/worker";
import { call, database, fundedAccount, type Seeded, seedKey } from "../../support/harness";
import { hourMs, resetPrices, uniqueId } from "./support";

const minuteMs = 60_000;
const metalsKey = "metals-test-key";

/** Five sources, as an operator would configure them, pointing at the stand-in hosts. */
const sources = JSON.stringify([
  {
    id: "coingecko-paxg",
    kind: "gold",
    url: "https://paxg.provider.test/api/v3/simple/price?ids=pax-gold&vs_currencies=usd&include_last_updated_at=true",
    adapter: { type: "coingecko_simple_price", coinId: "pax-gold", unit: "usd_per_troy_ounce" },
  },
  {
    id: "gold-api",
    kind: "gold",
    url: "https://gold-api.provider.test/price/XAU",
    adapter: { type: "gold_api" },
    timeoutMs: 200,
  },
  {
    id: "metals-dev",
    kind: "gold",
    url: "https://metals.provider.test/v1/latest?currency=USD&unit=g",
    adapter: { type: "metals_dev" },
    apiKeyEnv: "METALS_DEV_API_KEY",
    apiKeyQueryParam: "api_key",
  },
  {
    id: "coingecko-tft",
    kind: "tft",
    url: "https://tft.provider.test/api/v3/simple/price?ids=threefold-token&vs_currencies=usd&include_last_updated_at=true",
    adapter: { type: "coingecko_simple_price", coinId: "threefold-token", unit: "usd" },
  },
  {
    id: "stellar-tft-usdc",
    kind: "tft",
    url: "https://horizon.provider.test/order_book?selling_asset_code=TFT&buying_asset_code=USDC",
    adapter: { type: "stellar_order_book" },
  },
]);

const oracleEnv = { ...env, ORACLE_SOURCES: sources, METALS_DEV_API_KEY: metalsKey } as Env;
/** Only the oracle's step, for the tests about the oracle (other areas add their own steps). */
const oracleOnly = scheduledSteps.filter((step) => step.name === "oracle_round");

type Provider = "paxg" | "gold-api" | "metals" | "tft" | "horizon";
type Behaviour = "ok" | "down" | "hang";

/** Stand-in providers answering as of `atMs`; each can be made to fail. Records every request. */
function providers(atMs: number, behaviour: Partial<Record<Provider, Behaviour>> = {}) {
  const requests: URL[] = [];
  const iso = (agoMs: number) => new Date(atMs - agoMs).toISOString();
  const seconds = (agoMs: number) => Math.floor((atMs - agoMs) / 1000);
  const answers: Record<Provider, () => unknown> = {
    paxg: () => ({ "pax-gold": { usd: 3981.23, last_updated_at: seconds(30_000) } }),
    "gold-api": () => ({
      currency: "USD",
      currencySymbol: "$",
      exchangeRate: 1,
      name: "Gold",
      price: 3985,
      symbol: "XAU",
      updatedAt: iso(20_000),
      updatedAtReadable: "a few seconds ago",
    }),
    metals: () => ({
      status: "success",
      currency: "USD",
      unit: "g",
      metals: { gold: 128.05, silver: 1.62, platinum: 31.2 },
      currencies: { EUR: 1.08 },
      timestamps: { metal: iso(60_000), currency: iso(60_000) },
    }),
    tft: () => ({ "threefold-token": { usd: 0.0141, last_updated_at: seconds(45_000) } }),
    horizon: () => ({
      bids: [{ price_r: { n: 7, d: 500 }, price: "0.0140000", amount: "5000.0000000" }],
      asks: [{ price_r: { n: 71, d: 5000 }, price: "0.0142000", amount: "5000.0000000" }],
      base: { asset_type: "credit_alphanum4", asset_code: "TFT", asset_issuer: "GTFTISSUER" },
      counter: { asset_type: "credit_alphanum4", asset_code: "USDC", asset_issuer: "GUSDCISSUER" },
    }),
  };
  const fetchFn: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    requests.push(url);
    const provider = url.hostname.split(".")[0] as Provider;
    const how = behaviour[provider] ?? "ok";
    if (how === "down") return new Response('{"error":"upstream unavailable"}', { status: 503 });
    if (how === "hang") {
      return new Promise<Response>((_, reject) => {
        init?.signal?.addEventListener("abort", () => reject(init.signal?.reason));
      });
    }
    return new Response(JSON.stringify(answers[provider]()), {
      headers: { "content-type": "application/json" },
    });
  };
  return { fetch: fetchFn, requests };
}

type Latest = {
  health: string;
  mintingAvailable: boolean;
  gold: { priceUsd: string; roundId: string; health: string } | null;
  tft: { priceUsd: string; roundId: string; health: string } | null;
  cc: { priceUsd: string } | null;
  lastRounds: {
    gold: { id: string; quorumMet: boolean } | null;
    tft: { id: string; quorumMet: boolean } | null;
  };
};
type Round = {
  id: string;
  priceUsd: string | null;
  quorumMet: boolean;
  quotes: { source: string; status: string; reason: string | null; error: string | null }[];
};

let user: Seeded;
let ccAccount: string;

beforeAll(async () => {
  user = await seedKey("user");
  ccAccount = await fundedAccount(user.ownerId, "CC", 0n, "user");
});

afterEach(() => {
  vi.restoreAllMocks();
});

async function latest(): Promise<Latest> {
  const response = await call<Latest>("GET", "/v1/prices/latest", { key: user.key });
  expect(response.status).toBe(200);
  return response.body;
}

async function checkout() {
  return call<{ code?: string; type?: string }>("POST", "/v1/credits/checkout", {
    key: user.key,
    body: { accountId: ccAccount, amountUsd: "20.00" },
  });
}

async function round(id: string): Promise<Round> {
  const response = await call<Round>("GET", `/v1/prices/rounds/${id}`, { key: user.key });
  expect(response.status).toBe(200);
  return response.body;
}

describe("the oracle round", () => {
  it("records both kinds, survives one source down, loses TFT quorum (halted: 503 on minting) and regains it", async () => {
    await resetPrices();
    const nowMs = Date.now();

    // 90 minutes ago: metals.dev is down; the two other gold sources still make quorum.
    const early = providers(nowMs - 90 * minuteMs, { metals: "down" });
    const first = await runScheduled(oracleEnv, nowMs - 90 * minuteMs, {
      fetch: early.fetch,
      log: () => {},
      steps: oracleOnly,
    });
    expect(first).toMatchObject([{ name: "oracle_round", ok: true }]);
    const firstLatest = await latest();
    expect(firstLatest.gold).not.toBeNull();
    const goldRound = await round(firstLatest.gold!.roundId);
    expect(goldRound.quorumMet).toBe(true);
    expect(goldRound.quotes.find((quote) => quote.source === "metals-dev")).toMatchObject({
      status: "dropped",
      reason: "fetch_failed",
      error: "http status 503",
    });
    // The secret went to the provider, never into the record.
    expect(early.requests.find((url) => url.hostname.startsWith("metals"))?.searchParams.get("api_key")).toBe(
      metalsKey,
    );
    expect(JSON.stringify(goldRound)).not.toContain(metalsKey);
    expect(firstLatest.tft?.priceUsd).toBe("0.0141");

    // A minute ago: both TFT sources down. TFT quorum is lost; the last TFT price is 90 minutes old.
    const tftDown = providers(nowMs - minuteMs, { tft: "down", horizon: "down" });
    await runScheduled(oracleEnv, nowMs - minuteMs, {
      fetch: tftDown.fetch,
      log: () => {},
      steps: oracleOnly,
    });
    const halted = await latest();
    expect(halted.lastRounds.tft).toMatchObject({ quorumMet: false });
    expect(halted.tft).toMatchObject({ roundId: firstLatest.tft!.roundId, health: "halted" });
    expect(halted.gold?.health).toBe("healthy");
    expect(halted).toMatchObject({ health: "halted", mintingAvailable: false });
    const refused = await checkout();
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({
      code: "ORACLE_HALTED",
      type: "urn:tfgrid-market:problem:oracle-halted",
    });

    // Now: every source answers again (gold-api slow: it times out and is dropped). Quorum regained.
    const back = providers(nowMs, { "gold-api": "hang" });
    const reports = await runScheduled(oracleEnv, nowMs, {
      fetch: back.fetch,
      log: () => {},
      steps: oracleOnly,
    });
    expect(reports.find((report) => report.name === "oracle_round")?.ok).toBe(true);
    const healthy = await latest();
    expect(healthy).toMatchObject({ health: "healthy", mintingAvailable: true });
    expect(healthy.gold?.priceUsd).toMatch(/^128\.0/);
    expect(healthy.cc?.priceUsd).toMatch(/^0\.128/);
    const timedOut = await round(healthy.gold!.roundId);
    expect(timedOut.quotes.find((quote) => quote.source === "gold-api")).toMatchObject({
      status: "dropped",
      reason: "fetch_failed",
      error: "timed out after 200 ms",
    });
    expect((await checkout()).status).toBe(201);
  });

  it("without ORACLE_SOURCES records nothing and says so; an invalid list fails that step only", async () => {
    const unset = await runScheduled({ ...env, ORACLE_SOURCES: "" } as Env, Date.now(), { log: () => {} });
    expect(unset.find((report) => report.name === "oracle_round")?.result).toEqual({
      skipped: "ORACLE_SOURCES is not set",
    });
    const invalid = await runScheduled({ ...env, ORACLE_SOURCES: "[{}]" } as Env, Date.now(), {
      log: () => {},
    });
    expect(invalid.find((report) => report.name === "oracle_round")).toMatchObject({ ok: false });
    // Every step was still attempted, and the hold sweeper succeeded after the oracle failed.
    expect(invalid.map((report) => report.name)).toEqual(scheduledSteps.map((step) => step.name));
    expect(invalid.find((report) => report.name === "expire_holds")).toMatchObject({ ok: true });
  });

  it("the configured default source list in wrangler.toml is valid", () => {
    const parsed = parseSourceConfig(env.ORACLE_SOURCES ?? "");
    expect(parsed.ok).toBe(true);
    if (parsed.ok)
      expect(parsed.value.map((source) => source.kind).sort()).toEqual([
        "gold",
        "gold",
        "gold",
        "tft",
        "tft",
      ]);
  });
});

describe("the cron's steps", () => {
  it("run in order; a failing step is logged and the next ones still run", async () => {
    const ran: string[] = [];
    const logged: { name: string; ok: boolean; error?: string }[] = [];
    const steps: ScheduledStep[] = [
      {
        name: "first",
        run: async () => {
          ran.push("first");
          return { done: 1 };
        },
      },
      {
        name: "broken",
        run: async () => {
          ran.push("broken");
          throw new Error("this step is broken");
        },
      },
      {
        name: "last",
        run: async () => {
          ran.push("last");
          return {};
        },
      },
    ];
    const reports = await runScheduled(env, Date.now(), { steps, log: (report) => logged.push(report) });
    expect(ran).toEqual(["first", "broken", "last"]);
    expect(reports.map((report) => report.ok)).toEqual([true, false, true]);
    expect(logged[1]).toMatchObject({ name: "broken", ok: false, error: "this step is broken" });
    expect(scheduledSteps.map((step) => step.name).slice(0, 3)).toEqual([
      "oracle_round",
      "expire_holds",
      "prune_idempotency_records",
    ]);
  });

  it("expire_holds voids holds whose timeout has passed", async () => {
    const owner = await fundedAccount(uniqueId("usr"), "CC", 1_000_000n, "user");
    const holdId = uniqueId("hold");
    const written = await createTransfers(
      database(),
      [
        {
          type: "pending",
          id: holdId,
          debitAccountId: owner,
          creditAccountId: "acc_escrow_cc",
          asset: "CC",
          amountMinor: 400_000n,
          timeoutMs: 1_000,
          code: "test_hold",
        },
      ],
      { nowMs: Date.now() - hourMs },
    );
    expect(written.ok).toBe(true);
    const reports = await runScheduled(env, Date.now(), {
      log: () => {},
      steps: scheduledSteps.filter((step) => step.name === "expire_holds"),
    });
    expect(reports.find((report) => report.name === "expire_holds")?.result).toMatchObject({
      expired: expect.any(Number),
    });
    const hold = await database().execute({ sql: "SELECT status FROM holds WHERE id = ?", args: [holdId] });
    expect(hold.rows[0]?.status).toBe("expired");
  });

  it("the Worker's exported scheduled handler runs the oracle with the global fetch", async () => {
    await resetPrices();
    const stand = providers(Date.now());
    // The global fetch also carries the database client's requests: only the providers' hosts are stood in for.
    const realFetch = globalThis.fetch.bind(globalThis);
    vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      return url.hostname.endsWith(".provider.test") ? stand.fetch(input, init) : realFetch(input, init);
    });
    await worker.scheduled(createScheduledController({ cron: "*/5 * * * *" }), oracleEnv);
    expect(stand.requests.map((url) => url.hostname).sort()).toEqual([
      "gold-api.provider.test",
      "horizon.provider.test",
      "metals.provider.test",
      "paxg.provider.test",
      "tft.provider.test",
    ]);
    const prices = await latest();
    expect(prices).toMatchObject({ health: "healthy" });
    expect(prices.gold?.priceUsd).toMatch(/^128\.05$/);
  });
});
