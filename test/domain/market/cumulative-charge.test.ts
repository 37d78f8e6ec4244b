// Proves that lease charges are cumulative over exact prices: hour k charges C(k) − C(k − 1) with
// C(k) = floor(k × exact price), so any whole number of hours sums to the exact price rounded down,
// no prefix drifts a minor unit from the exact value, no hour is negative, each hour's 80/10/10
// split sums to it, and a 720 h bid-package lease of 1.2 CC per slice-month charges exactly 1.2 CC
// (1.19952 CC before, with the hourly price rounded to 12 decimals and each hour rounded down).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Dec } from "../../../src/ledger/core/money";
import {
  type BidBook,
  chargeAheadFor,
  chargeFor,
  duePeriods,
  endLease,
  graceMsMax,
  type Lease,
  markInsufficientFunds,
  recordSettlement,
  reserve,
  reservePackage,
  resumeFunded,
} from "../../../src/market/core/bidbook";
import { floorPriceText, parseExactPrice } from "../../../src/market/core/bidbook/rate";
import { defaultMarketParameters } from "../../../src/market/core/parameters";
import { quoteLease } from "../../../src/market/core/quote";
import { threefoldBidPackages } from "../../../src/market/core/requirements";
import { chargeForUsage, splitRevenue } from "../../../src/market/core/revenue";
import { packagePriceCcPerSliceHour } from "../../../src/market/store/packages";
import { failureOf, hourMs, leaseOf, newBook, next, startMs, unwrap } from "../bidbook/support";

/** A plain decimal as an integer over a power of ten (written here apart from rate.ts, as the oracle). */
function ratio(text: string): [bigint, bigint] {
  const [whole = "0", fraction = ""] = text.split(".");
  return [BigInt(whole + fraction), 10n ** BigInt(fraction.length)];
}

/**
 * How far `paidMinor` falls short of the exact CC minor units of `runningMs` of `slices` slices at
 * an exact price text, as a fraction [shortfall numerator, denominator]: exact, never a decimal
 * approximation (1/3 × 3 h must be exactly 1 CC).
 */
function shortfall(
  priceText: string,
  slices: number,
  runningMs: number,
  paidMinor: bigint,
): [bigint, bigint] {
  const [top = "0", bottom = "1"] = priceText.split("/");
  const [topUnits, topScale] = ratio(top);
  const [bottomUnits, bottomScale] = ratio(bottom);
  const numerator = topUnits * bottomScale * BigInt(slices) * BigInt(runningMs) * 1_000_000n;
  const denominator = topScale * bottomUnits * BigInt(hourMs);
  return [numerator - paidMinor * denominator, denominator];
}

/** Whether `paidMinor` is the exact value rounded down: short by at least 0 and under one minor unit. */
function isFloorOfExact(priceText: string, slices: number, runningMs: number, paidMinor: bigint): boolean {
  const [short, denominator] = shortfall(priceText, slices, runningMs, paidMinor);
  return short >= 0n && short < denominator;
}

/** Settles every due period of lease `leaseId` at `atMs` one by one, returning the book and the charges. */
function settle(book: BidBook, leaseId: string, atMs: number): { book: BidBook; charges: bigint[] } {
  let current = book;
  const charges: bigint[] = [];
  for (;;) {
    const periods = duePeriods(leaseOf(current, leaseId), atMs);
    if (periods.length === 0) return { book: current, charges };
    for (const period of periods) {
      charges.push(chargeFor(leaseOf(current, leaseId), period));
      current = unwrap(recordSettlement(current, leaseId, period, atMs)).book;
    }
  }
}

function sum(values: readonly bigint[]): bigint {
  return values.reduce((total, value) => total + value, 0n);
}

/**
 * Exact prices up to the book's 1,000,000 CC per slice-hour: the package's 1.2/720, thirds, tiny
 * and large ones, USD-over-peg fractions, and random fractions of decimals (denominator ≥ 1).
 */
const exactPrice = fc.oneof(
  fc.constantFrom(
    "1.2/720",
    "2.4/720",
    "1/3",
    "10/36",
    "0.000000000001/720",
    "1000000",
    "999999.999999/7",
    "0.0025",
  ),
  fc
    .tuple(
      fc.integer({ min: 1, max: 1_000_000 }),
      fc.integer({ min: 0, max: 9 }),
      fc.integer({ min: 100, max: 100_000 }),
      fc.integer({ min: 0, max: 2 }),
    )
    .map(([top, topPlaces, bottom, bottomPlaces]) => {
      const text = (units: number, places: number) => new Dec(units).div(new Dec(10).pow(places)).toFixed();
      return `${text(top, topPlaces)}/${text(bottom, bottomPlaces)}`;
    }),
);

/** A lease at `priceText` (its floor as the book's price), for `slices` slices, unsettled. */
function leaseAt(priceText: string, slices: number, endsAtMs: number | null = null): Lease {
  const price = parseExactPrice(priceText);
  if (price === undefined) throw new Error(`not an exact price: ${priceText}`);
  return {
    id: "lse_p",
    accountId: "acc_u",
    kind: "package",
    slices,
    priceCcPerSliceHour: floorPriceText(price),
    exactPriceCcPerSliceHour: priceText,
    startedAtMs: startMs,
    endsAtMs,
    status: "running",
    settledThroughMs: startMs,
    pauses: [],
  };
}

describe("cumulative charges over an exact price", () => {
  it("sum over any whole number of hours to floor(hours × price), within a minor unit at every prefix, never negative, split exactly", () => {
    fc.assert(
      fc.property(
        exactPrice,
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 1_500 }),
        (text, slices, hours) => {
          // Walk the hours as settlement does: charge the next period, then record it on the lease.
          let lease = leaseAt(text, slices);
          let paidMinor = 0n;
          for (let hour = 1; hour <= hours; hour += 1) {
            const period = {
              periodStartMs: startMs + (hour - 1) * hourMs,
              periodEndMs: startMs + hour * hourMs,
            };
            const charge = chargeFor(lease, period);
            expect(charge >= 0n).toBe(true);
            const split = splitRevenue(charge);
            expect(split.farmerMinor + split.burnMinor + split.threefoldMinor).toBe(charge);
            paidMinor += charge;
            // Every prefix of whole hours is the exact price rounded down: never above it, never a
            // whole minor unit below it (so no drift, however many hours).
            expect(isFloorOfExact(text, slices, hour * hourMs, paidMinor)).toBe(true);
            lease = {
              ...lease,
              settledThroughMs: period.periodEndMs,
              settledRunningMs: hour * hourMs,
            };
          }
          expect(paidMinor).toBe(chargeForUsage(text, slices, hours * hourMs));
        },
      ),
      { numRuns: 60 },
    );
  });

  it("telescope through the book's settlement with pauses and a mid-hour end: the total is floor(running time × price)", () => {
    const step = fc.record({
      advanceMs: fc.integer({ min: 1, max: 5 * hourMs }),
      action: fc.constantFrom("pause", "resume", "nothing"),
    });
    fc.assert(
      fc.property(
        exactPrice,
        fc.integer({ min: 1, max: 8 }),
        fc.array(step, { maxLength: 12 }),
        (text, slices, steps) => {
          const listed = floorPriceText(parseExactPrice(text)!);
          fc.pre(listed !== "0"); // the book lists no price below 10^-12 CC
          let book = newBook({ listedPriceCcPerSliceHour: listed });
          book = next(
            reserve(book, {
              leaseId: "lse_p",
              accountId: "acc_u",
              slices,
              durationMs: null,
              nowMs: startMs,
              exactPriceCcPerSliceHour: text,
            }),
          );
          let nowMs = startMs;
          let runningMs = 0;
          const charges: bigint[] = [];
          for (const { advanceMs, action } of steps) {
            // The status only changes at steps (the grace outlasts them all), so this span ran or not.
            if (leaseOf(book, "lse_p").status === "running") runningMs += advanceMs;
            nowMs += advanceMs;
            const settled = settle(book, "lse_p", nowMs);
            book = settled.book;
            charges.push(...settled.charges);
            const lease = leaseOf(book, "lse_p");
            if (action === "pause" && lease.status === "running") {
              book = next(markInsufficientFunds(book, "lse_p", nowMs, graceMsMax));
            } else if (action === "resume" && lease.status === "paused") {
              book = next(resumeFunded(book, "lse_p", nowMs));
            }
          }
          // End a third of an hour later, mid-hour: a final partial period (nothing more if paused).
          const endMs = nowMs + hourMs / 3;
          if (leaseOf(book, "lse_p").status === "running") runningMs += hourMs / 3;
          book = next(endLease(book, "lse_p", endMs));
          const settled = settle(book, "lse_p", endMs + hourMs);
          charges.push(...settled.charges);
          const final = leaseOf(settled.book, "lse_p");
          expect(final.settledThroughMs).toBe(endMs);
          expect(final.settledRunningMs ?? 0).toBe(runningMs);
          for (const charge of charges) expect(charge >= 0n).toBe(true);
          expect(sum(charges)).toBe(chargeForUsage(text, slices, runningMs));
          expect(isFloorOfExact(text, slices, runningMs, sum(charges))).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("size holds by what the next hours will charge from where settlement stands", () => {
    const lease = {
      ...leaseAt("1.2/720", 1),
      settledThroughMs: startMs + 2 * hourMs,
      settledRunningMs: 2 * hourMs,
    };
    // Hours 3 and 4 of 1,666.67 minor units each: C(4 h) − C(2 h) = 6,666 − 3,333.
    expect(chargeAheadFor(lease, 2 * hourMs)).toBe(3_333n);
    expect(chargeAheadFor(lease, 0)).toBe(0n);
  });
});

describe("a 720 h bid-package lease of 1.2 CC per slice-month", () => {
  it("charges exactly 1.2 CC over its 720 hourly settlements (it charged 1.19952 CC)", () => {
    const pkg = threefoldBidPackages.standardCompute;
    expect(pkg.priceCcPerSliceMonth).toBe("1.2");
    const price = unwrap(packagePriceCcPerSliceHour(pkg, defaultMarketParameters));
    expect(price).toEqual({ priceCcPerSliceHour: "0.001666666666", exactPriceCcPerSliceHour: "1.2/720" });
    let book = newBook();
    book = next(
      reservePackage(book, {
        leaseId: "lse_pkg",
        accountId: "acc_treasury_cc",
        slices: 1,
        durationMs: 720 * hourMs,
        nowMs: startMs,
        ...price,
      }),
    );
    const { book: settled, charges } = settle(book, "lse_pkg", startMs + 720 * hourMs);
    expect(charges).toHaveLength(720);
    expect(sum(charges)).toBe(1_200_000n);
    // Hours alternate between 1,666 and 1,667 minor units so that every prefix stays on the exact price.
    expect(charges.slice(0, 3)).toEqual([1_666n, 1_667n, 1_667n]);
    const splits = charges.map((charge) => splitRevenue(charge));
    expect(sum(splits.map((split) => split.farmerMinor + split.burnMinor + split.threefoldMinor))).toBe(
      1_200_000n,
    );
    expect(leaseOf(settled, "lse_pkg")).toMatchObject({
      settledThroughMs: startMs + 720 * hourMs,
      settledRunningMs: 720 * hourMs,
    });
  });

  it("takes a fixed price written with trailing zeros as its own exact price", () => {
    for (const exact of ["0.0250", "1/40", "0.025"]) {
      const reserved = next(
        reservePackage(newBook(), {
          leaseId: "lse_offer",
          accountId: "acc_u",
          slices: 1,
          durationMs: hourMs,
          nowMs: startMs,
          priceCcPerSliceHour: "0.0250",
          exactPriceCcPerSliceHour: exact,
        }),
      );
      const { charges } = settle(reserved, "lse_offer", startMs + hourMs);
      expect(charges).toEqual([25_000n]);
    }
  });

  it("refuses an exact price whose 12-decimal floor is not the lease's price, naming the field", () => {
    const refused = reservePackage(newBook(), {
      leaseId: "lse_pkg",
      accountId: "acc_treasury_cc",
      slices: 1,
      durationMs: 720 * hourMs,
      nowMs: startMs,
      priceCcPerSliceHour: "0.001666666666",
      exactPriceCcPerSliceHour: "1.3/720",
    });
    expect(failureOf(refused)).toEqual({ code: "VALIDATION_FAILED", field: "exactPriceCcPerSliceHour" });
  });
});

describe("on-demand quotes keep the listed price exact", () => {
  const monthHours = defaultMarketParameters.hoursPerMonth;

  it.each([
    ["a CC monthly price", "CC", "10", null, "10/720", 10_000_000n],
    ["a USD monthly price at the peg", "USD", "10", "0.03", "10/21.6", 333_333_333n],
    ["the package-like 1.2 CC", "CC", "1.2", null, "1.2/720", 1_200_000n],
  ] as const)(
    "%s: a month charges the monthly price to the minor unit",
    (_label, currency, month, ccUsd, exact, monthMinor) => {
      const quote = unwrap(
        quoteLease(
          { currency, pricePerSliceMonth: month, pricePerSliceHour: "1" },
          monthHours * hourMs,
          ccUsd,
          defaultMarketParameters,
        ),
      );
      expect(quote.exactPriceCcPerSliceHour).toBe(exact);
      expect(quote.priceCcPerSliceHour).toBe(floorPriceText(parseExactPrice(exact)!));
      const lease = { ...leaseAt(exact, 1), kind: "onDemand" as const };
      let paidMinor = 0n;
      let current: Lease = lease;
      for (let hour = 0; hour < monthHours; hour += 1) {
        const period = { periodStartMs: startMs + hour * hourMs, periodEndMs: startMs + (hour + 1) * hourMs };
        paidMinor += chargeFor(current, period);
        current = { ...current, settledThroughMs: period.periodEndMs, settledRunningMs: (hour + 1) * hourMs };
      }
      expect(paidMinor).toBe(monthMinor);
    },
  );

  it("an hourly price stays a plain decimal (over 1), and in USD a fraction over the peg", () => {
    const hourly = { currency: "CC" as const, pricePerSliceMonth: "10", pricePerSliceHour: "0.025" };
    expect(unwrap(quoteLease(hourly, hourMs, null, defaultMarketParameters)).exactPriceCcPerSliceHour).toBe(
      "0.025",
    );
    const usd = unwrap(quoteLease({ ...hourly, currency: "USD" }, null, "0.03", defaultMarketParameters));
    expect(usd).toMatchObject({
      exactPriceCcPerSliceHour: "0.025/0.03",
      priceCcPerSliceHour: "0.833333333333",
    });
  });
});
