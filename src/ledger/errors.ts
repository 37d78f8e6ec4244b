/**
 * Maps database errors raised by the ledger's constraints and triggers to domain failures.
 * Anything unrecognised becomes INTERNAL and is rethrown by the caller.
 */
import type { ErrorCode } from "../kit/errors";
import { errorCodes } from "../kit/errors";
import { type Failure, fail } from "../kit/result";

const triggerPrefix = "LEDGER:";

/** Reads the stable code out of a libSQL error raised by the ledger's schema. */
export function ledgerFailure(error: unknown): Failure {
  const message = error instanceof Error ? error.message : String(error);
  const index =
    typeof error === "object" && error !== null && "statementIndex" in error
      ? Number((error as { statementIndex: unknown }).statementIndex)
      : undefined;
  const field = index === undefined || Number.isNaN(index) ? undefined : `transfers/${index}`;
  const triggerAt = message.indexOf(triggerPrefix);
  if (triggerAt >= 0) {
    const code = message.slice(triggerAt + triggerPrefix.length).match(/^[A-Z_]+/)?.[0] ?? "";
    const known = (errorCodes as readonly string[]).includes(code) ? (code as ErrorCode) : "CONFLICT";
    return fail(known, `The ledger refused the transfer (${code})`, field);
  }
  if (message.includes("accounts_no_overdraft")) {
    return fail("INSUFFICIENT_FUNDS", "Insufficient available funds", field);
  }
  if (message.includes("UNIQUE constraint failed")) {
    const target = message.match(/UNIQUE constraint failed: ([\w.]+)/)?.[1] ?? "unknown";
    return fail("CONFLICT", `Duplicate value for ${target}`, field);
  }
  return fail("INTERNAL", "Unexpected database error");
}
