/**
 * When a failed webhook delivery is tried again: exponential backoff over hours. Pure.
 *
 * Attempt 1 is immediate; after a failed attempt n (1-based) the next waits
 * `retryDelaysSeconds[n - 1]`: 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h — nine attempts
 * over 15 h 42 min 30 s. After the ninth the delivery is failed and dead-lettered.
 */

export const retryDelaysSeconds = [30, 120, 600, 1800, 3600, 7200, 14_400, 28_800] as const;

/** Attempts per delivery (until a replay starts it again). */
export const deliveryAttemptsMax = retryDelaysSeconds.length + 1;

/** The wait after failed attempt `attempt` (1-based), or null when it was the last. */
export function retryDelaySeconds(attempt: number): number | null {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be ≥ 1, got ${attempt}`);
  return retryDelaysSeconds[attempt - 1] ?? null;
}
