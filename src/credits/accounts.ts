/**
 * Which accounts Cloud Credit flows may touch, and the origin rule they share with the
 * marketplace (ECONOMICS §7.1, §20 Q15): CC in an account of kind `farmer` was earned as revenue
 * (the marketplace pays farmers' 80 % there); CC in an account of kind `user` was purchased (card,
 * Pool 1). Minting for a purchase therefore always credits a `user` account.
 */
import type { Principal } from "../auth/keys";
import type { AccountKind } from "../db/schema";
import type { ErrorCode } from "../domain/errors";
import type { AssetCode } from "../domain/money";
import { fail, ok, type Result } from "../domain/result";
import { type Account, getAccount } from "../ledger/accounts";

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

/**
 * The account `accountId`, if it exists (ACCOUNT_NOT_FOUND), belongs to the principal unless
 * they are an admin (FORBIDDEN), holds `rule.asset` (ASSET_MISMATCH), is open (ACCOUNT_CLOSED)
 * and is of one of `rule.kinds`.
 */
export async function requireHolderAccount(
  client: Parameters<typeof getAccount>[0],
  principal: Pick<Principal, "role" | "ownerId">,
  accountId: string,
  rule: AccountRule,
): Promise<Result<Account>> {
  const account = await getAccount(client, accountId);
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

/** The system account of `asset` for minting (`issuance`) or burning (`burn`). */
export function systemAccount(kind: "issuance" | "burn", asset: AssetCode): string {
  return `acc_${kind}_${asset.toLowerCase()}`;
}
