/**
 * Presentation of the calculator's figures: decimal rounding for the API, the second currency
 * through the live peg, and the income curve across the price band. The economics themselves
 * (slices, band, incomes, break-even) come from src/market/core; this file only evaluates
 * those formulas at more points and converts units.
 */
import { z } from "@hono/zod-openapi";
import { figureText, monthlyPriceUnit } from "../../kit/http/figures";
import { Dec, roundDecimal } from "../../ledger/core/money";
import type { BandCurrency } from "../../market/core/parameters";

/**
 * Decimals of the calculator's figures that are not money (months to break even, hours, ratios).
 * Money is rounded by src/kit/http/figures.ts like every response: USD to 2 decimals, CC to 6,
 * prices per slice-hour to 6.
 */
export const figureDecimals = 6;

/** Points of the income curve, from the band's minimum to its maximum monthly price inclusive. */
export const incomeCurvePoints = 21;

/** A figure rounded half-even to `figureDecimals`, as a plain decimal string. */
export function figure(value: Dec | string): string {
  return roundDecimal(value, figureDecimals, "halfEven").toFixed();
}

/** A monthly amount of `currency` at its scale (USD 2 decimals, CC 6), rounded half-even. */
export function moneyFigure(value: Dec | string, currency: BandCurrency): string {
  return figureText(value, monthlyPriceUnit(currency), "halfEven");
}

/**
 * A band end of `currency` per slice-month or slice-hour at its scale, the minimum rounded UP and
 * the maximum DOWN, so every price shown is accepted.
 */
export function bandEndFigure(
  value: Dec | string,
  end: "min" | "max",
  currency: BandCurrency,
  period: "month" | "hour",
): string {
  const unit = period === "hour" ? "pricePerHour" : monthlyPriceUnit(currency);
  return figureText(value, unit, end === "min" ? "ceil" : "floor");
}

/** One amount in both currencies; the one that needs the peg is null when the oracle has no price. */
export const moneySchema = z
  .object({
    USD: z.string().nullable().openapi({ example: "126" }),
    CC: z.string().nullable().openapi({ example: "984.375" }),
  })
  .openapi("CalculatorMoney", {
    description:
      "An amount in USD and in CC: USD to the cent, CC to 6 decimals (prices per slice-hour to 6 in both). The band currency's value is always present; the other is converted through the live peg (USD per CC) and is null when the oracle has no gold price.",
  });
export type Money = z.infer<typeof moneySchema>;

/**
 * Expresses an amount of the band currency in both currencies. `ccUsd` is USD per CC, or null
 * without a gold price. USD → CC divides by the peg, CC → USD multiplies; both rounded half-even.
 */
export function moneyOf(amount: Dec | string, currency: BandCurrency, ccUsd: string | null): Money {
  const value = new Dec(amount);
  if (currency === "USD") {
    return {
      USD: moneyFigure(value, "USD"),
      CC: ccUsd === null ? null : moneyFigure(value.div(ccUsd), "CC"),
    };
  }
  return { USD: ccUsd === null ? null : moneyFigure(value.mul(ccUsd), "USD"), CC: moneyFigure(value, "CC") };
}

/** A band end per slice-month or slice-hour in both currencies, rounded inward (min up, max down) in each. */
export function bandMoneyOf(
  amount: string,
  end: "min" | "max",
  currency: BandCurrency,
  ccUsd: string | null,
  period: "month" | "hour",
): Money {
  const value = new Dec(amount);
  const converted = ccUsd === null ? null : currency === "USD" ? value.div(ccUsd) : value.mul(ccUsd);
  const otherCurrency = currency === "USD" ? "CC" : "USD";
  const own = bandEndFigure(value, end, currency, period);
  const other = converted === null ? null : bandEndFigure(converted, end, otherCurrency, period);
  return currency === "USD" ? { USD: own, CC: other } : { USD: other, CC: own };
}

/**
 * `count` evenly spaced prices from `min` to `max` inclusive (count ≥ 2), full precision. The
 * last point is exactly `max`, so the curve ends on the band's maximum.
 */
export function pricesAcross(min: string, max: string, count = incomeCurvePoints): Dec[] {
  const low = new Dec(min);
  const step = new Dec(max).sub(low).div(count - 1);
  return Array.from({ length: count }, (_, index) =>
    index === count - 1 ? new Dec(max) : low.add(step.mul(index)),
  );
}
