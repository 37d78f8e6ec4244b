// Proves that clearRound follows ECONOMICS §8.5 step by step (eligibility, order, cap, partial and whole-bid fills, both tie rules, uniform price, payouts rounded down) and agrees with a naive model of the spec.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvariantError } from "../../../src/kit/errors";
import { convertAmount, Dec } from "../../../src/ledger/core/money";
import {
  bidsPerRoundMax,
  type ClearRoundInput,
  type ClearRoundResult,
  canonicalPrice,
  clearRound,
  type ExitBid,
  formatPriceKey,
  parsePriceKey,
  payoutUsdcMinor,
  type TieRule,
} from "../../../src/pools/core/auction/clearing";

/** Whole TFP in minor units (scale 7). */
const tfp = (whole: number): bigint => BigInt(whole) * 10_000_000n;
/** Whole USDC in minor units (scale 6). */
const usdc = (whole: number): bigint => BigInt(whole) * 1_000_000n;

function bid(id: string, amountMinor: bigint, minPrice: string, submitSeq: number): ExitBid {
  return { id, amountMinor, minPrice, submitSeq };
}

/** The fill of bid `id`, as a compact tuple for table assertions. */
function fillOf(result: ClearRoundResult, id: string): [bigint, bigint, string, string | undefined] {
  const fill = result.fills.find((candidate) => candidate.id === id);
  if (fill === undefined) throw new Error(`no fill for ${id}`);
  return [fill.acceptedMinor, fill.payoutMinor, fill.status, fill.reason];
}

// ECONOMICS §8.7: P (300 @ 0.070), Q (400 @ 0.075), R (500 @ 0.080), S (200 @ 0.085), cap 1,000.
const specBids = [
  bid("S", tfp(200), "0.085", 4),
  bid("P", tfp(300), "0.070", 1),
  bid("R", tfp(500), "0.080", 3),
  bid("Q", tfp(400), "0.075", 2),
];

describe("clearRound: ECONOMICS §8.7 example", () => {
  it("partial fill: P, Q filled, R partly (300 of 500), S rejected, all paid 0.08", () => {
    const result = clearRound({ bids: specBids, capMinor: tfp(1000), priceCeiling: null });
    expect(result.mode).toBe("partialFill");
    expect(result.clearingPrice).toBe("0.08");
    expect(result.filledMinor).toBe(tfp(1000));
    expect(fillOf(result, "P")).toEqual([tfp(300), usdc(24), "filled", undefined]);
    expect(fillOf(result, "Q")).toEqual([tfp(400), usdc(32), "filled", undefined]);
    expect(fillOf(result, "R")).toEqual([tfp(300), usdc(24), "partial", "capReached"]);
    expect(fillOf(result, "S")).toEqual([0n, 0n, "rejected", "capReached"]);
    expect(result.fills.find((fill) => fill.id === "R")?.remainderMinor).toBe(tfp(200));
    expect(result.payoutTotalMinor).toBe(usdc(80));
    expect(result.fills.map((fill) => fill.id)).toEqual(["S", "P", "R", "Q"]); // input order kept
    expect(result.supplyCurve).toEqual([
      { price: "0.07", cumulativeMinor: tfp(300) },
      { price: "0.075", cumulativeMinor: tfp(700) },
      { price: "0.08", cumulativeMinor: tfp(1200) },
      { price: "0.085", cumulativeMinor: tfp(1400) },
    ]);
  });

  it("whole-bid mode: P, Q accepted (700) at 0.075, R does not fit, S not tried", () => {
    const result = clearRound({
      bids: specBids,
      capMinor: tfp(1000),
      priceCeiling: null,
      allowPartialFill: false,
    });
    expect(result.mode).toBe("wholeBid");
    expect(result.clearingPrice).toBe("0.075");
    expect(result.filledMinor).toBe(tfp(700));
    expect(fillOf(result, "P")).toEqual([tfp(300), usdc(22) + 500_000n, "filled", undefined]);
    expect(fillOf(result, "Q")).toEqual([tfp(400), usdc(30), "filled", undefined]);
    expect(fillOf(result, "R")).toEqual([0n, 0n, "rejected", "doesNotFit"]);
    expect(fillOf(result, "S")).toEqual([0n, 0n, "rejected", "roundStopped"]);
  });
});

describe("clearRound: table cases", () => {
  it("no bids: no clearing", () => {
    const result = clearRound({ bids: [], capMinor: tfp(1000), priceCeiling: "0.1" });
    expect(result).toEqual({
      mode: "partialFill",
      tieRule: "submissionOrder",
      clearingPrice: null,
      filledMinor: 0n,
      payoutTotalMinor: 0n,
      fills: [],
      supplyCurve: [],
    });
  });

  it("exact fit: the bids sum to the cap and all fill at the highest min price", () => {
    const bids = [bid("A", tfp(400), "0.07", 1), bid("B", tfp(600), "0.08", 2)];
    const result = clearRound({ bids, capMinor: tfp(1000), priceCeiling: "0.1" });
    expect(result.clearingPrice).toBe("0.08");
    expect(fillOf(result, "A")).toEqual([tfp(400), usdc(32), "filled", undefined]);
    expect(fillOf(result, "B")).toEqual([tfp(600), usdc(48), "filled", undefined]);
    const whole = clearRound({ bids, capMinor: tfp(1000), priceCeiling: "0.1", allowPartialFill: false });
    expect(whole.fills).toEqual(result.fills);
  });

  it("ties at the marginal price, submission order: the earlier bid fills first", () => {
    const bids = [
      bid("A", tfp(600), "0.05", 1),
      bid("B", tfp(300), "0.06", 3),
      bid("C", tfp(300), "0.06", 2),
      bid("D", tfp(100), "0.07", 4),
    ];
    const result = clearRound({ bids, capMinor: tfp(1000), priceCeiling: null });
    expect(result.clearingPrice).toBe("0.06");
    expect(fillOf(result, "A")).toEqual([tfp(600), usdc(36), "filled", undefined]);
    expect(fillOf(result, "C")).toEqual([tfp(300), usdc(18), "filled", undefined]);
    expect(fillOf(result, "B")).toEqual([tfp(100), usdc(6), "partial", "capReached"]);
    expect(fillOf(result, "D")).toEqual([0n, 0n, "rejected", "capReached"]);
  });

  it("ties at the marginal price, pro rata: equal bids share the room equally", () => {
    const bids = [
      bid("A", tfp(600), "0.05", 1),
      bid("B", tfp(300), "0.06", 3),
      bid("C", tfp(300), "0.06", 2),
      bid("D", tfp(100), "0.07", 4),
    ];
    const result = clearRound({ bids, capMinor: tfp(1000), priceCeiling: null, tieRule: "proRata" });
    expect(result.tieRule).toBe("proRata");
    expect(result.clearingPrice).toBe("0.06");
    expect(fillOf(result, "B")).toEqual([tfp(200), usdc(12), "partial", "proRataShare"]);
    expect(fillOf(result, "C")).toEqual([tfp(200), usdc(12), "partial", "proRataShare"]);
    expect(fillOf(result, "D")).toEqual([0n, 0n, "rejected", "capReached"]);
  });

  it("pro rata: the rounding remainder goes one unit each to the earliest tied bids", () => {
    // Room 1,000 minor over 2,000 + 1,000: floors 666 + 333 = 999; the one unit left goes to
    // the earlier bid (Y, seq 1), whatever its size.
    const uneven = clearRound({
      bids: [bid("X", 2000n, "0.1", 2), bid("Y", 1000n, "0.1", 1)],
      capMinor: 1000n,
      priceCeiling: null,
      tieRule: "proRata",
    });
    expect(uneven.fills.map((fill) => fill.acceptedMinor)).toEqual([666n, 334n]);
    // Four bids of 1 minor unit sharing 3: floors are all 0, so the three earliest get one each.
    const tiny = clearRound({
      bids: [bid("a", 1n, "0.1", 4), bid("b", 1n, "0.1", 3), bid("c", 1n, "0.1", 2), bid("d", 1n, "0.1", 1)],
      capMinor: 3n,
      priceCeiling: null,
      tieRule: "proRata",
    });
    expect(tiny.fills.map((fill) => [fill.acceptedMinor, fill.status])).toEqual([
      [0n, "rejected"],
      [1n, "filled"],
      [1n, "filled"],
      [1n, "filled"],
    ]);
    expect(tiny.fills[0]?.reason).toBe("proRataShare");
  });

  it("whole-bid mode with pro rata: a tie group that does not fit is taken not at all", () => {
    const bids = [
      bid("A", tfp(600), "0.05", 1),
      bid("B", tfp(300), "0.06", 2),
      bid("C", tfp(300), "0.06", 3),
    ];
    const result = clearRound({
      bids,
      capMinor: tfp(1000),
      priceCeiling: null,
      allowPartialFill: false,
      tieRule: "proRata",
    });
    expect(result.clearingPrice).toBe("0.05");
    expect(result.filledMinor).toBe(tfp(600));
    expect(fillOf(result, "B")).toEqual([0n, 0n, "rejected", "doesNotFit"]);
    expect(fillOf(result, "C")).toEqual([0n, 0n, "rejected", "doesNotFit"]);
    const inOrder = clearRound({ bids, capMinor: tfp(1000), priceCeiling: null, allowPartialFill: false });
    expect(inOrder.filledMinor).toBe(tfp(900));
    expect(fillOf(inOrder, "C")).toEqual([0n, 0n, "rejected", "doesNotFit"]);
  });

  it("whole-bid mode stops at the first bid that does not fit, even if a later one would", () => {
    const bids = [
      bid("A", tfp(700), "0.05", 1),
      bid("B", tfp(500), "0.06", 2),
      bid("C", tfp(100), "0.07", 3),
    ];
    const result = clearRound({ bids, capMinor: tfp(1000), priceCeiling: null, allowPartialFill: false });
    expect(result.filledMinor).toBe(tfp(700));
    expect(result.clearingPrice).toBe("0.05");
    expect(fillOf(result, "C")).toEqual([0n, 0n, "rejected", "roundStopped"]);
  });

  it("all bids above the ceiling: every bid ineligible, no clearing, empty supply curve", () => {
    const bids = [bid("A", tfp(10), "0.09", 1), bid("B", tfp(10), "0.1", 2)];
    const result = clearRound({ bids, capMinor: tfp(1000), priceCeiling: "0.08" });
    expect(result.clearingPrice).toBeNull();
    expect(result.filledMinor).toBe(0n);
    expect(result.supplyCurve).toEqual([]);
    expect(result.fills.map((fill) => [fill.status, fill.reason, fill.remainderMinor])).toEqual([
      ["ineligible", "priceAboveCeiling", tfp(10)],
      ["ineligible", "priceAboveCeiling", tfp(10)],
    ]);
  });

  it("a bid exactly at the ceiling is eligible and clears at the ceiling", () => {
    const result = clearRound({
      bids: [bid("A", tfp(10), "0.080", 1)],
      capMinor: tfp(5),
      priceCeiling: "0.08",
    });
    expect(result.clearingPrice).toBe("0.08");
    expect(fillOf(result, "A")).toEqual([tfp(5), 400_000n, "partial", "capReached"]);
  });

  it("amounts of zero or below are ineligible and keep accepted + remainder = amount", () => {
    const bids = [bid("zero", 0n, "0.05", 1), bid("negative", -5n, "0.05", 2), bid("ok", 5n, "0.06", 3)];
    const result = clearRound({ bids, capMinor: 100n, priceCeiling: null });
    expect(
      result.fills.map((fill) => [fill.status, fill.reason, fill.acceptedMinor, fill.remainderMinor]),
    ).toEqual([
      ["ineligible", "amountNotPositive", 0n, 0n],
      ["ineligible", "amountNotPositive", 0n, -5n],
      ["filled", undefined, 5n, 0n],
    ]);
    expect(result.clearingPrice).toBe("0.06");
  });

  it("cap zero: eligible bids are rejected, nothing clears, the supply curve still shows them", () => {
    const result = clearRound({ bids: specBids, capMinor: 0n, priceCeiling: null });
    expect(result.clearingPrice).toBeNull();
    expect(result.filledMinor).toBe(0n);
    expect(result.fills.every((fill) => fill.status === "rejected" && fill.reason === "capReached")).toBe(
      true,
    );
    expect(result.supplyCurve.at(-1)).toEqual({ price: "0.085", cumulativeMinor: tfp(1400) });
  });

  it("payouts are rounded down to the USDC minor unit", () => {
    // 1.2345678 TFP × 0.123456789012 = 0.1524157764056… USDC → 152,415 minor units.
    const result = clearRound({
      bids: [bid("A", 12_345_678n, "0.123456789012", 1)],
      capMinor: tfp(2),
      priceCeiling: null,
    });
    expect(result.fills[0]?.payoutMinor).toBe(152_415n);
    // 1 TFP minor unit at 0.07 is 0.000000007 USDC: rounds down to nothing.
    expect(payoutUsdcMinor(1n, "0.07")).toBe(0n);
  });
});

// Cases adapted from the settlement tests of Gnosis EasyAuction (a batch auction that sells a
// fixed supply to the highest bids), turned around for an exit round that buys TFP from the
// cheapest sellers up to the cap.
describe("clearRound: cases adapted from EasyAuction settlement", () => {
  it("no participation: the round clears nothing", () => {
    const result = clearRound({ bids: [], capMinor: tfp(1), priceCeiling: "0.08" });
    expect([result.clearingPrice, result.filledMinor]).toEqual([null, 0n]);
  });

  it("one bid larger than the whole cap takes all of it at its own price", () => {
    const result = clearRound({
      bids: [bid("big", tfp(20), "0.05", 1)],
      capMinor: tfp(1),
      priceCeiling: "0.08",
    });
    expect(result.clearingPrice).toBe("0.05");
    expect(fillOf(result, "big")).toEqual([tfp(1), 50_000n, "partial", "capReached"]);
  });

  it("one bid matching the cap exactly fills completely", () => {
    const result = clearRound({
      bids: [bid("exact", tfp(1), "0.05", 1)],
      capMinor: tfp(1),
      priceCeiling: "0.08",
    });
    expect(fillOf(result, "exact")).toEqual([tfp(1), 50_000n, "filled", undefined]);
  });

  it("one minor unit over the cap leaves exactly one minor unit in the pool", () => {
    const result = clearRound({
      bids: [bid("over", tfp(1) + 1n, "0.05", 1)],
      capMinor: tfp(1),
      priceCeiling: null,
    });
    expect(result.fills[0]?.remainderMinor).toBe(1n);
    expect(result.fills[0]?.status).toBe("partial");
  });

  it("undersubscribed round with three identical bids: all fill at their price, not at the ceiling", () => {
    const bids = [bid("u1", tfp(1), "0.06", 1), bid("u2", tfp(1), "0.06", 2), bid("u3", tfp(1), "0.06", 3)];
    const result = clearRound({ bids, capMinor: tfp(500), priceCeiling: "0.08" });
    expect(result.clearingPrice).toBe("0.06");
    expect(result.filledMinor).toBe(tfp(3));
    expect(result.fills.every((fill) => fill.status === "filled" && fill.payoutMinor === 60_000n)).toBe(true);
  });

  it("dust bids: a 2-minor-unit bid is accepted but its payout rounds down to zero", () => {
    const bids = [bid("dust", 2n, "0.5", 1), bid("normal", tfp(1), "0.5", 2)];
    const result = clearRound({ bids, capMinor: tfp(10), priceCeiling: null });
    expect(fillOf(result, "dust")).toEqual([2n, 0n, "filled", undefined]);
    expect(fillOf(result, "normal")).toEqual([tfp(1), 500_000n, "filled", undefined]);
  });

  it("the marginal bid at a higher price sets the uniform price for all cheaper bids", () => {
    const bids = [bid("low", tfp(2), "0.01", 1), bid("high", tfp(2), "0.07", 2)];
    const result = clearRound({ bids, capMinor: tfp(3), priceCeiling: "0.08" });
    expect(result.clearingPrice).toBe("0.07");
    expect(fillOf(result, "low")).toEqual([tfp(2), 140_000n, "filled", undefined]);
    expect(fillOf(result, "high")).toEqual([tfp(1), 70_000n, "partial", "capReached"]);
  });
});

describe("clearRound: invariants", () => {
  const good = bid("A", tfp(1), "0.05", 1);
  it.each([
    ["1e3"],
    ["-0.1"],
    ["0.1234567890123"],
    ["9000.000000000001"],
    ["9001"],
    ["01.5"],
    [".5"],
    ["1."],
    [""],
    [" 1"],
  ])("rejects the price %j as a broken invariant", (minPrice) => {
    expect(() => clearRound({ bids: [{ ...good, minPrice }], capMinor: 1n, priceCeiling: null })).toThrow(
      InvariantError,
    );
  });

  it.each<[string, Partial<ClearRoundInput>]>([
    ["a negative cap", { capMinor: -1n }],
    ["an invalid ceiling", { priceCeiling: "0,08" }],
    ["two bids at one price sharing a submitSeq", { bids: [good, { ...good, id: "B" }] }],
    ["an empty id", { bids: [{ ...good, id: "" }] }],
    ["a repeated id", { bids: [good, { ...good, submitSeq: 2 }] }],
    ["a fractional submitSeq", { bids: [{ ...good, submitSeq: 1.5 }] }],
    ["an amount above amountMinorMax", { bids: [{ ...good, amountMinor: 2n ** 63n }] }],
    ["more than bidsPerRoundMax bids", { bids: new Array<ExitBid>(bidsPerRoundMax + 1).fill(good) }],
  ])("throws on %s", (_name, override) => {
    expect(() => clearRound({ bids: [good], capMinor: 1n, priceCeiling: null, ...override })).toThrow(
      InvariantError,
    );
  });
});

describe("price keys", () => {
  it.each([
    ["0", 0],
    ["0.08", 80_000_000_000],
    ["0.080", 80_000_000_000],
    ["1", 1_000_000_000_000],
    ["0.000000000001", 1],
    ["9000", 9_000_000_000_000_000],
  ])("%s ↔ key %d", (text, key) => {
    expect(parsePriceKey(text)).toBe(key);
    expect(canonicalPrice(text)).toBe(new Dec(text).toFixed());
  });

  it("formats every key exactly and round-trips through parsing", () => {
    expect(formatPriceKey(8_999_999_999_999_999)).toBe("8999.999999999999");
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9_000_000_000_000_000 }), (key) => {
        const text = formatPriceKey(key);
        expect(parsePriceKey(text)).toBe(key);
        expect(new Dec(text).mul(new Dec(10).pow(12)).toFixed()).toBe(String(key));
      }),
    );
  });
});

/**
 * A naive model of §8.5 with submission-order ties, written from the spec's pseudocode with
 * Decimal price comparisons: the accepted amount per bid.
 */
function modelAccepted(input: ClearRoundInput): bigint[] {
  const ceiling = input.priceCeiling === null ? null : new Dec(input.priceCeiling);
  const eligible = input.bids
    .map((candidate, index) => ({ candidate, index, price: new Dec(candidate.minPrice) }))
    .filter(({ candidate, price }) => candidate.amountMinor > 0n && (ceiling === null || price.lte(ceiling)))
    .sort(
      (left, right) => left.price.cmp(right.price) || left.candidate.submitSeq - right.candidate.submitSeq,
    );
  const accepted = input.bids.map(() => 0n);
  let filled = 0n;
  for (const { candidate, index } of eligible) {
    const room = input.capMinor - filled;
    if (room <= 0n) break;
    if (candidate.amountMinor <= room) {
      accepted[index] = candidate.amountMinor;
      filled += candidate.amountMinor;
    } else if (input.allowPartialFill ?? true) {
      accepted[index] = room;
      filled = input.capMinor;
      break;
    } else {
      break;
    }
  }
  return accepted;
}

const priceArbitrary = fc.oneof(
  fc.integer({ min: 1, max: 12 }).map((cents) => (cents / 100).toFixed(2)),
  fc.integer({ min: 0, max: 120_000_000_000 }).map((key) => formatPriceKey(key)),
);

const roundArbitrary: fc.Arbitrary<ClearRoundInput & { allowPartialFill: boolean; tieRule: TieRule }> = fc
  .record({
    offers: fc.array(
      fc.record({ amountMinor: fc.bigInt({ min: -3n, max: 5_000n }), minPrice: priceArbitrary }),
      { maxLength: 40 },
    ),
    reverseSeq: fc.boolean(),
    capMinor: fc.bigInt({ min: 0n, max: 60_000n }),
    priceCeiling: fc.option(priceArbitrary, { nil: null }),
    allowPartialFill: fc.boolean(),
    tieRule: fc.constantFrom<TieRule>("submissionOrder", "proRata"),
  })
  .map(({ offers, reverseSeq, ...rest }) => ({
    ...rest,
    bids: offers.map((offer, index) => ({
      id: `bid_${index}`,
      ...offer,
      submitSeq: reverseSeq ? (offers.length - index) * 7 : index,
    })),
  }));

describe("clearRound: properties", () => {
  it("conserves every bid, respects the cap, and pays one uniform price within the ceiling", () => {
    fc.assert(
      fc.property(roundArbitrary, (input) => {
        const result = clearRound(input);
        expect(result.fills).toHaveLength(input.bids.length);
        let acceptedSum = 0n;
        let payoutSum = 0n;
        input.bids.forEach((candidate, index) => {
          const fill = result.fills[index]!;
          expect(fill.id).toBe(candidate.id);
          expect(fill.acceptedMinor + fill.remainderMinor).toBe(candidate.amountMinor);
          expect(fill.acceptedMinor >= 0n).toBe(true);
          acceptedSum += fill.acceptedMinor;
          payoutSum += fill.payoutMinor;
          const ineligible =
            candidate.amountMinor <= 0n ||
            (input.priceCeiling !== null && new Dec(candidate.minPrice).gt(input.priceCeiling));
          expect(fill.status === "ineligible").toBe(ineligible);
          if (fill.acceptedMinor > 0n) {
            expect(result.clearingPrice).not.toBeNull();
            const clearing = new Dec(result.clearingPrice!);
            expect(new Dec(candidate.minPrice).lte(clearing)).toBe(true);
            // Rounded down, never above accepted × clearing: checked through money.ts's Decimal path.
            expect(fill.payoutMinor).toBe(convertAmount("TFP", fill.acceptedMinor, "USDC", clearing, "down"));
          } else {
            expect(fill.payoutMinor).toBe(0n);
          }
        });
        expect(acceptedSum).toBe(result.filledMinor);
        expect(payoutSum).toBe(result.payoutTotalMinor);
        expect(result.filledMinor <= input.capMinor).toBe(true);
        if (result.clearingPrice === null) {
          expect(result.filledMinor).toBe(0n);
        } else if (input.priceCeiling !== null) {
          expect(new Dec(result.clearingPrice).lte(input.priceCeiling)).toBe(true);
        }
      }),
    );
  });

  it("never leaves a cheaper eligible bid unfilled while a dearer one is accepted", () => {
    fc.assert(
      fc.property(roundArbitrary, (input) => {
        const result = clearRound(input);
        const rows = input.bids.map((candidate, index) => ({
          price: new Dec(candidate.minPrice),
          seq: candidate.submitSeq,
          fill: result.fills[index]!,
        }));
        for (const unfilled of rows) {
          if (unfilled.fill.status === "ineligible" || unfilled.fill.remainderMinor === 0n) continue;
          for (const taken of rows) {
            if (taken === unfilled || taken.fill.acceptedMinor === 0n) continue;
            expect(unfilled.price.gte(taken.price)).toBe(true);
            if (unfilled.price.eq(taken.price) && input.tieRule === "submissionOrder") {
              expect(unfilled.seq > taken.seq).toBe(true);
            }
          }
        }
      }),
    );
  });

  it("fills as much as the cap allows in partial mode, and pro rata shares track amounts within one unit", () => {
    fc.assert(
      fc.property(roundArbitrary, (input) => {
        const result = clearRound(input);
        const eligibleTotal = result.supplyCurve.at(-1)?.cumulativeMinor ?? 0n;
        if (input.allowPartialFill) {
          expect(result.filledMinor).toBe(eligibleTotal < input.capMinor ? eligibleTotal : input.capMinor);
        }
        if (input.allowPartialFill && input.tieRule === "proRata" && result.clearingPrice !== null) {
          const marginal = input.bids
            .map((candidate, index) => ({ candidate, fill: result.fills[index]! }))
            .filter(
              ({ candidate, fill }) =>
                fill.status !== "ineligible" && new Dec(candidate.minPrice).eq(result.clearingPrice!),
            );
          const groupTotal = marginal.reduce((sum, { candidate }) => sum + candidate.amountMinor, 0n);
          const groupAccepted = marginal.reduce((sum, { fill }) => sum + fill.acceptedMinor, 0n);
          for (const { candidate, fill } of marginal) {
            const exactTimesTotal = groupAccepted * candidate.amountMinor;
            expect(fill.acceptedMinor * groupTotal <= exactTimesTotal + groupTotal).toBe(true);
            expect(fill.acceptedMinor * groupTotal + groupTotal > exactTimesTotal).toBe(true);
            expect(fill.acceptedMinor <= candidate.amountMinor).toBe(true);
          }
        }
      }),
    );
  });

  it("matches a naive model of the spec's pseudocode under submission-order ties", () => {
    fc.assert(
      fc.property(roundArbitrary, (input) => {
        const result = clearRound({ ...input, tieRule: "submissionOrder" });
        expect(result.fills.map((fill) => fill.acceptedMinor)).toEqual(modelAccepted(input));
      }),
    );
  });

  it("draws a supply curve with strictly rising prices and the eligible total at the end", () => {
    fc.assert(
      fc.property(roundArbitrary, (input) => {
        const result = clearRound(input);
        const eligibleTotal = result.fills
          .filter((fill) => fill.status !== "ineligible")
          .reduce((sum, fill) => sum + fill.acceptedMinor + fill.remainderMinor, 0n);
        expect(result.supplyCurve.at(-1)?.cumulativeMinor ?? 0n).toBe(eligibleTotal);
        result.supplyCurve.forEach((point, index) => {
          const previous = result.supplyCurve[index - 1];
          if (previous === undefined) return;
          expect(new Dec(point.price).gt(previous.price)).toBe(true);
          expect(point.cumulativeMinor > previous.cumulativeMinor).toBe(true);
        });
      }),
    );
  });

  it("clears a large seeded book consistently", () => {
    const count = 50_000;
    const bids = Array.from({ length: count }, (_, index) =>
      bid(
        `bid_${index}`,
        BigInt(1 + ((index * 7919) % 10_000)),
        formatPriceKey(((index * 104_729) % 70_001) * 1_000_000),
        count - index,
      ),
    );
    const result = clearRound({ bids, capMinor: 100_000_000n, priceCeiling: "0.05" });
    expect(result.filledMinor).toBe(100_000_000n);
    expect(result.fills.map((fill) => fill.acceptedMinor)).toEqual(
      modelAccepted({ bids, capMinor: 100_000_000n, priceCeiling: "0.05" }),
    );
  });
});
