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

/** The bids these holds stand behind, in the holds' order (a hold without a bid's metadata is skipped). */
export function bidRefsOf(holds: readonly HoldDetail[]): { bidId: string; nodeId: string }[] {
  return holds.flatMap((hold) => {
    const parsed = bidHoldMetadataSchema.safeParse(hold.metadata);
    return parsed.success ? [parsed.data] : [];
  });
}

/**
 * The bids behind `holds` as their books hold them now, in the holds' order (newest first for
 * `ownerBidHoldsQuery`'s page): one `getBids` call per node, all in parallel. A bid its book no
 * longer holds (compacted) is left out, as is every bid of a book that answers with a refusal.
 */
export async function bidsOfHolds(env: Env, holds: readonly HoldDetail[]): Promise<BidView[]> {
  const refs = bidRefsOf(holds);
  const byNode = new Map<string, string[]>();
  for (const { bidId, nodeId } of refs) byNode.set(nodeId, [...(byNode.get(nodeId) ?? []), bidId]);
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
  return refs.flatMap(({ bidId }) => {
    const bid = found.get(bidId);
    return bid ? [bid] : [];
  });
}
