// Proves the oracle aggregation: each drop rule in isolation, the round-by-round outlier rule,
// quorum, the exact median, and that the accepted price always lies within the accepted quotes.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvariantError } from "../../../src/kit/errors";
import { Dec } from "../../../src/ledger/core/money";
import {
  type AggregationRules,
  aggregate,
  goldAggregationRules,
  medianOf,
  type Quote,
} from "../../../src/oracle/core/aggregate";

const nowMs = Date.UTC(2026, 10, 18, 12, 0, 0);
const rules: AggregationRules = { ...goldAggregationRules, minUsd: "10", maxUsd: "2000" };

function quote(source: string, priceUsd: string | null, extra: Partial<Quote> = {}): Quote {
  return { source, kind: "gold", priceUsd, observedAtMs: nowMs - 1_000, ...extra };
}

function verdicts(quotes: Quote[], withRules: AggregationRules = rules) {
  return aggregate(quotes, nowMs, withRules).quotes.map((record) => record.reason ?? record.status);
}

describe("medianOf", () => {
  it.each([
    [["128"], "128"],
    [["130", "128", "129"], "129"],
    [["128", "129"], "128.5"],
    [["0.0000001", "0.0000002"], "0.00000015"],
    [["1", "2", "3", "100"], "2.5"],
  ])("median of %j is %s (even count: exact mean of the middle two)", (prices, expected) => {
    expect(medianOf(prices)).toBe(expected);
  });

  it("refuses an empty list", () => {
    expect(() => medianOf([])).toThrow(InvariantError);
  });
});

describe("aggregate: drop rules", () => {
  it("accepts agreeing quotes and returns their median", () => {
    const result = aggregate([quote("a", "128.1"), quote("b", "128.3"), quote("c", "128.2")], nowMs, rules);
    expect(result).toMatchObject({ accepted: "128.2", quorumMet: true });
    expect(result.quotes.every((record) => record.status === "accepted")).toBe(true);
  });

  it.each([
    ["fetch_failed", quote("x", null, { error: "network error (ECONNREFUSED)" })],
    ["unparsable", quote("x", null, { error: "answer is not valid JSON", failedAt: "parse" })],
    ["unparsable", quote("x", null)],
    ["unparsable", quote("x", "1e3")],
    ["unparsable", quote("x", "12,5")],
    ["unparsable", quote("x", " 128")],
    ["unparsable", quote("x", `1${"0".repeat(70)}`)],
    ["unparsable", quote("x", "128", { observedAtMs: Number.NaN })],
    ["non_positive", quote("x", "0")],
    ["non_positive", quote("x", "-128")],
    ["non_positive", quote("x", "0.000")],
    ["stale", quote("x", "128", { observedAtMs: nowMs - rules.maxAgeMs - 1 })],
    ["out_of_bounds", quote("x", "9.99")],
    ["out_of_bounds", quote("x", "2000.01")],
  ] as const)("drops as %s: %j", (reason, bad) => {
    expect(verdicts([quote("a", "128"), quote("b", "128"), bad])).toEqual(["accepted", "accepted", reason]);
  });

  it("keeps a quote exactly at the age limit and exactly on the bounds", () => {
    const edgeRules = { ...rules, minUsd: "128", maxUsd: "130", outlierRatio: "0.05" };
    expect(
      verdicts(
        [quote("a", "128", { observedAtMs: nowMs - rules.maxAgeMs }), quote("b", "130"), quote("c", "129")],
        edgeRules,
      ),
    ).toEqual(["accepted", "accepted", "accepted"]);
  });

  it("accepts a quote observed after the round's clock", () => {
    expect(verdicts([quote("a", "128", { observedAtMs: nowMs + 5_000 }), quote("b", "128")])).toEqual([
      "accepted",
      "accepted",
    ]);
  });

  it("applies the first failing rule: an error wins over a price", () => {
    expect(
      verdicts([quote("a", "128"), quote("b", "128"), quote("x", "128", { error: "timed out" })]),
    ).toEqual(["accepted", "accepted", "fetch_failed"]);
  });
});

describe("aggregate: outliers", () => {
  it.each([
    // [prices, expected verdicts, expected price]
    [["100", "100", "200"], ["accepted", "accepted", "outlier"], "100"],
    [["100", "101", "102", "200"], ["accepted", "accepted", "accepted", "outlier"], "101"],
    [["100", "105"], ["accepted", "accepted"], "102.5"], // 5 % and 4.76 %: within
    [["100", "105.01"], ["outlier", "outlier"], null], // two that disagree: neither outvotes the other
    [["100", "100", "200", "200"], ["outlier", "outlier", "outlier", "outlier"], null], // a 2-2 split
    [["90", "100", "110"], ["outlier", "outlier", "outlier"], null], // no consensus within 5 %
    [["128", "128.5", "129", "50"], ["accepted", "accepted", "accepted", "outlier"], "128.5"],
    [["128", "128", "128", "140", "40"], ["accepted", "accepted", "accepted", "outlier", "outlier"], "128"],
  ] as const)("%j → %j, price %s", (prices, expected, price) => {
    const quotes = prices.map((text, index) => quote(`s${index}`, text));
    const result = aggregate(quotes, nowMs, { ...rules, outlierRatio: "0.05" });
    expect(result.quotes.map((record) => record.reason ?? record.status)).toEqual(expected);
    expect(result.accepted).toBe(price);
  });

  it("judges outliers only among quotes that passed the other rules", () => {
    // the stale 500 must not pull anything; the 128s agree
    expect(
      verdicts([
        quote("a", "128"),
        quote("b", "128"),
        quote("c", "500", { observedAtMs: nowMs - 3_600_000 }),
      ]),
    ).toEqual(["accepted", "accepted", "stale"]);
  });

  it("follows the configured ratio", () => {
    const loose = { ...rules, outlierRatio: "0.5" };
    expect(verdicts([quote("a", "100"), quote("b", "140")], loose)).toEqual(["accepted", "accepted"]);
  });
});

describe("aggregate: quorum", () => {
  it.each([
    [0, 2, false],
    [1, 2, false],
    [2, 2, true],
    [1, 1, true],
    [3, 4, false],
  ])("%i accepted with quorum %i → quorumMet %s", (count, quorum, met) => {
    const quotes = Array.from({ length: count }, (_, index) => quote(`s${index}`, "128"));
    const result = aggregate(quotes, nowMs, { ...rules, quorum });
    expect(result.quorumMet).toBe(met);
    expect(result.accepted).toBe(met ? "128" : null);
  });

  it("keeps every quote's fields and order in the records", () => {
    const input = [{ ...quote("a", "128"), latencyMs: 12 }, quote("b", null, { error: "http status 503" })];
    const result = aggregate(input, nowMs, rules);
    expect(result.quotes[0]).toMatchObject({ source: "a", latencyMs: 12, status: "accepted" });
    expect(result.quotes[1]).toMatchObject({ source: "b", status: "dropped", reason: "fetch_failed" });
    expect(result.quorumMet).toBe(false);
  });
});

describe("aggregate: invariants", () => {
  it("refuses quotes of two kinds in one round", () => {
    expect(() =>
      aggregate([quote("a", "128"), { ...quote("b", "0.01"), kind: "tft" }], nowMs, rules),
    ).toThrow(InvariantError);
  });

  it("refuses more than the bounded number of quotes", () => {
    const many = Array.from({ length: 33 }, (_, index) => quote(`s${index}`, "128"));
    expect(() => aggregate(many, nowMs, rules)).toThrow(InvariantError);
  });

  it.each([
    { quorum: 0 },
    { maxAgeMs: 0 },
    { minUsd: "0" },
    { minUsd: "20", maxUsd: "10" },
    { outlierRatio: "-0.1" },
    { outlierRatio: "5%" },
  ])("refuses broken rules %j", (broken) => {
    expect(() => aggregate([quote("a", "128")], nowMs, { ...rules, ...broken })).toThrow(InvariantError);
  });

  it("returns no price for an empty round", () => {
    expect(aggregate([], nowMs, rules)).toEqual({ accepted: null, quorumMet: false, quotes: [] });
  });
});

describe("aggregate: properties", () => {
  const priceArbitrary = fc
    .integer({ min: 1, max: 3_000_000 })
    .map((cents) => new Dec(cents).div(1000).toFixed()); // 0.001 … 3000, some out of bounds
  const clusteredArbitrary = fc
    .integer({ min: 11_500, max: 14_100 })
    .map((cents) => new Dec(cents).div(100).toFixed()); // 115 … 141: near agreement, some outliers
  const quoteArbitrary = fc.record({
    price: fc.oneof(
      { arbitrary: clusteredArbitrary, weight: 6 },
      { arbitrary: priceArbitrary, weight: 2 },
      { arbitrary: fc.constantFrom("0", "oops"), weight: 1 },
    ),
    ageMs: fc.integer({ min: 0, max: 20 * 60_000 }),
  });

  it("accepts a median within [min, max] of the accepted quotes, each within the ratio of the others", () => {
    fc.assert(
      fc.property(
        fc.array(quoteArbitrary, { maxLength: 12 }),
        fc.integer({ min: 1, max: 4 }),
        (drawn, quorum) => {
          const quotes = drawn.map((entry, index) =>
            quote(`s${index}`, entry.price, { observedAtMs: nowMs - entry.ageMs }),
          );
          const result = aggregate(quotes, nowMs, { ...rules, quorum });
          const accepted = result.quotes.filter((record) => record.status === "accepted");
          expect(result.quorumMet).toBe(accepted.length >= quorum);
          const prices = accepted.map((record) => new Dec(record.priceUsd!));
          if (result.accepted !== null) {
            const price = new Dec(result.accepted);
            expect(prices.some((other) => other.lessThanOrEqualTo(price))).toBe(true);
            expect(prices.some((other) => other.greaterThanOrEqualTo(price))).toBe(true);
          }
          if (prices.length >= 2) {
            for (const [index, price] of prices.entries()) {
              const others = medianOf(
                prices.filter((_, other) => other !== index).map((other) => other.toFixed()),
              );
              expect(price.minus(others).abs().div(others).lessThanOrEqualTo("0.05")).toBe(true);
            }
          }
          for (const record of result.quotes) {
            expect(record.status === "accepted").toBe(record.reason === undefined);
          }
        },
      ),
    );
  });
});
