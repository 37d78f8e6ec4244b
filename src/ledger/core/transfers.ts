/**
 * The double-entry ledger's rules as pure functions.
 *
 * `planTransfers` checks a linked group of transfer requests against the accounts and holds
 * they touch and applies them, in order, to an in-memory copy: it is the model the database
 * triggers (migrations/0001) enforce again under concurrency. Balances are credit-normal:
 * `posted = credits_posted − debits_posted`, `available = posted − debits_pending`.
 */

import { z } from "zod";
import { dayMs } from "../../kit/clock";
import { invariant } from "../../kit/errors";
import { type Failure, fail, ok, type Result } from "../../kit/result";
import type { AssetCode } from "./money";
import { amountMinorMax } from "./money";

/** Most transfers in one linked group (one atomic write). */
export const linkedTransfersMax = 1_000;
/** Longest transfer id or code, in characters. */
export const transferIdLengthMax = 128;
/** Largest metadata object, as JSON bytes. */
export const transferMetadataBytesMax = 4_096;
/** Longest hold timeout: one year. */
export const holdTimeoutMsMax = 366 * dayMs;

export const idPattern = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;
export const codePattern = /^[a-z][a-z0-9_.]*$/;

export type AccountState = {
  id: string;
  asset: string;
  /** Issuance accounts may go negative; every other account may not. */
  debitsMustNotExceedCredits: boolean;
  closed: boolean;
  debitsPendingMinor: bigint;
  debitsPostedMinor: bigint;
  creditsPendingMinor: bigint;
  creditsPostedMinor: bigint;
};

export type HoldState = {
  id: string;
  debitAccountId: string;
  creditAccountId: string;
  asset: string;
  amountMinor: bigint;
  postedMinor: bigint;
  remainingMinor: bigint;
  status: "pending" | "posted" | "voided" | "expired";
  expiresAtMs: number | null;
};

/**
 * A `HoldState` handed across an RPC boundary (read by a route, used by a Durable Object). A
 * stale one is harmless: the database checks a post or void against the hold as it writes.
 */
export const holdStateSchema = z.strictObject({
  id: z.string().min(1).max(256),
  debitAccountId: z.string().min(1).max(256),
  creditAccountId: z.string().min(1).max(256),
  asset: z.string().min(1).max(16),
  amountMinor: z.bigint(),
  postedMinor: z.bigint(),
  remainingMinor: z.bigint(),
  status: z.enum(["pending", "posted", "voided", "expired"]),
  expiresAtMs: z.number().int().nullable(),
});

type Common = { id: string; code: string; metadata?: Record<string, unknown> };
export type TransferRequest =
  | (Common & {
      type: "posted";
      debitAccountId: string;
      creditAccountId: string;
      asset: AssetCode;
      amountMinor: bigint;
    })
  | (Common & {
      type: "pending";
      debitAccountId: string;
      creditAccountId: string;
      asset: AssetCode;
      amountMinor: bigint;
      /** The hold is released automatically after this many ms (null: never). */
      timeoutMs: number | null;
    })
  | (Common & {
      type: "post_pending";
      pendingId: string;
      /** Amount to post; default: all that remains of the hold. */
      amountMinor?: bigint;
      /** Release what is left of the hold after this post (default true). */
      final?: boolean;
    })
  | (Common & { type: "void_pending"; pendingId: string });

/** A request resolved to the row the ledger writes. */
export type PlannedTransfer = {
  id: string;
  type: TransferRequest["type"];
  debitAccountId: string;
  creditAccountId: string;
  asset: string;
  amountMinor: bigint;
  pendingId: string | null;
  pendingReleasedMinor: bigint | null;
  timeoutAtMs: number | null;
  final: boolean;
  code: string;
  metadata: Record<string, unknown> | null;
};

/** Balance figures of one account, derived from its four totals. */
export function balanceOf(
  account: Pick<
    AccountState,
    "debitsPendingMinor" | "debitsPostedMinor" | "creditsPendingMinor" | "creditsPostedMinor"
  >,
): { postedMinor: bigint; availableMinor: bigint; pendingDebitsMinor: bigint; pendingCreditsMinor: bigint } {
  const postedMinor = account.creditsPostedMinor - account.debitsPostedMinor;
  return {
    postedMinor,
    availableMinor: postedMinor - account.debitsPendingMinor,
    pendingDebitsMinor: account.debitsPendingMinor,
    pendingCreditsMinor: account.creditsPendingMinor,
  };
}

function checkShape(request: TransferRequest, index: number): Result<void> {
  const at = (field: string) => `transfers/${index}/${field}`;
  if (request.id.length === 0 || request.id.length > transferIdLengthMax || !idPattern.test(request.id)) {
    return fail("VALIDATION_FAILED", "Transfer id must be 1–128 characters of A–Z a–z 0–9 _ . : -", at("id"));
  }
  if (request.code.length > transferIdLengthMax || !codePattern.test(request.code)) {
    return fail("VALIDATION_FAILED", "Reason code must be lower_snake_case", at("code"));
  }
  if (request.metadata !== undefined && JSON.stringify(request.metadata).length > transferMetadataBytesMax) {
    return fail(
      "VALIDATION_FAILED",
      `Metadata must be at most ${transferMetadataBytesMax} bytes`,
      at("metadata"),
    );
  }
  const amount = "amountMinor" in request ? request.amountMinor : undefined;
  if (amount !== undefined && (amount <= 0n || amount > amountMinorMax)) {
    return fail("VALIDATION_FAILED", "Amount must be a positive number of minor units", at("amount"));
  }
  if (request.type === "posted" || request.type === "pending") {
    if (request.debitAccountId === request.creditAccountId) {
      return fail("VALIDATION_FAILED", "Debit and credit accounts must differ", at("creditAccountId"));
    }
  }
  if (
    request.type === "pending" &&
    request.timeoutMs !== null &&
    (!Number.isInteger(request.timeoutMs) || request.timeoutMs <= 0 || request.timeoutMs > holdTimeoutMsMax)
  ) {
    return fail("VALIDATION_FAILED", `Timeout must be 1…${holdTimeoutMsMax} ms`, at("timeoutMs"));
  }
  return ok(undefined);
}

/** Why a posted or pending request cannot touch these accounts, or null if it can. */
function checkAccounts(
  request: Extract<TransferRequest, { type: "posted" | "pending" }>,
  index: number,
  debit: AccountState | undefined,
  credit: AccountState | undefined,
): Failure | null {
  const at = (field: string) => `transfers/${index}/${field}`;
  if (!debit) return fail("ACCOUNT_NOT_FOUND", `No account ${request.debitAccountId}`, at("debitAccountId"));
  if (!credit)
    return fail("ACCOUNT_NOT_FOUND", `No account ${request.creditAccountId}`, at("creditAccountId"));
  if (debit.asset !== request.asset || credit.asset !== request.asset) {
    return fail("ASSET_MISMATCH", `Both accounts must hold ${request.asset}`, at("asset"));
  }
  if (debit.closed || credit.closed)
    return fail("ACCOUNT_CLOSED", "An account of this transfer is closed", `transfers/${index}`);
  if (debit.debitsMustNotExceedCredits && balanceOf(debit).availableMinor < request.amountMinor) {
    return fail("INSUFFICIENT_FUNDS", `Account ${debit.id} has insufficient available funds`, at("amount"));
  }
  return null;
}

/**
 * The states a plan has touched so far: copies made on first touch, so the caller's maps are never
 * mutated and later requests of the group see the effects of earlier ones.
 */
class Working {
  readonly accounts = new Map<string, AccountState>();
  readonly holds = new Map<string, HoldState>();

  constructor(
    private readonly baseAccounts: ReadonlyMap<string, AccountState> | null,
    private readonly baseHolds: ReadonlyMap<string, HoldState>,
  ) {}

  /** Whether account checks are done here (false: the database enforces them). */
  get checksAccounts(): boolean {
    return this.baseAccounts !== null;
  }

  account(id: string): AccountState | undefined {
    const found = this.accounts.get(id) ?? this.baseAccounts?.get(id);
    if (found && !this.accounts.has(id)) this.accounts.set(id, { ...found });
    return this.accounts.get(id);
  }

  hold(id: string): HoldState | undefined {
    const found = this.holds.get(id) ?? this.baseHolds.get(id);
    if (found && !this.holds.has(id)) this.holds.set(id, { ...found });
    return this.holds.get(id);
  }
}

type NewTransfer = Extract<TransferRequest, { type: "posted" | "pending" }>;
type Resolution = Extract<TransferRequest, { type: "post_pending" | "void_pending" }>;

/** A posted or pending transfer: moves the amount (or holds it) and, if pending, opens a hold. */
function planNew(work: Working, request: NewTransfer, index: number, nowMs: number): Result<PlannedTransfer> {
  const amount = request.amountMinor;
  if (work.checksAccounts) {
    const debit = work.account(request.debitAccountId);
    const credit = work.account(request.creditAccountId);
    const refused = checkAccounts(request, index, debit, credit);
    if (refused) return refused;
    invariant(debit && credit, "checked accounts exist");
    if (request.type === "posted") {
      debit.debitsPostedMinor += amount;
      credit.creditsPostedMinor += amount;
    } else {
      debit.debitsPendingMinor += amount;
      credit.creditsPendingMinor += amount;
    }
  }
  const timeoutAtMs =
    request.type === "pending" && request.timeoutMs !== null ? nowMs + request.timeoutMs : null;
  if (request.type === "pending") {
    work.holds.set(request.id, {
      id: request.id,
      debitAccountId: request.debitAccountId,
      creditAccountId: request.creditAccountId,
      asset: request.asset,
      amountMinor: amount,
      postedMinor: 0n,
      remainingMinor: amount,
      status: "pending",
      expiresAtMs: timeoutAtMs,
    });
  }
  return ok({
    id: request.id,
    type: request.type,
    debitAccountId: request.debitAccountId,
    creditAccountId: request.creditAccountId,
    asset: request.asset,
    amountMinor: amount,
    pendingId: null,
    pendingReleasedMinor: null,
    timeoutAtMs,
    final: false,
    code: request.code,
    metadata: request.metadata ?? null,
  });
}

/** The hold a resolution names, if it is still pending. */
function pendingHold(work: Working, request: Resolution, index: number): Result<HoldState> {
  const held = work.hold(request.pendingId);
  const field = `transfers/${index}/pendingId`;
  if (!held) return fail("PENDING_TRANSFER_NOT_FOUND", `No pending transfer ${request.pendingId}`, field);
  if (held.status !== "pending") {
    return fail("PENDING_TRANSFER_ALREADY_RESOLVED", `Pending transfer ${held.id} is ${held.status}`, field);
  }
  return ok(held);
}

/** Posts (part of) a hold or voids what remains of it. */
function planResolution(
  work: Working,
  request: Resolution,
  index: number,
  nowMs: number,
): Result<PlannedTransfer> {
  const found = pendingHold(work, request, index);
  if (!found.ok) return found;
  const held = found.value;
  // Without account states (the database checks them), track the hold's own effect only.
  const scratch = (id: string): AccountState => ({
    id,
    asset: held.asset,
    debitsMustNotExceedCredits: false,
    closed: false,
    debitsPendingMinor: held.remainingMinor,
    debitsPostedMinor: 0n,
    creditsPendingMinor: held.remainingMinor,
    creditsPostedMinor: 0n,
  });
  const debit = work.checksAccounts ? work.account(held.debitAccountId) : scratch(held.debitAccountId);
  const credit = work.checksAccounts ? work.account(held.creditAccountId) : scratch(held.creditAccountId);
  invariant(debit && credit, "a hold's accounts must exist");
  let amount: bigint;
  let released: bigint;
  let final = true;
  if (request.type === "post_pending") {
    if (held.expiresAtMs !== null && held.expiresAtMs <= nowMs) {
      return fail(
        "PENDING_TRANSFER_EXPIRED",
        `Pending transfer ${held.id} expired`,
        `transfers/${index}/pendingId`,
      );
    }
    amount = request.amountMinor ?? held.remainingMinor;
    if (amount > held.remainingMinor) {
      return fail(
        "AMOUNT_EXCEEDS_PENDING",
        `At most ${held.remainingMinor} minor units remain held`,
        `transfers/${index}/amount`,
      );
    }
    final = request.final ?? true;
    released = final ? held.remainingMinor : amount;
    debit.debitsPostedMinor += amount;
    credit.creditsPostedMinor += amount;
    held.postedMinor += amount;
  } else {
    released = held.remainingMinor;
    amount = released;
  }
  debit.debitsPendingMinor -= released;
  credit.creditsPendingMinor -= released;
  held.remainingMinor -= released;
  if (request.type === "void_pending") held.status = request.code === "hold_expired" ? "expired" : "voided";
  else if (held.remainingMinor === 0n) held.status = "posted";
  return ok({
    id: request.id,
    type: request.type,
    debitAccountId: held.debitAccountId,
    creditAccountId: held.creditAccountId,
    asset: held.asset,
    amountMinor: amount,
    pendingId: held.id,
    pendingReleasedMinor: released,
    timeoutAtMs: null,
    final,
    code: request.code,
    metadata: request.metadata ?? null,
  });
}

/**
 * Checks and applies a linked group of transfer requests, in order, to copies of `accounts`
 * and `holds`. Either every request is valid (given the effects of the ones before it) and the
 * planned rows plus the resulting states are returned, or the first failure is.
 * With `accounts` null, account checks (existence, asset, closed, funds) are left to the
 * database, which enforces them atomically; shapes and holds are still checked.
 * Inputs are not mutated.
 */
export function planTransfers(
  requests: readonly TransferRequest[],
  accounts: ReadonlyMap<string, AccountState> | null,
  holds: ReadonlyMap<string, HoldState>,
  nowMs: number,
): Result<{
  planned: PlannedTransfer[];
  accounts: Map<string, AccountState>;
  holds: Map<string, HoldState>;
}> {
  if (requests.length === 0) return fail("VALIDATION_FAILED", "At least one transfer", "transfers");
  if (requests.length > linkedTransfersMax) {
    return fail("VALIDATION_FAILED", `At most ${linkedTransfersMax} linked transfers`, "transfers");
  }
  const seen = new Set<string>();
  const work = new Working(accounts, holds);
  const planned: PlannedTransfer[] = [];
  for (const [index, request] of requests.entries()) {
    const shape = checkShape(request, index);
    if (!shape.ok) return shape;
    if (seen.has(request.id)) {
      return fail(
        "VALIDATION_FAILED",
        "Transfer ids must be unique within a request",
        `transfers/${index}/id`,
      );
    }
    seen.add(request.id);
    const step =
      request.type === "posted" || request.type === "pending"
        ? planNew(work, request, index, nowMs)
        : planResolution(work, request, index, nowMs);
    if (!step.ok) return step;
    planned.push(step.value);
  }
  for (const state of work.accounts.values()) {
    invariant(
      state.debitsPendingMinor >= 0n && state.creditsPendingMinor >= 0n,
      "pending totals must not go negative",
    );
    invariant(
      !state.debitsMustNotExceedCredits || balanceOf(state).availableMinor >= 0n,
      "an account that may not be overdrawn was overdrawn",
    );
  }
  return ok({ planned, accounts: work.accounts, holds: work.holds });
}

/**
 * The canonical content of a request, for idempotency: re-sending the same id with the same
 * content is a replay; the same id with other content is a conflict.
 */
export function transferFingerprintText(request: TransferRequest): string {
  const entries = Object.entries(request)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => [key, typeof value === "bigint" ? value.toString() : value] as const)
    .sort(([left], [right]) => (left < right ? -1 : 1));
  return JSON.stringify(entries);
}
