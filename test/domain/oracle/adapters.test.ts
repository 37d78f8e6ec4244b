// Proves the price adapters: each provider's documented answer shape parses to the right USD price
// and unit, JSON numbers become exact decimal strings, and malformed or hostile answers are refused.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Dec } from "../../../src/ledger/core/money";
import {
  adapterSpecSchema,
  coinGeckoSimplePriceAdapter,
  createAdapter,
  decimalFromJson,
  goldApiAdapter,
  jsonPathAdapter,
  metalsDevAdapter,
  normalisePrice,
  parseJsonPath,
  stellarOrderBookAdapter,
  valueAtPath,
} from "../../../src/oracle/core/adapters";

const paxg = coinGeckoSimplePriceAdapter({
  id: "coingecko-paxg",
  kind: "gold",
  coinId: "pax-gold",
  unit: "usd_per_troy_ounce",
});
const coinGeckoTft = coinGeckoSimplePriceAdapter({
  id: "coingecko-tft",
  kind: "tft",
  coinId: "threefold-token",
  unit: "usd",
});
const stellar = stellarOrderBookAdapter({
  id: "stellar-tft-usdc",
  baseAssetCode: "TFT",
  counterAssetCodes: ["USDC"],
  spreadRatioMax: "0.1",
});

const horizonAsset = (code: string) => ({
  asset_type: "credit_alphanum4",
  asset_code: code,
  asset_issuer: `G${code}ISSUERPLACEHOLDER`,
});
const offer = (price: string, amount = "1000.0000000") => ({
  price_r: { n: Math.round(Number(price) * 10_000_000), d: 10_000_000 },
  price,
  amount,
});
const orderBook = (bids: string[], asks: string[], base = "TFT", counter = "USDC") => ({
  bids: bids.map((price) => offer(price)),
  asks: asks.map((price) => offer(price)),
  base: horizonAsset(base),
  counter: horizonAsset(counter),
});

function expectFailure(result: { ok: boolean }, detailPart?: string) {
  expect(result.ok).toBe(false);
  if (!result.ok && detailPart !== undefined) expect(JSON.stringify(result)).toContain(detailPart);
}

describe("CoinGecko simple price", () => {
  it("parses PAXG per troy ounce into USD per gram, with the provider's time", () => {
    const answer = { "pax-gold": { usd: 3981.23, last_updated_at: 1_763_640_000 } };
    expect(paxg.parse(answer)).toEqual({
      ok: true,
      value: {
        priceUsd: "127.999516761419",
        unit: "usd_per_gram",
        sourcePriceUsd: "3981.23",
        sourceUnit: "usd_per_troy_ounce",
        observedAtMs: 1_763_640_000_000,
      },
    });
  });

  it("parses TFT in USD per token, ignoring extra fields", () => {
    const answer = { "threefold-token": { usd: 0.00712345, usd_24h_change: -1.2 } };
    expect(coinGeckoTft.parse(answer)).toEqual({
      ok: true,
      value: { priceUsd: "0.00712345", unit: "usd", sourcePriceUsd: "0.00712345", sourceUnit: "usd" },
    });
  });

  it.each([
    [{}, "pax-gold"],
    [{ "pax-gold": {} }, "usd"],
    [{ "pax-gold": { usd: null } }, "usd"],
    [{ "pax-gold": { usd: -3981.23 } }, "negative"],
    [{ "pax-gold": { usd: "1e3" } }, "plain"],
    [{ "pax-gold": { usd: 3981.23, last_updated_at: "yesterday" } }, "last_updated_at"],
    [{ error: "rate limited" }, "pax-gold"],
    [null, "pax-gold"],
    [[], "pax-gold"],
    ["3981.23", "pax-gold"],
  ])("refuses %j", (answer, detail) => {
    expectFailure(paxg.parse(answer), detail);
  });

  it("does not read inherited properties as the coin's entry", () => {
    const hostile = coinGeckoSimplePriceAdapter({ id: "x", kind: "tft", coinId: "constructor", unit: "usd" });
    expectFailure(hostile.parse({}), "constructor");
  });
});

describe("gold-api.com /price/XAU", () => {
  const documented = {
    currency: "USD",
    currencySymbol: "$",
    exchangeRate: 1,
    name: "Gold",
    price: 4165.200195,
    symbol: "XAU",
    updatedAt: "2026-07-03T16:08:54Z",
    updatedAtReadable: "a few seconds ago",
  };

  it("parses the documented example", () => {
    expect(goldApiAdapter().parse(documented)).toEqual({
      ok: true,
      value: {
        priceUsd: "133.914295877045",
        unit: "usd_per_gram",
        sourcePriceUsd: "4165.200195",
        sourceUnit: "usd_per_troy_ounce",
        observedAtMs: Date.UTC(2026, 6, 3, 16, 8, 54),
      },
    });
  });

  it.each([
    [{ ...documented, symbol: "XAG" }, "symbol"],
    [{ ...documented, currency: "EUR" }, "currency"],
    [{ ...documented, price: "n/a" }, "price"],
    [{ ...documented, updatedAt: "not a date" }, "updatedAt"],
    [{ ...documented, price: undefined }, "price"],
  ])("refuses %j", (answer, detail) => {
    expectFailure(goldApiAdapter().parse(answer), detail);
  });
});

describe("metals.dev /v1/latest", () => {
  const answer = (unit: string, gold: unknown) => ({
    status: "success",
    currency: "USD",
    unit,
    metals: { gold, silver: 1.62, platinum: 50.1 },
    currencies: { EUR: 1.05 },
    timestamps: { metal: "2026-11-20T21:40:03.420Z", currency: "2026-11-20T21:40:00.000Z" },
  });

  it.each([
    ["g", 128.31, "128.31"],
    ["kg", 128_310.5, "128.3105"],
    ["toz", 4000, "128.602986274512"],
  ])("reads gold in unit %s (%s) as %s USD per gram", (unit, gold, expected) => {
    const parsed = metalsDevAdapter().parse(answer(unit, gold));
    expect(parsed).toMatchObject({ ok: true, value: { priceUsd: expected, unit: "usd_per_gram" } });
    if (parsed.ok) expect(parsed.value.observedAtMs).toBe(Date.parse("2026-11-20T21:40:03.420Z"));
  });

  it.each([
    [{ status: "failure", error_code: 1101, error_message: "Invalid API key" }, "status"],
    [{ ...answer("g", 128), currency: "EUR" }, "currency"],
    [{ ...answer("g", 128), unit: "mt" }, "unit"],
    [answer("g", Number.NaN), "metals.gold"],
    [answer("g", -1), "negative"],
  ])("refuses %j", (bad, detail) => {
    expectFailure(metalsDevAdapter().parse(bad), detail);
  });
});

describe("Stellar Horizon order book", () => {
  it("takes the exact mid of the best bid and best ask, whatever their order", () => {
    const parsed = stellar.parse(orderBook(["0.0139000", "0.0140000"], ["0.0145000", "0.0142000"]));
    expect(parsed).toEqual({
      ok: true,
      value: { priceUsd: "0.0141", unit: "usd", sourcePriceUsd: "0.0141", sourceUnit: "usd" },
    });
  });

  it.each([
    [orderBook([], ["0.0142000"]), "empty"],
    [orderBook(["0.0140000"], []), "empty"],
    [orderBook(["0.0150000"], ["0.0142000"]), "crossed"],
    [orderBook(["0.0100000"], ["0.0142000"]), "spread"],
    [orderBook(["0.0140000"], ["0.0142000"], "XLM"), "base"],
    [orderBook(["0.0140000"], ["0.0142000"], "TFT", "EURC"), "counter"],
    [orderBook(["-0.0140000"], ["0.0142000"]), "bids.0.price"],
    [{ ...orderBook(["0.0140000"], ["0.0142000"]), bids: "none" }, "bids"],
    [{ type: "https://stellar.org/horizon-errors/bad_request", status: 400 }, "Horizon"],
  ])("refuses %#: %s", (answer, detail) => {
    expectFailure(stellar.parse(answer), detail);
  });

  it("bounds the size of a side it will read", () => {
    const huge = orderBook(
      Array.from({ length: 201 }, () => "0.0140000"),
      ["0.0142000"],
    );
    expectFailure(stellar.parse(huge), "bids");
  });
});

describe("decimalFromJson", () => {
  it.each([
    [4165.200195, "4165.200195"],
    [0.1, "0.1"],
    [1e-7, "0.0000001"],
    [1e21, "1000000000000000000000"],
    [0, "0"],
    [-0, "0"],
    ["0.0141000", "0.0141"],
    ["128", "128"],
  ])("%s → %s", (value, expected) => {
    const parsed = decimalFromJson(value, "price");
    expect(parsed.ok && parsed.value.toFixed()).toBe(expected);
  });

  it.each([
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    -1,
    -0.0001,
    "-1",
    "1e3",
    "0x10",
    " 1",
    "",
    ".5",
    "1.",
    null,
    true,
    {},
  ])("refuses %s", (value) => {
    expect(decimalFromJson(value, "price").ok).toBe(false);
  });

  it("keeps exactly the number the provider wrote (shortest round trip)", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }), (value) => {
        const parsed = decimalFromJson(value, "price");
        expect(parsed.ok).toBe(true);
        if (parsed.ok) expect(Number(parsed.value.toFixed())).toBe(value === 0 ? 0 : value);
      }),
    );
  });
});

describe("json paths", () => {
  it.each([
    ["price", ["price"]],
    ["data.rates.XAU", ["data", "rates", "XAU"]],
    ['["pax-gold"].usd', ["pax-gold", "usd"]],
    ["pax-gold.usd", ["pax-gold", "usd"]],
    ["data.items[0]['price usd']", ["data", "items", 0, "price usd"]],
    ["$.data[12].price", ["data", 12, "price"]],
    ["$", []],
  ])("parses %s", (path, segments) => {
    expect(parseJsonPath(path)).toEqual({ ok: true, value: segments });
  });

  it.each(["", ".price", "data..price", "data.", "data[x]", "data['open", "data price", "data[0]x", "$data"])(
    "refuses %j",
    (path) => {
      expect(parseJsonPath(path).ok).toBe(false);
    },
  );

  it("refuses paths that are too long or too deep", () => {
    expect(parseJsonPath("a".repeat(201)).ok).toBe(false);
    expect(parseJsonPath(Array.from({ length: 17 }, () => "a").join(".")).ok).toBe(false);
  });

  it("reads own properties only", () => {
    expect(valueAtPath({ a: [{ b: "1" }] }, ["a", 0, "b"])).toBe("1");
    expect(valueAtPath({}, ["constructor"])).toBeUndefined();
    expect(valueAtPath({}, ["__proto__"])).toBeUndefined();
    expect(valueAtPath({ a: [1] }, ["a", 1])).toBeUndefined();
    expect(valueAtPath({ a: [1] }, ["a", "length"])).toBeUndefined();
    expect(valueAtPath({ a: { 0: "x" } }, ["a", 0])).toBeUndefined();
  });
});

describe("generic json_path adapter", () => {
  it.each([
    ["data.rates.XAU", "usd_per_troy_ounce", { data: { rates: { XAU: 4000 } } }, "128.602986274512"],
    ["price_gram_24k", "usd_per_gram", { price_gram_24k: 128.4 }, "128.4"],
    ["result[0].kg", "usd_per_kg", { result: [{ kg: "128400" }] }, "128.4"],
    ["$", "usd_per_gram", 128.4, "128.4"],
  ] as const)("reads %s in %s", (jsonPath, unit, answer, expected) => {
    const adapter = jsonPathAdapter({ id: "custom", kind: "gold", jsonPath, unit });
    expect(adapter.ok).toBe(true);
    if (adapter.ok)
      expect(adapter.value.parse(answer)).toMatchObject({ ok: true, value: { priceUsd: expected } });
  });

  it("reads a TFT price and a unix timestamp", () => {
    const adapter = jsonPathAdapter({
      id: "custom-tft",
      kind: "tft",
      jsonPath: "data.price",
      unit: "usd",
      timestampPath: "data.time",
      timestampFormat: "unix_ms",
    });
    if (!adapter.ok) throw new Error(adapter.detail);
    expect(adapter.value.parse({ data: { price: "0.0141", time: 1_763_640_000_123 } })).toEqual({
      ok: true,
      value: {
        priceUsd: "0.0141",
        unit: "usd",
        sourcePriceUsd: "0.0141",
        sourceUnit: "usd",
        observedAtMs: 1_763_640_000_123,
      },
    });
    expectFailure(adapter.value.parse({ data: { price: "0.0141" } }), "data.time");
    expectFailure(adapter.value.parse({ data: {} }), "data.price");
  });

  it("refuses a unit that does not fit the kind, and a bad path, at creation", () => {
    expectFailure(jsonPathAdapter({ id: "x", kind: "tft", jsonPath: "p", unit: "usd_per_gram" }), "unit");
    expectFailure(jsonPathAdapter({ id: "x", kind: "gold", jsonPath: "p", unit: "usd" }), "unit");
    expectFailure(
      jsonPathAdapter({ id: "x", kind: "gold", jsonPath: "..", unit: "usd_per_gram" }),
      "json path",
    );
  });
});

describe("adapter specs (configuration)", () => {
  it("validates each adapter type and fills defaults", () => {
    expect(adapterSpecSchema.parse({ type: "stellar_order_book" })).toEqual({
      type: "stellar_order_book",
      baseAssetCode: "TFT",
      counterAssetCodes: ["USDC"],
      spreadRatioMax: "0.1",
    });
    expect(adapterSpecSchema.safeParse({ type: "gold_api", extra: 1 }).success).toBe(false);
    expect(adapterSpecSchema.safeParse({ type: "json_path", jsonPath: "a..b", unit: "usd" }).success).toBe(
      false,
    );
    expect(
      adapterSpecSchema.safeParse({ type: "coingecko_simple_price", coinId: "PAX GOLD", unit: "usd" })
        .success,
    ).toBe(false);
    expect(adapterSpecSchema.safeParse({ type: "unknown" }).success).toBe(false);
  });

  it.each([
    ["gold", { type: "gold_api" }, true],
    ["tft", { type: "gold_api" }, false],
    ["gold", { type: "metals_dev" }, true],
    ["tft", { type: "metals_dev" }, false],
    ["tft", { type: "stellar_order_book" }, true],
    ["gold", { type: "stellar_order_book" }, false],
    ["gold", { type: "coingecko_simple_price", coinId: "pax-gold", unit: "usd_per_troy_ounce" }, true],
    ["gold", { type: "coingecko_simple_price", coinId: "pax-gold", unit: "usd" }, false],
    ["tft", { type: "json_path", jsonPath: "p", unit: "usd" }, true],
  ] as const)("a %s source with %j fits: %s", (kind, spec, fits) => {
    const adapter = createAdapter("source", kind, adapterSpecSchema.parse(spec));
    expect(adapter.ok).toBe(fits);
    if (adapter.ok) expect(adapter.value).toMatchObject({ id: "source", kind });
  });

  it("normalises prices only into units that fit the kind", () => {
    expect(normalisePrice("gold", new Dec("128"), "usd").ok).toBe(false);
    expect(normalisePrice("tft", new Dec("0.01"), "usd_per_kg").ok).toBe(false);
    expect(normalisePrice("gold", new Dec("128000"), "usd_per_kg")).toMatchObject({
      ok: true,
      value: { priceUsd: "128" },
    });
  });
});
