/**
 * One error taxonomy for the API: `ApiError` carries a code from src/kit/errors.ts, the map
 * below gives each code its HTTP status (exhaustive by type), and `problemResponse` renders
 * RFC 9457 problem details. Unknown errors become a generic 500 that leaks nothing.
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ErrorCode } from "../errors";
import type { Failure } from "../result";

export const statusOf: Record<ErrorCode, ContentfulStatusCode> = {
  VALIDATION_FAILED: 422,
  MALFORMED_REQUEST: 400,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  IDEMPOTENCY_CONFLICT: 409,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  INSUFFICIENT_FUNDS: 422,
  ASSET_MISMATCH: 422,
  ACCOUNT_CLOSED: 422,
  ACCOUNT_NOT_FOUND: 404,
  PENDING_TRANSFER_NOT_FOUND: 404,
  PENDING_TRANSFER_ALREADY_RESOLVED: 409,
  PENDING_TRANSFER_EXPIRED: 409,
  AMOUNT_EXCEEDS_PENDING: 422,
  ORACLE_HALTED: 503,
  QUOTE_EXPIRED: 409,
  CONVERSION_DISABLED: 403,
  UNLOCK_THRESHOLD_NOT_MET: 409,
  ORIGIN_NOT_CONVERTIBLE: 422,
  SIGNATURE_INVALID: 400,
  TIMESTAMP_OUT_OF_TOLERANCE: 400,
  PRICE_OUTSIDE_BAND: 422,
  SLICES_UNAVAILABLE: 409,
  NODE_UNAVAILABLE: 409,
  BID_BELOW_MINIMUM: 422,
  REQUIREMENTS_NOT_MET: 422,
  LIMIT_REACHED: 429,
  AUCTION_CLOSED: 409,
  CANCELLATION_DEADLINE_PASSED: 409,
  DATABASE_UNAVAILABLE: 503,
  WEBHOOK_NOT_CONFIGURED: 503,
  PAYMENT_PROVIDER_REFUSED: 502,
  PAYMENT_PROVIDER_UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** Retry-After sent with a code whose cause usually passes within seconds. */
const retryAfterSecondsOf: Partial<Record<ErrorCode, number>> = { PAYMENT_PROVIDER_UNAVAILABLE: 5 };

const titles: Partial<Record<ErrorCode, string>> = {
  VALIDATION_FAILED: "The request is not valid",
  UNAUTHENTICATED: "Authentication required",
  FORBIDDEN: "Not allowed",
  NOT_FOUND: "Not found",
  IDEMPOTENCY_CONFLICT: "Idempotency key reused with different content",
  INSUFFICIENT_FUNDS: "Insufficient funds",
  ORACLE_HALTED: "Price oracle halted",
  DATABASE_UNAVAILABLE: "Service temporarily unavailable",
  WEBHOOK_NOT_CONFIGURED: "Webhook not configured",
  PAYMENT_PROVIDER_REFUSED: "The payment provider refused the request",
  PAYMENT_PROVIDER_UNAVAILABLE: "The payment provider cannot be reached",
  RATE_LIMITED: "Too many requests",
  INTERNAL: "Internal error",
};

/** A problem's `type`: a stable URN naming the reason. */
export function problemType(code: ErrorCode): string {
  return `urn:tfgrid-market:problem:${code.toLowerCase().replaceAll("_", "-")}`;
}

function titleOf(code: ErrorCode): string {
  const known = titles[code];
  if (known) return known;
  const words = code.toLowerCase().replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export type FieldProblem = { field: string; detail: string };

/** An expected failure, rendered as problem details. */
export class ApiError extends Error {
  override name = "ApiError";
  readonly code: ErrorCode;
  readonly detail: string;
  readonly errors: FieldProblem[];
  /** Sent as `Retry-After` (seconds) when set: when a retry may succeed (429, 503). */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ErrorCode,
    detail: string,
    errors: FieldProblem[] = [],
    options: { retryAfterSeconds?: number } = {},
  ) {
    super(detail);
    this.code = code;
    this.detail = detail;
    this.errors = errors;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  get status(): ContentfulStatusCode {
    return statusOf[this.code];
  }

  /** From a domain failure; its `field` becomes the single field problem. */
  static from(failure: Failure): ApiError {
    const retryAfterSeconds = retryAfterSecondsOf[failure.code];
    return new ApiError(
      failure.code,
      failure.detail,
      failure.field === undefined ? [] : [{ field: failure.field, detail: failure.detail }],
      retryAfterSeconds === undefined ? {} : { retryAfterSeconds },
    );
  }
}

/** Unwraps a domain Result or throws its failure as an ApiError. */
export function orThrow<T>(result: { ok: true; value: T } | Failure): T {
  if (!result.ok) throw ApiError.from(result);
  return result.value;
}

/** Renders an ApiError as an RFC 9457 `application/problem+json` response. */
export function problemResponse(c: Context, error: ApiError): Response {
  const requestId = c.get("requestId" as never) as string | undefined;
  const body = {
    type: problemType(error.code),
    title: titleOf(error.code),
    status: error.status,
    detail: error.detail,
    instance: c.req.path,
    code: error.code,
    requestId: requestId ?? null,
    ...(error.errors.length > 0 ? { errors: error.errors } : {}),
  };
  return new Response(JSON.stringify(body), {
    status: error.status,
    headers: {
      "content-type": "application/problem+json",
      ...(requestId ? { "x-request-id": requestId } : {}),
      ...(error.status === 401 ? { "www-authenticate": 'Bearer realm="tfgrid-market"' } : {}),
      ...(error.retryAfterSeconds === undefined ? {} : { "retry-after": String(error.retryAfterSeconds) }),
    },
  });
}
