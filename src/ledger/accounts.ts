/**
 * Accounts, their history, the supply report and the audit. Reads only, apart from
 * `createAccount`: balances change only through transfers (src/ledger/store.ts).
 */
import type { Client, InStatement, ResultSet, Row } from "@libsql/client";
import { now } from "../kit/clock";
import { afterCursor, pageOf, type TimeCursor } from "../kit/db/cursor";
import { decodeRow } from "../kit/db/rows";
import type { AccountKind } from "../kit/db/schema";
import * as tables from "../kit/db/schema";
import { newId } from "../kit/ids";
import { fail, ok, type Result } from "../kit/result";
import { type AssetCode, assetCodes } from "./core/money";
import { balanceOf } from "./core/transfers";
import { type TransferRecord, transferFromRow } from "./store";

export type Account = {
  id: string;
  ownerId: string | null;
  asset: AssetCode;
  kind: AccountKind;
  name: string | null;
  closed: boolean;
  postedMinor: bigint;
  availableMinor: bigint;
  pendingDebitsMinor: bigint;
  pendingCreditsMinor: bigint;
  createdAtMs: number;
};

/** Most transfers on one page of an account's history. */
export const transfersPageSizeMax = 200;

function accountFromRow(row: Row): Account {
  const {
    flags,
    debitsPendingMinor,
    debitsPostedMinor,
    creditsPendingMinor,
    creditsPostedMinor,
    ...account
  } = decodeRow(tables.accounts, row);
  return {
    ...account,
    asset: account.asset as AssetCode,
    closed: (flags & tables.accountFlags.closed) !== 0,
    ...balanceOf({ debitsPendingMinor, debitsPostedMinor, creditsPendingMinor, creditsPostedMinor }),
  };
}

/** What an account is created with (its id: a new one unless given). */
export type NewAccount = {
  ownerId: string | null;
  asset: AssetCode;
  kind: AccountKind;
  name?: string | null;
  id?: string;
};

/** The insert that creates an account, to send in a batch with other writes, and the account's id. */
export function createAccountStatement(
  input: NewAccount,
  nowMs: number,
): { id: string; statement: InStatement } {
  const id = input.id ?? newId("acc");
  const flags = input.kind === "issuance" ? 0 : tables.accountFlags.debitsMustNotExceedCredits;
  return {
    id,
    statement: {
      sql: "INSERT INTO accounts (id, owner_id, asset, kind, name, flags, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      args: [id, input.ownerId, input.asset, input.kind, input.name ?? null, flags, nowMs],
    },
  };
}

/** Creates an account. Every kind but `issuance` may never be overdrawn. */
export async function createAccount(client: Client, input: NewAccount, nowMs = now()): Promise<Account> {
  const { id, statement } = createAccountStatement(input, nowMs);
  await client.execute(statement);
  const account = await getAccount(client, id);
  if (!account) throw new Error("account vanished after insert");
  return account;
}

export async function getAccount(client: Client, id: string): Promise<Account | null> {
  return accountFrom(await client.execute(accountStatement(id)));
}

/** The read of one account, to send in a batch with other reads. */
export function accountStatement(id: string): InStatement {
  return { sql: "SELECT * FROM accounts WHERE id = ?", args: [id] };
}

/** The account `accountStatement` read, or null. */
export function accountFrom(result: ResultSet | undefined): Account | null {
  const row = result?.rows[0];
  return row ? accountFromRow(row) : null;
}

/** The account of `ownerId` for `asset` and `kind`, if any (the first created). */
export async function findOwnerAccount(
  client: Client,
  ownerId: string,
  asset: AssetCode,
  kind?: AccountKind,
): Promise<Account | null> {
  return accountFrom(await client.execute(ownerAccountStatement(ownerId, asset, kind)));
}

/** `findOwnerAccount` as a statement to batch with other reads (its answer read by `accountFrom`). */
export function ownerAccountStatement(ownerId: string, asset: AssetCode, kind?: AccountKind): InStatement {
  return {
    sql: `SELECT * FROM accounts WHERE owner_id = ? AND asset = ? ${kind ? "AND kind = ?" : ""} ORDER BY created_at, id LIMIT 1`,
    args: kind ? [ownerId, asset, kind] : [ownerId, asset],
  };
}

export async function listOwnerAccounts(client: Client, ownerId: string): Promise<Account[]> {
  const result = await client.execute({
    sql: "SELECT * FROM accounts WHERE owner_id = ? ORDER BY created_at, id LIMIT 100",
    args: [ownerId],
  });
  return result.rows.map(accountFromRow);
}

/** Most accounts on one page of an owner's accounts. */
export const ownerAccountsPageSizeMax = 200;

export type AccountsPage = { accounts: Account[]; nextCursor: TimeCursor | null };

/**
 * One page of `ownerId`'s accounts, oldest first (by creation time, then id), after `cursor`: a
 * statement to batch with other reads, and the reading of its answer.
 */
export function ownerAccountsQuery(
  ownerId: string,
  options: { limit: number; cursor: TimeCursor | null },
): { statement: InStatement; read: (result: ResultSet) => AccountsPage } {
  const limit = Math.min(Math.max(1, options.limit), ownerAccountsPageSizeMax);
  const after = afterCursor("created_at", "id", options.cursor, "asc");
  const statement = {
    sql: `SELECT * FROM accounts WHERE owner_id = ? AND ${after.sql} ORDER BY created_at, id LIMIT ?`,
    args: [ownerId, ...after.args, limit + 1],
  };
  const read = (result: ResultSet): AccountsPage => {
    const page = pageOf(result.rows.map(accountFromRow), limit, (account) => ({
      atMs: account.createdAtMs,
      id: account.id,
    }));
    return { accounts: page.items, nextCursor: page.nextCursor };
  };
  return { statement, read };
}

/**
 * One page of an account's transfers, newest first. `cursor` is the `seq` of the last
 * transfer of the previous page; the next cursor is null on the last page.
 */
export async function listAccountTransfers(
  client: Client,
  accountId: string,
  options: { limit: number; cursor: bigint | null },
): Promise<TransfersPage> {
  const query = accountTransfersQuery(accountId, options);
  return query.read(await client.execute(query.statement));
}

export type TransfersPage = { transfers: TransferRecord[]; nextCursor: bigint | null };

/** `listAccountTransfers` as a statement to batch with other reads, and the reading of its answer. */
export function accountTransfersQuery(
  accountId: string,
  options: { limit: number; cursor: bigint | null },
): { statement: InStatement; read: (result: ResultSet) => TransfersPage } {
  const limit = Math.min(Math.max(1, options.limit), transfersPageSizeMax);
  const cursor = options.cursor ?? 2n ** 63n - 1n;
  const statement = {
    sql: `SELECT * FROM (
            SELECT * FROM transfers WHERE debit_account_id = ? AND seq < ?
            UNION ALL
            SELECT * FROM transfers WHERE credit_account_id = ? AND seq < ?
          ) ORDER BY seq DESC LIMIT ?`,
    args: [accountId, cursor, accountId, cursor, limit + 1],
  };
  const read = (result: ResultSet): TransfersPage => {
    const transfers = result.rows.slice(0, limit).map(transferFromRow);
    const nextCursor = result.rows.length > limit ? (transfers.at(-1)?.seq ?? null) : null;
    return { transfers, nextCursor };
  };
  return { statement, read };
}

export type AssetSupply = {
  asset: AssetCode;
  /** Everything ever minted: minus the issuance accounts' balance. */
  issuedMinor: bigint;
  /** Everything ever burned: the burn accounts' balance. */
  burnedMinor: bigint;
  /** issued − burned: held in user, system and pool accounts. */
  circulatingMinor: bigint;
  /** Held in vault accounts (for TFT: locked against TFP). */
  lockedMinor: bigint;
  /** Held by pending transfers. */
  pendingMinor: bigint;
};

/** Per-asset supply figures, straight from the account totals. */
export async function supply(client: Client): Promise<AssetSupply[]> {
  const result = await client.execute(
    "SELECT asset, kind, SUM(credits_posted - debits_posted) AS balance, SUM(debits_pending) AS pending FROM accounts GROUP BY asset, kind",
  );
  const byAsset = new Map<string, Map<string, { balance: bigint; pending: bigint }>>();
  for (const row of result.rows) {
    const kinds = byAsset.get(String(row.asset)) ?? new Map();
    kinds.set(String(row.kind), {
      balance: BigInt(row.balance as bigint),
      pending: BigInt(row.pending as bigint),
    });
    byAsset.set(String(row.asset), kinds);
  }
  return assetCodes.map((asset) => {
    const kinds = byAsset.get(asset) ?? new Map<string, { balance: bigint; pending: bigint }>();
    const of = (kind: string) => kinds.get(kind)?.balance ?? 0n;
    const issuedMinor = -of("issuance");
    const burnedMinor = of("burn");
    let pendingMinor = 0n;
    for (const value of kinds.values()) pendingMinor += value.pending;
    return {
      asset,
      issuedMinor,
      burnedMinor,
      circulatingMinor: issuedMinor - burnedMinor,
      lockedMinor: of("vault"),
      pendingMinor,
    };
  });
}

export type AuditReport = {
  balanced: boolean;
  accountsChecked: number;
  transfersChecked: number;
  /** Per asset, the sum of every account's posted balance (must be 0) and of pending debits vs credits. */
  assets: {
    asset: string;
    postedSumMinor: bigint;
    pendingDebitsMinor: bigint;
    pendingCreditsMinor: bigint;
  }[];
  /** Accounts whose stored totals differ from those recomputed from the transfers. */
  mismatches: { accountId: string; field: string; storedMinor: bigint; recomputedMinor: bigint }[];
  /** Holds whose remaining amount differs from their transfers. */
  holdMismatches: { holdId: string; storedMinor: bigint; recomputedMinor: bigint }[];
};

/** Most mismatches listed in one audit report. */
export const auditMismatchesMax = 100;

/**
 * Recomputes every account's four totals and every hold's remaining amount from the immutable
 * transfers and compares them with the stored values; checks that each asset's posted balances
 * sum to zero and its pending debits equal its pending credits. A full scan: an admin operation.
 * The ledger's own half: `GET /v1/ledger/audit` adds the market's checks against it
 * (src/market/flows/audit.ts), which need the bid books.
 */
export async function audit(client: Client): Promise<AuditReport> {
  return auditFrom(await client.batch([...auditStatements], "read"));
}

/** The reads of `audit`, to send in a batch with other reads (one round trip). */
export const auditStatements: readonly InStatement[] = [
  `WITH moves AS (
         SELECT debit_account_id AS account_id,
           SUM(CASE WHEN type IN ('posted', 'post_pending') THEN amount ELSE 0 END) AS debits_posted,
           SUM(CASE WHEN type = 'pending' THEN amount WHEN type IN ('post_pending', 'void_pending') THEN -pending_released ELSE 0 END) AS debits_pending,
           0 AS credits_posted, 0 AS credits_pending
         FROM transfers GROUP BY debit_account_id
         UNION ALL
         SELECT credit_account_id,
           0, 0,
           SUM(CASE WHEN type IN ('posted', 'post_pending') THEN amount ELSE 0 END),
           SUM(CASE WHEN type = 'pending' THEN amount WHEN type IN ('post_pending', 'void_pending') THEN -pending_released ELSE 0 END)
         FROM transfers GROUP BY credit_account_id
       ), totals AS (
         SELECT account_id, SUM(debits_posted) AS dp, SUM(debits_pending) AS dpe, SUM(credits_posted) AS cp, SUM(credits_pending) AS cpe
         FROM moves GROUP BY account_id
       )
       SELECT a.id, a.debits_posted, a.debits_pending, a.credits_posted, a.credits_pending,
         COALESCE(t.dp, 0) AS r_debits_posted, COALESCE(t.dpe, 0) AS r_debits_pending,
         COALESCE(t.cp, 0) AS r_credits_posted, COALESCE(t.cpe, 0) AS r_credits_pending
       FROM accounts a LEFT JOIN totals t ON t.account_id = a.id
       WHERE a.debits_posted <> COALESCE(t.dp, 0) OR a.debits_pending <> COALESCE(t.dpe, 0)
          OR a.credits_posted <> COALESCE(t.cp, 0) OR a.credits_pending <> COALESCE(t.cpe, 0)
       LIMIT ${auditMismatchesMax}`,
  "SELECT asset, SUM(credits_posted - debits_posted) AS posted_sum, SUM(debits_pending) AS pending_debits, SUM(credits_pending) AS pending_credits FROM accounts GROUP BY asset ORDER BY asset",
  `SELECT h.id, h.remaining, h.amount - COALESCE(SUM(t.pending_released), 0) AS recomputed
       FROM holds h LEFT JOIN transfers t ON t.pending_id = h.id
       GROUP BY h.id HAVING h.remaining <> recomputed LIMIT ${auditMismatchesMax}`,
  "SELECT (SELECT count(*) FROM accounts) AS accounts, (SELECT count(*) FROM transfers) AS transfers",
];

/** The report `auditStatements` read (their answers, in order). */
export function auditFrom(results: readonly ResultSet[]): AuditReport {
  const [recomputed, assetSums, holdCheck, counts] = results;
  const mismatches: AuditReport["mismatches"] = [];
  for (const row of recomputed!.rows) {
    for (const field of ["debits_posted", "debits_pending", "credits_posted", "credits_pending"]) {
      const stored = BigInt(row[field] as bigint);
      const again = BigInt(row[`r_${field}`] as bigint);
      if (stored !== again)
        mismatches.push({ accountId: String(row.id), field, storedMinor: stored, recomputedMinor: again });
    }
  }
  const assets = assetSums!.rows.map((row) => ({
    asset: String(row.asset),
    postedSumMinor: BigInt(row.posted_sum as bigint),
    pendingDebitsMinor: BigInt(row.pending_debits as bigint),
    pendingCreditsMinor: BigInt(row.pending_credits as bigint),
  }));
  const holdMismatches = holdCheck!.rows.map((row) => ({
    holdId: String(row.id),
    storedMinor: BigInt(row.remaining as bigint),
    recomputedMinor: BigInt(row.recomputed as bigint),
  }));
  const countRow = counts!.rows[0]!;
  return {
    balanced:
      mismatches.length === 0 &&
      holdMismatches.length === 0 &&
      assets.every(
        (asset) => asset.postedSumMinor === 0n && asset.pendingDebitsMinor === asset.pendingCreditsMinor,
      ),
    accountsChecked: Number(countRow.accounts),
    transfersChecked: Number(countRow.transfers),
    assets,
    mismatches,
    holdMismatches,
  };
}

/** Confirms an account exists and returns it, or ACCOUNT_NOT_FOUND. */
export async function requireAccount(
  client: Client,
  id: string,
  field = "accountId",
): Promise<Result<Account>> {
  const account = await getAccount(client, id);
  return account ? ok(account) : fail("ACCOUNT_NOT_FOUND", `No account ${id}`, field);
}
