/**
 * The TFT bridge's signed webhook: deposits (TFT locked, TFP minted 1:1, §6.1 V1) and the
 * outcome of withdrawals it was asked to pay (src/credits/withdrawals.ts).
 *
 * Signature scheme (the bridge's contract): header `X-Bridge-Signature: t=<unix seconds>,v1=<hex>`
 * where `<hex>` is HMAC-SHA256, keyed with the shared secret, of `<t>.<raw body>`. Several `v1=`
 * entries may be sent. A delivery is accepted when a `v1` matches `BRIDGE_WEBHOOK_SECRET` or, during
 * a rotation, `BRIDGE_WEBHOOK_SECRET_PREVIOUS`, and `t` is within 300 s of our clock (either side).
 * Comparison is constant-time (Web Crypto `verify`).
 *
 * Body: `{ "id": "<event id>", "type": "...", "created": <unix seconds>, "data": { … } }` with
 * - `deposit.confirmed`: `{ depositId, accountId (the depositor's TFP account), amount (TFT), txHash }`
 * - `withdrawal.paid`: `{ withdrawalId, amount (TFT paid), txHash }`
 * - `withdrawal.failed`: `{ withdrawalId, reason }`
 *
 * Exactly once: the event id is recorded in the same write as the effect; transfer ids derive from
 * it; a deposit is also unique by `depositId`, so a deposit announced twice under two event ids
 * still mints once.
 */

import type { Client } from "@libsql/client";
import { z } from "zod";
import { eventStatements } from "../kit/db/events";
import { accountIdSchema } from "../kit/ids";
import { fail, ok, type Result, zodFailure } from "../kit/result";
import { isSafeText, unsafeTextMessage } from "../kit/text";
import { formatAmount, parseAmount } from "../ledger/core/money";
import { tfpMintedForTft } from "../oracle/core/peg";
import { type AccountFacts, accountFactsFromRow, checkHolderAccount, holderKinds } from "./accounts";
import {
  duplicateOutcome,
  type Effect,
  raceCodes,
  recordEvent,
  storedEventFromRow,
  type WebhookOutcome,
  withRetries,
} from "./effects";
import { type Withdrawal, withdrawalFromRow, withdrawalIdPattern } from "./withdrawals";

/** How far the signature's timestamp may be from our clock, either way. */
export const bridgeToleranceSeconds = 300;
/** The header carrying the signature. */
export const bridgeSignatureHeader = "x-bridge-signature";

const encoder = new TextEncoder();

async function hmacKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);
}

function hexToBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let index = 0; index < bytes.length; index++) {
    bytes[index] = Number.parseInt(hex.slice(index * 2, index * 2 + 2), 16);
  }
  return bytes;
}

/** The `X-Bridge-Signature` value for `rawBody` at `timestampSeconds` (what the bridge sends). */
export async function signBridgePayload(
  rawBody: string,
  secret: string,
  timestampSeconds: number,
): Promise<string> {
  const signature = await crypto.subtle.sign(
    "HMAC",
    await hmacKey(secret),
    encoder.encode(`${timestampSeconds}.${rawBody}`),
  );
  const hex = [...new Uint8Array(signature)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return `t=${timestampSeconds},v1=${hex}`;
}

/**
 * Checks a delivery's signature header: WEBHOOK_NOT_CONFIGURED (503, the bridge retries later)
 * without a secret; SIGNATURE_INVALID when it is missing, malformed or matches no secret;
 * TIMESTAMP_OUT_OF_TOLERANCE when it matches but `t` is more than 300 s from `nowMs`.
 */
export async function verifyBridgeSignature(
  rawBody: string,
  header: string | undefined,
  secrets: readonly string[],
  nowMs: number,
): Promise<Result<void>> {
  if (secrets.length === 0) {
    return fail(
      "WEBHOOK_NOT_CONFIGURED",
      "BRIDGE_WEBHOOK_SECRET is not set on this service: deliveries are refused, and nothing is recorded, until it is",
    );
  }
  const malformed = fail(
    "SIGNATURE_INVALID",
    "Missing or malformed X-Bridge-Signature header",
    "header.x-bridge-signature",
  );
  if (header === undefined || header.length > 1024) return malformed;
  let timestampSeconds: number | null = null;
  const signatures: Uint8Array[] = [];
  for (const part of header.split(",")) {
    const [key, value = ""] = part.trim().split("=", 2);
    if (key === "t" && /^[0-9]{1,12}$/.test(value)) timestampSeconds = Number(value);
    else if (key === "v1" && /^[0-9a-f]{64}$/.test(value)) signatures.push(hexToBytes(value));
  }
  if (timestampSeconds === null || signatures.length === 0 || signatures.length > 8) return malformed;
  const signed = encoder.encode(`${timestampSeconds}.${rawBody}`);
  let matched = false;
  for (const secret of secrets) {
    const key = await hmacKey(secret);
    for (const signature of signatures) {
      if (await crypto.subtle.verify("HMAC", key, signature, signed)) matched = true;
    }
  }
  if (!matched) {
    return fail(
      "SIGNATURE_INVALID",
      "No signature matches a configured bridge secret",
      "header.x-bridge-signature",
    );
  }
  if (Math.abs(Math.floor(nowMs / 1000) - timestampSeconds) > bridgeToleranceSeconds) {
    return fail(
      "TIMESTAMP_OUT_OF_TOLERANCE",
      `The signature's timestamp is more than ${bridgeToleranceSeconds} s from the server's clock`,
    );
  }
  return ok(undefined);
}

// ── events ──────────────────────────────────────────────────────────────────────────────────

const eventIdPattern = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/;
const tftAmount = z
  .string()
  .max(40)
  .regex(/^(0|[1-9][0-9]*)(\.[0-9]{1,7})?$/, "a TFT amount with at most 7 decimals");

const envelopeSchema = z.object({
  id: z.string().regex(eventIdPattern),
  type: z.string().min(1).max(64),
  created: z.number().int().nonnegative(),
  data: z.record(z.string(), z.unknown()),
});

const depositSchema = z.object({
  depositId: z.string().regex(eventIdPattern),
  accountId: accountIdSchema,
  amount: tftAmount,
  txHash: z.string().min(1).max(128).refine(isSafeText, unsafeTextMessage),
});

const withdrawalPaidSchema = z.object({
  withdrawalId: z.string().regex(withdrawalIdPattern),
  amount: tftAmount,
  txHash: z.string().min(1).max(128).refine(isSafeText, unsafeTextMessage),
});

const withdrawalFailedSchema = z.object({
  withdrawalId: z.string().regex(withdrawalIdPattern),
  reason: z.string().min(1).max(500).refine(isSafeText, unsafeTextMessage),
});

/** The bridge's event types and the shape of each one's `data` (shown in the API document). */
export const bridgeEventData = {
  "deposit.confirmed": depositSchema,
  "withdrawal.paid": withdrawalPaidSchema,
  "withdrawal.failed": withdrawalFailedSchema,
} as const;

type BridgeEvent = { id: string; type: string; createdAtMs: number; data: Record<string, unknown> };

/** Applies `effect` and records the event in one write (see `recordEvent`). */
function record(
  client: Client,
  event: BridgeEvent,
  outcome: string,
  detail: string,
  nowMs: number,
  effect?: Effect,
): Promise<Result<WebhookOutcome>> {
  return recordEvent(client, "tft_bridge", event, outcome, detail, nowMs, effect);
}

function invalid(event: BridgeEvent, error: z.ZodError): Result<never> {
  return zodFailure(error, { context: `Bridge ${event.type} ${event.id}`, prefix: "data" });
}

type Deposit = { depositId: string; accountId: string; tftMinor: bigint; txHash: string };
type WithdrawalOutcome =
  | { paid: true; withdrawalId: string; amount: string; txHash: string }
  | { paid: false; withdrawalId: string; reason: string };

/** What an event asks for, read from its data alone (no I/O). */
type Intent =
  | { kind: "deposit"; deposit: Deposit }
  | { kind: "withdrawal"; outcome: WithdrawalOutcome }
  | { kind: "ignore" };

function interpret(event: BridgeEvent): Result<Intent> {
  switch (event.type) {
    case "deposit.confirmed": {
      const parsed = depositSchema.safeParse(event.data);
      if (!parsed.success) return invalid(event, parsed.error);
      const amount = parseAmount("TFT", parsed.data.amount);
      if (!amount.ok || amount.minor <= 0n) {
        return fail("VALIDATION_FAILED", "Deposit amount must be positive", "data.amount");
      }
      const { depositId, accountId, txHash } = parsed.data;
      return ok({ kind: "deposit", deposit: { depositId, accountId, tftMinor: amount.minor, txHash } });
    }
    case "withdrawal.paid": {
      const parsed = withdrawalPaidSchema.safeParse(event.data);
      if (!parsed.success) return invalid(event, parsed.error);
      return ok({ kind: "withdrawal", outcome: { paid: true, ...parsed.data } });
    }
    case "withdrawal.failed": {
      const parsed = withdrawalFailedSchema.safeParse(event.data);
      if (!parsed.success) return invalid(event, parsed.error);
      return ok({ kind: "withdrawal", outcome: { paid: false, ...parsed.data } });
    }
    default:
      return ok({ kind: "ignore" });
  }
}

/** Everything one event needs, read in one round trip. */
type Snapshot = {
  stored: { type: string; outcome: string; detail: string | null } | null;
  /** The event that already credited this deposit, if any. */
  depositEventId: string | null;
  account: AccountFacts | null;
  withdrawal: Withdrawal | null;
};

async function readSnapshot(client: Client, eventId: string, intent: Intent): Promise<Snapshot> {
  const depositId = intent.kind === "deposit" ? intent.deposit.depositId : "";
  const accountId = intent.kind === "deposit" ? intent.deposit.accountId : "";
  const withdrawalId = intent.kind === "withdrawal" ? intent.outcome.withdrawalId : "";
  const [events, deposits, accounts, withdrawals] = await client.batch(
    [
      {
        sql: "SELECT type, outcome, detail FROM webhook_events WHERE provider = 'tft_bridge' AND id = ?",
        args: [eventId],
      },
      { sql: "SELECT event_id FROM tft_deposits WHERE id = ?", args: [depositId] },
      { sql: "SELECT id, owner_id, asset, kind, flags FROM accounts WHERE id = ?", args: [accountId] },
      { sql: "SELECT * FROM withdrawals WHERE id = ?", args: [withdrawalId] },
    ],
    "read",
  );
  const stored = events?.rows[0];
  const deposit = deposits?.rows[0];
  const account = accounts?.rows[0];
  const withdrawal = withdrawals?.rows[0];
  return {
    stored: storedEventFromRow(stored),
    depositEventId: deposit ? String(deposit.event_id) : null,
    account: account ? accountFactsFromRow(account) : null,
    withdrawal: withdrawal ? withdrawalFromRow(withdrawal) : null,
  };
}

/**
 * A deposit: TFT acc_issuance_tft → acc_vault_tft (locked) and TFP acc_issuance_tfp → the
 * depositor's TFP account (1:1, `tfpMintedForTft`), linked, with the deposit and event rows.
 * Needs no price, so it works while the oracle is halted. An unknown or unsuitable account is
 * refused (4xx, nothing recorded): the bridge must return the TFT.
 */
async function applyDeposit(
  client: Client,
  event: BridgeEvent,
  deposit: Deposit,
  state: Snapshot,
  nowMs: number,
): Promise<Result<WebhookOutcome>> {
  if (state.depositEventId !== null) {
    return record(
      client,
      event,
      "duplicate_deposit",
      `deposit ${deposit.depositId} was already credited by event ${state.depositEventId}`,
      nowMs,
    );
  }
  const account = checkHolderAccount(state.account, { role: "admin", ownerId: "" }, deposit.accountId, {
    asset: "TFP",
    kinds: holderKinds,
    field: "data.accountId",
    kindDetail: "Deposits credit a holder's TFP account (kind user, farmer or lp)",
  });
  if (!account.ok) return account;
  const tftMinor = deposit.tftMinor;
  const tfpMinor = tfpMintedForTft(tftMinor);
  const metadata = { bridgeEventId: event.id, depositId: deposit.depositId, txHash: deposit.txHash };
  return record(
    client,
    event,
    "deposited",
    `${formatAmount("TFT", tftMinor)} TFT locked, ${formatAmount("TFP", tfpMinor)} TFP to ${account.value.id}`,
    nowMs,
    {
      transfers: [
        {
          type: "posted",
          id: `bridge_${event.id}_lock`,
          debitAccountId: "acc_issuance_tft",
          creditAccountId: "acc_vault_tft",
          asset: "TFT",
          amountMinor: tftMinor,
          code: "tft_deposit_lock",
          metadata,
        },
        {
          type: "posted",
          id: `bridge_${event.id}_mint`,
          debitAccountId: "acc_issuance_tfp",
          creditAccountId: account.value.id,
          asset: "TFP",
          amountMinor: tfpMinor,
          code: "tft_deposit_mint",
          metadata,
        },
      ],
      statements: [
        {
          sql: "INSERT INTO tft_deposits (id, event_id, account_id, tft_amount, tfp_amount, tx_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
          args: [deposit.depositId, event.id, account.value.id, tftMinor, tfpMinor, deposit.txHash, nowMs],
        },
      ],
    },
  );
}

/**
 * A withdrawal's outcome. `withdrawal.paid` posts both holds (the TFP is burned, account →
 * acc_burn_tfp; the TFT leaves the vault, acc_vault_tft → acc_issuance_tft); `withdrawal.failed`
 * voids both (the TFP is available again). `paid` and `failed` are final: a repeat is recorded as
 * a duplicate, `failed` after `paid` is ignored, and `paid` after `failed` is refused (409) for an
 * operator to reconcile, since the TFP was already released.
 */
async function applyWithdrawalOutcome(
  client: Client,
  event: BridgeEvent,
  outcome: WithdrawalOutcome,
  state: Snapshot,
  nowMs: number,
): Promise<Result<WebhookOutcome>> {
  const withdrawal = state.withdrawal;
  if (!withdrawal) return fail("NOT_FOUND", `No withdrawal ${outcome.withdrawalId}`, "data.withdrawalId");
  if (withdrawal.status !== "pending") {
    if (outcome.paid && withdrawal.status === "failed") {
      return fail(
        "CONFLICT",
        `Withdrawal ${withdrawal.id} already failed and its TFP was released`,
        "data.withdrawalId",
      );
    }
    const repeated = (outcome.paid ? "paid" : "failed") === withdrawal.status;
    return record(
      client,
      event,
      repeated ? "duplicate_outcome" : "ignored",
      `withdrawal ${withdrawal.id} is already ${withdrawal.status}`,
      nowMs,
    );
  }
  const metadata = { bridgeEventId: event.id, withdrawalId: withdrawal.id };
  if (outcome.paid) {
    const amount = parseAmount("TFT", outcome.amount);
    if (!amount.ok || amount.minor !== withdrawal.tftMinor) {
      return fail(
        "CONFLICT",
        `Withdrawal ${withdrawal.id} is for ${formatAmount("TFT", withdrawal.tftMinor)} TFT, not ${outcome.amount}`,
        "data.amount",
      );
    }
    return record(client, event, "withdrawal_paid", `withdrawal ${withdrawal.id} paid`, nowMs, {
      transfers: [
        {
          type: "post_pending",
          id: `bridge_${event.id}_burn_tfp`,
          pendingId: withdrawal.tfpHoldId,
          code: "tfp_withdrawal_burn",
          metadata,
        },
        {
          type: "post_pending",
          id: `bridge_${event.id}_release_tft`,
          pendingId: withdrawal.tftHoldId,
          code: "tft_withdrawal_release",
          metadata,
        },
      ],
      statements: [
        {
          sql: "UPDATE withdrawals SET status = 'paid', tx_hash = ?, settled_event_id = ?, updated_at = ? WHERE id = ? AND status = 'pending'",
          args: [outcome.txHash, event.id, nowMs, withdrawal.id],
        },
        ...eventStatements(
          {
            sourceId: withdrawal.id,
            type: "withdrawal.paid",
            owner: { accountId: withdrawal.accountId },
            subjectId: withdrawal.id,
            atMs: nowMs,
            data: {
              withdrawalId: withdrawal.id,
              accountId: withdrawal.accountId,
              amountTft: formatAmount("TFT", withdrawal.tftMinor),
              txHash: outcome.txHash,
            },
          },
          nowMs,
        ),
      ],
    });
  }
  return record(
    client,
    event,
    "withdrawal_failed",
    `withdrawal ${withdrawal.id} failed: ${outcome.reason}`,
    nowMs,
    {
      transfers: [
        {
          type: "void_pending",
          id: `bridge_${event.id}_void_tfp`,
          pendingId: withdrawal.tfpHoldId,
          code: "tfp_withdrawal_void",
          metadata,
        },
        {
          type: "void_pending",
          id: `bridge_${event.id}_void_tft`,
          pendingId: withdrawal.tftHoldId,
          code: "tft_withdrawal_void",
          metadata,
        },
      ],
      statements: [
        {
          sql: "UPDATE withdrawals SET status = 'failed', failure_reason = ?, settled_event_id = ?, updated_at = ? WHERE id = ? AND status = 'pending'",
          args: [outcome.reason, event.id, nowMs, withdrawal.id],
        },
        ...eventStatements(
          {
            sourceId: withdrawal.id,
            type: "withdrawal.failed",
            owner: { accountId: withdrawal.accountId },
            subjectId: withdrawal.id,
            atMs: nowMs,
            data: {
              withdrawalId: withdrawal.id,
              accountId: withdrawal.accountId,
              amountTft: formatAmount("TFT", withdrawal.tftMinor),
              reason: outcome.reason,
            },
          },
          nowMs,
        ),
      ],
    },
  );
}

/** One attempt: read everything in one round trip, then write the effect in one batch. */
async function handleOnce(
  client: Client,
  event: BridgeEvent,
  intent: Intent,
  nowMs: number,
): Promise<Result<WebhookOutcome>> {
  const state = await readSnapshot(client, event.id, intent);
  if (state.stored) return ok(duplicateOutcome(event.id, state.stored));
  switch (intent.kind) {
    case "deposit":
      return applyDeposit(client, event, intent.deposit, state, nowMs);
    case "withdrawal":
      return applyWithdrawalOutcome(client, event, intent.outcome, state, nowMs);
    case "ignore":
      return record(client, event, "ignored", "event type not handled", nowMs);
  }
}

/**
 * Verifies and applies one bridge delivery exactly once. Forged, malformed or expired deliveries
 * are refused (4xx) before anything is read or written.
 */
export async function receiveBridgeWebhook(
  client: Client,
  delivery: { rawBody: string; signature: string | undefined },
  secrets: readonly string[],
  nowMs: number,
): Promise<Result<WebhookOutcome>> {
  const verified = await verifyBridgeSignature(delivery.rawBody, delivery.signature, secrets, nowMs);
  if (!verified.ok) return verified;
  let json: unknown;
  try {
    json = JSON.parse(delivery.rawBody);
  } catch {
    return fail("MALFORMED_REQUEST", "The signed body is not JSON");
  }
  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return fail("VALIDATION_FAILED", `Bridge event: ${issue?.path.join(".")}: ${issue?.message}`, "body");
  }
  const event: BridgeEvent = {
    id: parsed.data.id,
    type: parsed.data.type,
    createdAtMs: parsed.data.created * 1000,
    data: parsed.data.data,
  };
  const intent = interpret(event);
  if (!intent.ok) return intent;
  // A hold resolved by a concurrent outcome event is re-read and reported on the next attempt.
  return withRetries(
    () => handleOnce(client, event, intent.value, nowMs),
    [...raceCodes, "PENDING_TRANSFER_ALREADY_RESOLVED"],
  );
}
