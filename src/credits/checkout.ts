/**
 * Card checkout quotes: a USD amount priced in CC at the peg of the moment (§6.2 fiat entry),
 * valid for a configured time. The quote's id is the reference on the Stripe payment (Checkout
 * Session `client_reference_id`, or `metadata.cc_quote_id`); the Stripe webhook
 * (src/credits/stripe.ts) mints against it, once. With a Stripe key configured the service creates
 * the Checkout Session itself (./checkout-session.ts) and keeps its id and payment page with the
 * quote; without one, the client creates it with the reference the quote gives.
 */
import type { Client, InStatement, Row } from "@libsql/client";
import type { Principal } from "../kit/auth";
import { decodeRow } from "../kit/db/rows";
import * as tables from "../kit/db/schema";
import { newId, sha256HexSync } from "../kit/ids";
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
  /** The Stripe Checkout Session the service created for it; null when made without a Stripe key. */
  checkoutSessionId: string | null;
  checkoutUrl: string | null;
};

/** The session made for a quote: its id and the payment page to send the payer to. */
export type CheckoutSession = { readonly id: string; readonly url: string };

/** Creates the Checkout Session of a quote; a refusal or an outage is a failure, never a throw. */
export type CreateCheckoutSession = (quote: CheckoutQuote) => Promise<Result<CheckoutSession>>;

/**
 * The quote id of a checkout sent with an Idempotency-Key: derived from the caller and the key, so
 * a retry finds the quote the first attempt wrote (and Stripe, whose key derives from this id,
 * the session it made). 32 hex characters of SHA-256 (128 bits).
 */
export function checkoutQuoteIdFor(ownerId: string, idempotencyKey: string): string {
  return `chk_${sha256HexSync(`checkout\n${ownerId}\n${idempotencyKey}`).slice(0, 32)}`;
}

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

/** What `createCheckoutQuote` did: a new quote, or the one an earlier attempt with the key made. */
export type CheckoutOutcome = { readonly quote: CheckoutQuote; readonly replayed: boolean };

function insertQuoteStatements(quote: CheckoutQuote): InStatement[] {
  return [
    {
      sql: "INSERT INTO checkout_quotes (id, owner_id, account_id, usd_amount, cc_amount, cc_usd, gold_round_id, expires_at, payment_id, created_at, checkout_session_id, checkout_url) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
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
        quote.checkoutSessionId,
        quote.checkoutUrl,
      ],
    },
    // A concurrent twin with the same Idempotency-Key may have written first: answer its quote.
    { sql: "SELECT * FROM checkout_quotes WHERE id = ?", args: [quote.id] },
  ];
}

/** The quote an earlier attempt with the same Idempotency-Key wrote: the same checkout, or 409. */
function replayOf(
  existing: CheckoutQuote,
  input: { accountId: string; usdMinor: bigint },
): Result<CheckoutOutcome> {
  if (existing.accountId !== input.accountId || existing.usdMinor !== input.usdMinor) {
    return fail(
      "IDEMPOTENCY_CONFLICT",
      `This Idempotency-Key was used for another checkout (quote ${existing.id})`,
      "header.idempotency-key",
    );
  }
  return ok({ quote: existing, replayed: true });
}

/**
 * Prices `usdMinor` cents in CC for the principal's `user` CC account: `ccForUsd` (rounded down)
 * at the live peg, refused with ORACLE_HALTED when the oracle is halted. The quote holds for
 * `config.checkoutQuoteTtlMs`.
 *
 * Two database round trips: the account, the peg and (under an Idempotency-Key) the quote of an
 * earlier attempt in one read; the quote in one write. With `createSession` the Stripe Checkout
 * Session is created between them — before anything is written, so a checkout Stripe refuses or
 * cannot be reached for writes nothing (502/503). The other order (write, then call Stripe) would
 * leave quotes behind that no session was made for. What this order risks instead — a session made
 * and the write then lost — is harmless: an unwritten quote is never shown to the payer, Stripe
 * expires the unpaid session, and a retry under the same Idempotency-Key derives the same quote id
 * and Stripe Idempotency-Key, so Stripe answers with that very session and the write completes.
 */
export async function createCheckoutQuote(
  client: Client,
  principal: Pick<Principal, "role" | "ownerId">,
  input: { accountId: string; usdMinor: bigint; idempotencyKey: string | null },
  options: {
    config: Pick<CreditsConfig, "checkoutQuoteTtlMs">;
    createSession: CreateCheckoutSession | null;
  },
  nowMs: number,
): Promise<Result<CheckoutOutcome>> {
  if (input.usdMinor < checkoutUsdMinMinor || input.usdMinor > checkoutUsdMaxMinor) {
    return fail("VALIDATION_FAILED", "A card payment is 0.50 … 100000.00 USD", "amountUsd");
  }
  const id =
    input.idempotencyKey === null
      ? newId("chk")
      : checkoutQuoteIdFor(principal.ownerId, input.idempotencyKey);
  // The account, the quote of an earlier attempt and the peg in one round trip.
  const read = await readWithPeg(
    client,
    [accountStatement(input.accountId), { sql: "SELECT * FROM checkout_quotes WHERE id = ?", args: [id] }],
    nowMs,
  );
  const earlier = read.results[1]?.rows[0];
  if (earlier) return replayOf(checkoutQuoteFromRow(earlier), input);
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
  let quote: CheckoutQuote = {
    id,
    ownerId: account.value.ownerId ?? principal.ownerId,
    accountId: account.value.id,
    usdMinor: input.usdMinor,
    ccMinor: ccForUsd(input.usdMinor, peg.value.ccUsd),
    ccUsd: peg.value.ccUsd,
    goldRoundId,
    expiresAtMs: nowMs + options.config.checkoutQuoteTtlMs,
    paymentId: null,
    createdAtMs: nowMs,
    checkoutSessionId: null,
    checkoutUrl: null,
  };
  if (options.createSession !== null) {
    const session = await options.createSession(quote);
    if (!session.ok) return session;
    quote = { ...quote, checkoutSessionId: session.value.id, checkoutUrl: session.value.url };
  }
  const [, stored] = await client.batch(insertQuoteStatements(quote), "write");
  const row = stored?.rows[0];
  if (!row) return fail("INTERNAL", `checkout quote ${quote.id} was not stored`);
  const written = checkoutQuoteFromRow(row);
  return written.createdAtMs === quote.createdAtMs && written.checkoutSessionId === quote.checkoutSessionId
    ? ok({ quote: written, replayed: false })
    : replayOf(written, input);
}
