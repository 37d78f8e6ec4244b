/**
 * Card payments through Stripe: verifying webhook deliveries with the official `stripe` library,
 * minting CC for a completed payment, and reversing it for refunds and disputes.
 *
 * Exactly once: every event is recorded in `webhook_events` in the same atomic write as its effect,
 * and its transfers' ids derive from the event id, so a repeated delivery changes nothing. A
 * payment mints once however many events announce it (`checkout.session.completed`,
 * `checkout.session.async_payment_succeeded`, `payment_intent.succeeded`): the payment's row
 * (keyed by its PaymentIntent id) is written with the mint. Every write about one payment also
 * inserts the payment's next revision, so concurrent writers about it serialise (the loser
 * re-reads and tries again). Delivery order does not matter: a refund or dispute that arrives
 * before the payment is recorded and applied when the payment mints.
 *
 * Money flows (all linked with the event's record):
 * - payment: USD acc_issuance_usd → acc_treasury_usd (fiat now in custody), CC acc_issuance_cc →
 *   the quote's user account;
 * - reversal (refund, dispute): USD acc_treasury_usd → acc_issuance_usd, CC the account →
 *   acc_burn_cc as far as it holds CC, the rest a claim (see src/credits/core/reversal.ts);
 * - a dispute won: USD back acc_issuance_usd → acc_treasury_usd, claims forgiven, then burned CC
 *   minted back acc_issuance_cc → the account.
 *
 * Pricing: a payment of exactly the quoted USD whose event time (`created`) is before the quote's
 * expiry, and that is the first payment to cite the quote, gets the quoted CC. Any other payment
 * (expired quote, other amount, quote already used) is priced at the current peg; if the oracle is
 * halted then, the delivery is refused with 503 ORACLE_HALTED and Stripe delivers it again later.
 */

import type { Client, InStatement, Row } from "@libsql/client";
import Stripe from "stripe";
import { z } from "zod";
import { eventStatements } from "../kit/db/events";
import { decodeColumns } from "../kit/db/rows";
import * as tables from "../kit/db/schema";
import { fail, ok, type Result, zodFailure } from "../kit/result";
import { isSafeText, unsafeTextMessage } from "../kit/text";
import { formatAmount } from "../ledger/core/money";
import type { TransferRequest } from "../ledger/core/transfers";
import { ccForUsd } from "../oracle/core/peg";
import { requireLivePeg } from "../oracle/prices";
import { type CheckoutQuote, checkoutQuoteFromRow } from "./checkout";
import {
  disputeStatusesFinal,
  type PaymentReversalState,
  planReversal,
  type ReversalPlan,
  reversedUsd,
} from "./core/reversal";
import {
  duplicateOutcome,
  type Effect,
  raceCodes,
  recordEvent,
  storedEventFromRow,
  type WebhookOutcome,
  withRetries,
} from "./effects";

const cryptoProvider = Stripe.createSubtleCryptoProvider();

/** How far a delivery's signed timestamp may be from our clock, either way (Stripe's default). */
export const stripeToleranceSeconds = 300;

/**
 * The timestamp a `Stripe-Signature` header's signature covers, read exactly as the library reads
 * it (the LAST `t=` item, `parseInt`): reading any other `t` would let a caller prepend a fresh
 * `t=` to a captured future-dated header. Null when there is none.
 */
function signedTimestampSeconds(signature: string): number | null {
  let timestampSeconds: number | null = null;
  for (const item of signature.split(",")) {
    const [key, value = ""] = item.split("=");
    if (key === "t") timestampSeconds = Number.parseInt(value, 10);
  }
  return timestampSeconds === null || Number.isNaN(timestampSeconds) ? null : timestampSeconds;
}

/**
 * Verifies a delivery's `Stripe-Signature` against each configured secret (current first, then
 * the previous one during a rotation) and returns the event. SIGNATURE_INVALID when no secret
 * matches, TIMESTAMP_OUT_OF_TOLERANCE when one matches but the timestamp is more than
 * `stripeToleranceSeconds` from `nowMs` on either side, MALFORMED_REQUEST when the signed body is
 * not JSON. The library only refuses timestamps in the past; a signature dated in the future (a
 * captured delivery replayed later, or a signer whose clock runs ahead) is refused here, as the
 * bridge webhook does.
 */
export async function verifyStripeEvent(
  rawBody: string,
  signature: string | undefined,
  secrets: readonly string[],
  nowMs: number,
): Promise<Result<unknown>> {
  if (secrets.length === 0) {
    return fail(
      "WEBHOOK_NOT_CONFIGURED",
      "STRIPE_WEBHOOK_SECRET is not set on this service: deliveries are refused, and nothing is recorded, until it is",
    );
  }
  if (signature === undefined || signature.length === 0 || signature.length > 2048) {
    return fail(
      "SIGNATURE_INVALID",
      "Missing or oversized Stripe-Signature header",
      "header.stripe-signature",
    );
  }
  let expired = false;
  for (const secret of secrets) {
    try {
      const event = await Stripe.webhooks.constructEventAsync(
        rawBody,
        signature,
        secret,
        stripeToleranceSeconds,
        cryptoProvider,
        nowMs,
      );
      // The library accepted it, so the header carries a signed `t`; it checked only the past.
      const signedSeconds = signedTimestampSeconds(signature);
      if (signedSeconds === null || signedSeconds - Math.floor(nowMs / 1000) > stripeToleranceSeconds) {
        expired = true;
        continue;
      }
      return ok(event as unknown);
    } catch (error) {
      if (error instanceof Stripe.errors.StripeSignatureVerificationError) {
        if (error.message.startsWith("Timestamp outside the tolerance zone")) expired = true;
        continue;
      }
      if (error instanceof SyntaxError) return fail("MALFORMED_REQUEST", "The signed body is not JSON");
      throw error;
    }
  }
  return expired
    ? fail(
        "TIMESTAMP_OUT_OF_TOLERANCE",
        `The Stripe-Signature timestamp is more than ${stripeToleranceSeconds} s from the server's clock`,
      )
    : fail(
        "SIGNATURE_INVALID",
        "No Stripe-Signature matches a configured webhook secret",
        "header.stripe-signature",
      );
}

// ── event shapes (only the fields used; Stripe's objects carry many more) ────────────────────

const stripeIdPattern = /^[A-Za-z0-9_]{1,100}$/;
const stripeId = z.string().regex(stripeIdPattern);
const expandableId = z
  .union([stripeId, z.object({ id: stripeId }).transform((object) => object.id)])
  .nullable()
  .optional()
  .transform((value) => value ?? null);
const cents = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
/** Short text from Stripe that is recorded (types, statuses, currencies): readable by the database. */
const stripeText = (maxChars: number) =>
  z.string().min(1).max(maxChars).refine(isSafeText, unsafeTextMessage);
const currency = stripeText(8);
const metadata = z
  .record(z.string(), z.string())
  .nullable()
  .optional()
  .transform((value) => value ?? {});

const eventSchema = z.object({
  id: stripeId,
  type: stripeText(100),
  created: z.number().int().nonnegative(),
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
});

const checkoutSessionSchema = z.object({
  id: stripeId,
  amount_total: cents.nullable(),
  currency: currency.nullable(),
  client_reference_id: z.string().max(200).nullable().optional(),
  metadata,
  payment_intent: expandableId,
  payment_status: stripeText(40),
});

const paymentIntentSchema = z.object({
  id: stripeId,
  amount_received: cents,
  currency,
  metadata,
});

const chargeSchema = z.object({
  id: stripeId,
  amount_refunded: cents,
  currency,
  payment_intent: expandableId,
});

const disputeSchema = z.object({
  id: stripeId,
  amount: cents,
  currency,
  payment_intent: expandableId,
  status: stripeText(40),
});

/**
 * The event types that change something, by the object their `data.object` is (the shapes above,
 * which the API document shows); every other type is acknowledged and ignored.
 */
export const stripeEventsHandled = {
  checkoutSession: {
    types: ["checkout.session.completed", "checkout.session.async_payment_succeeded"],
    object: checkoutSessionSchema,
  },
  paymentIntent: { types: ["payment_intent.succeeded"], object: paymentIntentSchema },
  charge: { types: ["charge.refunded"], object: chargeSchema },
  dispute: {
    types: ["charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed"],
    object: disputeSchema,
  },
} as const;

/** The metadata key (or Checkout's `client_reference_id`) carrying the checkout quote id. */
export const quoteReferenceKey = "cc_quote_id";

/**
 * A quote reference as given, or null when it is absent or holds characters no quote id has (the
 * payment is then recorded as unmatched for manual handling, rather than refused forever).
 */
function quoteReference(value: string | null | undefined): string | null {
  return value !== null && value !== undefined && isSafeText(value) ? value : null;
}

type StripeEvent = { id: string; type: string; createdAtMs: number; object: Record<string, unknown> };

// ── payment state ───────────────────────────────────────────────────────────────────────────

type PaymentRow = PaymentReversalState & { id: string; accountId: string; eventId: string };
type DisputeRow = { id: string; usdMinor: bigint; status: string; eventCreatedAtMs: number };

/** Everything one event needs, read in one round trip and one consistent snapshot. */
type Snapshot = {
  /** The event's record, when it was handled before. */
  stored: { type: string; outcome: string; detail: string | null } | null;
  payment: PaymentRow | null;
  /** The payment's highest revision (0: none yet). */
  revision: number;
  refundedMinor: bigint;
  disputes: DisputeRow[];
  quote: CheckoutQuote | null;
  /** The payment's account, or before the payment mints, its quote's account. */
  account: { id: string; availableMinor: bigint } | null;
};

const paymentColumns = [
  "id",
  "accountId",
  "eventId",
  "usdPaidMinor",
  "ccMintedMinor",
  "usdReversedMinor",
  "ccBurnedMinor",
  "ccClaimedMinor",
] as const;

/** Reads a `card_payments` row (at least the columns of its reversal state). */
function paymentFromRow(row: Row): PaymentRow {
  return decodeColumns(tables.cardPayments, row, paymentColumns);
}

async function readSnapshot(
  client: Client,
  eventId: string,
  paymentId: string | null,
  reference: string | null,
): Promise<Snapshot> {
  const payment = paymentId ?? "";
  const quoteId = reference ?? "";
  const [events, payments, revisions, refunds, disputes, quotes, accounts] = await client.batch(
    [
      {
        sql: "SELECT type, outcome, detail FROM webhook_events WHERE provider = 'stripe' AND id = ?",
        args: [eventId],
      },
      { sql: "SELECT * FROM card_payments WHERE id = ?", args: [payment] },
      {
        sql: "SELECT COALESCE(MAX(revision), 0) AS revision FROM card_payment_revisions WHERE payment_id = ?",
        args: [payment],
      },
      { sql: "SELECT usd_refunded FROM card_refunds WHERE payment_id = ?", args: [payment] },
      {
        sql: "SELECT id, usd_amount, status, event_created_at FROM card_disputes WHERE payment_id = ? ORDER BY id",
        args: [payment],
      },
      { sql: "SELECT * FROM checkout_quotes WHERE id = ?", args: [quoteId] },
      {
        sql: `SELECT id, credits_posted - debits_posted - debits_pending AS available FROM accounts
              WHERE id = COALESCE((SELECT account_id FROM card_payments WHERE id = ?),
                                  (SELECT account_id FROM checkout_quotes WHERE id = ?))`,
        args: [payment, quoteId],
      },
    ],
    "read",
  );
  const stored = events?.rows[0];
  const paymentRow = payments?.rows[0];
  const refundRow = refunds?.rows[0];
  const quoteRow = quotes?.rows[0];
  const accountRow = accounts?.rows[0];
  return {
    stored: storedEventFromRow(stored),
    payment: paymentRow ? paymentFromRow(paymentRow) : null,
    revision: Number(revisions?.rows[0]?.revision ?? 0),
    refundedMinor: refundRow
      ? decodeColumns(tables.cardRefunds, refundRow, ["usdRefundedMinor"]).usdRefundedMinor
      : 0n,
    disputes: (disputes?.rows ?? []).map(
      (row): DisputeRow =>
        decodeColumns(tables.cardDisputes, row, ["id", "usdMinor", "status", "eventCreatedAtMs"]),
    ),
    quote: quoteRow ? checkoutQuoteFromRow(quoteRow) : null,
    account: accountRow
      ? {
          ...decodeColumns(tables.accounts, accountRow, ["id"]),
          availableMinor: BigInt(accountRow.available as bigint),
        }
      : null,
  };
}

function revisionStatement(paymentId: string, revision: number, eventId: string, nowMs: number): InStatement {
  return {
    sql: "INSERT INTO card_payment_revisions (payment_id, revision, event_id, created_at) VALUES (?, ?, ?, ?)",
    args: [paymentId, revision, eventId, nowMs],
  };
}

function claimStatement(
  accountId: string,
  paymentId: string,
  amountMinor: bigint,
  eventId: string,
  nowMs: number,
): InStatement[] {
  if (amountMinor === 0n) return [];
  return [
    {
      sql: "INSERT INTO credit_claims (account_id, payment_id, amount, event_id, created_at) VALUES (?, ?, ?, ?, ?)",
      args: [accountId, paymentId, amountMinor, eventId, nowMs],
    },
  ];
}

/** The transfers that carry out a reversal plan for `accountId`. */
function reversalTransfers(
  event: StripeEvent,
  paymentId: string,
  accountId: string,
  plan: ReversalPlan,
): TransferRequest[] {
  const metadata = { stripeEventId: event.id, paymentId };
  const transfers: TransferRequest[] = [];
  if (plan.usdDeltaMinor !== 0n) {
    const outgoing = plan.usdDeltaMinor > 0n;
    transfers.push({
      type: "posted",
      id: `stripe_${event.id}_reverse_usd`,
      debitAccountId: outgoing ? "acc_treasury_usd" : "acc_issuance_usd",
      creditAccountId: outgoing ? "acc_issuance_usd" : "acc_treasury_usd",
      asset: "USD",
      amountMinor: outgoing ? plan.usdDeltaMinor : -plan.usdDeltaMinor,
      code: outgoing ? "card_reversal" : "card_reversal_undone",
      metadata,
    });
  }
  if (plan.burnMinor > 0n) {
    transfers.push({
      type: "posted",
      id: `stripe_${event.id}_burn`,
      debitAccountId: accountId,
      creditAccountId: "acc_burn_cc",
      asset: "CC",
      amountMinor: plan.burnMinor,
      code: "card_reversal_burn",
      metadata,
    });
  }
  if (plan.remintMinor > 0n) {
    transfers.push({
      type: "posted",
      id: `stripe_${event.id}_remint`,
      debitAccountId: "acc_issuance_cc",
      creditAccountId: accountId,
      asset: "CC",
      amountMinor: plan.remintMinor,
      code: "card_reversal_remint",
      metadata,
    });
  }
  return transfers;
}

function describePlan(plan: ReversalPlan): string {
  return `USD reversed ${formatAmount("USD", plan.next.usdReversedMinor)}; CC burned ${formatAmount("CC", plan.burnMinor)}, minted back ${formatAmount("CC", plan.remintMinor)}, claim change ${formatAmount("CC", plan.claimDeltaMinor)}`;
}

// ── handlers ────────────────────────────────────────────────────────────────────────────────

/** Applies `effect` and records the event in one write (see `recordEvent`). */
function record(
  client: Client,
  event: StripeEvent,
  outcome: string,
  detail: string,
  nowMs: number,
  effect?: Effect,
): Promise<Result<WebhookOutcome>> {
  return recordEvent(client, "stripe", event, outcome, detail, nowMs, effect);
}

type Payment = { paymentId: string; reference: string | null; usdMinor: bigint; currency: string };

async function applyPayment(
  client: Client,
  event: StripeEvent,
  payment: Payment,
  state: Snapshot,
  nowMs: number,
): Promise<Result<WebhookOutcome>> {
  if (payment.currency !== "usd") {
    return record(client, event, "ignored", `currency ${payment.currency} is not usd`, nowMs);
  }
  if (payment.usdMinor <= 0n) return record(client, event, "ignored", "nothing was paid", nowMs);
  if (state.payment) {
    return record(
      client,
      event,
      "duplicate_payment",
      `payment ${payment.paymentId} was already minted by event ${state.payment.eventId}`,
      nowMs,
    );
  }
  const { quote, account } = state;
  if (!quote || !account || account.id !== quote.accountId) {
    return record(
      client,
      event,
      "unmatched",
      `no checkout quote ${payment.reference ?? "(no reference)"}: payment ${payment.paymentId} needs manual handling`,
      nowMs,
    );
  }
  const quoted =
    quote.paymentId === null && quote.usdMinor === payment.usdMinor && event.createdAtMs < quote.expiresAtMs;
  let ccMintedMinor = quote.ccMinor;
  let ccUsd = quote.ccUsd;
  if (!quoted) {
    const peg = await requireLivePeg(client, nowMs);
    if (!peg.ok) return peg;
    ccUsd = peg.value.ccUsd;
    ccMintedMinor = ccForUsd(payment.usdMinor, ccUsd);
  }
  const start: PaymentReversalState = {
    usdPaidMinor: payment.usdMinor,
    ccMintedMinor,
    usdReversedMinor: 0n,
    ccBurnedMinor: 0n,
    ccClaimedMinor: 0n,
  };
  // A refund or dispute that arrived first is applied in the same write as the mint.
  const plan = planReversal(
    start,
    reversedUsd(payment.usdMinor, state.refundedMinor, state.disputes),
    account.availableMinor + ccMintedMinor,
  );
  const metadata = { stripeEventId: event.id, paymentId: payment.paymentId, quoteId: quote.id };
  const transfers: TransferRequest[] = [
    {
      type: "posted",
      id: `stripe_${event.id}_usd`,
      debitAccountId: "acc_issuance_usd",
      creditAccountId: "acc_treasury_usd",
      asset: "USD",
      amountMinor: payment.usdMinor,
      code: "card_payment",
      metadata,
    },
  ];
  if (ccMintedMinor > 0n) {
    transfers.push({
      type: "posted",
      id: `stripe_${event.id}_cc`,
      debitAccountId: "acc_issuance_cc",
      creditAccountId: account.id,
      asset: "CC",
      amountMinor: ccMintedMinor,
      code: "card_mint",
      metadata,
    });
  }
  transfers.push(...reversalTransfers(event, payment.paymentId, account.id, plan));
  const statements: InStatement[] = [
    {
      sql: "INSERT INTO card_payments (id, quote_id, account_id, usd_paid, cc_minted, cc_usd, priced_by, usd_reversed, cc_burned, cc_claimed, event_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      args: [
        payment.paymentId,
        quote.id,
        account.id,
        payment.usdMinor,
        ccMintedMinor,
        ccUsd,
        quoted ? "quote" : "current_peg",
        plan.next.usdReversedMinor,
        plan.next.ccBurnedMinor,
        plan.next.ccClaimedMinor,
        event.id,
        nowMs,
        nowMs,
      ],
    },
    revisionStatement(payment.paymentId, state.revision + 1, event.id, nowMs),
    ...(quoted
      ? [
          {
            sql: "UPDATE checkout_quotes SET payment_id = ? WHERE id = ? AND payment_id IS NULL",
            args: [payment.paymentId, quote.id],
          },
        ]
      : []),
    ...claimStatement(account.id, payment.paymentId, plan.claimDeltaMinor, event.id, nowMs),
    ...mintedEventStatements(payment.paymentId, account.id, payment.usdMinor, ccMintedMinor, ccUsd, nowMs),
  ];
  const detail =
    `${formatAmount("CC", ccMintedMinor)} CC for ${formatAmount("USD", payment.usdMinor)} USD at ${ccUsd} USD/CC ` +
    `(${quoted ? "quoted" : "current peg"}) to ${account.id}` +
    (plan.next.usdReversedMinor > 0n ? `; earlier reversals applied: ${describePlan(plan)}` : "");
  return record(client, event, "minted", detail, nowMs, { transfers, statements });
}

/** The `payment.minted` event of a card payment, in the mint's batch. */
function mintedEventStatements(
  paymentId: string,
  accountId: string,
  usdMinor: bigint,
  ccMintedMinor: bigint,
  ccUsd: string,
  nowMs: number,
): InStatement[] {
  return eventStatements(
    {
      sourceId: paymentId,
      type: "payment.minted",
      owner: { accountId },
      subjectId: paymentId,
      atMs: nowMs,
      data: {
        paymentId,
        accountId,
        paidUsd: formatAmount("USD", usdMinor),
        mintedCc: formatAmount("CC", ccMintedMinor),
        ccUsd,
      },
    },
    nowMs,
  );
}

type ReversalFact =
  | { kind: "refund"; paymentId: string; refundedMinor: bigint; currency: string }
  | {
      kind: "dispute";
      paymentId: string;
      disputeId: string;
      usdMinor: bigint;
      status: string;
      currency: string;
    };

async function applyReversalFact(
  client: Client,
  event: StripeEvent,
  fact: ReversalFact,
  state: Snapshot,
  nowMs: number,
): Promise<Result<WebhookOutcome>> {
  if (fact.currency !== "usd") {
    return record(client, event, "ignored", `currency ${fact.currency} is not usd`, nowMs);
  }
  let refundedMinor = state.refundedMinor;
  let disputes = state.disputes;
  let factStatement: InStatement;
  if (fact.kind === "refund") {
    if (fact.refundedMinor > refundedMinor) refundedMinor = fact.refundedMinor;
    factStatement = {
      sql: `INSERT INTO card_refunds (payment_id, usd_refunded, updated_at) VALUES (?, ?, ?)
            ON CONFLICT (payment_id) DO UPDATE SET usd_refunded = max(usd_refunded, excluded.usd_refunded), updated_at = excluded.updated_at`,
      args: [fact.paymentId, fact.refundedMinor, nowMs],
    };
  } else {
    // A final status is never changed, nor is a newer event's status by an older event.
    const existing = disputes.find((dispute) => dispute.id === fact.disputeId);
    const applies =
      !existing ||
      (!disputeStatusesFinal.has(existing.status) && existing.eventCreatedAtMs <= event.createdAtMs);
    if (applies) {
      disputes = [
        ...disputes.filter((dispute) => dispute.id !== fact.disputeId),
        {
          id: fact.disputeId,
          usdMinor: fact.usdMinor,
          status: fact.status,
          eventCreatedAtMs: event.createdAtMs,
        },
      ];
    }
    factStatement = {
      sql: `INSERT INTO card_disputes (id, payment_id, usd_amount, status, event_created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET usd_amount = excluded.usd_amount, status = excluded.status,
              event_created_at = excluded.event_created_at, updated_at = excluded.updated_at
            WHERE card_disputes.status NOT IN ('won', 'lost', 'warning_closed')
              AND card_disputes.event_created_at <= excluded.event_created_at`,
      args: [fact.disputeId, fact.paymentId, fact.usdMinor, fact.status, event.createdAtMs, nowMs],
    };
  }
  const revision = revisionStatement(fact.paymentId, state.revision + 1, event.id, nowMs);
  const payment = state.payment;
  if (!payment) {
    return record(
      client,
      event,
      "recorded",
      `payment ${fact.paymentId} has not minted yet; the ${fact.kind} applies when it does`,
      nowMs,
      { transfers: [], statements: [factStatement, revision] },
    );
  }
  const plan = planReversal(
    payment,
    reversedUsd(payment.usdPaidMinor, refundedMinor, disputes),
    state.account?.id === payment.accountId ? state.account.availableMinor : 0n,
  );
  const statements: InStatement[] = [
    factStatement,
    revision,
    {
      sql: "UPDATE card_payments SET usd_reversed = ?, cc_burned = ?, cc_claimed = ?, updated_at = ? WHERE id = ?",
      args: [
        plan.next.usdReversedMinor,
        plan.next.ccBurnedMinor,
        plan.next.ccClaimedMinor,
        nowMs,
        payment.id,
      ],
    },
    ...claimStatement(payment.accountId, payment.id, plan.claimDeltaMinor, event.id, nowMs),
    ...eventStatements(
      {
        sourceId: `${payment.id}:${event.id}`,
        type: "payment.refunded",
        owner: { accountId: payment.accountId },
        subjectId: payment.id,
        atMs: nowMs,
        data: {
          paymentId: payment.id,
          accountId: payment.accountId,
          cause: fact.kind,
          reversedUsd: formatAmount("USD", plan.next.usdReversedMinor),
          burnedCc: formatAmount("CC", plan.next.ccBurnedMinor),
          claimedCc: formatAmount("CC", plan.next.ccClaimedMinor),
        },
      },
      nowMs,
    ),
  ];
  return record(client, event, "reversed", describePlan(plan), nowMs, {
    transfers: reversalTransfers(event, payment.id, payment.accountId, plan),
    statements,
  });
}

function invalid(event: StripeEvent, error: z.ZodError): Result<never> {
  return zodFailure(error, { context: `Stripe ${event.type} ${event.id}`, field: "body" });
}

/** What an event asks for, read from its object alone (no I/O). */
type Intent =
  | { kind: "payment"; payment: Payment }
  | { kind: "reversal"; fact: ReversalFact }
  | { kind: "ignore"; detail: string };

function interpret(event: StripeEvent): Result<Intent> {
  switch (event.type) {
    case "checkout.session.completed":
    case "checkout.session.async_payment_succeeded": {
      const parsed = checkoutSessionSchema.safeParse(event.object);
      if (!parsed.success) return invalid(event, parsed.error);
      const session = parsed.data;
      if (session.payment_status !== "paid") {
        return ok({ kind: "ignore", detail: `payment_status is ${session.payment_status}` });
      }
      return ok({
        kind: "payment",
        payment: {
          paymentId: session.payment_intent ?? session.id,
          reference: quoteReference(session.metadata[quoteReferenceKey] ?? session.client_reference_id),
          usdMinor: BigInt(session.amount_total ?? 0),
          currency: session.currency ?? "",
        },
      });
    }
    case "payment_intent.succeeded": {
      const parsed = paymentIntentSchema.safeParse(event.object);
      if (!parsed.success) return invalid(event, parsed.error);
      const intent = parsed.data;
      const reference = intent.metadata[quoteReferenceKey];
      if (reference === undefined) {
        return ok({ kind: "ignore", detail: `no metadata.${quoteReferenceKey}: not a Cloud Credit payment` });
      }
      return ok({
        kind: "payment",
        payment: {
          paymentId: intent.id,
          reference: quoteReference(reference),
          usdMinor: BigInt(intent.amount_received),
          currency: intent.currency,
        },
      });
    }
    case "charge.refunded": {
      const parsed = chargeSchema.safeParse(event.object);
      if (!parsed.success) return invalid(event, parsed.error);
      const charge = parsed.data;
      if (charge.payment_intent === null) return ok({ kind: "ignore", detail: "charge has no payment" });
      return ok({
        kind: "reversal",
        fact: {
          kind: "refund",
          paymentId: charge.payment_intent,
          refundedMinor: BigInt(charge.amount_refunded),
          currency: charge.currency,
        },
      });
    }
    case "charge.dispute.created":
    case "charge.dispute.updated":
    case "charge.dispute.closed": {
      const parsed = disputeSchema.safeParse(event.object);
      if (!parsed.success) return invalid(event, parsed.error);
      const dispute = parsed.data;
      if (dispute.payment_intent === null) return ok({ kind: "ignore", detail: "dispute has no payment" });
      return ok({
        kind: "reversal",
        fact: {
          kind: "dispute",
          paymentId: dispute.payment_intent,
          disputeId: dispute.id,
          usdMinor: BigInt(dispute.amount),
          status: dispute.status,
          currency: dispute.currency,
        },
      });
    }
    default:
      return ok({ kind: "ignore", detail: "event type not handled" });
  }
}

/** One attempt: read everything in one round trip, then write the effect in one batch. */
async function handleOnce(
  client: Client,
  event: StripeEvent,
  intent: Intent,
  nowMs: number,
): Promise<Result<WebhookOutcome>> {
  const paymentId =
    intent.kind === "payment"
      ? intent.payment.paymentId
      : intent.kind === "reversal"
        ? intent.fact.paymentId
        : null;
  const reference = intent.kind === "payment" ? intent.payment.reference : null;
  const state = await readSnapshot(client, event.id, paymentId, reference);
  if (state.stored) return ok(duplicateOutcome(event.id, state.stored));
  switch (intent.kind) {
    case "payment":
      return applyPayment(client, event, intent.payment, state, nowMs);
    case "reversal":
      return applyReversalFact(client, event, intent.fact, state, nowMs);
    case "ignore":
      return record(client, event, "ignored", intent.detail, nowMs);
  }
}

/**
 * Applies one verified Stripe event exactly once (see the module comment) and says what it did.
 * Refusals change nothing: VALIDATION_FAILED for an event this service cannot read, ORACLE_HALTED
 * when a payment must be priced at the current peg and the oracle is halted.
 */
export async function handleStripeEvent(
  client: Client,
  verified: unknown,
  nowMs: number,
): Promise<Result<WebhookOutcome>> {
  const parsed = eventSchema.safeParse(verified);
  if (!parsed.success) return fail("VALIDATION_FAILED", "Not a Stripe event this service can read", "body");
  const event: StripeEvent = {
    id: parsed.data.id,
    type: parsed.data.type,
    createdAtMs: parsed.data.created * 1000,
    object: parsed.data.data.object,
  };
  const intent = interpret(event);
  if (!intent.ok) return intent;
  // A burn computed from a balance that was spent meanwhile is retried from a fresh read too.
  return withRetries(
    () => handleOnce(client, event, intent.value, nowMs),
    [...raceCodes, "INSUFFICIENT_FUNDS"],
  );
}

/** Verifies and applies one delivery: the webhook route's whole job. */
export async function receiveStripeWebhook(
  client: Client,
  delivery: { rawBody: string; signature: string | undefined },
  secrets: readonly string[],
  nowMs: number,
): Promise<Result<WebhookOutcome>> {
  const verified = await verifyStripeEvent(delivery.rawBody, delivery.signature, secrets, nowMs);
  if (!verified.ok) return verified;
  return handleStripeEvent(client, verified.value, nowMs);
}
