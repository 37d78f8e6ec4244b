/**
 * TFP → TFT withdrawals (§6.3): allowed only while the TFT market price exceeds the unlock
 * threshold (`cc_usd / TFT_PER_CC_FIXED` by default, §20 Q3), then recorded in an outbox that the
 * bridge pays from.
 *
 * States: `pending` → `paid` | `failed` (both final). A request places two linked holds with no
 * timeout: the TFP (the account → acc_burn_tfp) and the vault's TFT (acc_vault_tft →
 * acc_issuance_tft), so neither can be spent twice while the bridge pays. The bridge's signed
 * `withdrawal.paid` posts both (TFP burned, TFT out of custody); `withdrawal.failed` voids both
 * (src/credits/bridge.ts). A request the vault cannot cover is refused with INSUFFICIENT_FUNDS.
 */
import type { Client, InStatement, ResultSet, Row } from "@libsql/client";
import type { Principal } from "../kit/auth";
import { type EffectRecord, effectRecordStatements } from "../kit/db/idempotency";
import { decodeRow } from "../kit/db/rows";
import * as tables from "../kit/db/schema";
import { fail, ok, type Result } from "../kit/result";
import { type Account, accountFrom, accountStatement } from "../ledger/accounts";
import { createTransfers } from "../ledger/store";
import { tftUnlockedForTfp } from "../oracle/core/peg";
import { livePegOf, type Peg, pegFrom, pegStatements } from "../oracle/prices";
import { checkHolderAccount, holderKinds } from "./accounts";
import type { CreditsConfig } from "./config";

/** Smallest withdrawal: 1 TFP, in minor units (a chain payment costs fees). */
export const withdrawalTfpMinMinor = 10_000_000n;
/** Withdrawal ids: `wdr_` and 32 hex characters derived from the Idempotency-Key. */
export const withdrawalIdPattern = /^wdr_[0-9a-f]{32}$/;
/** A Stellar account address (where the bridge pays TFT). */
export const stellarAddressPattern = /^G[A-Z2-7]{55}$/;

export type WithdrawalStatus = "pending" | "paid" | "failed";

export type Withdrawal = {
  seq: bigint;
  id: string;
  ownerId: string;
  accountId: string;
  tfpMinor: bigint;
  tftMinor: bigint;
  destination: string;
  status: WithdrawalStatus;
  tfpHoldId: string;
  tftHoldId: string;
  tftMarketUsd: string;
  txHash: string | null;
  failureReason: string | null;
  createdAtMs: number;
  updatedAtMs: number;
};

/** A withdrawal as its request writes it (its `seq` is the database's). */
export type RequestedWithdrawal = Omit<Withdrawal, "seq">;

/** Reads a `withdrawals` row. */
export function withdrawalFromRow(row: Row): Withdrawal {
  const { seq, settledEventId: _settledEventId, ...withdrawal } = decodeRow(tables.withdrawals, row);
  return { seq: BigInt(seq), ...withdrawal };
}

export async function getWithdrawal(client: Client, id: string): Promise<Withdrawal | null> {
  const result = await client.execute({ sql: "SELECT * FROM withdrawals WHERE id = ?", args: [id] });
  const row = result.rows[0];
  return row ? withdrawalFromRow(row) : null;
}

/** One page of withdrawals, oldest first (the bridge's outbox when `status` is `pending`). */
export async function listWithdrawals(
  client: Client,
  options: { status: WithdrawalStatus | null; limit: number; afterSeq: bigint | null },
): Promise<{ withdrawals: Withdrawal[]; nextCursor: bigint | null }> {
  const result = await client.execute({
    sql: `SELECT * FROM withdrawals WHERE seq > ? ${options.status ? "AND status = ?" : ""} ORDER BY seq LIMIT ?`,
    args: [options.afterSeq ?? 0n, ...(options.status ? [options.status] : []), options.limit + 1],
  });
  const withdrawals = result.rows.slice(0, options.limit).map(withdrawalFromRow);
  const nextCursor = result.rows.length > options.limit ? (withdrawals.at(-1)?.seq ?? null) : null;
  return { withdrawals, nextCursor };
}

export type WithdrawalInput = {
  withdrawalId: string;
  accountId: string;
  tfpMinor: bigint;
  destination: string;
};

/** What `requestWithdrawal` reads first (to batch with the request's own reads): see `withdrawalFacts`. */
export function withdrawalReads(
  input: Pick<WithdrawalInput, "withdrawalId" | "accountId">,
  nowMs: number,
): InStatement[] {
  return [
    { sql: "SELECT * FROM withdrawals WHERE id = ?", args: [input.withdrawalId] },
    accountStatement(input.accountId),
    ...pegStatements(nowMs),
  ];
}

export type WithdrawalFacts = { existing: Withdrawal | null; account: Account | null; peg: Peg };

/** The answers to `withdrawalReads`, in its order. */
export function withdrawalFacts(results: readonly ResultSet[], nowMs: number): WithdrawalFacts {
  const [existing, account, ...peg] = results;
  const existingRow = existing?.rows[0];
  return {
    existing: existingRow ? withdrawalFromRow(existingRow) : null,
    account: accountFrom(account),
    peg: pegFrom(peg, nowMs),
  };
}

/**
 * Requests a withdrawal of `tfpMinor` TFP from the principal's TFP account to a Stellar address.
 * `withdrawalId` is derived by the caller from its Idempotency-Key (`wdr_…`), so a retry returns
 * the same withdrawal. Refused with ORACLE_HALTED without a live price, UNLOCK_THRESHOLD_NOT_MET
 * while the TFT market price does not exceed the threshold, INSUFFICIENT_FUNDS when the account or
 * the vault cannot cover it.
 * Its first reads (`withdrawalReads`, read into `withdrawalFacts`) are made by the caller,
 * batched with its own.
 */
export async function requestWithdrawal(
  client: Client,
  principal: Pick<Principal, "role" | "ownerId">,
  input: WithdrawalInput,
  config: Pick<CreditsConfig, "peg">,
  facts: WithdrawalFacts,
  nowMs: number,
  record?: EffectRecord<RequestedWithdrawal>,
): Promise<Result<RequestedWithdrawal & { recorded?: boolean }>> {
  if (!withdrawalIdPattern.test(input.withdrawalId)) {
    return fail("VALIDATION_FAILED", "Withdrawal ids are wdr_ and 32 hex characters");
  }
  if (facts.existing) return ok(facts.existing);
  if (input.tfpMinor < withdrawalTfpMinMinor) {
    return fail("VALIDATION_FAILED", "The smallest withdrawal is 1 TFP", "amount");
  }
  if (!stellarAddressPattern.test(input.destination)) {
    return fail("VALIDATION_FAILED", "The destination must be a Stellar account address (G…)", "destination");
  }
  const account = checkHolderAccount(facts.account, principal, input.accountId, {
    asset: "TFP",
    kinds: holderKinds,
    field: "accountId",
    kindDetail: "Withdrawals come from a holder's TFP account",
  });
  if (!account.ok) return account;
  const peg = livePegOf(facts.peg);
  if (!peg.ok) return peg;
  const prices = { ccUsd: peg.value.ccUsd, tftMarketUsd: peg.value.tftMarketUsd };
  const unlocked = tftUnlockedForTfp(input.tfpMinor, prices, config.peg);
  if (!unlocked.ok) return unlocked;
  const tftMinor = unlocked.value;
  const tfpHoldId = `${input.withdrawalId}_tfp`;
  const tftHoldId = `${input.withdrawalId}_tft`;
  const metadata = { withdrawalId: input.withdrawalId };
  const withdrawal: RequestedWithdrawal = {
    id: input.withdrawalId,
    ownerId: account.value.ownerId ?? principal.ownerId,
    accountId: account.value.id,
    tfpMinor: input.tfpMinor,
    tftMinor,
    destination: input.destination,
    status: "pending",
    tfpHoldId,
    tftHoldId,
    tftMarketUsd: prices.tftMarketUsd,
    txHash: null,
    failureReason: null,
    createdAtMs: nowMs,
    updatedAtMs: nowMs,
  };
  const records = effectRecordStatements(record, withdrawal, nowMs);
  const written = await createTransfers(
    client,
    [
      {
        type: "pending",
        id: tfpHoldId,
        debitAccountId: account.value.id,
        creditAccountId: "acc_burn_tfp",
        asset: "TFP",
        amountMinor: input.tfpMinor,
        timeoutMs: null,
        code: "tfp_withdrawal_hold",
        metadata,
      },
      {
        type: "pending",
        id: tftHoldId,
        debitAccountId: "acc_vault_tft",
        creditAccountId: "acc_issuance_tft",
        asset: "TFT",
        amountMinor: tftMinor,
        timeoutMs: null,
        code: "tft_withdrawal_hold",
        metadata,
      },
    ],
    { nowMs },
    [
      {
        sql: "INSERT INTO withdrawals (id, owner_id, account_id, tfp_amount, tft_amount, destination, status, tfp_hold_id, tft_hold_id, tft_market_usd, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?)",
        args: [
          withdrawal.id,
          withdrawal.ownerId,
          withdrawal.accountId,
          withdrawal.tfpMinor,
          withdrawal.tftMinor,
          withdrawal.destination,
          tfpHoldId,
          tftHoldId,
          withdrawal.tftMarketUsd,
          nowMs,
          nowMs,
        ],
      },
      ...records,
    ],
  );
  if (!written.ok) {
    if (written.code === "INSUFFICIENT_FUNDS" && written.field?.startsWith("transfers/1")) {
      return fail(
        "INSUFFICIENT_FUNDS",
        "The vault holds too little unreserved TFT for this withdrawal",
        "amount",
      );
    }
    if (written.code === "INSUFFICIENT_FUNDS") {
      return fail("INSUFFICIENT_FUNDS", `Account ${account.value.id} has too little available TFP`, "amount");
    }
    return written;
  }
  // Written just now, with the row (and the key's record): the withdrawal is the one above.
  if (written.value[0]?.createdAtMs === nowMs) return ok({ ...withdrawal, recorded: records.length > 0 });
  const stored = await getWithdrawal(client, input.withdrawalId);
  if (!stored) return fail("INTERNAL", "withdrawal vanished after its write");
  return ok(stored);
}
