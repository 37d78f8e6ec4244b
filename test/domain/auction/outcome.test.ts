// Proves that a round's outcome bounds its payouts by the USDC allowance at the clearing price (issue #11: 50,000 USDC paid, not 31,250), reports the cap in USDC and in TFP at the clearing price, keeps the TFP-at-ceiling reading available, and keeps the margin exact: payouts = fills × clearing price, margin distributed = margin created, payouts + margin within the pool's USDC.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Dec } from "../../../src/ledger/core/money";
import { parsePriceKey, payoutDivisor } from "../../../src/pools/core/auction/clearing";
import { type AuctionRules, defaultAuctionRules } from "../../../src/pools/core/auction/config";
import { exitMargin } from "../../../src/pools/core/auction/margin";
import { computeOutcome, type OutcomeInput, outcomeJson } from "../../../src/pools/core/outcome";

const tfp = (whole: number): bigint => BigInt(whole) * 10_000_000n;
const usdc = (whole: number): bigint => BigInt(whole) * 1_000_000n;
const dayMs = 86_400_000;

/** Issue #11: a pool of 2,000,000 USDC, 1,000,000 contributed, 450,000 exited; reference 0.1. */
function issueRound(rules: Partial<AuctionRules> = {}): OutcomeInput {
  return {
    bids: [{ id: "big", amountMinor: tfp(10_000_000), minPrice: "0.05", submitSeq: 0 }],
    rules: { ...defaultAuctionRules, ...rules },
    referencePrice: "0.1",
    pool: {
      totalContributedUsdcMinor: usdc(1_000_000),
      totalExitedUsdcMinor: usdc(450_000),
      periodLiquidityUsdcMinor: usdc(2_000_000),
      availableUsdcMinor: usdc(2_000_000),
    },
    positions: [
      { id: "pos_a", valueMinor: usdc(600_000), contributedAtMs: 0 },
      { id: "pos_b", valueMinor: usdc(400_000), contributedAtMs: 0 },
    ],
    weightRule: "valueTimesTime",
    sharesAtMs: dayMs,
  };
}

describe("computeOutcome: the cap in two units", () => {
  it("issue #11: the 50,000 USDC allowance buys 1,000,000 TFP at the clearing price 0.05", () => {
    const outcome = computeOutcome(issueRound());
    // Lifetime 0.5 × 1,000,000 − 450,000 = 50,000 USDC; period 0.05 × 2,000,000 = 100,000 USDC.
    expect(outcome.priceCeiling).toBe("0.08");
    expect(outcome.clearing.clearingPrice).toBe("0.05");
    expect(outcome.clearing.filledMinor).toBe(tfp(1_000_000));
    expect(outcome.clearing.payoutTotalMinor).toBe(usdc(50_000));
    expect(outcome.cap).toEqual({
      unit: "usdcAtClearing",
      capMinor: tfp(1_000_000),
      capUsdcMinor: usdc(50_000),
      binding: "lifetime",
      lifetimeAllowanceUsdcMinor: usdc(50_000),
      periodAllowanceUsdcMinor: usdc(100_000),
      solvencyLimitMinor: tfp(20_000_000),
      conversionPrice: "0.05",
    });
    // Margin: 1,000,000 TFP × (0.1 − 0.05) = 50,000 USDC, split 3 : 2.
    expect(outcome.marginCreatedMinor).toBe(usdc(50_000));
    expect(outcome.marginCredits).toEqual([
      { positionId: "pos_a", creditMinor: usdc(30_000) },
      { positionId: "pos_b", creditMinor: usdc(20_000) },
    ]);
    expect(outcomeJson(outcome).cap).toMatchObject({
      unit: "usdcAtClearing",
      amount: "1000000.0000000",
      amountUsdc: "50000.000000",
      conversionPrice: "0.05",
    });
  });

  it("the tfpAtCeiling reading (§20 Q5) still gives the old figures: 625,000 TFP, 31,250 USDC", () => {
    const outcome = computeOutcome(issueRound({ capUnit: "tfpAtCeiling" }));
    expect(outcome.clearing.filledMinor).toBe(tfp(625_000));
    expect(outcome.clearing.payoutTotalMinor).toBe(usdc(31_250));
    expect(outcome.cap).toMatchObject({
      unit: "tfpAtCeiling",
      capMinor: tfp(625_000),
      capUsdcMinor: usdc(50_000),
      conversionPrice: "0.08",
    });
  });

  it("with no bid the cap is shown at the ceiling, or at the reference when the discount rule is off", () => {
    const atCeiling = computeOutcome({ ...issueRound(), bids: [] });
    expect([atCeiling.cap.capMinor, atCeiling.cap.conversionPrice]).toEqual([tfp(625_000), "0.08"]);
    const atReference = computeOutcome({ ...issueRound({ minDiscount: null }), bids: [] });
    expect([atReference.cap.capMinor, atReference.cap.conversionPrice]).toEqual([tfp(500_000), "0.1"]);
    expect(atReference.cap.capUsdcMinor).toBe(usdc(50_000));
  });

  it("the solvency limit binds in TFP when the pool's USDC cannot cover payouts and margin", () => {
    const input = issueRound();
    const outcome = computeOutcome({
      ...input,
      pool: { ...input.pool!, availableUsdcMinor: usdc(80_000) },
    });
    // Payout + margin = filled × 0.1 ≤ 80,000 USDC: at most 800,000 TFP.
    expect(outcome.clearing.filledMinor).toBe(tfp(800_000));
    expect(outcome.cap).toMatchObject({
      binding: "solvency",
      capMinor: tfp(800_000),
      capUsdcMinor: usdc(50_000),
    });
    expect(outcome.clearing.payoutTotalMinor + outcome.marginDistributedMinor).toBe(usdc(80_000));
  });
});

const priceArbitrary = fc
  .integer({ min: 1, max: 100 })
  .map((thousandths) => new Dec(thousandths).div(1000).toFixed());

const outcomeArbitrary: fc.Arbitrary<OutcomeInput> = fc
  .record({
    offers: fc.array(
      fc.record({ amountMinor: fc.bigInt({ min: 1n, max: tfp(2_000_000) }), minPrice: priceArbitrary }),
      { maxLength: 25 },
    ),
    contributed: fc.bigInt({ min: 0n, max: usdc(5_000_000) }),
    exited: fc.bigInt({ min: 0n, max: usdc(2_000_000) }),
    liquidity: fc.bigInt({ min: 0n, max: usdc(5_000_000) }),
    available: fc.bigInt({ min: 0n, max: usdc(5_000_000) }),
    reference: fc
      .integer({ min: 50, max: 250 })
      .map((thousandths) => new Dec(thousandths).div(1000).toFixed()),
    minDiscount: fc.constantFrom<string | null>("0.2", "0", "0.5", null),
    // Mostly the defaults (partial fill, both caps): the cases where the allowance is spent.
    allowPartialFill: fc.oneof(fc.constant(true), fc.boolean()),
    tieRule: fc.constantFrom("submissionOrder" as const, "proRata" as const),
    lifetimeCapEnabled: fc.oneof(fc.constant(true), fc.boolean()),
    periodCapEnabled: fc.oneof(fc.constant(true), fc.boolean()),
    positionValues: fc.array(fc.bigInt({ min: 0n, max: usdc(1_000_000) }), { maxLength: 6 }),
  })
  .map((draw) => ({
    bids: draw.offers.map((offer, index) => ({ id: `bid_${index}`, ...offer, submitSeq: index })),
    rules: {
      ...defaultAuctionRules,
      minDiscount: draw.minDiscount,
      allowPartialFill: draw.allowPartialFill,
      tieRule: draw.tieRule,
      lifetimeCapEnabled: draw.lifetimeCapEnabled,
      periodCapEnabled: draw.periodCapEnabled,
    },
    referencePrice: draw.reference,
    pool: {
      totalContributedUsdcMinor: draw.contributed,
      totalExitedUsdcMinor: draw.exited,
      periodLiquidityUsdcMinor: draw.liquidity,
      availableUsdcMinor: draw.available,
    },
    positions: draw.positionValues.map((valueMinor, index) => ({
      id: `pos_${index}`,
      valueMinor,
      contributedAtMs: index * 1000,
    })),
    weightRule: "valueTimesTime" as const,
    sharesAtMs: dayMs,
  }));

describe("computeOutcome: properties over random bid sets", () => {
  it("pays fills × clearing price within the allowance, spends it when demand at the clearing price exceeds it, and conserves the margin", () => {
    fc.assert(
      fc.property(outcomeArbitrary, (input) => {
        const outcome = computeOutcome(input);
        const { clearing, cap } = outcome;
        const clearingKey =
          clearing.clearingPrice === null ? 0n : BigInt(parsePriceKey(clearing.clearingPrice)!);
        // Payouts are fills × clearing price, each rounded down; together within the allowance.
        let accepted = 0n;
        for (const [index, fill] of clearing.fills.entries()) {
          expect(fill.acceptedMinor + fill.remainderMinor).toBe(input.bids[index]!.amountMinor);
          expect(fill.payoutMinor).toBe((fill.acceptedMinor * clearingKey) / payoutDivisor);
          accepted += fill.acceptedMinor;
          // Every winner is paid at least its own price, never above the ceiling.
          if (fill.acceptedMinor > 0n) {
            expect(new Dec(input.bids[index]!.minPrice).lte(clearing.clearingPrice!)).toBe(true);
            if (outcome.priceCeiling !== null) {
              expect(new Dec(clearing.clearingPrice!).lte(outcome.priceCeiling)).toBe(true);
            }
          }
        }
        expect(accepted).toBe(clearing.filledMinor);
        if (cap.capUsdcMinor !== null) {
          expect(clearing.payoutTotalMinor <= cap.capUsdcMinor).toBe(true);
          // Demand suffices: bids at or below the clearing price offer more than the allowance buys
          // there, and neither the solvency limit nor whole-bid mode stopped the round first.
          const offeredAtClearing =
            clearing.supplyCurve.find((point) => point.price === clearing.clearingPrice)?.cumulativeMinor ??
            0n;
          const allowanceBuys = clearingKey === 0n ? 0n : (cap.capUsdcMinor * payoutDivisor) / clearingKey;
          const solvencyBound =
            cap.solvencyLimitMinor !== null && clearing.filledMinor >= cap.solvencyLimitMinor;
          if (
            input.rules.allowPartialFill &&
            clearingKey > 0n &&
            offeredAtClearing > allowanceBuys &&
            !solvencyBound
          ) {
            const winners = BigInt(clearing.fills.filter((fill) => fill.acceptedMinor > 0n).length);
            const shortMinor = cap.capUsdcMinor - clearing.payoutTotalMinor;
            expect(shortMinor <= (clearingKey + payoutDivisor - 1n) / payoutDivisor + winners).toBe(true);
          }
        }
        // Margin: created from the fills at the clearing price, distributed or kept exactly.
        expect(outcome.marginCreatedMinor).toBe(
          exitMargin({
            filledMinor: clearing.filledMinor,
            clearingPrice: clearing.clearingPrice,
            referencePrice: input.referencePrice!,
          }),
        );
        const credited = outcome.marginCredits.reduce((sum, credit) => sum + credit.creditMinor, 0n);
        expect(credited).toBe(outcome.marginDistributedMinor);
        expect(outcome.marginDistributedMinor + outcome.marginUndistributedMinor).toBe(
          outcome.marginCreatedMinor,
        );
        expect(
          clearing.payoutTotalMinor + outcome.marginDistributedMinor <= input.pool!.availableUsdcMinor!,
        ).toBe(true);
      }),
      // The allowance is spent inside a price group in about one draw in twenty: enough runs to see it.
      { numRuns: 1_000 },
    );
  });
});
