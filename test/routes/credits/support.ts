/**
 * Helpers for the Cloud Credits workerd tests: price state (these tests own the shared price
 * tables while their file runs, since files run one at a time), Stripe events signed by the
 * `stripe` library itself, bridge events signed with the bridge's scheme, and ledger figures.
 */
import { env } from "cloudflare:test";
import Stripe from "stripe";
import { signBridgePayload } from "../../../src/credits/bridge";
import { randomBase62 } from "../../../src/kit/ids";
import { audit, supply } from "../../../src/ledger/accounts";
import type { AssetCode } from "../../../src/ledger/core/money";
import { recordRound } from "../../../src/oracle/prices";
import { type ApiResponse, call, database } from "../../support/harness";

export const hourMs = 3_600_000;

/** Forgets every price round, so the oracle is halted until a test records one. */
export async function resetPrices(): Promise<void> {
  await database().batch(["DELETE FROM price_quotes", "DELETE FROM price_rounds"], "write");
}

/**
 * Sets the prices in force: a fresh oracle round per kind with quorum, recorded at `atMs` (now by
 * default), after forgetting older rounds. Oracle rounds (not manual ones) so they age normally.
 */
export async function setPrices(prices: { gold: string; tft: string }, atMs = Date.now()): Promise<void> {
  await resetPrices();
  for (const kind of ["gold", "tft"] as const) {
    await recordRound(database(), { kind, priceUsd: prices[kind], quorumMet: true, source: "oracle" }, atMs);
  }
}

/** A unique id with a prefix, for events, payments and deposits. */
export function uniqueId(prefix: string): string {
  return `${prefix}_${randomBase62(16)}`;
}

// ── Stripe ───────────────────────────────────────────────────────────────────────────────────

export const stripeSecret = env.STRIPE_WEBHOOK_SECRET ?? "";

/** A Stripe event body (the fields the service reads, in Stripe's shape). */
export function stripeEvent(
  type: string,
  object: Record<string, unknown>,
  options: { id?: string; createdMs?: number } = {},
): string {
  return JSON.stringify({
    id: options.id ?? uniqueId("evt"),
    object: "event",
    api_version: "2025-10-29.clover",
    created: Math.floor((options.createdMs ?? Date.now()) / 1000),
    data: { object },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
  });
}

/** A completed, paid Checkout Session citing a quote. */
export function checkoutSession(input: {
  paymentIntent: string;
  quoteId: string | null;
  amountCents: number;
  currency?: string;
  paymentStatus?: string;
}): Record<string, unknown> {
  return {
    id: uniqueId("cs_test"),
    object: "checkout.session",
    amount_total: input.amountCents,
    currency: input.currency ?? "usd",
    client_reference_id: input.quoteId,
    metadata: input.quoteId === null ? {} : { cc_quote_id: input.quoteId },
    mode: "payment",
    payment_intent: input.paymentIntent,
    payment_status: input.paymentStatus ?? "paid",
    status: "complete",
  };
}

/** A succeeded PaymentIntent citing a quote in its metadata. */
export function paymentIntent(input: {
  id: string;
  quoteId: string;
  amountCents: number;
}): Record<string, unknown> {
  return {
    id: input.id,
    object: "payment_intent",
    amount: input.amountCents,
    amount_received: input.amountCents,
    currency: "usd",
    metadata: { cc_quote_id: input.quoteId },
    status: "succeeded",
  };
}

/** A refunded charge: `amountRefundedCents` is Stripe's cumulative figure. */
export function refundedCharge(input: {
  paymentIntent: string;
  amountCents: number;
  amountRefundedCents: number;
}): Record<string, unknown> {
  return {
    id: uniqueId("ch"),
    object: "charge",
    amount: input.amountCents,
    amount_refunded: input.amountRefundedCents,
    currency: "usd",
    payment_intent: input.paymentIntent,
    refunded: input.amountRefundedCents === input.amountCents,
  };
}

export function dispute(input: {
  id: string;
  paymentIntent: string;
  amountCents: number;
  status: string;
}): Record<string, unknown> {
  return {
    id: input.id,
    object: "dispute",
    amount: input.amountCents,
    charge: uniqueId("ch"),
    currency: "usd",
    payment_intent: input.paymentIntent,
    reason: "fraudulent",
    status: input.status,
  };
}

/** The Stripe-Signature header the `stripe` library computes for `payload`. */
export async function stripeSignature(
  payload: string,
  options: { secret?: string; timestampSeconds?: number } = {},
): Promise<string> {
  return Stripe.webhooks.generateTestHeaderStringAsync({
    payload,
    secret: options.secret ?? stripeSecret,
    timestamp: options.timestampSeconds ?? Math.floor(Date.now() / 1000),
    cryptoProvider: Stripe.createSubtleCryptoProvider(),
  });
}

export type Receipt = {
  eventId: string;
  outcome: string;
  detail: string | null;
  duplicate: boolean;
  code?: string;
};

/** Delivers a Stripe event through the Worker, signed unless `signature` is given. */
export async function deliverStripe(
  payload: string,
  options: { signature?: string | null; secret?: string; timestampSeconds?: number } = {},
): Promise<ApiResponse<Receipt>> {
  const signature =
    options.signature === undefined ? await stripeSignature(payload, options) : options.signature;
  return call<Receipt>("POST", "/v1/webhooks/stripe", {
    rawBody: payload,
    headers: {
      "content-type": "application/json; charset=utf-8",
      ...(signature === null ? {} : { "stripe-signature": signature }),
    },
  });
}

// ── TFT bridge ───────────────────────────────────────────────────────────────────────────────

export const bridgeSecret = env.BRIDGE_WEBHOOK_SECRET ?? "";
export const bridgePreviousSecret = env.BRIDGE_WEBHOOK_SECRET_PREVIOUS ?? "";

export function bridgeEvent(type: string, data: Record<string, unknown>, id = uniqueId("bev")): string {
  return JSON.stringify({ id, type, created: Math.floor(Date.now() / 1000), data });
}

/** Delivers a bridge event through the Worker, signed with the bridge's scheme unless told otherwise. */
export async function deliverBridge(
  payload: string,
  options: { signature?: string | null; secret?: string; timestampSeconds?: number } = {},
): Promise<ApiResponse<Receipt>> {
  const signature =
    options.signature === undefined
      ? await signBridgePayload(
          payload,
          options.secret ?? bridgeSecret,
          options.timestampSeconds ?? Math.floor(Date.now() / 1000),
        )
      : options.signature;
  return call<Receipt>("POST", "/v1/webhooks/tft-bridge", {
    rawBody: payload,
    headers: {
      "content-type": "application/json",
      ...(signature === null ? {} : { "x-bridge-signature": signature }),
    },
  });
}

// ── ledger figures ───────────────────────────────────────────────────────────────────────────

/** Posted balance of a system or user account, in minor units. */
export async function posted(accountId: string): Promise<bigint> {
  const result = await database().execute({
    sql: "SELECT credits_posted - debits_posted AS posted FROM accounts WHERE id = ?",
    args: [accountId],
  });
  return BigInt((result.rows[0]?.posted as bigint | undefined) ?? 0n);
}

/** Issued, burned and circulating supply of an asset. */
export async function supplyOf(asset: AssetCode) {
  const figures = (await supply(database())).find((entry) => entry.asset === asset);
  if (!figures) throw new Error(`no supply for ${asset}`);
  return figures;
}

/** Asserts the whole ledger balances (every asset sums to zero, every total recomputes). */
export async function ledgerBalanced(): Promise<boolean> {
  return (await audit(database())).balanced;
}

/** Rows in the Cloud Credits tables and the ledger, to prove a refusal wrote nothing. */
export async function creditCounts(): Promise<Record<string, number>> {
  const result = await database().execute(
    `SELECT (SELECT count(*) FROM transfers) AS transfers, (SELECT count(*) FROM webhook_events) AS webhook_events,
       (SELECT count(*) FROM card_payments) AS card_payments, (SELECT count(*) FROM card_payment_revisions) AS revisions,
       (SELECT count(*) FROM card_refunds) AS card_refunds, (SELECT count(*) FROM card_disputes) AS card_disputes,
       (SELECT count(*) FROM credit_claims) AS credit_claims, (SELECT count(*) FROM tft_deposits) AS tft_deposits,
       (SELECT count(*) FROM withdrawals) AS withdrawals, (SELECT count(*) FROM conversion_quotes) AS conversion_quotes,
       (SELECT count(*) FROM checkout_quotes) AS checkout_quotes`,
  );
  const row = result.rows[0]!;
  return Object.fromEntries(Object.entries(row).map(([name, value]) => [name, Number(value)]));
}
