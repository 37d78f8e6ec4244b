/**
 * Every POST that moves value (leases, bids, conversions, withdrawals, …) requires an
 * `Idempotency-Key`: the API answers a retry with the same key and body with the first answer
 * (`Idempotent-Replayed: true`) and never moves value twice. Choose the key once per intended
 * operation and send the same key on every retry of it.
 */

/** The characters and length the API accepts for a key. */
export const idempotencyKeyPattern = /^[A-Za-z0-9_.:-]{8,100}$/;

/** `key` if given (checked against the API's rule), else a fresh random UUID. */
export function idempotencyKey(key?: string): string {
  if (key === undefined) return crypto.randomUUID();
  if (!idempotencyKeyPattern.test(key)) {
    throw new RangeError("An Idempotency-Key is 8–100 characters of A–Z a–z 0–9 _ . : -");
  }
  return key;
}

/**
 * The header parameter of a value-moving POST:
 * `client.POST("/v1/leases", { params: { header: idempotent(key) }, body })`.
 */
export function idempotent(key?: string): { "idempotency-key": string } {
  return { "idempotency-key": idempotencyKey(key) };
}

/** Whether the API answered from a stored first response (a retry of the same key and body). */
export function wasReplayed(response: Response): boolean {
  return response.headers.get("idempotent-replayed") === "true";
}
