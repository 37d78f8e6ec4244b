/** Random prefixed identifiers (`acc_…`, `key_…`): 22 base62 characters ≈ 131 bits. */
import { createHash } from "node:crypto";

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
