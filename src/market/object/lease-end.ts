/**
 * Ending a lease (NodeBidBook `endLease`), run inside the book's queue of changes. The end is
 * committed to the book first: from then on the lease is ended whatever follows. Then, given the
 * facts the ending request read with the lease (src/market/store/settlement.ts `leaseEndQuery`),
 * its last periods are settled and its holds released in one write that carries the book's mirror
 * of the change, and the book records what was written. Without facts, or when the database
 * refuses the write (a fact gone stale, a payer short of funds) or its answer is lost, nothing is
 * recorded and the caller runs the money pass, which does the same reading afresh.
 */
import { now } from "../../kit/clock";
import { fail, ok, type Result } from "../../kit/result";
import { type BidBook, duePeriods, endLease, recordSettlement, type Transition } from "../core/bidbook";
import { type LeaseEndFacts, planLeaseEnd, writeLeaseEnd } from "../store/settlement";
import type { BookContext } from "./context";
import { leaseParties, periodsPerLeasePerPassMax, releasedEvent } from "./money-pass";
import type { Funding } from "./storage";
import { leaseView, leaseViewOf } from "./views";

/** What an end settled at once: the charge of its last periods (null: left to the money pass). */
export type LeaseEnd = { chargedMinor: bigint | null };

export async function endLeaseExclusive(
  book: BookContext,
  leaseId: string,
  facts: LeaseEndFacts | undefined,
): Promise<Result<LeaseEnd>> {
  const { state } = book;
  const nowMs = now();
  const dirtyBefore = state.mirrorDirty;
  const ended = endLease(state.requireBook(), leaseId, nowMs);
  if (!ended.ok) return ended;
  state.commit(ended.value);
  if (facts === undefined) return ok({ chargedMinor: null });
  const settled = await settleEndedAtOnce(book, leaseId, facts, ended.value, nowMs, dirtyBefore);
  return ok({ chargedMinor: settled.ok ? settled.value : null });
}

/**
 * The last periods' settlement and the holds' release of a lease that `ended` just ended (committed
 * at `nowMs`), in one write (see the module comment); `dirtyBefore`: whether the mirror waited for a
 * flush before that commit. Fails, having recorded nothing, when it is left to the money pass.
 */
export async function settleEndedAtOnce(
  book: BookContext,
  leaseId: string,
  facts: LeaseEndFacts,
  ended: Transition,
  nowMs: number,
  dirtyBefore: boolean,
): Promise<Result<bigint>> {
  const { state, db, market } = book;
  const current = state.requireBook();
  const lease = current.leases.find((candidate) => candidate.id === leaseId);
  const funding = state.funding.get(leaseId);
  if (lease?.status !== "ended" || funding === undefined) return fail("CONFLICT", "not an ended lease");
  const periods = duePeriods(lease, nowMs);
  if (periods.length > periodsPerLeasePerPassMax) return fail("CONFLICT", "too many periods for one write");
  const planned = planLeaseEnd({ lease, parties: leaseParties(state, lease), periods }, facts, {
    nowMs,
    parameters: market.parameters,
  });
  // The book once the periods are recorded, and the lease's funding once its holds are closed.
  const recordings: Transition[] = [];
  let after: BidBook = current;
  for (const figures of planned.plan.figures) {
    const recorded = recordSettlement(after, leaseId, figures.period, nowMs);
    if (!recorded.ok) return recorded;
    recordings.push(recorded.value);
    after = recorded.value.book;
  }
  const closed = new Set(planned.closedHoldIds);
  const fundingAfter: Funding = { ...funding, holdIds: funding.holdIds.filter((id) => !closed.has(id)) };
  const mirror = book.mirror.ahead(
    after,
    (other) =>
      other.id === leaseId ? leaseViewOf(current.nodeId, other, fundingAfter) : leaseView(state, other),
    nowMs,
    ended.events,
  );
  try {
    const refused = await writeLeaseEnd(db, planned, facts, mirror.statements);
    if (refused !== null) return refused;
  } catch (error) {
    console.error(
      JSON.stringify({ level: "error", event: "lease_end_write", leaseId, error: String(error) }),
    );
    return fail("DATABASE_UNAVAILABLE", "the lease's last settlement was not confirmed");
  }
  planned.plan.figures.forEach((figures, index) => {
    state.commit(recordings[index]!, { settled: new Map([[leaseId, figures]]) });
  });
  state.saveFunding(
    [fundingAfter],
    closed.size === 0 ? [] : [releasedEvent({ ...funding, holdIds: [...closed] }, [], nowMs)],
  );
  mirror.written();
  // Whatever was waiting for the mirror before this change still is (the alarm retries it).
  if (mirror.complete && !dirtyBefore) state.mirrorDirty = false;
  return ok(planned.chargedMinor);
}
