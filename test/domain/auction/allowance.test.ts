// Proves that clearRound bounded by a USDC allowance pays at most the allowance at its clearing price, buys as much TFP as any one price up to the ceiling allows (at the lowest such price), spends the allowance when the marginal price group is cut by it, and keeps every bid's fill, payout and price rules.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { amountMinorMax, Dec } from "../../../src/ledger/core/money";
import {
  type ClearRoundInput,
  type ClearRoundResult,
  clearRound,
  type ExitBid,
  formatPriceKey,
  parsePriceKey,
  payoutDivisor,
  type TieRule,
} from "../../../src/pools/core/auction/clearing";

/** Whole TFP in minor units (scale 7). */
const tfp = (whole: number): bigint => BigInt(whole) * 10_000_000n;
/** Whole USDC in minor units (scale 6). */
const usdc = (whole: number): bigint => BigInt(whole) * 1_000_000n;

function bid(id: string, amountMinor: bigint, minPrice: string, submitSeq: number): ExitBid {
  return { id, amountMinor, minPrice, submitSeq };
}

function fillOf(result: ClearRoundResult, id: string): [bigint, bigint, string, string | undefined] {
  const fill = result.fills.find((candidate) => candidate.id === id);
  if (fill === undefined) throw new Error(`no fill for ${id}`);
  return [fill.acceptedMinor, fill.payoutMinor, fill.status, fill.reason];
}

describe("clearRound with a USDC allowance: table", () => {
  it("issue #11: one bid of 10,000,000 TFP at 0.05 and 50,000 USDC allowed buys 1,000,000 TFP for 50,000 USDC", () => {
    // The allowance converted at the ceiling 0.08 would have capped the round at 625,000 TFP and
    // paid 31,250 USDC; at the clearing price 0.05 the same allowance buys 1,000,000 TFP.
    const result = clearRound({
      bids: [bid("big", tfp(10_000_000), "0.05", 1)],
      capMinor: amountMinorMax,
      allowanceUsdcMinor: usdc(50_000),
      priceCeiling: "0.08",
    });
    expect(result.clearingPrice).toBe("0.05");
    expect(result.filledMinor).toBe(tfp(1_000_000));
    expect(result.payoutTotalMinor).toBe(usdc(50_000));
    expect(fillOf(result, "big")).toEqual([tfp(1_000_000), usdc(50_000), "partial", "allowanceReached"]);
  });

  it("ECONOMICS §8.7 with the cap stated in USDC (1,000 TFP × 0.08 = 80 USDC): the spec's figures are unchanged", () => {
    const bids = [
      bid("S", tfp(200), "0.085", 4),
      bid("P", tfp(300), "0.070", 1),
      bid("R", tfp(500), "0.080", 3),
      bid("Q", tfp(400), "0.075", 2),
    ];
    const result = clearRound({
      bids,
      capMinor: amountMinorMax,
      allowanceUsdcMinor: usdc(80),
      priceCeiling: null,
    });
    expect(result.clearingPrice).toBe("0.08");
    expect(result.filledMinor).toBe(tfp(1000));
    expect(result.payoutTotalMinor).toBe(usdc(80));
    expect(fillOf(result, "R")).toEqual([tfp(300), usdc(24), "partial", "allowanceReached"]);
    expect(fillOf(result, "S")).toEqual([0n, 0n, "rejected", "allowanceReached"]);
  });

  it("stops at the cheaper price when the next price would make what is taken cost more than the allowance", () => {
    // 900 TFP at 0.05 cost 45 USDC; at 0.07 they would cost 63 > 50, so B cannot be reached.
    // Paying 50 USDC for the same 900 TFP (0.0556 each) would buy nothing more: the round clears
    // at 0.05 and 5 USDC of the allowance stays with the pool.
    const bids = [bid("A", tfp(900), "0.05", 1), bid("B", tfp(1000), "0.07", 2)];
    const result = clearRound({
      bids,
      capMinor: amountMinorMax,
      allowanceUsdcMinor: usdc(50),
      priceCeiling: "0.08",
    });
    expect(result.clearingPrice).toBe("0.05");
    expect(fillOf(result, "A")).toEqual([tfp(900), usdc(45), "filled", undefined]);
    expect(fillOf(result, "B")).toEqual([0n, 0n, "rejected", "allowanceReached"]);
  });

  it("undersubscribed: every eligible bid fills at the highest of their prices, the allowance left unspent", () => {
    const bids = [bid("u1", tfp(1), "0.06", 1), bid("u2", tfp(1), "0.06", 2)];
    const result = clearRound({
      bids,
      capMinor: amountMinorMax,
      allowanceUsdcMinor: usdc(40),
      priceCeiling: "0.08",
    });
    expect([result.clearingPrice, result.filledMinor, result.payoutTotalMinor]).toEqual([
      "0.06",
      tfp(2),
      120_000n,
    ]);
  });

  it("the TFP cap still binds when it is the smaller limit (reason capReached)", () => {
    const result = clearRound({
      bids: [bid("A", tfp(100), "0.05", 1)],
      capMinor: tfp(10),
      allowanceUsdcMinor: usdc(1_000),
      priceCeiling: null,
    });
    expect(fillOf(result, "A")).toEqual([tfp(10), 500_000n, "partial", "capReached"]);
  });

  it("an allowance of zero clears nothing; a bid at price 0 costs nothing and fills up to the TFP cap", () => {
    const zero = clearRound({
      bids: [bid("A", tfp(1), "0.05", 1)],
      capMinor: amountMinorMax,
      allowanceUsdcMinor: 0n,
      priceCeiling: null,
    });
    expect([zero.clearingPrice, zero.filledMinor, zero.fills[0]?.reason]).toEqual([
      null,
      0n,
      "allowanceReached",
    ]);
    const free = clearRound({
      bids: [bid("F", tfp(5), "0", 1), bid("G", tfp(5), "0.01", 2)],
      capMinor: tfp(7),
      allowanceUsdcMinor: 0n,
      priceCeiling: null,
    });
    expect(fillOf(free, "F")).toEqual([tfp(5), 0n, "filled", undefined]);
    expect(fillOf(free, "G")).toEqual([0n, 0n, "rejected", "allowanceReached"]);
    expect(free.clearingPrice).toBe("0");
  });

  it("whole-bid mode takes whole bids while the allowance pays for them at the marginal price", () => {
    const bids = [bid("A", tfp(500), "0.05", 1), bid("B", tfp(500), "0.06", 2), bid("C", tfp(10), "0.06", 3)];
    // A and B at 0.06 cost 60 > 55: B does not fit; the round stops there (C not tried).
    const result = clearRound({
      bids,
      capMinor: amountMinorMax,
      allowanceUsdcMinor: usdc(55),
      priceCeiling: null,
      allowPartialFill: false,
    });
    expect(result.clearingPrice).toBe("0.05");
    expect(fillOf(result, "A")).toEqual([tfp(500), usdc(25), "filled", undefined]);
    expect(fillOf(result, "B")[3]).toBe("doesNotFit");
    expect(fillOf(result, "C")[3]).toBe("roundStopped");
  });
});

describe("clearRound with clearingPriceRule spendAllowance (EasyAuction)", () => {
  const gapBids = [bid("A", tfp(900), "0.05", 1), bid("B", tfp(1000), "0.07", 2)];

  it("between two prices, raises the price until the same fills cost the whole allowance", () => {
    const result = clearRound({
      bids: gapBids,
      capMinor: amountMinorMax,
      allowanceUsdcMinor: usdc(50),
      priceCeiling: "0.08",
      clearingPriceRule: "spendAllowance",
    });
    // 50 / 900 = 0.0555… rounded down to 12 decimals; below B's 0.07, so B stays out.
    expect(result.clearingPrice).toBe("0.055555555555");
    expect(result.filledMinor).toBe(tfp(900));
    expect(result.payoutTotalMinor).toBe(49_999_999n);
    expect(fillOf(result, "B")[2]).toBe("rejected");
  });

  it("every eligible bid filled: rises up to the ceiling; a partial fill inside a group keeps its price", () => {
    const under = clearRound({
      bids: [bid("u", tfp(100), "0.02", 1)],
      capMinor: amountMinorMax,
      allowanceUsdcMinor: usdc(1_000),
      priceCeiling: "0.08",
      clearingPriceRule: "spendAllowance",
    });
    expect([under.clearingPrice, under.payoutTotalMinor]).toEqual(["0.08", usdc(8)]);
    const inside = clearRound({
      bids: [bid("big", tfp(10_000_000), "0.05", 1)],
      capMinor: amountMinorMax,
      allowanceUsdcMinor: usdc(50_000),
      priceCeiling: "0.08",
      clearingPriceRule: "spendAllowance",
    });
    expect([inside.clearingPrice, inside.payoutTotalMinor]).toEqual(["0.05", usdc(50_000)]);
  });

  it("property: within the allowance, at least every winner's price, below every bid left out, at most the ceiling", () => {
    fc.assert(
      fc.property(roundArbitrary, (input) => {
        const result = clearRound({ ...input, clearingPriceRule: "spendAllowance" });
        expect(result.payoutTotalMinor <= input.allowanceUsdcMinor).toBe(true);
        if (result.clearingPrice === null) return;
        const clearing = new Dec(result.clearingPrice);
        if (input.priceCeiling !== null) expect(clearing.lte(input.priceCeiling)).toBe(true);
        input.bids.forEach((offer, index) => {
          const fill = result.fills[index]!;
          if (fill.acceptedMinor > 0n) expect(new Dec(offer.minPrice).lte(clearing)).toBe(true);
          if (fill.status !== "ineligible" && fill.remainderMinor > 0n && fill.acceptedMinor === 0n) {
            expect(new Dec(offer.minPrice).gte(clearing)).toBe(true);
          }
        });
        // Same fills as the default rule: only the price differs.
        const marginal = clearRound({ ...input, clearingPriceRule: "marginalBid" });
        expect(result.fills.map((fill) => fill.acceptedMinor)).toEqual(
          marginal.fills.map((fill) => fill.acceptedMinor),
        );
      }),
    );
  });
});

const priceArbitrary = fc.oneof(
  fc.integer({ min: 1, max: 12 }).map((cents) => (cents / 100).toFixed(2)),
  fc.integer({ min: 0, max: 120_000_000_000 }).map((key) => formatPriceKey(key)),
  fc.integer({ min: 1, max: 9_000_000 }).map((milli) => formatPriceKey(milli * 1_000_000_000)),
);

type AllowanceInput = ClearRoundInput & {
  allowanceUsdcMinor: bigint;
  allowPartialFill: boolean;
  tieRule: TieRule;
};

const roundArbitrary: fc.Arbitrary<AllowanceInput> = fc
  .record({
    offers: fc.array(
      fc.record({ amountMinor: fc.bigInt({ min: -3n, max: tfp(100_000) }), minPrice: priceArbitrary }),
      { maxLength: 30 },
    ),
    capMinor: fc.oneof(fc.constant(amountMinorMax), fc.bigInt({ min: 0n, max: tfp(1_000_000) })),
    allowanceUsdcMinor: fc.bigInt({ min: 0n, max: usdc(20_000) }),
    priceCeiling: fc.option(priceArbitrary, { nil: null }),
    allowPartialFill: fc.boolean(),
    tieRule: fc.constantFrom<TieRule>("submissionOrder", "proRata"),
  })
  .map(({ offers, ...rest }) => ({
    ...rest,
    bids: offers.map((offer, index) => ({ id: `bid_${index}`, ...offer, submitSeq: index })),
  }));

/** TFP minor units that the allowance and the cap let a round take when it clears at `key`. */
function limitAt(input: AllowanceInput, key: number): bigint {
  if (key === 0) return input.capMinor;
  return smallerOf((input.allowanceUsdcMinor * payoutDivisor) / BigInt(key), input.capMinor);
}

/** The smaller of two bigints (Math.min takes numbers only). */
function smallerOf(left: bigint, right: bigint): bigint {
  if (left < right) return left;
  return right;
}

describe("clearRound with a USDC allowance: properties", () => {
  it("pays at most the allowance, each winner at least its own price, never above the ceiling, and conserves every bid", () => {
    fc.assert(
      fc.property(roundArbitrary, (input) => {
        const result = clearRound(input);
        expect(result.payoutTotalMinor <= input.allowanceUsdcMinor).toBe(true);
        const clearingKey = result.clearingPrice === null ? 0 : parsePriceKey(result.clearingPrice)!;
        expect(result.filledMinor * BigInt(clearingKey) <= input.allowanceUsdcMinor * payoutDivisor).toBe(
          true,
        );
        expect(result.filledMinor <= input.capMinor).toBe(true);
        let accepted = 0n;
        let paid = 0n;
        input.bids.forEach((offer, index) => {
          const fill = result.fills[index]!;
          expect(fill.acceptedMinor + fill.remainderMinor).toBe(offer.amountMinor);
          accepted += fill.acceptedMinor;
          paid += fill.payoutMinor;
          if (fill.acceptedMinor > 0n) {
            expect(new Dec(offer.minPrice).lte(result.clearingPrice!)).toBe(true);
            expect(fill.payoutMinor).toBe((fill.acceptedMinor * BigInt(clearingKey)) / payoutDivisor);
          }
        });
        expect([accepted, paid]).toEqual([result.filledMinor, result.payoutTotalMinor]);
        if (result.clearingPrice !== null && input.priceCeiling !== null) {
          expect(new Dec(result.clearingPrice).lte(input.priceCeiling)).toBe(true);
        }
      }),
    );
  });

  it("with partial fill, buys the most TFP any single price up to the ceiling allows, at the lowest such price", () => {
    fc.assert(
      fc.property(roundArbitrary, (input) => {
        const result = clearRound({ ...input, allowPartialFill: true });
        // Model: at each eligible price p, the round could take min(supply at ≤ p, limit at p).
        let best = 0n;
        let bestKey: number | null = null;
        for (const point of result.supplyCurve) {
          const key = parsePriceKey(point.price)!;
          const limit = limitAt(input, key);
          const volume = smallerOf(point.cumulativeMinor, limit);
          if (volume > best) {
            best = volume;
            bestKey = key;
          }
        }
        expect(result.filledMinor).toBe(best);
        expect(result.clearingPrice).toBe(bestKey === null ? null : formatPriceKey(bestKey));
      }),
    );
  });

  it("spends the allowance, up to rounding, when it cuts the bids at the clearing price", () => {
    fc.assert(
      fc.property(roundArbitrary, (input) => {
        const result = clearRound({ ...input, allowPartialFill: true });
        const cutByAllowance = result.fills.some(
          (fill) => fill.reason === "allowanceReached" && fill.status === "partial",
        );
        if (!cutByAllowance) return;
        // filled = ⌊allowance × 10^13 / key⌋, so the exact cost misses the allowance by less than
        // key / 10^13; each payout's rounding down loses less than one more minor unit.
        const key = BigInt(parsePriceKey(result.clearingPrice!)!);
        const winners = BigInt(result.fills.filter((fill) => fill.acceptedMinor > 0n).length);
        const shortMinor = input.allowanceUsdcMinor - result.payoutTotalMinor;
        expect(shortMinor >= 0n).toBe(true);
        expect(shortMinor <= (key + payoutDivisor - 1n) / payoutDivisor + winners).toBe(true);
      }),
    );
  });

  it("without an allowance behaves exactly as before (the TFP cap alone)", () => {
    fc.assert(
      fc.property(roundArbitrary, (input) => {
        const { allowanceUsdcMinor: _unused, ...withoutAllowance } = input;
        expect(clearRound({ ...input, allowanceUsdcMinor: null })).toEqual(clearRound(withoutAllowance));
      }),
    );
  });
});
