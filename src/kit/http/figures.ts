/**
 * Figures in responses, rounded once at the response boundary to their unit's scale. The domain
 * keeps full precision (a slice of 16 cores in 7 is 2.2857142857… cores, a band's hourly minimum
 * 0.003333… USD) because it compares and charges exactly; a response shows each figure with the
 * decimals its unit has and names the direction, so what is shown is never a promise the service
 * does not keep: resources round down (a slice has at least what it shows), a band's minimum
 * rounds up and its maximum down (every price inside the shown band is accepted), a minimum bid
 * rounds up (a bid at the shown minimum is accepted).
 *
 * Money amounts are not figures: they keep their asset's scale through `formatAmount`
 * (CC 6, TFT 7, TFP 7, USDC 6, USD 2).
 */
import { type Dec, type Rounding, roundDecimal } from "../../ledger/core/money";

/** Decimals shown for each unit of figure. */
export const figureDecimals = {
  /** CPU cores per slice. */
  cores: 3,
  /** Passmark points per slice. */
  passmark: 0,
  /** GB of memory, SSD or AI/GPU memory per slice. */
  gb: 2,
  /** Tokens per second per slice. */
  tokensPerSecond: 2,
  /** A price or amount per month in USD (cents). */
  usd: 2,
  /** A price or amount per month in CC (the ledger's CC scale). */
  cc: 6,
  /** A price per slice-hour, in USD or CC. */
  pricePerHour: 6,
} as const;

export type FigureUnit = keyof typeof figureDecimals;

/** `value` rounded to its unit's decimals in the named direction, as a plain decimal string. */
export function figureText(value: Dec | string, unit: FigureUnit, rounding: Rounding): string {
  return roundDecimal(value, figureDecimals[unit], rounding).toFixed();
}

/** The unit of a monthly price in a band currency. */
export function monthlyPriceUnit(currency: "USD" | "CC"): FigureUnit {
  return currency === "USD" ? "usd" : "cc";
}

/** One slice's resources as a response shows them: each rounded down to its unit. */
export function sliceFigures(slice: {
  readonly cores: string;
  readonly passmark: string;
  readonly memGb: string;
  readonly ssdGb: string;
  readonly aiGb: string;
  readonly tps: string;
}) {
  return {
    cores: figureText(slice.cores, "cores", "floor"),
    passmark: figureText(slice.passmark, "passmark", "floor"),
    memGb: figureText(slice.memGb, "gb", "floor"),
    ssdGb: figureText(slice.ssdGb, "gb", "floor"),
    aiGb: figureText(slice.aiGb, "gb", "floor"),
    tps: figureText(slice.tps, "tokensPerSecond", "floor"),
  };
}

/** A price band as a response shows it: minimums rounded up, maximums down, per month and hour. */
export function bandFigures<
  B extends {
    readonly currency: "USD" | "CC";
    readonly minPerSliceMonth: string;
    readonly maxPerSliceMonth: string;
    readonly minPerSliceHour: string;
    readonly maxPerSliceHour: string;
  },
>(band: B): B {
  const month = monthlyPriceUnit(band.currency);
  return {
    ...band,
    minPerSliceMonth: figureText(band.minPerSliceMonth, month, "ceil"),
    maxPerSliceMonth: figureText(band.maxPerSliceMonth, month, "floor"),
    minPerSliceHour: figureText(band.minPerSliceHour, "pricePerHour", "ceil"),
    maxPerSliceHour: figureText(band.maxPerSliceHour, "pricePerHour", "floor"),
  };
}
