/** What the ledger says about one hold, and whether it can still be drawn (pure). */

/** One hold as the ledger reports it. */
export type HoldInfo = {
  id: string;
  remainingMinor: bigint;
  status: "pending" | "posted" | "voided" | "expired";
  expiresAtMs: number | null;
};

/** Whether a hold can still be drawn at `nowMs`: pending, not past its timeout, something left. */
export function isUsable(hold: HoldInfo, nowMs: number): boolean {
  return (
    hold.status === "pending" &&
    hold.remainingMinor > 0n &&
    (hold.expiresAtMs === null || hold.expiresAtMs > nowMs)
  );
}
