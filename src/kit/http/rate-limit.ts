/**
 * Rate limits at the HTTP boundary, with Cloudflare's Rate Limiting bindings (wrangler.toml
 * `[[ratelimits]]`; their limits and periods are configuration):
 * - `RATE_LIMIT_KEY`: requests per API key id, for authenticated requests;
 * - `RATE_LIMIT_ANONYMOUS`: requests without an Authorization header per client address
 *   (`CF-Connecting-IP`), webhooks excepted (they come from the payment and bridge services);
 * - `RATE_LIMIT_FAILURES`: refused credentials per client address: failed authentication and
 *   webhook deliveries whose signature or timestamp is refused.
 * Over a limit, the answer is 429 RATE_LIMITED with Retry-After. Cloudflare's counters are per
 * location and eventually consistent: these limits stop floods and guessing, they are not quotas.
 *
 * A binding that is not configured (a Miniflare set up by hand, as the benchmarks and the
 * simulator do) or that fails limits nothing: the limiter protects the service and must never
 * be the reason it refuses work.
 */
import type { Context } from "hono";
import type { ErrorCode } from "../errors";
import { ApiError } from "./errors";
import type { AppEnv } from "./types";

/** Retry-After on a 429: the longest period a Rate Limiting binding can have, so the window has reset. */
export const rateLimitRetryAfterSeconds = 60;

/** Refusals counted against the caller's address by `RATE_LIMIT_FAILURES`. */
export const countedFailureCodes: readonly ErrorCode[] = [
  "UNAUTHENTICATED",
  "SIGNATURE_INVALID",
  "TIMESTAMP_OUT_OF_TOLERANCE",
];

/** The client's address as Cloudflare's edge saw it; "unknown" outside Cloudflare (local runs). */
export function clientAddress(c: Context<AppEnv>): string {
  return c.req.header("cf-connecting-ip") ?? "unknown";
}

/** Counts one request under `key`; true while under the limit (or when there is no limiter). */
async function withinLimit(limiter: RateLimit | undefined, key: string): Promise<boolean> {
  if (limiter === undefined) return true;
  try {
    return (await limiter.limit({ key })).success;
  } catch (error) {
    console.warn(JSON.stringify({ level: "warn", message: "rate limiter failed", error: String(error) }));
    return true;
  }
}

function rateLimited(detail: string): ApiError {
  return new ApiError("RATE_LIMITED", detail, [], { retryAfterSeconds: rateLimitRetryAfterSeconds });
}

/** Throws 429 when the authenticated key `keyId` is over its limit. */
export async function throttleKey(c: Context<AppEnv>, keyId: string): Promise<void> {
  if (!(await withinLimit(c.env.RATE_LIMIT_KEY, `key:${keyId}`))) {
    throw rateLimited("Too many requests with this API key; slow down and retry later");
  }
}

/** Throws 429 when a request without credentials comes from an address over its limit. */
export async function throttleAnonymous(c: Context<AppEnv>): Promise<void> {
  if (c.req.header("authorization") !== undefined || c.req.path.startsWith("/v1/webhooks/")) return;
  if (!(await withinLimit(c.env.RATE_LIMIT_ANONYMOUS, `anonymous:${clientAddress(c)}`))) {
    throw rateLimited("Too many requests from this address without an API key; retry later");
  }
}

/**
 * Counts a refusal of credentials against the caller's address; returns the 429 to answer
 * instead once the address is over its limit, or the refusal itself.
 */
export async function countFailure(c: Context<AppEnv>, error: ApiError): Promise<ApiError> {
  if (!countedFailureCodes.includes(error.code)) return error;
  if (await withinLimit(c.env.RATE_LIMIT_FAILURES, `failure:${clientAddress(c)}`)) return error;
  return rateLimited("Too many refused credentials from this address; retry later");
}
