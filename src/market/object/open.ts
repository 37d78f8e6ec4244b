/**
 * Opening a node's book the first time its object is touched: from the node's libSQL row, so a
 * node registered (or seeded) in libSQL becomes bookable at once.
 */
import type { Client } from "@libsql/client";
import { now } from "../../kit/clock";
import { invariant } from "../../kit/errors";
import { Dec } from "../../ledger/core/money";
import { defaultPegParameters } from "../../oracle/core/peg";
import { currentPeg } from "../../oracle/prices";
import { type BidBook, openBook } from "../core/bidbook";
import { ccPriceText } from "../core/quote";
import type { SliceResources } from "../core/slices";
import { getNode } from "../store/nodes";
import type { RegisteredNode } from "./contract";
import type { NodeConfig } from "./storage";

/** The node's book and configuration as its libSQL row describes them; null without a row. */
export async function openFromNode(
  db: Client,
  nodeId: string,
): Promise<{ config: NodeConfig; book: BidBook } | null> {
  const node = await getNode(db, nodeId);
  if (node === null) return null;
  const ccUsd = node.band.currency === "USD" ? (await currentPeg(db, now())).ccUsd : null;
  return bookFromNode(nodeId, node, ccUsd);
}

/**
 * The book and configuration of a node as described by its row (`ccUsd`: the peg, for a band in
 * USD; without one, the reference peg).
 */
export function bookFromNode(
  nodeId: string,
  node: RegisteredNode,
  ccUsd: string | null,
): { config: NodeConfig; book: BidBook } {
  const peg = ccUsd ?? defaultPegParameters.ccUsdReference;
  const listed =
    node.band.currency === "CC"
      ? node.pricePerSliceHour
      : ccPriceText(new Dec(node.pricePerSliceHour).div(peg));
  const opened = openBook({
    nodeId,
    sliceCount: node.sliceCount,
    state: node.state,
    listedPriceCcPerSliceHour: listed,
    minBidCcPerSliceHour: node.minBidCcPerSliceHour,
    autoAcceptAboveCcPerSliceHour: node.autoAcceptAboveCcPerSliceHour,
  });
  invariant(opened.ok, () => `node ${nodeId}: cannot open its book: ${opened.ok ? "" : opened.detail}`);
  const config: NodeConfig = {
    nodeId,
    farmerId: node.farmerId,
    payoutAccountId: node.payoutAccountId,
    currency: node.band.currency,
    pricePerSliceMonth: node.pricePerSliceMonth,
    pricePerSliceHour: node.pricePerSliceHour,
    band: node.band,
    ...(node.slice === undefined ? {} : { slice: sliceOf(node.slice) }),
  };
  return { config, book: opened.value };
}

/** Only a slice's resources (a node row carries more). */
export function sliceOf(slice: SliceResources): SliceResources {
  const { sliceCount, cores, passmark, memGb, ssdGb, aiGb, tps } = slice;
  return { sliceCount, cores, passmark, memGb, ssdGb, aiGb, tps };
}

/** The book's listed CC price after new listed prices (in band currency; USD needs the peg). */
export function listedCcPrice(
  config: NodeConfig,
  book: BidBook,
  pricePerSliceHour: string,
  ccUsd: string | null,
): string {
  if (config.currency === "CC") return ccPriceText(new Dec(pricePerSliceHour));
  return ccUsd === null ? book.listedPriceCcPerSliceHour : ccPriceText(new Dec(pricePerSliceHour).div(ccUsd));
}
