/**
 * An owner's interruptible bids across nodes. Bids live in each node's book, and libSQL keeps no
 * table of them per owner; what it does keep is each bid's hold (code `bid_hold`, placed from the
 * bidder's account with metadata `{bidId, nodeId}`, src/market/object/bid-writer.ts). So a
 * listing reads a bounded page of the owner's bid holds in one round trip, then asks only the
 * books of the nodes those holds name, all at once, for those bids (`getBids`).
 */
import { z } from "zod";
import { bidIdSchema, nodeIdSchema } from "../../kit/ids";
import type { HoldDetail } from "../../ledger/holds";
import { type BidView, bidsPerLookupMax } from "../object/contract";
import { bookOf } from "./books";

const bidHoldMetadataSchema = z.object({ bidId: bidIdSchema, nodeId: nodeIdSchema });

/** The bids these holds stand behind, by node, each node's in the holds' order. */
export function bidRefsByNode(holds: readonly HoldDetail[]): Map<string, string[]> {
  const byNode = new Map<string, string[]>();
  for (const hold of holds) {
    const parsed = bidHoldMetadataSchema.safeParse(hold.metadata);
    if (!parsed.success) continue;
    const bidIds = byNode.get(parsed.data.nodeId) ?? [];
    bidIds.push(parsed.data.bidId);
    byNode.set(parsed.data.nodeId, bidIds);
  }
  return byNode;
}

/**
 * The bids behind `holds` as their books hold them now, in the holds' order (newest first for
 * `ownerBidHoldsQuery`'s page). A bid its book no longer holds (compacted) is left out, as is every
 * bid of a book that does not answer with them.
 */
export async function bidsOfHolds(env: Env, holds: readonly HoldDetail[]): Promise<BidView[]> {
  const byNode = bidRefsByNode(holds);
  const answers = await Promise.all(
    [...byNode].map(([nodeId, bidIds]) =>
      bookOf(env, nodeId).getBids({ nodeId, bidIds: bidIds.slice(0, bidsPerLookupMax) }),
    ),
  );
  const found = new Map<string, BidView>();
  for (const answer of answers) {
    if (!answer.ok) continue;
    for (const bid of answer.value) found.set(bid.id, bid);
  }
  const order = holds.flatMap((hold) => {
    const parsed = bidHoldMetadataSchema.safeParse(hold.metadata);
    return parsed.success ? [parsed.data.bidId] : [];
  });
  return order.flatMap((bidId) => {
    const bid = found.get(bidId);
    return bid ? [bid] : [];
  });
}
