/**
 * Reaching a node's bid book (one Durable Object per node, `idFromName(nodeId)`) and the peg the
 * market prices with.
 */
import type { Client } from "@libsql/client";
import { TtlCache } from "../../kit/cache";
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
 * How old the USD price of CC may be that a market listing converts a CC price filter with, in
 * one isolate (README "Latency"): the listing is indicative, and a lease is quoted at the live peg.
 */
export const listingCcUsdMaxAgeMs = 30_000;
const listingCcUsd = new TtlCache<"ccUsd", string | null>(1, listingCcUsdMaxAgeMs);

/** Keeps the USD price of CC a listing just read with the peg (null: none, or halted). */
export function rememberListingCcUsd(ccUsd: string | null, nowMs: number): void {
  listingCcUsd.set("ccUsd", ccUsd, nowMs);
}

/** The USD price of CC a listing read at most `listingCcUsdMaxAgeMs` ago in this isolate, if any. */
export function recentListingCcUsd(nowMs: number): { value: string | null } | undefined {
  return listingCcUsd.get("ccUsd", nowMs);
}
