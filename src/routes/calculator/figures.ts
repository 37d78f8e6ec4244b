/**
 * Presentation of the calculator's figures: decimal rounding for the API, the second currency
 * through the live peg, and the income curve across the price band. The economics themselves
 * (slices, band, incomes, break-even) come from src/market/core; this file only evaluates
 * those formulas at more points and converts units.
 */
import { z } from "@hono/zod-openapi";
import { Dec, roundDecimal } from "../../ledger/core/money";
import type { BandCurrency } from "../../market/core/parameters";

/** Decimals of every figure the calculator returns (CC's precision; displays round further). */
export const figureDecimals = 6;

/** Points of the income curve, from the band's minimum to its maximum monthly price inclusive. */
export const incomeCurvePoints = 21;

/** A figure rounded half-even to `figureDecimals`, as a plain decimal string. */
export function figure(value: Dec | string): string {
  return roundDecimal(value, figureDecimals, "halfEven").toFixed();
}

/** A band minimum rounded UP and a band maximum rounded DOWN, so every price shown is accepted. */
export function bandEndFigure(value: Dec | string, end: "min" | "max"): string {
  return roundDecimal(value, figureDecimals, end === "min" ? "ceil" : "floor").toFixed();
}

/** One amount in both currencies; the one that needs the peg is null when the oracle has no price. */
export const moneySchema = z
  .object({
    USD: z.string().nullable().openapi({ example: "126" }),
    CC: z.string().nullable().openapi({ example: "984.375" }),
  })
  .openapi("CalculatorMoney", {
    description:
      "An amount in USD and in CC. The band currency's value is always present; the other is converted through the live peg (USD per CC) and is null when the oracle has no gold price.",
  });
export type Money = z.infer<typeof moneySchema>;

/**
 * Expresses an amount of the band currency in both currencies. `ccUsd` is USD per CC, or null
 * without a gold price. USD → CC divides by the peg, CC → USD multiplies; both rounded half-even.
 */
export function moneyOf(amount: Dec | string, currency: BandCurrency, ccUsd: string | null): Money {
  const value = new Dec(amount);
  if (currency === "USD") {
    return { USD: figure(value), CC: ccUsd === null ? null : figure(value.div(ccUsd)) };
  }
  return { USD: ccUsd === null ? null : figure(value.mul(ccUsd)), CC: figure(value) };
}

/** A band end in both currencies, rounded inward (min up, max down) in each. */
export function bandMoneyOf(
  amount: string,
  end: "min" | "max",
  currency: BandCurrency,
  ccUsd: string | null,
): Money {
  const value = new Dec(amount);
  const converted = ccUsd === null ? null : currency === "USD" ? value.div(ccUsd) : value.mul(ccUsd);
  const own = bandEndFigure(value, end);
  const other = converted === null ? null : bandEndFigure(converted, end);
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
