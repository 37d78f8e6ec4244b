/**
 * Helpers shared by the market domain tests: unwrapping Results and comparing computed values
 * with the spec's displayed (rounded) figures within half a displayed unit.
 */
import { expect } from "vitest";
import type { Result } from "../../../src/kit/result";
import { Dec } from "../../../src/ledger/core/money";

/** The value of a successful Result; fails the test with the failure's detail otherwise. */
export function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`expected ok, got ${result.code}: ${result.detail}`);
  return result.value;
}

/**
 * Asserts |actual − shown| ≤ ½ × 10^−decimals: `shown` is the value the spec prints with
 * `decimals` decimal places (trailing zeros may be omitted in the spec, hence the explicit count).
 */
export function expectWithinHalfUnit(
  actual: string | null,
  shown: string,
  decimals: number,
  label = "",
): void {
  expect(actual, label).not.toBeNull();
  const difference = new Dec(actual ?? "0").sub(shown).abs();
  const halfUnit = new Dec("0.5").mul(new Dec(10).pow(-decimals));
  expect(difference.lte(halfUnit), `${label}: ${actual} vs shown ${shown} (±${halfUnit})`).toBe(true);
}

/** True when `actual` does NOT round to `shown` (used to document the spec's known typos). */
export function differsBeyondHalfUnit(actual: string, shown: string, decimals: number): boolean {
  const halfUnit = new Dec("0.5").mul(new Dec(10).pow(-decimals));
  return new Dec(actual).sub(shown).abs().gt(halfUnit);
}
