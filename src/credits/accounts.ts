/**
 * Which accounts Cloud Credit flows may touch, and the origin rule they share with the
 * marketplace (ECONOMICS §7.1, §20 Q15): CC in an account of kind `farmer` was earned as revenue
 * (the marketplace pays farmers' 80 % there); CC in an account of kind `user` was purchased (card,
 * Pool 1). Minting for a purchase therefore always credits a `user` account.
 */
import type { Client, Row } from "@libsql/client";
import type { Principal } from "../kit/auth";
import { decodeColumns } from "../kit/db/rows";
import type { AccountKind } from "../kit/db/schema";
import * as tables from "../kit/db/schema";
import type { ErrorCode } from "../kit/errors";
import { fail, ok, type Result } from "../kit/result";
import { type Account, getAccount } from "../ledger/accounts";
import type { AssetCode } from "../ledger/core/money";

/** Account kinds that belong to a holder (not the system's issuance, burn, vault … accounts). */
export const holderKinds = ["user", "farmer", "lp"] as const satisfies readonly AccountKind[];

export type AccountRule = {
  readonly asset: AssetCode;
  readonly kinds: readonly AccountKind[];
  /** The request field naming the account, for the problem's `errors[]`. */
  readonly field: string;
  /** Why other kinds are refused, in one sentence. */
  readonly kindDetail: string;
  /** The code for a kind refusal (default VALIDATION_FAILED). */
  readonly kindCode?: ErrorCode;
};

/** What the rules below need to know about an account. */
export type AccountFacts = Pick<Account, "id" | "ownerId" | "asset" | "kind" | "closed">;

/** Reads those facts from an `accounts` row (any query selecting id, owner_id, asset, kind, flags). */
export function accountFactsFromRow(row: Row): AccountFacts {
  const { flags, ...account } = decodeColumns(tables.accounts, row, [
    "id",
    "ownerId",
    "asset",
    "kind",
    "flags",
  ]);
  return {
    ...account,
    asset: account.asset as AssetCode,
    closed: (flags & tables.accountFlags.closed) !== 0,
  };
}

/**
 * Checks that the account `accountId` (`account`, null when missing) exists (ACCOUNT_NOT_FOUND),
 * belongs to the principal unless they are an admin (FORBIDDEN), holds `rule.asset`
 * (ASSET_MISMATCH), is open (ACCOUNT_CLOSED) and is of one of `rule.kinds`.
 */
export function checkHolderAccount<A extends AccountFacts>(
  account: A | null,
  principal: Pick<Principal, "role" | "ownerId">,
  accountId: string,
  rule: AccountRule,
): Result<A> {
  if (!account) return fail("ACCOUNT_NOT_FOUND", `No account ${accountId}`, rule.field);
  if (principal.role !== "admin" && account.ownerId !== principal.ownerId) {
    return fail("FORBIDDEN", "This account belongs to another owner", rule.field);
  }
  if (account.asset !== rule.asset) {
    return fail(
      "ASSET_MISMATCH",
      `Account ${accountId} holds ${account.asset}, not ${rule.asset}`,
      rule.field,
    );
  }
  if (account.closed) return fail("ACCOUNT_CLOSED", `Account ${accountId} is closed`, rule.field);
  if (!rule.kinds.includes(account.kind)) {
    return fail(rule.kindCode ?? "VALIDATION_FAILED", rule.kindDetail, rule.field);
  }
  return ok(account);
}

/** Loads the account `accountId` and checks it with `checkHolderAccount`. */
export async function requireHolderAccount(
  client: Client,
  principal: Pick<Principal, "role" | "ownerId">,
  accountId: string,
  rule: AccountRule,
): Promise<Result<Account>> {
  return checkHolderAccount(await getAccount(client, accountId), principal, accountId, rule);
}

/** The system account of `asset` for minting (`issuance`) or burning (`burn`). */
export function systemAccount(kind: "issuance" | "burn", asset: AssetCode): string {
  return `acc_${kind}_${asset.toLowerCase()}`;
}
