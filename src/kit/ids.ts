/** Random prefixed identifiers (`acc_…`, `key_…`): 22 base62 characters ≈ 131 bits. */
import { createHash } from "node:crypto";
import { z } from "zod";

const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** Returns `length` random base62 characters from the platform CSPRNG. */
export function randomBase62(length: number): string {
  const bytes = new Uint8Array(length * 2);
  crypto.getRandomValues(bytes);
  let out = "";
  for (let index = 0; out.length < length && index < bytes.length; index++) {
    const byte = bytes[index]!;
    if (byte < 248) out += alphabet[byte % 62];
  }
  return out.length === length ? out : out + randomBase62(length - out.length);
}

/** A new identifier with a type prefix, e.g. `newId("acc")` → `acc_3XkP…`. */
export function newId(prefix: string): string {
  return `${prefix}_${randomBase62(22)}`;
}

/** Hex SHA-256 of a UTF-8 string (Web Crypto: Workers and Node). */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * Hex SHA-256, synchronously (node:crypto, available in Workers with `nodejs_compat`): for hot
 * paths such as transfer fingerprints, where an await per digest costs more than the digest.
 */
export function sha256HexSync(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

// ---------------------------------------------------------------- id shapes, once

/** What each kind of id looks like: a prefix and up to 60 (100 for leases and bids) characters. */
export const idPatterns = {
  account: /^acc_[A-Za-z0-9_]{1,60}$/,
  node: /^node_[A-Za-z0-9_]{1,60}$/,
  lease: /^lse_[A-Za-z0-9_]{1,100}$/,
  bid: /^bid_[A-Za-z0-9_]{1,100}$/,
} as const;

/** What a malformed id of each kind is told. */
export const idMessages = {
  account: "must be an account id (acc_…)",
  node: "must be a node id (node_…)",
  lease: "must be a lease id (lse_…)",
  bid: "must be a bid id (bid_…)",
} as const;

// Durable Object contracts parse with these; routes use their OpenAPI twins in kit/http/schemas.ts
// (built from the same patterns and messages), which document themselves in the API document.
/** An account id (`acc_…`). */
export const accountIdSchema = z.string().regex(idPatterns.account, idMessages.account);
/** A node id (`node_…`). */
export const nodeIdSchema = z.string().regex(idPatterns.node, idMessages.node);
/** A lease id (`lse_…`). */
export const leaseIdSchema = z.string().regex(idPatterns.lease, idMessages.lease);
/** A bid id (`bid_…`). */
export const bidIdSchema = z.string().regex(idPatterns.bid, idMessages.bid);

// ---------------------------------------------------------------- derived ids, once
// Ids computed from another id are how retries find what the first attempt wrote: the same input
// always names the same ledger transfer, so the ledger applies it once.

/** The hold that funds an open bid. */
export function bidHoldId(bidId: string): string {
  return `hold_${bidId}`;
}

/** The hold a lease's funding placed: `0` at reservation, then one per top-up (`t<periods>`). */
export function leaseHoldId(leaseId: string, fundedThrough: number | "reservation"): string {
  return fundedThrough === "reservation" ? `hold_${leaseId}_0` : `hold_${leaseId}_t${fundedThrough}`;
}

/** The transfer that voids (releases) a hold. */
export function voidId(holdId: string): string {
  return `void_${holdId}`;
}

/** The settlement of one hourly period of a lease (`k` counts from 0). */
export function settlementId(leaseId: string, periodIndex: number): string {
  return `stl_${leaseId}_${periodIndex}`;
}

/** One leg of the ledger effect of a Stripe event. */
export function stripeTransferId(
  eventId: string,
  leg: "usd" | "cc" | "reverse_usd" | "burn" | "remint",
): string {
  return `stripe_${eventId}_${leg}`;
}
