/**
 * Oracle aggregation: turns one round of per-source quotes into one accepted price, or none.
 *
 * Pure: decimal strings in, decimal strings out (via the project's `Dec`), never floats. The
 * round's clock (`nowMs`) is an argument; nothing here reads the time or the network.
 */

import { invariant } from "../../kit/errors";
import { Dec } from "../../ledger/core/money";

/** What a quote prices: gold in USD per gram, or TFT in USD per token. */
export type QuoteKind = "gold" | "tft";
export const quoteKinds = ["gold", "tft"] as const satisfies readonly QuoteKind[];

/** One source's answer in one round. */
export type Quote = {
  /** The source's configured id ("coingecko-paxg"). */
  readonly source: string;
  readonly kind: QuoteKind;
  /** USD per gram (gold) or USD per TFT (tft) as a decimal string; null when there is no price. */
  readonly priceUsd: string | null;
  /** When the price was observed (the provider's timestamp when it gives one), ms since the epoch. */
  readonly observedAtMs: number;
  /** Why there is no price, in words; set by the fetch layer, never containing secrets. */
  readonly error?: string;
  /** Which step failed when `error` is set: the request (`fetch`, assumed when absent) or reading the answer (`parse`). */
  readonly failedAt?: "fetch" | "parse";
};

/** Why a quote was not used. */
export type DropReason =
  | "stale"
  | "unparsable"
  | "non_positive"
  | "out_of_bounds"
  | "outlier"
  | "fetch_failed";

/** A quote with its verdict. Extra fields of the input quote (latency, status) are kept. */
export type QuoteRecord<Q extends Quote = Quote> = Q & {
  readonly status: "accepted" | "dropped";
  readonly reason?: DropReason;
};

/** The outcome of one round for one kind. */
export type Aggregate<Q extends Quote = Quote> = {
  /** Median of the accepted quotes, or null when fewer than `quorum` were accepted. */
  readonly accepted: string | null;
  readonly quorumMet: boolean;
  /** Every input quote, in input order, with its verdict. */
  readonly quotes: ReadonlyArray<QuoteRecord<Q>>;
};

/** How strict a round is. Prices are decimal strings in the kind's unit. */
export type AggregationRules = {
  /** A quote observed longer ago than this (before `nowMs`) is stale. */
  readonly maxAgeMs: number;
  /** Lowest plausible price, inclusive. */
  readonly minUsd: string;
  /** Highest plausible price, inclusive. */
  readonly maxUsd: string;
  /** Largest allowed relative distance from the median of the other valid quotes ("0.05" = 5 %). */
  readonly outlierRatio: string;
  /** Accepted quotes needed for a price. */
  readonly quorum: number;
};

/** Quotes one round may aggregate: bounds the work of the outlier rounds. */
export const quotesPerRoundMax = 32;
/** Longest decimal string accepted as a price. */
export const priceTextLengthMax = 64;

/** Defaults shared by both kinds: 10 minutes, 5 %, two sources. */
export const defaultAggregationRules = {
  maxAgeMs: 10 * 60_000,
  outlierRatio: "0.05",
  quorum: 2,
} as const;

/** Gold in USD per gram: plausibility bounds far around today's ~128 USD/g. */
export const goldAggregationRules: AggregationRules = {
  ...defaultAggregationRules,
  minUsd: "10",
  maxUsd: "2000",
};

/** TFT in USD per token: plausibility bounds far around today's cents. */
export const tftAggregationRules: AggregationRules = {
  ...defaultAggregationRules,
  minUsd: "0.00001",
  maxUsd: "100",
};

const priceTextPattern = /^-?[0-9]+(\.[0-9]+)?$/;

/**
 * Median of decimal prices. For an even count it is the mean of the middle two, which is exact:
 * halving a terminating decimal adds at most one decimal place, so no rounding happens (well
 * within `Dec`'s 60 significant digits). The result is a plain decimal string without exponent
 * or trailing zeros ("128.5").
 */
export function medianOf(prices: readonly string[]): string {
  invariant(prices.length > 0, "medianOf: at least one price");
  return medianDec(prices.map((price) => new Dec(price))).toFixed();
}

function medianDec(values: readonly Dec[]): Dec {
  const sorted = [...values].sort((left, right) => left.comparedTo(right));
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle];
  invariant(upper !== undefined, "median of an empty list");
  if (sorted.length % 2 === 1) return upper;
  const lower = sorted[middle - 1];
  invariant(lower !== undefined, "median: missing lower middle");
  return lower.plus(upper).div(2);
}

/** Relative distance `|price − reference| / reference`; the reference is positive. */
function relativeDistance(price: Dec, reference: Dec): Dec {
  return price.minus(reference).abs().div(reference);
}

/** Symmetric distance used to rank offenders: `max / min` of the two prices. */
function symmetricDistance(price: Dec, reference: Dec): Dec {
  return price.greaterThan(reference) ? price.div(reference) : reference.div(price);
}

function assertRules(rules: AggregationRules): void {
  invariant(
    Number.isSafeInteger(rules.maxAgeMs) && rules.maxAgeMs > 0,
    "maxAgeMs must be a positive integer",
  );
  invariant(Number.isSafeInteger(rules.quorum) && rules.quorum >= 1, "quorum must be at least 1");
  invariant(
    priceTextPattern.test(rules.minUsd) && priceTextPattern.test(rules.maxUsd),
    "bounds must be decimals",
  );
  const minimum = new Dec(rules.minUsd);
  invariant(minimum.greaterThan(0) && minimum.lessThanOrEqualTo(rules.maxUsd), "need 0 < minUsd ≤ maxUsd");
  invariant(priceTextPattern.test(rules.outlierRatio), "outlierRatio must be a decimal");
  invariant(!new Dec(rules.outlierRatio).isNegative(), "outlierRatio must not be negative");
}

/** The first rule a quote fails before the outlier check, or undefined when it is valid. */
function firstFailure(quote: Quote, nowMs: number, rules: AggregationRules): DropReason | undefined {
  if (quote.error !== undefined) return quote.failedAt === "parse" ? "unparsable" : "fetch_failed";
  const text = quote.priceUsd;
  if (text === null || text.length > priceTextLengthMax || !priceTextPattern.test(text)) return "unparsable";
  if (!Number.isFinite(quote.observedAtMs)) return "unparsable";
  const price = new Dec(text);
  if (!price.greaterThan(0)) return "non_positive";
  if (nowMs - quote.observedAtMs > rules.maxAgeMs) return "stale";
  if (price.lessThan(rules.minUsd) || price.greaterThan(rules.maxUsd)) return "out_of_bounds";
  return undefined;
}

type Candidate = { readonly index: number; readonly price: Dec };

/**
 * The indexes (into `candidates`) to drop as outliers, removed one round at a time.
 *
 * Each round measures every remaining quote against the median of the OTHER remaining quotes.
 * If any is more than `outlierRatio` away, the farthest one is dropped (ranked by the symmetric
 * ratio max/min so neither side of a split is favoured; all of them on an exact tie) and the
 * round repeats. Two quotes that disagree are both dropped: neither can outvote the other. Why
 * rounds rather than one pass: with three quotes 100, 100, 200, the median of the others of each
 * 100 is 150, so a single pass would drop all three; removing 200 first leaves two that agree.
 * On return every kept quote is within `outlierRatio` of the median of the other kept quotes.
 */
function outlierIndexes(candidates: readonly Candidate[], ratio: Dec): Set<number> {
  const dropped = new Set<number>();
  let remaining = [...candidates];
  while (remaining.length >= 2) {
    const measured = remaining.map((candidate) => {
      const others = medianDec(remaining.filter((other) => other !== candidate).map((other) => other.price));
      return {
        candidate,
        offends: relativeDistance(candidate.price, others).greaterThan(ratio),
        distance: symmetricDistance(candidate.price, others),
      };
    });
    const offenders = measured.filter((entry) => entry.offends);
    if (offenders.length === 0) break;
    let farthest = offenders[0]!.distance;
    for (const entry of offenders) if (entry.distance.greaterThan(farthest)) farthest = entry.distance;
    const removed =
      remaining.length === 2
        ? remaining
        : offenders.filter((entry) => entry.distance.equals(farthest)).map((entry) => entry.candidate);
    for (const candidate of removed) dropped.add(candidate.index);
    remaining = remaining.filter((candidate) => !removed.includes(candidate));
  }
  return dropped;
}

/**
 * Aggregates one round of quotes of one kind into a price.
 *
 * A quote is dropped, first rule first, when: it carries an `error` (`fetch_failed`, or
 * `unparsable` when the answer could not be read); its price is missing, not a plain decimal or
 * longer than `priceTextLengthMax` (`unparsable`); it is ≤ 0 (`non_positive`); it was observed more
 * than `maxAgeMs` before `nowMs` (`stale`); it lies outside `[minUsd, maxUsd]` (`out_of_bounds`);
 * or it is more than `outlierRatio` away from the median of the other valid quotes (`outlier`, see
 * the round-by-round rule in the source). The price is the median of the accepted quotes (mean of
 * the middle two for an even count, exact) when at least `quorum` were accepted; otherwise null.
 *
 * @param quotes at most `quotesPerRoundMax`, all of the same kind.
 * @param nowMs the round's clock, ms since the epoch.
 */
export function aggregate<Q extends Quote>(
  quotes: readonly Q[],
  nowMs: number,
  rules: AggregationRules,
): Aggregate<Q> {
  invariant(quotes.length <= quotesPerRoundMax, `aggregate: at most ${quotesPerRoundMax} quotes`);
  invariant(Number.isFinite(nowMs), "aggregate: nowMs must be finite");
  assertRules(rules);
  const kind = quotes[0]?.kind;
  invariant(
    quotes.every((quote) => quote.kind === kind),
    "aggregate: quotes of one kind only",
  );

  const reasons = quotes.map((quote) => firstFailure(quote, nowMs, rules));
  const candidates: Candidate[] = [];
  quotes.forEach((quote, index) => {
    if (reasons[index] === undefined && quote.priceUsd !== null) {
      candidates.push({ index, price: new Dec(quote.priceUsd) });
    }
  });
  for (const index of outlierIndexes(candidates, new Dec(rules.outlierRatio))) reasons[index] = "outlier";

  const records = quotes.map((quote, index): QuoteRecord<Q> => {
    const reason = reasons[index];
    return reason === undefined ? { ...quote, status: "accepted" } : { ...quote, status: "dropped", reason };
  });
  const acceptedPrices = candidates.filter((candidate) => reasons[candidate.index] === undefined);
  const quorumMet = acceptedPrices.length >= rules.quorum;
  const accepted = quorumMet ? medianDec(acceptedPrices.map((candidate) => candidate.price)).toFixed() : null;
  return { accepted, quorumMet, quotes: records };
}
