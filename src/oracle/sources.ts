/**
 * The oracle's fetch layer, run by the Worker's cron: fetches every configured price source
 * concurrently, each with its own timeout and response-size bound, parses the answers with the
 * domain adapters and aggregates one round per kind. It never throws for a source's failure: a
 * failure becomes a quote with an `error`. Persistence is the caller's job; this returns plain data.
 *
 * Sources come from a JSON list (an env var) validated by `parseSourceConfig`. Secrets are never
 * in that JSON: a source names the env var holding its key (`apiKeyEnv: "METALS_DEV_API_KEY"`) and
 * the key is read from the env passed at call time, put in a header or query parameter, and never
 * written to a quote, an error or a log. Example (the README quotes this):
 *
 * ```json
 * [
 *   { "id": "coingecko-paxg", "kind": "gold",
 *     "url": "https://api.coingecko.com/api/v3/simple/price?ids=pax-gold&vs_currencies=usd&include_last_updated_at=true",
 *     "adapter": { "type": "coingecko_simple_price", "coinId": "pax-gold", "unit": "usd_per_troy_ounce" },
 *     "apiKeyEnv": "COINGECKO_API_KEY", "apiKeyHeader": "x-cg-demo-api-key" },
 *   { "id": "gold-api", "kind": "gold", "url": "https://api.gold-api.com/price/XAU",
 *     "adapter": { "type": "gold_api" } },
 *   { "id": "metals-dev", "kind": "gold", "url": "https://api.metals.dev/v1/latest?currency=USD&unit=g",
 *     "adapter": { "type": "metals_dev" }, "apiKeyEnv": "METALS_DEV_API_KEY", "apiKeyQueryParam": "api_key" },
 *   { "id": "coingecko-tft", "kind": "tft",
 *     "url": "https://api.coingecko.com/api/v3/simple/price?ids=threefold-token&vs_currencies=usd&include_last_updated_at=true",
 *     "adapter": { "type": "coingecko_simple_price", "coinId": "threefold-token", "unit": "usd" } },
 *   { "id": "stellar-tft-usdc", "kind": "tft",
 *     "url": "https://horizon.stellar.org/order_book?selling_asset_type=credit_alphanum4&selling_asset_code=TFT&selling_asset_issuer=<TFT issuer>&buying_asset_type=credit_alphanum4&buying_asset_code=USDC&buying_asset_issuer=<USDC issuer>",
 *     "adapter": { "type": "stellar_order_book" } }
 * ]
 * ```
 */
import { z } from "zod";
import { now } from "../kit/clock";
import { invariant } from "../kit/errors";
import { fail, ok, type Result } from "../kit/result";
import { type Adapter, type AdapterSpec, adapterSpecSchema, createAdapter } from "./core/adapters";
import {
  type Aggregate,
  type AggregationRules,
  aggregate,
  goldAggregationRules,
  type Quote,
  type QuoteKind,
  type QuoteRecord,
  quoteKinds,
  tftAggregationRules,
} from "./core/aggregate";
import { ccUsd } from "./core/peg";

/** Sources one round may fetch. */
export const sourcesPerRoundMax = 16;
/** Per-source timeout: default, and the allowed range. */
export const sourceTimeoutMsDefault = 3_000;
export const sourceTimeoutMsMin = 50;
export const sourceTimeoutMsMax = 10_000;
/** Per-source response size bound: default, and the largest that may be configured. */
export const responseBytesMaxDefault = 64 * 1024;
export const responseBytesMaxLimit = 1024 * 1024;
/** How far ahead of the round's clock a provider's timestamp may be before it is distrusted. */
export const futureSkewMsMax = 2 * 60_000;
/** Longest source-config JSON accepted (the env var). */
export const sourceConfigBytesMax = 64 * 1024;

const envName = z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/, "expected an env var name such as GOLD_API_KEY");
const headerName = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, "expected an HTTP header name");

const sourceConfigSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "expected a lowercase id such as gold-api"),
    kind: z.enum(quoteKinds),
    url: z
      .url({ protocol: /^https?$/ })
      .max(2048)
      .refine((text) => !new URL(text).username && !new URL(text).password, "no credentials in the url"),
    adapter: adapterSpecSchema,
    timeoutMs: z.int().min(sourceTimeoutMsMin).max(sourceTimeoutMsMax).default(sourceTimeoutMsDefault),
    responseBytesMax: z.int().min(256).max(responseBytesMaxLimit).default(responseBytesMaxDefault),
    apiKeyEnv: envName.optional(),
    apiKeyHeader: headerName.optional(),
    apiKeyQueryParam: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/)
      .optional(),
  })
  .refine(
    (source) =>
      source.apiKeyEnv !== undefined || (source.apiKeyHeader ?? source.apiKeyQueryParam) === undefined,
    { message: "apiKeyHeader / apiKeyQueryParam need apiKeyEnv", path: ["apiKeyEnv"] },
  )
  .refine((source) => source.apiKeyHeader === undefined || source.apiKeyQueryParam === undefined, {
    message: "put the key in a header or a query parameter, not both",
    path: ["apiKeyQueryParam"],
  });

const sourceListSchema = z
  .array(sourceConfigSchema)
  .min(1)
  .max(sourcesPerRoundMax)
  .refine((sources) => new Set(sources.map((source) => source.id)).size === sources.length, {
    message: "source ids must be unique",
  });

/** One configured price source (plain data, as validated by `parseSourceConfig`). */
export type SourceConfig = {
  readonly id: string;
  readonly kind: QuoteKind;
  /** http(s) URL of the provider's endpoint, without secrets. */
  readonly url: string;
  readonly adapter: AdapterSpec;
  readonly timeoutMs: number;
  readonly responseBytesMax: number;
  /** Name of the env var holding the API key (never the key itself). */
  readonly apiKeyEnv?: string | undefined;
  /** Header carrying the key; `x-api-key` when neither this nor `apiKeyQueryParam` is set. */
  readonly apiKeyHeader?: string | undefined;
  /** Query parameter carrying the key instead of a header (metals.dev: `api_key`). */
  readonly apiKeyQueryParam?: string | undefined;
};

/**
 * Validates the configured source list: a JSON string (the env var's text) or an already-parsed
 * value. At most `sourcesPerRoundMax` sources with unique ids, http(s) URLs without credentials,
 * timeouts and size bounds within their limits, and adapters that fit their kind.
 */
export function parseSourceConfig(json: unknown): Result<SourceConfig[]> {
  let value = json;
  if (typeof json === "string") {
    if (json.length > sourceConfigBytesMax) return fail("VALIDATION_FAILED", "source config is too long");
    try {
      value = JSON.parse(json);
    } catch {
      return fail("VALIDATION_FAILED", "source config is not valid JSON");
    }
  }
  const parsed = sourceListSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.join(".") ?? "";
    return fail(
      "VALIDATION_FAILED",
      `source config ${path || "(root)"}: ${issue?.message ?? "invalid"}`,
      path,
    );
  }
  const sources: SourceConfig[] = [];
  for (const [index, source] of parsed.data.entries()) {
    const adapter = createAdapter(source.id, source.kind, source.adapter);
    if (!adapter.ok)
      return fail("VALIDATION_FAILED", `source ${source.id}: ${adapter.detail}`, `${index}.adapter`);
    sources.push(source);
  }
  return ok(sources);
}

/** A quote as fetched: the aggregation's `Quote` plus what the fetch observed. */
export type FetchedQuote = Quote & {
  /** Time from sending the request to having the parsed answer (or the failure), ms. */
  readonly latencyMs: number;
  /** The HTTP status, when a response arrived. */
  readonly httpStatus?: number;
};

/** Env vars the sources' secrets are read from (a Worker's `env`, or `process.env` in tools). */
export type SecretEnv = Readonly<Record<string, unknown>>;

class SourceFailure extends Error {
  constructor(
    message: string,
    readonly failedAt: "fetch" | "parse",
    readonly httpStatus?: number,
  ) {
    super(message);
  }
}

/** Reads at most `bytesMax` bytes of the body, cancelling the stream as soon as it would exceed them. */
async function readBounded(response: Response, bytesMax: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(declared) && declared > bytesMax) {
    await response.body?.cancel().catch(() => undefined);
    throw new SourceFailure(`response larger than ${bytesMax} bytes`, "fetch", response.status);
  }
  const body = new Uint8Array(bytesMax);
  let length = 0;
  if (response.body === null) return body.subarray(0, 0);
  const reader = response.body.getReader();
  for (;;) {
    const chunk = await reader.read();
    if (chunk.done) break;
    if (length + chunk.value.byteLength > bytesMax) {
      await reader.cancel().catch(() => undefined);
      throw new SourceFailure(`response larger than ${bytesMax} bytes`, "fetch", response.status);
    }
    body.set(chunk.value, length);
    length += chunk.value.byteLength;
  }
  return body.subarray(0, length);
}

/** A failure's description without its message, which might echo a URL carrying a key. */
function describeError(error: unknown, timeoutMs: number): string {
  if (error instanceof SourceFailure) return error.message;
  const name = error instanceof Error ? error.name : typeof error;
  if (name === "TimeoutError" || name === "AbortError") return `timed out after ${timeoutMs} ms`;
  const cause = error instanceof Error ? (error as { cause?: unknown }).cause : undefined;
  const code =
    typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string"
      ? cause.code
      : undefined;
  return code === undefined ? `network error (${name})` : `network error (${code})`;
}

async function fetchOne(
  source: SourceConfig,
  adapter: Adapter,
  fetchFn: typeof fetch,
  nowMs: number,
  env: SecretEnv,
): Promise<FetchedQuote> {
  const startedMs = now();
  let httpStatus: number | undefined;
  const base = { source: source.id, kind: source.kind };
  const failed = (error: string, failedAt: "fetch" | "parse"): FetchedQuote => ({
    ...base,
    priceUsd: null,
    observedAtMs: nowMs,
    error,
    failedAt,
    latencyMs: now() - startedMs,
    ...(httpStatus === undefined ? {} : { httpStatus }),
  });
  try {
    const url = new URL(source.url);
    const headers = new Headers({ accept: "application/json" });
    if (source.apiKeyEnv !== undefined) {
      const key = env[source.apiKeyEnv];
      if (typeof key !== "string" || key.length === 0)
        return failed(`secret ${source.apiKeyEnv} is not set`, "fetch");
      if (source.apiKeyQueryParam !== undefined) url.searchParams.set(source.apiKeyQueryParam, key);
      else headers.set(source.apiKeyHeader ?? "x-api-key", key);
    }
    // Redirects are not followed: a custom key header would travel to wherever they point.
    const response = await fetchFn(url, {
      headers,
      redirect: "manual",
      signal: AbortSignal.timeout(source.timeoutMs),
    });
    httpStatus = response.status;
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      return failed(`http status ${response.status}`, "fetch");
    }
    const bytes = await readBounded(response, source.responseBytesMax);
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes));
    } catch {
      return failed("answer is not valid JSON", "parse");
    }
    const parsed = adapter.parse(json);
    if (!parsed.ok) return failed(parsed.detail, "parse");
    const providerMs = parsed.value.observedAtMs;
    if (providerMs !== undefined && providerMs > nowMs + futureSkewMsMax) {
      return failed("provider timestamp is in the future", "parse");
    }
    return {
      ...base,
      priceUsd: parsed.value.priceUsd,
      observedAtMs: providerMs === undefined ? nowMs : Math.min(providerMs, nowMs),
      latencyMs: now() - startedMs,
      httpStatus: response.status,
    };
  } catch (error) {
    const failedAt = error instanceof SourceFailure ? error.failedAt : "fetch";
    return failed(describeError(error, source.timeoutMs), failedAt);
  }
}

/**
 * Fetches every source concurrently and returns one quote per source, in the sources' order.
 * Each request has its own `AbortSignal.timeout(timeoutMs)` (covering the body too) and reads at
 * most `responseBytesMax` bytes. Never rejects: a missing secret, a refused connection, a timeout,
 * a non-2xx status, an oversize or malformed answer each become a quote with `error` (`failedAt`
 * `parse` when the answer arrived but could not be read). A quote's `observedAtMs` is the
 * provider's timestamp when it gives one (capped at `nowMs`), else `nowMs`.
 *
 * @param nowMs the round's clock, ms since the epoch.
 * @param env where `apiKeyEnv` names are looked up.
 */
export async function fetchQuotes(
  sources: readonly SourceConfig[],
  fetchFn: typeof fetch,
  nowMs: number,
  env: SecretEnv = {},
): Promise<FetchedQuote[]> {
  invariant(sources.length <= sourcesPerRoundMax, `fetchQuotes: at most ${sourcesPerRoundMax} sources`);
  invariant(
    new Set(sources.map((source) => source.id)).size === sources.length,
    "fetchQuotes: source ids must be unique",
  );
  return Promise.all(
    sources.map(async (source): Promise<FetchedQuote> => {
      const adapter = createAdapter(source.id, source.kind, source.adapter);
      if (!adapter.ok) {
        return {
          source: source.id,
          kind: source.kind,
          priceUsd: null,
          observedAtMs: nowMs,
          error: adapter.detail,
          failedAt: "parse",
          latencyMs: 0,
        };
      }
      return fetchOne(source, adapter.value, fetchFn, nowMs, env);
    }),
  );
}

/** One oracle round: the aggregate per kind and every source's record. */
export type OracleRound = {
  readonly roundAtMs: number;
  /** Gold in USD per gram. */
  readonly gold: Aggregate<FetchedQuote>;
  /** TFT in USD per token. */
  readonly tft: Aggregate<FetchedQuote>;
  /** USD per CC from the accepted gold price (§4), or null without one. */
  readonly ccUsd: string | null;
  /** Every source's quote with its verdict, in the configured order. */
  readonly records: ReadonlyArray<QuoteRecord<FetchedQuote>>;
  /** Wall time the round took, ms. */
  readonly durationMs: number;
};

export type OracleRoundOptions = {
  readonly env?: SecretEnv;
  readonly goldRules?: AggregationRules;
  readonly tftRules?: AggregationRules;
};

/**
 * Runs one oracle round: fetches all sources (`fetchQuotes`), aggregates gold and TFT separately
 * with their rules, and derives `ccUsd` from the gold price. Never rejects for a source's failure.
 */
export async function runOracleRound(
  sources: readonly SourceConfig[],
  fetchFn: typeof fetch,
  nowMs: number,
  options: OracleRoundOptions = {},
): Promise<OracleRound> {
  const startedMs = now();
  const quotes = await fetchQuotes(sources, fetchFn, nowMs, options.env);
  const gold = aggregate(
    quotes.filter((quote) => quote.kind === "gold"),
    nowMs,
    options.goldRules ?? goldAggregationRules,
  );
  const tft = aggregate(
    quotes.filter((quote) => quote.kind === "tft"),
    nowMs,
    options.tftRules ?? tftAggregationRules,
  );
  const verdicts = new Map([...gold.quotes, ...tft.quotes].map((record) => [record.source, record]));
  const records = quotes.map((quote) => verdicts.get(quote.source)!);
  return {
    roundAtMs: nowMs,
    gold,
    tft,
    ccUsd: gold.accepted === null ? null : ccUsd(gold.accepted).toFixed(),
    records,
    durationMs: now() - startedMs,
  };
}
