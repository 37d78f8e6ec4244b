/**
 * A closed bid's hold released in the write that closes it (NodeBidBook `bidAction`: a rejection
 * or a cancellation), with no read first. A bid's hold is placed whole (`bidHoldMinor`) and never
 * drawn, so the book knows what it holds; the database checks the void's amount against the hold.
 * A hold that is not as the book expects (placed under other settings, released meanwhile) is read
 * and voided again by the ledger (`createTransfers`); a write that fails is left to the money pass.
 */

import { voidId } from "../../kit/ids";
import type { HoldState } from "../../ledger/core/transfers";
import { escrowAccountId, isGone } from "../../ledger/holds";
import { createTransfers } from "../../ledger/store";
import { bidHoldMinor } from "./bid-writer";
import type { BookContext } from "./context";
import { releasedEvent } from "./money-pass";

/** Releases bid `bidId`'s holds now; false when it must be left to the money pass. */
export async function releaseBidHolds(book: BookContext, bidId: string, nowMs: number): Promise<boolean> {
  const { state, db, market } = book;
  const bid = state.requireBook().bids.find((candidate) => candidate.id === bidId);
  const funding = state.funding.get(bidId);
  if (bid === undefined || funding === undefined || funding.holdIds.length === 0) return true;
  const heldMinor = bidHoldMinor(bid.priceCcPerSliceHour, bid.slices, market);
  const expected = new Map<string, HoldState>(
    funding.holdIds.map((id) => [
      id,
      {
        id,
        debitAccountId: funding.payerAccountId,
        creditAccountId: escrowAccountId,
        asset: "CC",
        amountMinor: heldMinor,
        postedMinor: 0n,
        remainingMinor: heldMinor,
        status: "pending",
        expiresAtMs: null,
      },
    ]),
  );
  try {
    const released = await createTransfers(
      db,
      funding.holdIds.map((id) => ({
        type: "void_pending" as const,
        id: voidId(id),
        pendingId: id,
        code: "lease_hold_released",
      })),
      { nowMs, holds: expected },
    );
    if (!released.ok && !isGone(released)) return false;
  } catch (error) {
    console.error(JSON.stringify({ level: "error", event: "bid_release", bidId, error: String(error) }));
    return false;
  }
  state.saveFunding([{ ...funding, holdIds: [] }], [releasedEvent(funding, [], nowMs)]);
  return true;
}
