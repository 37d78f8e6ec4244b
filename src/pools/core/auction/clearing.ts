/**
 * Uniform-price clearing of one Dutch-auction exit round (ECONOMICS §8.5, §20 Q1, Q5).
 *
 * Liquidity providers offer TFP (amounts in TFP minor units, scale 7) at a minimum price in
 * USDC per TFP. Bids are taken from the lowest price up until the round's limits are reached: a
 * TFP cap, and a USDC allowance that bounds `filled × clearing price`; every accepted bid is paid
 * the same clearing price, the highest minimum price among accepted bids, never above the price
 * ceiling. Payouts are USDC minor units (scale 6), rounded down: the pool never pays more than
 * `accepted × clearing price`.
 *
 * Prices are handled as integer keys (the price in units of 10^-12 USDC per TFP) parsed once per
 * bid, so sorting compares plain numbers. The bounds below keep every key an exact integer
 * below 2^53.
 */

import { invariant } from "../../../kit/errors";
import { amountMinorMax, assets, mulDiv } from "../../../ledger/core/money";
import { type ClearingPriceRule, defaultAuctionRules, type TieRule } from "./config";

export type { TieRule } from "./config";

/** Most decimals a price (USDC per TFP) may carry. */
export const priceDecimalsMax = 12;
/** Highest whole-unit price accepted, in USDC per TFP; 9000 × 10^12 stays below 2^53. */
export const priceUsdcPerTfpMax = 9000;
/** Most bids one round may hold. */
export const bidsPerRoundMax = 1_000_000;
/** Longest bid id, in UTF-16 code units. */
export const bidIdCharsMax = 128;

const priceKeyPerUnit = 10 ** priceDecimalsMax;
const priceKeyMax = priceUsdcPerTfpMax * priceKeyPerUnit;
const priceTextCharsMax = String(priceUsdcPerTfpMax).length + 1 + priceDecimalsMax;
const powersOfTen: readonly number[] = Array.from(
  { length: priceDecimalsMax + 1 },
  (_, power) => 10 ** power,
);

/**
 * USDC minor units = TFP minor × price key / 10^(price decimals + TFP scale − USDC scale).
 * The exponent is checked non-negative at load so the division is exact integer arithmetic.
 */
const payoutExponent = priceDecimalsMax + assets.TFP.scale - assets.USDC.scale;
invariant(payoutExponent >= 0, "clearing: price decimals and asset scales give a negative exponent");
/** Divisor turning `TFP minor × price key` into USDC minor units. */
export const payoutDivisor = 10n ** BigInt(payoutExponent);

/**
 * Parses a price (USDC per TFP) into its integer key, the price in units of 10^-12.
 * Accepts plain non-negative decimals ("0", "0.08", "12.5") with at most `priceDecimalsMax`
 * decimals, no leading zeros, no sign or exponent, at most `priceUsdcPerTfpMax`.
 * Returns `undefined` for anything else; no rounding happens.
 */
export function parsePriceKey(text: string): number | undefined {
  const length = text.length;
  if (length === 0 || length > priceTextCharsMax) return undefined;
  let index = 0;
  let whole = 0;
  while (index < length) {
    const code = text.charCodeAt(index);
    if (code === 46) break; // "."
    if (code < 48 || code > 57) return undefined;
    whole = whole * 10 + (code - 48);
    index += 1;
  }
  if (index === 0 || (index > 1 && text.charCodeAt(0) === 48)) return undefined;
  let fraction = 0;
  let fractionDigits = 0;
  if (index < length) {
    index += 1; // skip "."
    while (index < length) {
      const code = text.charCodeAt(index);
      if (code < 48 || code > 57) return undefined;
      fraction = fraction * 10 + (code - 48);
      fractionDigits += 1;
      index += 1;
    }
    if (fractionDigits === 0 || fractionDigits > priceDecimalsMax) return undefined;
  }
  if (whole > priceUsdcPerTfpMax) return undefined;
  const key = whole * priceKeyPerUnit + fraction * powersOfTen[priceDecimalsMax - fractionDigits]!;
  return key > priceKeyMax ? undefined : key;
}

/** Whether `text` is a price `parsePriceKey` accepts (for schemas at the trust boundary). */
export function isValidPrice(text: string): boolean {
  return parsePriceKey(text) !== undefined;
}

/**
 * Formats a price key as the shortest exact decimal string (no trailing zeros): 80_000_000_000
 * → "0.08". Inverse of `parsePriceKey` up to trailing zeros.
 */
export function formatPriceKey(key: number): string {
  invariant(Number.isSafeInteger(key) && key >= 0 && key <= priceKeyMax, "formatPriceKey: key out of range");
  let whole = Math.floor(key / priceKeyPerUnit);
  if (whole * priceKeyPerUnit > key) whole -= 1; // float division may round up near the next unit
  const fraction = key - whole * priceKeyPerUnit;
  if (fraction === 0) return String(whole);
  let digits = String(fraction).padStart(priceDecimalsMax, "0");
  let end = digits.length;
  while (digits.charCodeAt(end - 1) === 48) end -= 1;
  digits = digits.slice(0, end);
  return `${whole}.${digits}`;
}

/** Rewrites a valid price in its canonical form ("0.0800" → "0.08"). Invalid prices are a bug. */
export function canonicalPrice(text: string): string {
  const key = parsePriceKey(text);
  if (key === undefined) invariant(false, "canonicalPrice: invalid price");
  return formatPriceKey(key);
}

/**
 * USDC minor units paid for `acceptedMinor` TFP minor units at `price` (USDC per TFP), rounded
 * down. Exact integer arithmetic: `acceptedMinor × key / payoutDivisor`.
 */
export function payoutUsdcMinor(acceptedMinor: bigint, price: string): bigint {
  const key = parsePriceKey(price);
  if (key === undefined) invariant(false, "payoutUsdcMinor: invalid price");
  invariant(acceptedMinor >= 0n, "payoutUsdcMinor: amount must not be negative");
  return mulDiv(acceptedMinor, BigInt(key), payoutDivisor, "down");
}

/** One exit bid: sell `amountMinor` TFP minor units at no less than `minPrice` USDC per TFP. */
export type ExitBid = {
  /** Client-chosen id, unique within the round (non-empty, at most `bidIdCharsMax` chars). */
  readonly id: string;
  /** TFP minor units offered (scale 7). Amounts ≤ 0 are ineligible, not errors. */
  readonly amountMinor: bigint;
  /** Lowest acceptable price, USDC per TFP, a decimal string accepted by `parsePriceKey`. */
  readonly minPrice: string;
  /** Submission order within the round (safe integer ≥ 0); breaks ties between equal prices. */
  readonly submitSeq: number;
};

/** Input of `clearRound`. */
export type ClearRoundInput = {
  readonly bids: readonly ExitBid[];
  /** Most TFP minor units the round may accept, 0 ≤ cap ≤ `amountMinorMax` (`amountMinorMax`: no TFP limit). */
  readonly capMinor: bigint;
  /**
   * Most USDC minor units the round may pay, at its clearing price (see cap.ts `roundCap`),
   * 0 ≤ allowance ≤ `amountMinorMax`; absent or `null`: no USDC limit.
   */
  readonly allowanceUsdcMinor?: bigint | null;
  /** Highest price paid, USDC per TFP (see cap.ts `priceCeiling`); `null` = no ceiling (V0). */
  readonly priceCeiling: string | null;
  /** Fill the marginal bid partly (default true) or take whole bids only. */
  readonly allowPartialFill?: boolean;
  /** Tie rule at the marginal price (default "submissionOrder"). */
  readonly tieRule?: TieRule;
  /** Price when the allowance stops the round between two prices (default "marginalBid"); needs an allowance. */
  readonly clearingPriceRule?: ClearingPriceRule;
};

/** How a bid came out of the round. */
export type FillStatus = "filled" | "partial" | "rejected" | "ineligible";

/**
 * Why a bid was not (fully) filled:
 * - `amountNotPositive`, `priceAboveCeiling`: ineligible (§8.5 step 1);
 * - `capReached`: the TFP cap was used up by cheaper or earlier bids (partial or rejected);
 * - `allowanceReached`: the USDC allowance, paid at the clearing price, was used up by cheaper or
 *   earlier bids (partial or rejected);
 * - `proRataShare`: its pro-rata share of the marginal tie was less than its amount;
 * - `doesNotFit`: whole-bid mode, this bid (or its tie group) was the first that did not fit;
 * - `roundStopped`: whole-bid mode, the round stopped at a cheaper bid that did not fit.
 */
export type FillReason =
  | "amountNotPositive"
  | "priceAboveCeiling"
  | "capReached"
  | "allowanceReached"
  | "proRataShare"
  | "doesNotFit"
  | "roundStopped";

/** Outcome for one bid; `acceptedMinor + remainderMinor = amountMinor` always. */
export type BidFill = {
  readonly id: string;
  /** TFP minor units that exit this round. */
  readonly acceptedMinor: bigint;
  /** TFP minor units that stay in the pool (may re-bid next round). */
  readonly remainderMinor: bigint;
  /** USDC minor units paid: `acceptedMinor × clearing price`, rounded down. */
  readonly payoutMinor: bigint;
  readonly status: FillStatus;
  /** Present unless the bid was filled completely. */
  readonly reason?: FillReason;
};

/** One step of the supply curve: eligible TFP minor units offered at `price` or lower. */
export type SupplyPoint = { readonly price: string; readonly cumulativeMinor: bigint };

/** Which fill mode produced the result (§20 Q1 asks that it is reported). */
export type ClearingMode = "partialFill" | "wholeBid";

/** Result of `clearRound`. */
export type ClearRoundResult = {
  readonly mode: ClearingMode;
  readonly tieRule: TieRule;
  /** Uniform price paid, USDC per TFP, canonical decimal; `null` when nothing cleared (step 5). */
  readonly clearingPrice: string | null;
  /** TFP minor units accepted in total; never above the cap. */
  readonly filledMinor: bigint;
  /** USDC minor units paid in total: the sum of `payoutMinor`; never above the allowance. */
  readonly payoutTotalMinor: bigint;
  /** One entry per input bid, in input order. */
  readonly fills: readonly BidFill[];
  /** One point per distinct eligible price, ascending (for charts); at most one per bid. */
  readonly supplyCurve: readonly SupplyPoint[];
};

const statusFilled = 0;
const statusPartial = 1;
const statusRejected = 2;
const statusIneligible = 3;
const statusNames: readonly FillStatus[] = ["filled", "partial", "rejected", "ineligible"];

const reasonNone = 0;
const reasonNames: readonly (FillReason | undefined)[] = [
  undefined,
  "amountNotPositive",
  "priceAboveCeiling",
  "capReached",
  "proRataShare",
  "doesNotFit",
  "roundStopped",
  "allowanceReached",
];
const reasonAmountNotPositive = 1;
const reasonPriceAboveCeiling = 2;
const reasonCapReached = 3;
const reasonProRataShare = 4;
const reasonDoesNotFit = 5;
const reasonRoundStopped = 6;
const reasonAllowanceReached = 7;

/**
 * Clears one exit round exactly as ECONOMICS §8.5:
 * 1. bids with `amountMinor ≤ 0` or `minPrice` above the ceiling are ineligible;
 * 2. eligible bids are ordered by (minPrice ascending, submitSeq ascending);
 * 3–4. bids are accepted until the cap is reached. With partial fill, the marginal bid gets the
 *    room left; in whole-bid mode the round stops at the first bid that does not fit (later,
 *    smaller bids are not tried, as the spec's step 4 says). The room at a price group is the
 *    smaller of the TFP cap left and, with a USDC allowance, what the allowance buys at that
 *    group's price, `⌊allowance × 10^13 / key⌋ − filled`: taking a dearer group raises the price
 *    paid for everything taken, so the allowance is checked at the price the round would clear
 *    at. When what was taken already costs more than the allowance at the next group's price, the
 *    round stops at the previous price (the allowance is then not spent to the last unit: paying
 *    a higher price for the same TFP would only move value from the staying LPs to the winners);
 * 5. no accepted bid → `clearingPrice: null`, nothing paid;
 * 6. clearing price = highest minPrice among accepted bids, capped at the ceiling;
 * 7–8. every accepted bid is paid `accepted × clearing price` in USDC minor units, rounded down.
 *
 * Ties with `tieRule: "proRata"`: when the bids at the marginal price do not all fit, the room
 * left is shared in proportion to their amounts: each share is rounded down
 * (`mulDiv(room, amount, groupTotal, "down")`), then the minor units left by rounding go one
 * each to the tied bids in submission order. (`allocate` is not used here because it gives the
 * whole remainder to one part, which can exceed that bid's amount: four bids of 1 sharing 3.)
 * In whole-bid mode a pro-rata share would be a partial fill, so a tie group is taken whole or
 * not at all: the round stops at the first price group that does not fit.
 *
 * Invariants (asserted; breaking one is a caller bug): at most `bidsPerRoundMax` bids; ids
 * unique, non-empty and at most `bidIdCharsMax` chars; `submitSeq` a safe integer ≥ 0 and distinct among
 * bids at the same price; `|amountMinor| ≤ amountMinorMax`; prices and ceiling valid per
 * `parsePriceKey`; `0 ≤ capMinor ≤ amountMinorMax`; `0 ≤ allowanceUsdcMinor ≤ amountMinorMax`.
 * Guarantees: filled ≤ cap; filled × clearing price ≤ allowance (so Σ payouts ≤ allowance);
 * accepted + remainder = amount per bid; every accepted bid's minPrice ≤ clearing price ≤
 * ceiling; payout ≤ accepted × clearing price. With partial fill, the TFP filled is the most any
 * single price up to the ceiling could buy within both limits, at the lowest such price; when the
 * allowance stops the round inside a price group, it is spent up to rounding (less than one USDC
 * minor unit per accepted bid, plus one). O(n log n) time, O(n) memory.
 */
export function clearRound(input: ClearRoundInput): ClearRoundResult {
  const { bids, capMinor, priceCeiling } = input;
  const allowPartialFill = input.allowPartialFill ?? defaultAuctionRules.allowPartialFill;
  const tieRule = input.tieRule ?? defaultAuctionRules.tieRule;
  const count = bids.length;
  invariant(count <= bidsPerRoundMax, "clearRound: more bids than bidsPerRoundMax");
  invariant(capMinor >= 0n && capMinor <= amountMinorMax, "clearRound: cap out of range");
  const allowance = input.allowanceUsdcMinor ?? null;
  invariant(
    allowance === null || (allowance >= 0n && allowance <= amountMinorMax),
    "clearRound: allowance out of range",
  );
  /** TFP minor units the allowance pays for when the round clears at `key`; the cap without one. */
  const affordableAt = (key: number): bigint => {
    if (allowance === null || key === 0) return capMinor;
    const affordable = mulDiv(allowance, payoutDivisor, BigInt(key), "down");
    if (affordable < capMinor) return affordable;
    return capMinor; // bigints: no Math.min
  };
  let ceilingKey = Number.POSITIVE_INFINITY;
  if (priceCeiling !== null) {
    const parsed = parsePriceKey(priceCeiling);
    if (parsed === undefined) invariant(false, "clearRound: invalid price ceiling");
    ceilingKey = parsed;
  }

  // Step 1: validate, parse each price once, and split eligible from ineligible bids.
  const columns = readBids(bids, ceilingKey);
  const { keys, seqs, amounts, accepted, statuses, reasons, eligible } = columns;

  // Step 2: price ascending, then submission order. Keys are plain numbers: no parsing here.
  eligible.sort((left, right) => keys[left]! - keys[right]! || seqs[left]! - seqs[right]!);

  // Steps 3–4, walking one price group at a time (the supply curve needs group totals anyway).
  const supplyCurve: SupplyPoint[] = [];
  const eligibleCount = eligible.length;
  let cumulative = 0n;
  let filled = 0n;
  let marginalKey = -1;
  let stopReason = reasonNone; // set once the round stops taking bids
  let stopLimit = reasonNone; // which limit stopped it: capReached (TFP) or allowanceReached
  let groupStart = 0;
  while (groupStart < eligibleCount) {
    const groupKey = keys[eligible[groupStart]!]!;
    let groupEnd = groupStart + 1;
    let groupTotal = amounts[eligible[groupStart]!]!;
    while (groupEnd < eligibleCount) {
      const index = eligible[groupEnd]!;
      if (keys[index] !== groupKey) break;
      if (seqs[index] === seqs[eligible[groupEnd - 1]!]) {
        invariant(false, "clearRound: two bids at the same price share a submitSeq");
      }
      groupTotal += amounts[index]!;
      groupEnd += 1;
    }
    cumulative += groupTotal;
    supplyCurve.push({ price: formatPriceKey(groupKey), cumulativeMinor: cumulative });

    // The room at this price: the TFP cap left, or less when the allowance binds at this price.
    const affordable = stopReason === reasonNone ? affordableAt(groupKey) : 0n;
    const room = affordable - filled;
    const limitReason = affordable < capMinor ? reasonAllowanceReached : reasonCapReached;
    if (stopReason === reasonNone && room <= 0n) stopReason = limitReason;
    if (stopReason !== reasonNone) {
      for (let position = groupStart; position < groupEnd; position += 1) {
        reasons[eligible[position]!] = stopReason;
      }
    } else if (groupTotal <= room) {
      for (let position = groupStart; position < groupEnd; position += 1) {
        const index = eligible[position]!;
        accepted[index] = amounts[index]!;
        statuses[index] = statusFilled;
      }
      filled += groupTotal;
      marginalKey = groupKey;
    } else if (allowPartialFill && tieRule === "proRata") {
      shareProRata(eligible, groupStart, groupEnd, room, groupTotal, amounts, accepted, statuses, reasons);
      filled += room;
      marginalKey = groupKey;
      stopReason = limitReason;
    } else if (allowPartialFill) {
      fillInOrder(columns, groupStart, groupEnd, room, limitReason);
      filled += room;
      marginalKey = groupKey;
      stopReason = limitReason;
    } else if (tieRule === "proRata") {
      for (let position = groupStart; position < groupEnd; position += 1) {
        reasons[eligible[position]!] = reasonDoesNotFit;
      }
      stopReason = reasonRoundStopped;
    } else {
      const taken = fillWholeInOrder(columns, groupStart, groupEnd, room);
      if (taken > 0n) marginalKey = groupKey;
      filled += taken;
      stopReason = reasonRoundStopped;
    }
    if (stopReason !== reasonNone && stopLimit === reasonNone) stopLimit = limitReason;
    groupStart = groupEnd;
  }
  invariant(filled <= capMinor, "clearRound: filled more than the cap");

  // Steps 5–8: uniform price, capped at the ceiling; payouts rounded down.
  let clearingKey = marginalKey < 0 ? -1 : Math.min(marginalKey, ceilingKey);
  if (
    clearingKey >= 0 &&
    allowance !== null &&
    filled > 0n &&
    stopLimit !== reasonCapReached &&
    (input.clearingPriceRule ?? defaultAuctionRules.clearingPriceRule) === "spendAllowance"
  ) {
    clearingKey = spendingPriceKey(eligible, keys, accepted, amounts, {
      allowance,
      filled,
      marginalKey: clearingKey,
      ceilingKey,
    });
  }
  const clearingKeyBig = BigInt(Math.max(clearingKey, 0));
  const { fills, payoutTotal } = fillsOf(bids, columns, { filled, clearingKeyBig, allowance });
  return {
    mode: allowPartialFill ? "partialFill" : "wholeBid",
    tieRule,
    clearingPrice: clearingKey < 0 ? null : formatPriceKey(clearingKey),
    filledMinor: filled,
    payoutTotalMinor: payoutTotal,
    fills,
    supplyCurve,
  };
}

/** Steps 7–8: each bid's fill and payout at the clearing price, checked against the round's totals. */
function fillsOf(
  bids: readonly ExitBid[],
  columns: Columns,
  round: { filled: bigint; clearingKeyBig: bigint; allowance: bigint | null },
): { fills: BidFill[]; payoutTotal: bigint } {
  const { amounts, accepted, statuses, reasons } = columns;
  const { filled, clearingKeyBig, allowance } = round;
  const count = bids.length;
  const fills: BidFill[] = new Array(count);
  let acceptedTotal = 0n;
  let payoutTotal = 0n;
  for (let index = 0; index < count; index += 1) {
    const id = bids[index]!.id;
    const take = accepted[index]!;
    const remainder = amounts[index]! - take;
    const payout = take > 0n ? mulDiv(take, clearingKeyBig, payoutDivisor, "down") : 0n;
    acceptedTotal += take;
    payoutTotal += payout;
    const reason = reasonNames[reasons[index]!];
    const status = statusNames[statuses[index]!]!;
    fills[index] =
      reason === undefined
        ? { id, acceptedMinor: take, remainderMinor: remainder, payoutMinor: payout, status }
        : { id, acceptedMinor: take, remainderMinor: remainder, payoutMinor: payout, status, reason };
  }
  invariant(acceptedTotal === filled, "clearRound: accepted amounts must sum to the filled total");
  invariant(
    payoutTotal * payoutDivisor <= filled * clearingKeyBig,
    "clearRound: payouts must not exceed filled × clearing price",
  );
  invariant(
    allowance === null || filled * clearingKeyBig <= allowance * payoutDivisor,
    "clearRound: filled × clearing price must stay within the allowance",
  );
  return { fills, payoutTotal };
}

/** The bids as parallel columns (each price parsed once), and the indices of the eligible ones. */
function readBids(bids: readonly ExitBid[], ceilingKey: number) {
  const count = bids.length;
  const keys = new Float64Array(count);
  const seqs = new Float64Array(count);
  const amounts = new BigInt64Array(count);
  const accepted = new BigInt64Array(count);
  const statuses = new Uint8Array(count);
  const reasons = new Uint8Array(count);
  const eligible: number[] = [];
  const seenIds = new Set<string>();
  const minusAmountMax = -amountMinorMax;
  for (let index = 0; index < count; index += 1) {
    const bid = bids[index]!;
    const { id, amountMinor, submitSeq } = bid;
    if (typeof id !== "string" || id.length === 0 || id.length > bidIdCharsMax) {
      invariant(false, `clearRound: bid #${index} has an invalid id`);
    }
    if (seenIds.has(id)) invariant(false, `clearRound: bid id ${id} appears twice`);
    seenIds.add(id);
    if (!Number.isSafeInteger(submitSeq) || submitSeq < 0) {
      invariant(false, `clearRound: bid ${id} has an invalid submitSeq`);
    }
    if (amountMinor > amountMinorMax || amountMinor < minusAmountMax) {
      invariant(false, `clearRound: bid ${id} amount out of range`);
    }
    const key = parsePriceKey(bid.minPrice);
    if (key === undefined) invariant(false, `clearRound: bid ${id} has an invalid minPrice`);
    keys[index] = key;
    seqs[index] = submitSeq;
    amounts[index] = amountMinor;
    if (amountMinor <= 0n) {
      statuses[index] = statusIneligible;
      reasons[index] = reasonAmountNotPositive;
    } else if (key > ceilingKey) {
      statuses[index] = statusIneligible;
      reasons[index] = reasonPriceAboveCeiling;
    } else {
      statuses[index] = statusRejected; // until accepted below
      eligible.push(index);
    }
  }
  return { keys, seqs, amounts, accepted, statuses, reasons, eligible };
}

type Columns = ReturnType<typeof readBids>;

/** Partial fill in submission order: each bid of the group takes what room is left, the rest wait. */
function fillInOrder(columns: Columns, start: number, end: number, room: bigint, limitReason: number): void {
  const { eligible, amounts, accepted, statuses, reasons } = columns;
  let left = room;
  for (let position = start; position < end; position += 1) {
    const index = eligible[position]!;
    const amount = amounts[index]!;
    let take = amount; // bigints: no Math.min
    if (take > left) take = left;
    accepted[index] = take;
    left -= take;
    if (take === amount) statuses[index] = statusFilled;
    else {
      statuses[index] = take > 0n ? statusPartial : statusRejected;
      reasons[index] = limitReason;
    }
  }
}

/**
 * Whole bids in submission order until one does not fit (the group did not fit whole, so one
 * does): that one is refused as not fitting, the ones after it as stopped. Returns what was taken.
 */
function fillWholeInOrder(columns: Columns, start: number, end: number, room: bigint): bigint {
  const { eligible, amounts, accepted, statuses, reasons } = columns;
  let left = room;
  let position = start;
  for (; position < end; position += 1) {
    const index = eligible[position]!;
    const amount = amounts[index]!;
    if (amount > left) break;
    accepted[index] = amount;
    statuses[index] = statusFilled;
    left -= amount;
  }
  reasons[eligible[position]!] = reasonDoesNotFit;
  for (position += 1; position < end; position += 1) reasons[eligible[position]!] = reasonRoundStopped;
  return room - left;
}

/**
 * The `spendAllowance` clearing price key: the highest key at which the TFP taken costs no more
 * than the allowance, `⌊allowance × 10^13 / filled⌋`, kept below the cheapest eligible bid left
 * (partly) unfilled, so no bid that would accept the price stays out, and at most the ceiling
 * (without a ceiling, when every eligible bid is filled, the marginal price: no limit to rise to).
 * Never below the marginal price, which the allowance already pays for.
 */
function spendingPriceKey(
  eligible: readonly number[],
  keys: Float64Array,
  accepted: BigInt64Array,
  amounts: BigInt64Array,
  round: { allowance: bigint; filled: bigint; marginalKey: number; ceilingKey: number },
): number {
  let upper = Number.isFinite(round.ceilingKey) ? round.ceilingKey : round.marginalKey;
  for (const index of eligible) {
    if (accepted[index]! < amounts[index]!) {
      upper = Math.min(upper, keys[index]! - 1);
      break; // eligible is sorted by price: the first one left is the cheapest
    }
  }
  const affordableKey = (round.allowance * payoutDivisor) / round.filled;
  const raised = affordableKey < BigInt(upper) ? Number(affordableKey) : upper;
  return Math.max(round.marginalKey, raised);
}

/**
 * Shares `room` (0 < room < groupTotal) among the tied bids `eligible[start..end)` in proportion
 * to their amounts: floor shares, then one minor unit each, in submission order, until the
 * rounding remainder (< number of bids) is gone. A share never exceeds its bid's amount, since
 * each floor share is below it (room < groupTotal) and gets at most one more unit.
 */
function shareProRata(
  eligible: readonly number[],
  start: number,
  end: number,
  room: bigint,
  groupTotal: bigint,
  amounts: BigInt64Array,
  accepted: BigInt64Array,
  statuses: Uint8Array,
  reasons: Uint8Array,
): void {
  let handedOut = 0n;
  for (let position = start; position < end; position += 1) {
    const index = eligible[position]!;
    const share = mulDiv(room, amounts[index]!, groupTotal, "down");
    accepted[index] = share;
    handedOut += share;
  }
  let remainder = room - handedOut;
  invariant(
    remainder >= 0n && remainder < BigInt(end - start),
    "clearRound: pro-rata remainder out of range",
  );
  for (let position = start; position < end && remainder > 0n; position += 1) {
    const index = eligible[position]!;
    accepted[index] = accepted[index]! + 1n;
    remainder -= 1n;
  }
  for (let position = start; position < end; position += 1) {
    const index = eligible[position]!;
    const share = accepted[index]!;
    const amount = amounts[index]!;
    invariant(share <= amount, "clearRound: pro-rata share above the bid amount");
    if (share === amount) {
      statuses[index] = statusFilled;
    } else {
      statuses[index] = share > 0n ? statusPartial : statusRejected;
      reasons[index] = reasonProRataShare;
    }
  }
}
