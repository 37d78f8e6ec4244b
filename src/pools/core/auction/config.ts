/**
 * The rules of the Dutch-auction exit (ECONOMICS §8, §20 Q1/Q2/Q13), one parameter each.
 *
 * Defaults are the V1 (244d0c) values: 5 % of the pool's liquidity per period, 50 % of all
 * liquidity ever contributed minus past exits, a 20 % minimum discount to the reference price,
 * partial fill of the marginal bid, ties at the marginal price filled in submission order, and the
 * allowance bounding the USDC paid at the clearing price.
 * Ratios are decimal strings in [0, 1] so they stay exact.
 */

/** How equal-priced bids share the part of the cap left at the marginal price (§8.5, §20 Q1). */
export type TieRule = "submissionOrder" | "proRata";

/**
 * Reading of the lifetime cap (§20 Q2): `contributedMinusExited` is `ratio × C − E` (the
 * recommended reading), `remainingTimesRatio` is `ratio × (C − E)`.
 */
export type LifetimeRule = "contributedMinusExited" | "remainingTimesRatio";

/**
 * What the round's allowance bounds (§8.3 with §20 Q5). The rules state the allowance in USDC
 * (a share of the pool's USDC, of the value ever contributed); bids are in TFP.
 * - `usdcAtClearing` (default): the USDC paid, `filled × clearing price`, stays within the
 *   allowance. Bids are taken from the cheapest up while the allowance pays for everything taken
 *   at the marginal bid's price; the marginal bid is filled partly up to the allowance, so a round
 *   that clears below the ceiling can buy more TFP (the EasyAuction way: the budget, not a
 *   quantity fixed beforehand, bounds the round).
 * - `tfpAtCeiling`: the allowance is first converted to a TFP quantity at the most one TFP can be
 *   paid (the price ceiling), and the round accepts at most that quantity; a round clearing below
 *   the ceiling then leaves part of the allowance unused. The reading of §20 Q5 ("amount and
 *   round_cap share one unit"), kept for rounds opened under it.
 */
export type CapUnit = "usdcAtClearing" | "tfpAtCeiling";

/**
 * The clearing price when the allowance stops the round between two bid prices (§8.5 step 6,
 * §20 Q1), under `capUnit: "usdcAtClearing"`.
 * - `marginalBid` (default, the spec's step 6): the highest minimum price among accepted bids;
 *   the allowance may then be left partly unspent, since a dearer bid would make everything taken
 *   cost more than it.
 * - `spendAllowance` (EasyAuction's settlement): the price rises above the marginal bid, up to
 *   just below the next unfilled bid's price (or up to the ceiling when every eligible bid is
 *   filled), until the TFP taken costs the whole allowance. Same fills, higher payouts, less margin
 *   for the staying LPs.
 */
export type ClearingPriceRule = "marginalBid" | "spendAllowance";

/** Every switch and number of the exit auction; see `defaultAuctionRules` for the V1 values. */
export type AuctionRules = {
  /** Share of the pool's liquidity that one round (period) may pay out, e.g. "0.05". */
  readonly periodCapRatio: string;
  /** Whether the period cap applies (§20 Q13: both caps apply by default). */
  readonly periodCapEnabled: boolean;
  /** Share of all liquidity ever contributed that may ever leave through auctions, e.g. "0.5". */
  readonly lifetimeCapRatio: string;
  /** Whether the lifetime cap applies. */
  readonly lifetimeCapEnabled: boolean;
  /** Arithmetic of the lifetime cap (§20 Q2). */
  readonly lifetimeRule: LifetimeRule;
  /** Minimum discount to the reference price, e.g. "0.2"; `null` disables the price ceiling (V0). */
  readonly minDiscount: string | null;
  /** Partial fill of the marginal bid (true) or whole bids only (false), §20 Q1. */
  readonly allowPartialFill: boolean;
  /** How ties at the marginal price are resolved. */
  readonly tieRule: TieRule;
  /** What the allowance bounds: USDC paid at the clearing price, or TFP at the ceiling. */
  readonly capUnit: CapUnit;
  /** The clearing price when the allowance stops the round between two bid prices. */
  readonly clearingPriceRule: ClearingPriceRule;
};

/** V1 defaults (ECONOMICS §1 parameter table and §20 recommendations). */
export const defaultAuctionRules: AuctionRules = Object.freeze({
  periodCapRatio: "0.05",
  periodCapEnabled: true,
  lifetimeCapRatio: "0.5",
  lifetimeCapEnabled: true,
  lifetimeRule: "contributedMinusExited",
  minDiscount: "0.2",
  allowPartialFill: true,
  tieRule: "submissionOrder",
  capUnit: "usdcAtClearing",
  clearingPriceRule: "marginalBid",
});
