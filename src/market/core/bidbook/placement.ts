/**
 * Which of the node's slices each lease occupies, and when a lease's assignment changed: what a
 * node's agent needs from the book (GET /v1/nodes/{id}/assignments and its live feed).
 *
 * Slices are numbered 0 … n−1. A lease that holds slices (model.ts `heldBy`) occupies that many
 * indices: it keeps the ones it had for as long as it holds them, and a lease that starts holding
 * gets the lowest free ones (leases in book order), so a lease never moves while it runs and the
 * placement is a pure function of the previous placement and the book. A lease that stops holding
 * (ended, an interruptible lease pre-empted or paused) gives its indices back.
 */
import { invariant } from "../../../kit/errors";
import { type BidBook, heldBy, isAssigned, type Lease } from "./model";

/** Slice indices by lease id, for the leases that hold slices. */
export type Placement = ReadonlyMap<string, readonly number[]>;

/**
 * The placement of `book`'s leases after `previous`: every lease holding slices keeps its indices
 * from `previous` (when it held the same number), the others get the lowest free ones. Asserts that
 * the result covers exactly the held slices, each index once.
 */
export function placeSlices(
  book: Pick<BidBook, "leases" | "sliceCount">,
  previous: Placement,
): Map<string, number[]> {
  const placement = new Map<string, number[]>();
  const taken = new Array<boolean>(book.sliceCount).fill(false);
  const waiting: Lease[] = [];
  for (const lease of book.leases) {
    const held = heldBy(lease);
    if (held === 0) continue;
    const kept = previous.get(lease.id);
    if (
      kept !== undefined &&
      kept.length === held &&
      kept.every((index) => index < book.sliceCount && !taken[index])
    ) {
      for (const index of kept) taken[index] = true;
      placement.set(lease.id, [...kept]);
    } else {
      waiting.push(lease);
    }
  }
  let next = 0;
  for (const lease of waiting) {
    const indices: number[] = [];
    while (indices.length < heldBy(lease)) {
      invariant(next < book.sliceCount, "placeSlices: leases hold more slices than the node has");
      if (!taken[next]) {
        taken[next] = true;
        indices.push(next);
      }
      next += 1;
    }
    placement.set(lease.id, indices);
  }
  return placement;
}

/**
 * What an agent is told about a lease, as one string: when it changes, the lease's assignment
 * changed (a new cursor). Settlement alone changes nothing here.
 */
export function assignmentFingerprint(lease: Lease, sliceIndices: readonly number[] | undefined): string {
  return JSON.stringify([
    lease.status,
    lease.pausedReason ?? null,
    lease.endsAtMs,
    lease.agent?.status ?? null,
    lease.agent?.sinceMs ?? null,
    isAssigned(lease),
    sliceIndices ?? [],
  ]);
}
