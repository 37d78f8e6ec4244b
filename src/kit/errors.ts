/**
 * The closed set of error codes of the whole service. The HTTP layer maps each one to a
 * status (src/kit/http/errors.ts, exhaustive by type); the domain returns them in `Failure`s.
 */
export const errorCodes = [
  // request shape and identity
  "VALIDATION_FAILED",
  "MALFORMED_REQUEST",
  "BODY_TOO_LARGE",
  "UNSUPPORTED_MEDIA_TYPE",
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "NOT_FOUND",
  "METHOD_NOT_ALLOWED",
  "IDEMPOTENCY_CONFLICT",
  "CONFLICT",
  "RATE_LIMITED",
  // ledger
  "INSUFFICIENT_FUNDS",
  "ASSET_MISMATCH",
  "ACCOUNT_CLOSED",
  "ACCOUNT_NOT_FOUND",
  "PENDING_TRANSFER_NOT_FOUND",
  "PENDING_TRANSFER_ALREADY_RESOLVED",
  "PENDING_TRANSFER_EXPIRED",
  "AMOUNT_EXCEEDS_PENDING",
  // prices and conversions
  "ORACLE_HALTED",
  "QUOTE_EXPIRED",
  "CONVERSION_DISABLED",
  "UNLOCK_THRESHOLD_NOT_MET",
  "ORIGIN_NOT_CONVERTIBLE",
  // webhooks
  "SIGNATURE_INVALID",
  "TIMESTAMP_OUT_OF_TOLERANCE",
  "WEBHOOK_NOT_CONFIGURED",
  // card payments: Stripe refused a request of ours (502) or could not be reached (503)
  "PAYMENT_PROVIDER_REFUSED",
  "PAYMENT_PROVIDER_UNAVAILABLE",
  // marketplace
  "PRICE_OUTSIDE_BAND",
  "SLICES_UNAVAILABLE",
  "NODE_UNAVAILABLE",
  "BID_BELOW_MINIMUM",
  "REQUIREMENTS_NOT_MET",
  "LIMIT_REACHED",
  // auctions
  "AUCTION_CLOSED",
  "CANCELLATION_DEADLINE_PASSED",
  // availability: the database cannot be reached now (transport failure); retry later
  "DATABASE_UNAVAILABLE",
  // catch-all
  "INTERNAL",
] as const;

export type ErrorCode = (typeof errorCodes)[number];

/** Thrown when a broken invariant is found: never caught to continue. */
export class InvariantError extends Error {
  override name = "InvariantError";
}

/**
 * Asserts an invariant; a failure is a bug, not an expected outcome. A message that costs
 * something to build (it names a record) may be passed as a function, built only on failure.
 */
export function invariant(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) throw new InvariantError(typeof message === "string" ? message : message());
}
