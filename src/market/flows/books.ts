/**
 * Reaching a node's bid book (one Durable Object per node, `idFromName(nodeId)`) and the peg the
 * market prices with.
 */
import type { Client } from "@libsql/client";
import { now } from "../../kit/clock";
import { currentPeg, type Peg } from "../../oracle/prices";
import type { NodeBidBook } from "../object/node-bid-book";

/** The stub of a node's bid book. */
export function bookOf(env: Env, nodeId: string): DurableObjectStub<NodeBidBook> {
  return env.NODE_BOOK.get(env.NODE_BOOK.idFromName(nodeId));
}

/** USD per CC from the peg's gold price, or null when there is none or it is halted. */
export function ccUsdOf(peg: Peg): string | null {
  return peg.gold === null || peg.gold.health === "halted" ? null : peg.ccUsd;
}

/** USD per CC from the oracle's gold price, or null when there is none or it is halted. */
export async function liveCcUsd(client: Client, nowMs = now()): Promise<string | null> {
  return ccUsdOf(await currentPeg(client, nowMs));
}

/**
 * The USD price of CC the last market listing of this isolate read with the peg (null: none, or
 * halted). A listing filtered by a CC price in a USD band converts at it and reads the peg in the
 * same batch: when the peg has not moved since, that answer stands (one round trip); when it has,
 * the listing is read again at the new one (two). It is never answered at a stale price.
 */
let lastListingCcUsd: { value: string | null } | undefined;

/** Keeps the USD price of CC a listing just read with the peg. */
export function rememberListingCcUsd(ccUsd: string | null): void {
  lastListingCcUsd = { value: ccUsd };
}

/** The USD price of CC the last listing of this isolate read, if one did. */
export function lastListingCcUsdRead(): { value: string | null } | undefined {
  return lastListingCcUsd;
}
