/**
 * Card checkout quotes: a USD amount priced in CC at the peg of the moment (§6.2 fiat entry),
 * valid for a configured time. The quote's id is the reference the client attaches to the Stripe
 * payment (Checkout Session `client_reference_id`, or `metadata.cc_quote_id`); the Stripe webhook
 * (src/credits/stripe.ts) mints against it.
 */
import type { Client, Row } from "@libsql/client";
import type { Principal } from "../kit/auth";
import { decodeRow } from "../kit/db/rows";
import * as tables from "../kit/db/schema";
import { newId } from "../kit/ids";
import { fail, ok, type Result } from "../kit/result";
import { accountFrom, accountStatement } from "../ledger/accounts";
import { ccForUsd } from "../oracle/core/peg";
import { livePegOf, readWithPeg } from "../oracle/prices";
import { checkHolderAccount } from "./accounts";
import type { CreditsConfig } from "./config";

/** Smallest card payment: 0.50 USD (Stripe's minimum charge in USD), in cents. */
export const checkoutUsdMinMinor = 50n;
/** Largest card payment per quote: 100,000.00 USD, in cents. */
export const checkoutUsdMaxMinor = 10_000_000n;

export type CheckoutQuote = {
  id: string;
  ownerId: string;
  accountId: string;
  usdMinor: bigint;
  ccMinor: bigint;
  /** USD per CC the quote was priced at. */
  ccUsd: string;
  goldRoundId: string;
  expiresAtMs: number;
  /** The payment the quote priced, once one arrived. */
  paymentId: string | null;
  createdAtMs: number;
};

export type CheckoutQuoteStatus = "open" | "expired" | "paid";

/** A quote's status at `nowMs`: paid once a payment used it, else open until it expires. */
export function checkoutQuoteStatus(quote: CheckoutQuote, nowMs: number): CheckoutQuoteStatus {
  if (quote.paymentId !== null) return "paid";
  return nowMs < quote.expiresAtMs ? "open" : "expired";
}

/** Reads a `checkout_quotes` row. */
export function checkoutQuoteFromRow(row: Row): CheckoutQuote {
  return decodeRow(tables.checkoutQuotes, row);
}

export async function getCheckoutQuote(client: Client, id: string): Promise<CheckoutQuote | null> {
  const result = await client.execute({ sql: "SELECT * FROM checkout_quotes WHERE id = ?", args: [id] });
  const row = result.rows[0];
  return row ? checkoutQuoteFromRow(row) : null;
}

/**
 * Prices `usdMinor` cents in CC for the principal's `user` CC account: `ccForUsd` (rounded down)
 * at the live peg, refused with ORACLE_HALTED when the oracle is halted. The quote holds for
 * `config.checkoutQuoteTtlMs`.
 */
export async function createCheckoutQuote(
  client: Client,
  principal: Pick<Principal, "role" | "ownerId">,
  input: { accountId: string; usdMinor: bigint },
  config: Pick<CreditsConfig, "checkoutQuoteTtlMs">,
  nowMs: number,
): Promise<Result<CheckoutQuote>> {
  if (input.usdMinor < checkoutUsdMinMinor || input.usdMinor > checkoutUsdMaxMinor) {
    return fail("VALIDATION_FAILED", "A card payment is 0.50 … 100000.00 USD", "amountUsd");
  }
  // The account and the peg in one round trip.
  const read = await readWithPeg(client, [accountStatement(input.accountId)], nowMs);
  const account = checkHolderAccount(accountFrom(read.results[0]), principal, input.accountId, {
    asset: "CC",
    kinds: ["user"],
    field: "accountId",
    kindDetail:
      "Purchased CC is credited to an account of kind user (CC in farmer accounts is earned revenue)",
  });
  if (!account.ok) return account;
  const peg = livePegOf(read.peg);
  if (!peg.ok) return peg;
  const goldRoundId = peg.value.peg.gold?.roundId;
  if (goldRoundId === undefined) return fail("ORACLE_HALTED", "No gold price in force");
  const ccMinor = ccForUsd(input.usdMinor, peg.value.ccUsd);
  const quote: CheckoutQuote = {
    id: newId("chk"),
    ownerId: account.value.ownerId ?? principal.ownerId,
    accountId: account.value.id,
    usdMinor: input.usdMinor,
    ccMinor,
    ccUsd: peg.value.ccUsd,
    goldRoundId,
    expiresAtMs: nowMs + config.checkoutQuoteTtlMs,
    paymentId: null,
    createdAtMs: nowMs,
  };
  await client.execute({
    sql: "INSERT INTO checkout_quotes (id, owner_id, account_id, usd_amount, cc_amount, cc_usd, gold_round_id, expires_at, payment_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)",
    args: [
      quote.id,
      quote.ownerId,
      quote.accountId,
      quote.usdMinor,
      quote.ccMinor,
      quote.ccUsd,
      quote.goldRoundId,
      quote.expiresAtMs,
      quote.createdAtMs,
    ],
  });
  return ok(quote);
}
