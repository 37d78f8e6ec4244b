// Proves the CC peg and its conversions: the spec's worked vectors, rounding that never favours the
// holder by a single minor unit, round trips that never create value, and the admission rules.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvariantError } from "../../src/kit/errors";
import { Dec } from "../../src/ledger/core/money";
import {
  canUnlock,
  ccForTfp,
  ccForUsd,
  ccMintedForTfp,
  ccToUsd,
  ccUsd,
  convertCcToTfp,
  defaultPegParameters,
  type PegParameters,
  tfpForCc,
  tfpMintedForTft,
  tftEntryUsd,
  tftFixedUsd,
  tftUnlockedForTfp,
  unlockThresholdUsd,
  usdToCc,
} from "../../src/oracle/core/peg";

const cc = (whole: bigint) => whole * 1_000_000n; // CC scale 6
const tfp = (whole: bigint) => whole * 10_000_000n; // TFP / TFT scale 7
const reference = { ccUsd: "0.128" } as const;

/** A positive decimal string with up to `places` decimals, from an integer generator. */
const decimalArbitrary = (minMinor: number, maxMinor: number, places: number) =>
  fc
    .integer({ min: minMinor, max: maxMinor })
    .map((minor) => new Dec(minor).div(new Dec(10).pow(places)).toFixed());

describe("ccUsd (§4)", () => {
  it.each([
    ["128", "0.128"],
    ["128.5", "0.1285"],
    ["4000", "4"],
    ["0.001", "0.000001"],
  ])("gold %s USD/g → %s USD per CC", (gold, expected) => {
    expect(ccUsd(gold).toFixed()).toBe(expected);
  });

  it("follows a configured gold content", () => {
    expect(ccUsd("128", "0.002").toFixed()).toBe("0.256");
  });

  it.each(["0", "-1"])("refuses a gold price of %s as a broken invariant", (gold) => {
    expect(() => ccUsd(gold)).toThrow(InvariantError);
  });
});

describe("usdToCc / ccToUsd / ccForUsd (§4, card entry)", () => {
  it("reproduces the §4 illustration: 12.80 USD ↔ 100 CC at 0.128", () => {
    expect(usdToCc(1280n, "0.128", "floor")).toBe(cc(100n));
    expect(ccToUsd(cc(100n), "0.128", "floor")).toBe(1280n);
    expect(ccForUsd(1280n, "0.128")).toBe(cc(100n));
  });

  it.each([
    // 0.01 USD / 0.128 = 0.078125 CC exactly
    [1n, "0.128", "floor", 78_125n],
    // 0.01 / 0.3 = 0.0333333… CC
    [1n, "0.3", "floor", 33_333n],
    [1n, "0.3", "ceil", 33_334n],
    [0n, "0.3", "floor", 0n],
  ] as const)("%s cent at %s USD/CC, %s → %s CC minor units", (usd, price, rounding, expected) => {
    expect(usdToCc(usd, price, rounding)).toBe(expected);
  });

  it("rounds CC → USD in the named direction", () => {
    // 1 CC minor unit = 0.000000128 USD
    expect(ccToUsd(1n, "0.128", "floor")).toBe(0n);
    expect(ccToUsd(1n, "0.128", "ceil")).toBe(1n);
  });

  it("card entry never mints more than the payment is worth, and by less than one CC minor unit", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 12n }),
        decimalArbitrary(1, 10_000_000, 6),
        (usdMinor, price) => {
          const minted = ccForUsd(usdMinor, price);
          const exact = new Dec(usdMinor.toString()).div(100).div(price); // CC
          const mintedCc = new Dec(minted.toString()).div(1_000_000);
          expect(mintedCc.lessThanOrEqualTo(exact)).toBe(true);
          expect(exact.minus(mintedCc).lessThan("0.000001")).toBe(true);
        },
      ),
    );
  });

  it("refuses a negative payment", () => {
    expect(() => ccForUsd(-1n, "0.128")).toThrow(InvariantError);
  });
});

describe("entry valuation (§6.2, §20 Q16)", () => {
  it("prices the fixed rate at ccUsd / tftPerCcFixed", () => {
    expect(tftFixedUsd("0.128").toFixed()).toBe("0.064");
    expect(tftFixedUsd("0.128", "1").toFixed()).toBe("0.128");
  });

  it.each([
    ["0.01", "0.064"],
    ["0.064", "0.064"],
    ["0.1", "0.1"],
  ])("TFT market %s → entry valuation %s (fixed rate is a floor)", (market, expected) => {
    expect(tftEntryUsd({ ...reference, tftMarketUsd: market }).toFixed()).toBe(expected);
  });
});

describe("ccMintedForTfp (§6.2, §6.4)", () => {
  it("reproduces the §6.4 worked example: 1,000 TFT → 500 CC at 2:1, worth 64 USD", () => {
    const minted = ccMintedForTfp(tfp(1000n), { ...reference, tftMarketUsd: "0.01" });
    expect(minted).toBe(cc(500n));
    expect(ccToUsd(minted, "0.128", "floor")).toBe(6400n);
  });

  it.each([
    ["0.01", cc(500n)], // below the fixed rate
    ["0.064", cc(500n)], // at it: still the fixed rate
    ["0.128", cc(1000n)], // above: market valuation, 1,000 × 0.128 / 0.128
    ["0.2", cc(1562n) + 500_000n], // 1,000 × 0.2 / 0.128 = 1,562.5
  ] as const)("1,000 TFP at market %s → %s CC minor units", (market, expected) => {
    expect(ccMintedForTfp(tfp(1000n), { ...reference, tftMarketUsd: market })).toBe(expected);
  });

  it("follows a 1:1 fixed rate and a TFP-per-TFT ratio", () => {
    const oneToOne: PegParameters = { ...defaultPegParameters, tftPerCcFixed: "1" };
    expect(ccMintedForTfp(tfp(1000n), { ...reference, tftMarketUsd: "0.01" }, oneToOne)).toBe(cc(1000n));
    const twoTfpPerTft: PegParameters = { ...defaultPegParameters, tfpPerTft: "2" };
    expect(ccMintedForTfp(tfp(1000n), { ...reference, tftMarketUsd: "0.01" }, twoTfpPerTft)).toBe(cc(250n));
  });

  it("rounds down from TFP scale 7 to CC scale 6: the system never over-mints", () => {
    // 1 TFP minor unit = 0.0000001 TFP → 0.00000005 CC → 0 CC minor units
    expect(ccMintedForTfp(1n, { ...reference, tftMarketUsd: "0.01" })).toBe(0n);
    expect(ccMintedForTfp(3n, { ...reference, tftMarketUsd: "0.01" })).toBe(0n);
    expect(ccMintedForTfp(20n, { ...reference, tftMarketUsd: "0.01" })).toBe(1n);
  });

  it("never mints CC worth more than the TFP at the entry valuation", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 16n }),
        decimalArbitrary(1, 10_000_000, 6),
        decimalArbitrary(1, 10_000_000, 7),
        (tfpMinor, ccUsdPrice, market) => {
          const prices = { ccUsd: ccUsdPrice, tftMarketUsd: market };
          const minted = new Dec(ccMintedForTfp(tfpMinor, prices).toString()).div(1_000_000);
          const tfpValueUsd = new Dec(tfpMinor.toString()).div(10_000_000).mul(tftEntryUsd(prices));
          expect(minted.mul(ccUsdPrice).lessThanOrEqualTo(tfpValueUsd)).toBe(true);
        },
      ),
    );
  });

  it("mints TFP 1:1 for locked TFT by default", () => {
    expect(tfpMintedForTft(tfp(1000n))).toBe(tfp(1000n));
  });
});

describe("unlock threshold (§6.3, §20 Q3)", () => {
  it("is ccUsd / tftPerCcFixed by default, ccUsd under the alternative reading", () => {
    expect(unlockThresholdUsd("0.128").toFixed()).toBe("0.064");
    expect(unlockThresholdUsd("0.128", { ...defaultPegParameters, tftPerCcFixed: "1" }).toFixed()).toBe(
      "0.128",
    );
    expect(
      unlockThresholdUsd("0.128", { ...defaultPegParameters, unlockThreshold: "cc_usd" }).toFixed(),
    ).toBe("0.128");
  });

  it.each([
    ["0.05", false],
    ["0.064", false], // must exceed, not equal
    ["0.0641", true],
    ["1", true],
  ])("market %s → canUnlock %s", (market, expected) => {
    expect(canUnlock({ ...reference, tftMarketUsd: market })).toBe(expected);
  });

  it("returns TFT for TFP only above the threshold", () => {
    expect(tftUnlockedForTfp(tfp(10n), { ...reference, tftMarketUsd: "0.07" })).toEqual({
      ok: true,
      value: tfp(10n),
    });
    const refused = tftUnlockedForTfp(tfp(10n), { ...reference, tftMarketUsd: "0.064" });
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.code).toBe("UNLOCK_THRESHOLD_NOT_MET");
    const strict = { ...defaultPegParameters, unlockThreshold: "cc_usd" } as const;
    expect(tftUnlockedForTfp(tfp(10n), { ...reference, tftMarketUsd: "0.1" }, strict).ok).toBe(false);
  });
});

describe("Pool 2 conversions (§7.2)", () => {
  it("is peg-consistent: 500 CC at TFT 0.10 → 640 TFP, not the docs' 5,000 (§20 Q4)", () => {
    const prices = { ccUsd: "0.128", tftMarketUsd: "0.10" };
    expect(tfpForCc(cc(500n), prices)).toBe(tfp(640n));
    expect(ccForTfp(tfp(640n), prices)).toBe(cc(500n));
  });

  it("documents the docs' known-inconsistent Q4 vector: 5,000 only if 1 CC were worth 1 USD", () => {
    const docsFigure = tfp(5000n);
    expect(tfpForCc(cc(500n), { ccUsd: "0.128", tftMarketUsd: "0.10" })).not.toBe(docsFigure);
    expect(tfpForCc(cc(500n), { ccUsd: "1", tftMarketUsd: "0.10" })).toBe(docsFigure);
  });

  it.each([
    // 1 CC minor unit × 0.128 / 0.3 = 0.0000004266… TFP = 4.266… TFP minor units
    [1n, "0.128", "0.3", 4n],
    [0n, "0.128", "0.3", 0n],
    [cc(1n), "0.128", "0.128", tfp(1n)],
  ] as const)(
    "%s CC minor units at ccUsd %s, TFT %s → %s TFP minor units (rounded down)",
    (amount, price, market, expected) => {
      expect(tfpForCc(amount, { ccUsd: price, tftMarketUsd: market })).toBe(expected);
    },
  );

  it("favours the system by less than one minor unit, in both directions", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 15n }),
        decimalArbitrary(1, 10_000_000, 6),
        decimalArbitrary(1, 10_000_000, 7),
        (amount, ccUsdPrice, market) => {
          const prices = { ccUsd: ccUsdPrice, tftMarketUsd: market };
          const exactTfpMinor = new Dec(amount.toString()).mul(10).mul(ccUsdPrice).div(market);
          const tfpMinor = new Dec(tfpForCc(amount, prices).toString());
          expect(tfpMinor.lessThanOrEqualTo(exactTfpMinor)).toBe(true);
          expect(exactTfpMinor.minus(tfpMinor).lessThan(1)).toBe(true);
          const exactCcMinor = new Dec(amount.toString()).div(10).mul(market).div(ccUsdPrice);
          const ccMinor = new Dec(ccForTfp(amount, prices).toString());
          expect(ccMinor.lessThanOrEqualTo(exactCcMinor)).toBe(true);
          expect(exactCcMinor.minus(ccMinor).lessThan(1)).toBe(true);
        },
      ),
    );
  });

  it("never creates value in a round trip CC → TFP → CC or TFP → CC → TFP", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 15n }),
        decimalArbitrary(1, 10_000_000, 6),
        decimalArbitrary(1, 10_000_000, 7),
        (amount, ccUsdPrice, market) => {
          const prices = { ccUsd: ccUsdPrice, tftMarketUsd: market };
          expect(ccForTfp(tfpForCc(amount, prices), prices) <= amount).toBe(true);
          expect(tfpForCc(ccForTfp(amount, prices), prices) <= amount).toBe(true);
        },
      ),
    );
  });

  it("admits only earned CC, and only when CC → TFP is enabled (one-way by default)", () => {
    const prices = { ccUsd: "0.128", tftMarketUsd: "0.10" };
    const disabled = convertCcToTfp(cc(500n), "earned", prices);
    expect(disabled.ok ? "ok" : disabled.code).toBe("CONVERSION_DISABLED");
    const enabled: PegParameters = { ...defaultPegParameters, ccToTfpEnabled: true };
    const purchased = convertCcToTfp(cc(500n), "purchased", prices, enabled);
    expect(purchased.ok ? "ok" : purchased.code).toBe("ORIGIN_NOT_CONVERTIBLE");
    expect(convertCcToTfp(cc(500n), "earned", prices, enabled)).toEqual({ ok: true, value: tfp(640n) });
  });

  it("treats a non-positive price as a broken invariant", () => {
    expect(() => tfpForCc(1n, { ccUsd: "0.128", tftMarketUsd: "0" })).toThrow(InvariantError);
    expect(() => ccForTfp(1n, { ccUsd: "-0.128", tftMarketUsd: "0.1" })).toThrow(InvariantError);
    expect(() => tfpForCc(-1n, { ccUsd: "0.128", tftMarketUsd: "0.1" })).toThrow(InvariantError);
  });

  it("keeps the 0.128 reference as a fixture only", () => {
    expect(defaultPegParameters).toMatchObject({
      tftPerCcFixed: "2",
      tfpPerTft: "1",
      ccGoldGrams: "0.001",
      ccUsdReference: "0.128",
      ccToTfpEnabled: false,
    });
    expect(ccUsd("128").toFixed()).toBe(defaultPegParameters.ccUsdReference);
  });
});
