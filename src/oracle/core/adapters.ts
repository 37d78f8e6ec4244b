/**
 * Price-source adapters: each turns one provider's JSON answer into a USD price, validated with
 * zod at the trust boundary. Pure parsing; the fetch layer (src/oracle/sources.ts) does the I/O.
 *
 * Normalised units: gold in USD per gram, TFT in USD per token. JSON numbers become decimal
 * strings through their shortest round-trip representation (what the provider wrote), never
 * through float arithmetic; NaN, infinities, negatives and exponent strings are rejected.
 */
import { z } from "zod";
import { fail, ok, type Result, zodFailure } from "../../kit/result";
import { Dec, roundDecimal } from "../../ledger/core/money";
import { priceTextLengthMax, type QuoteKind } from "./aggregate";

/** The unit a provider quotes in: per mass of gold, or per token ("usd"). */
export const priceUnits = ["usd_per_gram", "usd_per_troy_ounce", "usd_per_kg", "usd"] as const;
export type PriceUnit = (typeof priceUnits)[number];

/** Grams in one troy ounce (exact by definition). */
export const gramsPerTroyOunce = "31.1034768";
/** Decimal places kept when a unit conversion does not terminate (per troy ounce), rounded half-even. */
export const priceDecimalPlaces = 12;

/** A provider's price after parsing. */
export type ParsedPrice = {
  /** Normalised: USD per gram for gold, USD per token for TFT. */
  readonly priceUsd: string;
  /** The normalised unit: `usd_per_gram` for gold, `usd` for TFT. */
  readonly unit: "usd_per_gram" | "usd";
  /** The price as the provider quoted it, before unit conversion. */
  readonly sourcePriceUsd: string;
  readonly sourceUnit: PriceUnit;
  /** The provider's own observation time, when the answer carries one (ms since the epoch). */
  readonly observedAtMs?: number;
};

/** Parses one provider's answer. */
export type Adapter = {
  readonly id: string;
  readonly kind: QuoteKind;
  parse(json: unknown): Result<ParsedPrice>;
};

const decimalTextPattern = /^[0-9]+(\.[0-9]+)?$/;

/**
 * A non-negative decimal from a JSON value: a finite number (converted through its shortest
 * round-trip text, e.g. 4165.200195 → "4165.200195", 1e-7 → "0.0000001") or a plain decimal
 * string ("0.0141000"). Rejects NaN, ±Infinity, negatives, exponent strings and anything else.
 */
export function decimalFromJson(value: unknown, field: string): Result<Dec> {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return fail("VALIDATION_FAILED", `${field} is not a finite number`, field);
    if (value < 0) return fail("VALIDATION_FAILED", `${field} is negative`, field);
    return ok(new Dec(value === 0 ? 0 : value));
  }
  if (typeof value === "string") {
    if (value.length > priceTextLengthMax || !decimalTextPattern.test(value)) {
      return fail("VALIDATION_FAILED", `${field} is not a plain non-negative decimal`, field);
    }
    return ok(new Dec(value));
  }
  return fail("VALIDATION_FAILED", `${field} is not a number or decimal string`, field);
}

/** A timestamp from a JSON value: unix seconds or milliseconds (number), or ISO 8601 (string). */
export type TimestampFormat = "unix_seconds" | "unix_ms" | "iso8601";

function timestampFromJson(value: unknown, format: TimestampFormat, field: string): Result<number> {
  let ms = Number.NaN;
  if (format === "iso8601" && typeof value === "string" && value.length <= 64) ms = Date.parse(value);
  if (format === "unix_seconds" && typeof value === "number") ms = value * 1000;
  if (format === "unix_ms" && typeof value === "number") ms = value;
  if (!Number.isFinite(ms) || ms < 0)
    return fail("VALIDATION_FAILED", `${field} is not a ${format} time`, field);
  return ok(Math.floor(ms));
}

/** Converts a price in `unit` to the kind's normalised unit, or fails when they do not fit together. */
export function normalisePrice(
  kind: QuoteKind,
  price: Dec,
  unit: PriceUnit,
  observedAtMs?: number,
): Result<ParsedPrice> {
  if ((kind === "tft") !== (unit === "usd")) {
    return fail("VALIDATION_FAILED", `unit ${unit} does not fit a ${kind} price`, "unit");
  }
  let normalised: Dec;
  switch (unit) {
    case "usd":
    case "usd_per_gram":
      normalised = price;
      break;
    case "usd_per_kg":
      normalised = price.div(1000); // exact: three more decimal places
      break;
    case "usd_per_troy_ounce":
      normalised = roundDecimal(price.div(gramsPerTroyOunce), priceDecimalPlaces, "halfEven");
      break;
  }
  const parsed: ParsedPrice = {
    priceUsd: normalised.toFixed(),
    unit: kind === "gold" ? "usd_per_gram" : "usd",
    sourcePriceUsd: price.toFixed(),
    sourceUnit: unit,
  };
  return ok(observedAtMs === undefined ? parsed : { ...parsed, observedAtMs });
}

const jsonPrice = z.union([z.number(), z.string()]);

// ── CoinGecko ────────────────────────────────────────────────────────────────────────────────

const coinGeckoEntrySchema = z.object({
  usd: jsonPrice,
  last_updated_at: z.number().int().nonnegative().optional(),
});

export type CoinGeckoSimplePriceOptions = {
  readonly id: string;
  readonly kind: QuoteKind;
  /** CoinGecko API id: "pax-gold" (PAXG, 1 troy ounce of gold per token), "threefold-token". */
  readonly coinId: string;
  /** Unit of one coin: `usd_per_troy_ounce` for PAXG / XAUT, `usd` for TFT. */
  readonly unit: PriceUnit;
};

/**
 * CoinGecko "Coin Price by IDs", `GET /api/v3/simple/price?ids=<coinId>&vs_currencies=usd
 * &include_last_updated_at=true` (docs.coingecko.com/reference/simple-price). Implemented shape:
 * `{ "<coinId>": { "usd": 4012.5, "last_updated_at": 1711356300 } }`, the price a JSON number,
 * `last_updated_at` unix seconds (optional; other `usd_*` fields ignored). The demo key goes in the
 * `x-cg-demo-api-key` header.
 */
export function coinGeckoSimplePriceAdapter(options: CoinGeckoSimplePriceOptions): Adapter {
  return {
    id: options.id,
    kind: options.kind,
    parse(json) {
      if (typeof json !== "object" || json === null || !Object.hasOwn(json, options.coinId)) {
        return fail("VALIDATION_FAILED", `CoinGecko answer has no "${options.coinId}" entry`, options.coinId);
      }
      const entry = coinGeckoEntrySchema.safeParse((json as Record<string, unknown>)[options.coinId]);
      if (!entry.success) return zodFailure(entry.error, { context: "CoinGecko answer" });
      const price = decimalFromJson(entry.data.usd, `${options.coinId}.usd`);
      if (!price.ok) return price;
      const seconds = entry.data.last_updated_at;
      return normalisePrice(
        options.kind,
        price.value,
        options.unit,
        seconds === undefined ? undefined : seconds * 1000,
      );
    },
  };
}

// ── gold-api.com ─────────────────────────────────────────────────────────────────────────────

const goldApiSchema = z.object({
  symbol: z.literal("XAU"),
  price: jsonPrice,
  currency: z.literal("USD").optional(),
  updatedAt: z.string().max(64).optional(),
});

/**
 * gold-api.com, `GET https://api.gold-api.com/price/XAU` (gold-api.com/llms.txt; free, no key).
 * Implemented shape: `{ "currency": "USD", "currencySymbol": "$", "exchangeRate": 1,
 * "name": "Gold", "price": 4165.200195, "symbol": "XAU", "updatedAt": "2026-07-03T16:08:54Z",
 * "updatedAtReadable": "a few seconds ago" }`; `price` is USD per troy ounce, `updatedAt` ISO 8601.
 * A `currency` other than USD is refused.
 */
export function goldApiAdapter(id = "gold-api"): Adapter {
  return {
    id,
    kind: "gold",
    parse(json) {
      const answer = goldApiSchema.safeParse(json);
      if (!answer.success) return zodFailure(answer.error, { context: "gold-api.com answer" });
      const price = decimalFromJson(answer.data.price, "price");
      if (!price.ok) return price;
      let observedAtMs: number | undefined;
      if (answer.data.updatedAt !== undefined) {
        const time = timestampFromJson(answer.data.updatedAt, "iso8601", "updatedAt");
        if (!time.ok) return time;
        observedAtMs = time.value;
      }
      return normalisePrice("gold", price.value, "usd_per_troy_ounce", observedAtMs);
    },
  };
}

// ── metals.dev ───────────────────────────────────────────────────────────────────────────────

const metalsDevUnits = { toz: "usd_per_troy_ounce", g: "usd_per_gram", kg: "usd_per_kg" } as const;

const metalsDevSchema = z.object({
  status: z.literal("success"),
  currency: z.literal("USD"),
  unit: z.enum(["toz", "g", "kg"]),
  metals: z.object({ gold: jsonPrice }),
  timestamps: z.object({ metal: z.string().max(64) }).optional(),
});

/**
 * metals.dev, `GET https://api.metals.dev/v1/latest?api_key=<key>&currency=USD&unit=g` (or
 * `unit=toz` / `kg`; metals.dev/docs). Implemented shape: `{ "status": "success", "currency": "USD",
 * "unit": "g", "metals": { "gold": 128.31, "silver": …, … }, "currencies": { … },
 * "timestamps": { "metal": "2026-11-20T21:40:03.420Z", "currency": "…" } }`. Only `metals.gold` is
 * read, in the answer's `unit`; a failure answer (`"status": "failure"`) is refused.
 */
export function metalsDevAdapter(id = "metals-dev"): Adapter {
  return {
    id,
    kind: "gold",
    parse(json) {
      const answer = metalsDevSchema.safeParse(json);
      if (!answer.success) return zodFailure(answer.error, { context: "metals.dev answer" });
      const price = decimalFromJson(answer.data.metals.gold, "metals.gold");
      if (!price.ok) return price;
      let observedAtMs: number | undefined;
      if (answer.data.timestamps !== undefined) {
        const time = timestampFromJson(answer.data.timestamps.metal, "iso8601", "timestamps.metal");
        if (!time.ok) return time;
        observedAtMs = time.value;
      }
      return normalisePrice("gold", price.value, metalsDevUnits[answer.data.unit], observedAtMs);
    },
  };
}

// ── Stellar Horizon order book (TFT/USDC) ────────────────────────────────────────────────────

const horizonOfferSchema = z.object({
  price: z.string().max(priceTextLengthMax),
  amount: z.string().max(priceTextLengthMax),
});
const horizonAssetSchema = z.object({
  asset_type: z.string(),
  asset_code: z.string().optional(),
  asset_issuer: z.string().optional(),
});
const horizonOrderBookSchema = z.object({
  bids: z.array(horizonOfferSchema).max(200),
  asks: z.array(horizonOfferSchema).max(200),
  base: horizonAssetSchema,
  counter: horizonAssetSchema,
});

export type StellarOrderBookOptions = {
  readonly id: string;
  /** Code of the base (priced) asset: "TFT". */
  readonly baseAssetCode: string;
  /** Codes of USD stablecoins accepted as the counter asset: ["USDC"]. */
  readonly counterAssetCodes: readonly string[];
  /** Widest spread `(ask − bid) / mid` accepted: a thin book is no price ("0.1"). */
  readonly spreadRatioMax: string;
};

/**
 * Stellar Horizon "Retrieve an Order Book", `GET https://horizon.stellar.org/order_book
 * ?selling_asset_type=credit_alphanum4&selling_asset_code=TFT&selling_asset_issuer=<TFT issuer>
 * &buying_asset_type=credit_alphanum4&buying_asset_code=USDC&buying_asset_issuer=<USDC issuer>`
 * (developers.stellar.org, "The Order Book Object"). Implemented shape: `{ "bids": [{ "price_r":
 * { "n": 141, "d": 10000 }, "price": "0.0141000", "amount": "…" }], "asks": [ … ], "base":
 * { "asset_type": "credit_alphanum4", "asset_code": "TFT", "asset_issuer": "G…" }, "counter": { … } }`,
 * prices in counter per base as decimal strings. The price is the mid of the best bid (highest) and
 * best ask (lowest), exact; an empty side, a crossed book or a spread above `spreadRatioMax` is refused.
 */
export function stellarOrderBookAdapter(options: StellarOrderBookOptions): Adapter {
  const spreadRatioMax = new Dec(options.spreadRatioMax);
  return {
    id: options.id,
    kind: "tft",
    parse(json) {
      const answer = horizonOrderBookSchema.safeParse(json);
      if (!answer.success) return zodFailure(answer.error, { context: "Horizon answer" });
      const book = answer.data;
      if (book.base.asset_code !== options.baseAssetCode) {
        return fail("VALIDATION_FAILED", `order book base is not ${options.baseAssetCode}`, "base");
      }
      if (
        book.counter.asset_code === undefined ||
        !options.counterAssetCodes.includes(book.counter.asset_code)
      ) {
        return fail("VALIDATION_FAILED", "order book counter is not an accepted USD stablecoin", "counter");
      }
      const best = (side: "bids" | "asks"): Result<Dec | null> => {
        let chosen: Dec | null = null;
        for (const [index, offer] of book[side].entries()) {
          const price = decimalFromJson(offer.price, `${side}.${index}.price`);
          if (!price.ok) return price;
          if (price.value.isZero()) continue;
          const better =
            chosen === null ||
            (side === "bids" ? price.value.greaterThan(chosen) : price.value.lessThan(chosen));
          if (better) chosen = price.value;
        }
        return ok(chosen);
      };
      const bid = best("bids");
      if (!bid.ok) return bid;
      const ask = best("asks");
      if (!ask.ok) return ask;
      if (bid.value === null || ask.value === null) {
        return fail(
          "VALIDATION_FAILED",
          "order book has an empty side",
          bid.value === null ? "bids" : "asks",
        );
      }
      if (bid.value.greaterThan(ask.value)) return fail("VALIDATION_FAILED", "order book is crossed", "bids");
      const mid = bid.value.plus(ask.value).div(2);
      if (ask.value.minus(bid.value).div(mid).greaterThan(spreadRatioMax)) {
        return fail("VALIDATION_FAILED", `order book spread exceeds ${options.spreadRatioMax}`, "asks");
      }
      return normalisePrice("tft", mid, "usd");
    },
  };
}

// ── Generic JSON path ────────────────────────────────────────────────────────────────────────

/** Longest JSON path and most segments accepted. */
export const jsonPathLengthMax = 200;
export const jsonPathSegmentsMax = 16;

/**
 * Splits a dot/bracket path into keys and indexes: `data.rates.XAU`, `["pax-gold"].usd`,
 * `data.items[0]['price usd']`, optionally prefixed by `$`; `$` alone is the whole answer (a bare
 * number). Dot keys are letters, digits, `_`, `-`
 * and `$`; bracket keys are quoted with ' or " (no escapes); indexes are decimal integers.
 */
export function parseJsonPath(path: string): Result<Array<string | number>> {
  if (path.length === 0 || path.length > jsonPathLengthMax) {
    return fail("VALIDATION_FAILED", "json path is empty or too long", "jsonPath");
  }
  if (path === "$") return ok([]);
  const segments: Array<string | number> = [];
  const token = /\.?([A-Za-z0-9_$-]+)|\[(\d{1,9})\]|\['([^']*)'\]|\["([^"]*)"\]/y;
  let position = path.startsWith("$") && path.length > 1 ? 1 : 0;
  while (position < path.length) {
    token.lastIndex = position;
    const match = token.exec(path);
    const isFirstBareKey = position === 0 && match?.[0].startsWith(".") === true;
    const missingDot = position > 0 && match?.[1] !== undefined && !match[0].startsWith(".");
    if (match === null || isFirstBareKey || missingDot) {
      return fail("VALIDATION_FAILED", `json path is invalid at character ${position + 1}`, "jsonPath");
    }
    const [, dotKey, index, singleQuoted, doubleQuoted] = match;
    segments.push(index !== undefined ? Number(index) : (dotKey ?? singleQuoted ?? doubleQuoted ?? ""));
    position = token.lastIndex;
  }
  if (segments.length > jsonPathSegmentsMax) {
    return fail("VALIDATION_FAILED", `json path has more than ${jsonPathSegmentsMax} segments`, "jsonPath");
  }
  return ok(segments);
}

/** The value at `segments` in `json`, using own properties only (no prototype lookups). */
export function valueAtPath(json: unknown, segments: ReadonlyArray<string | number>): unknown {
  let current: unknown = json;
  for (const segment of segments) {
    if (typeof segment === "number") {
      if (!Array.isArray(current) || segment >= current.length) return undefined;
      current = current[segment];
    } else {
      if (typeof current !== "object" || current === null || Array.isArray(current)) return undefined;
      if (!Object.hasOwn(current, segment)) return undefined;
      current = (current as Record<string, unknown>)[segment];
    }
  }
  return current;
}

export type JsonPathOptions = {
  readonly id: string;
  readonly kind: QuoteKind;
  /** Where the price is, e.g. `data.price` or `["pax-gold"].usd`. */
  readonly jsonPath: string;
  readonly unit: PriceUnit;
  /** Where the provider's timestamp is, if it gives one, and its format. */
  readonly timestampPath?: string;
  readonly timestampFormat?: TimestampFormat;
};

/**
 * A configurable adapter for any JSON price endpoint: the value at `jsonPath` (a JSON number or a
 * plain decimal string) in `unit`, optionally with a timestamp at `timestampPath`. Fails at creation
 * when a path is invalid or the unit does not fit the kind.
 */
export function jsonPathAdapter(options: JsonPathOptions): Result<Adapter> {
  const pricePath = parseJsonPath(options.jsonPath);
  if (!pricePath.ok) return pricePath;
  let timePath: Array<string | number> | undefined;
  if (options.timestampPath !== undefined) {
    const parsed = parseJsonPath(options.timestampPath);
    if (!parsed.ok) return fail(parsed.code, parsed.detail, "timestampPath");
    timePath = parsed.value;
  }
  const fits = normalisePrice(options.kind, new Dec(1), options.unit);
  if (!fits.ok) return fits;
  const timestampFormat = options.timestampFormat ?? "iso8601";
  return ok({
    id: options.id,
    kind: options.kind,
    parse(json) {
      const price = decimalFromJson(valueAtPath(json, pricePath.value), options.jsonPath);
      if (!price.ok) return price;
      let observedAtMs: number | undefined;
      if (timePath !== undefined && options.timestampPath !== undefined) {
        const time = timestampFromJson(valueAtPath(json, timePath), timestampFormat, options.timestampPath);
        if (!time.ok) return time;
        observedAtMs = time.value;
      }
      return normalisePrice(options.kind, price.value, options.unit, observedAtMs);
    },
  });
}

// ── Configuration ────────────────────────────────────────────────────────────────────────────

const decimalText = z.string().max(priceTextLengthMax).regex(decimalTextPattern, "expected a plain decimal");
const assetCode = z.string().regex(/^[A-Za-z0-9]{1,12}$/, "expected a Stellar asset code");
const jsonPathText = z
  .string()
  .max(jsonPathLengthMax)
  .refine((path) => parseJsonPath(path).ok, "invalid json path");

/** Which adapter a configured source uses, with its options (part of the sources JSON). */
export const adapterSpecSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("coingecko_simple_price"),
    coinId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,99}$/, "expected a CoinGecko API id"),
    unit: z.enum(priceUnits),
  }),
  z.strictObject({ type: z.literal("gold_api") }),
  z.strictObject({ type: z.literal("metals_dev") }),
  z.strictObject({
    type: z.literal("stellar_order_book"),
    baseAssetCode: assetCode.default("TFT"),
    counterAssetCodes: z.array(assetCode).min(1).max(8).default(["USDC"]),
    spreadRatioMax: decimalText.default("0.1"),
  }),
  z.strictObject({
    type: z.literal("json_path"),
    jsonPath: jsonPathText,
    unit: z.enum(priceUnits),
    timestampPath: jsonPathText.optional(),
    timestampFormat: z.enum(["unix_seconds", "unix_ms", "iso8601"]).optional(),
  }),
]);
export type AdapterSpec = z.infer<typeof adapterSpecSchema>;

/** Builds the adapter a spec describes, or fails when the spec does not fit the kind. */
export function createAdapter(id: string, kind: QuoteKind, spec: AdapterSpec): Result<Adapter> {
  switch (spec.type) {
    case "coingecko_simple_price": {
      const fits = normalisePrice(kind, new Dec(1), spec.unit);
      if (!fits.ok) return fits;
      return ok(coinGeckoSimplePriceAdapter({ id, kind, coinId: spec.coinId, unit: spec.unit }));
    }
    case "gold_api":
      return kind === "gold"
        ? ok(goldApiAdapter(id))
        : fail("VALIDATION_FAILED", "gold_api prices gold", "kind");
    case "metals_dev":
      return kind === "gold"
        ? ok(metalsDevAdapter(id))
        : fail("VALIDATION_FAILED", "metals_dev prices gold", "kind");
    case "stellar_order_book":
      if (kind !== "tft") return fail("VALIDATION_FAILED", "stellar_order_book prices TFT", "kind");
      return ok(
        stellarOrderBookAdapter({
          id,
          baseAssetCode: spec.baseAssetCode,
          counterAssetCodes: spec.counterAssetCodes,
          spreadRatioMax: spec.spreadRatioMax,
        }),
      );
    case "json_path": {
      const options: JsonPathOptions = { id, kind, jsonPath: spec.jsonPath, unit: spec.unit };
      return jsonPathAdapter({
        ...options,
        ...(spec.timestampPath === undefined ? {} : { timestampPath: spec.timestampPath }),
        ...(spec.timestampFormat === undefined ? {} : { timestampFormat: spec.timestampFormat }),
      });
    }
  }
}
