/**
 * The Worker as benchmarks and the simulation run it: the production entry (src/worker.ts) with
 * the node book's bench and test hooks added in a subclass, so no production class carries them.
 * Bundled by tools/bench/_worker.ts and tools/sim/service.ts in place of src/worker.ts.
 */
import { shiftClock } from "../../src/kit/clock";
import { NodeBidBook as ProductionNodeBidBook } from "../../src/market/object/node-bid-book";

export { AuctionRound, default } from "../../src/worker";

/** The bid book with its hooks: reaching it for nothing, echoing a payload, moving the clock. */
export class NodeBidBook extends ProductionNodeBidBook {
  /** A no-op call, to measure the cost of reaching the object. */
  ping(): string {
    return "pong";
  }

  /**
   * A no-op call that carries a payload both ways (it returns what it is given), to measure the
   * cost of reaching the object with a request and answer the size of a bid's.
   */
  echo<T>(payload: T): T {
    return payload;
  }

  /**
   * Moves the service's clock (src/kit/clock.ts) forward by `ms`: the whole isolate — the Worker
   * and every Durable Object in it — reads the moved time. Returns the new time.
   */
  shiftClock(ms: number): number {
    return shiftClock(ms);
  }
}
