/** Where a round's reference price comes from when it closes: a fixed price or the oracle. */
import type { Client } from "@libsql/client";
import { now } from "../../kit/clock";
import { fail, ok, type Result } from "../../kit/result";
import { type PriceInForce, priceInForce } from "../../oracle/prices";
import type { ReferenceSource } from "../core/round";

/**
 * The reference price of a round (USDC per TFP): a fixed price, or the TFT market price in force
 * (USDC counted as 1 USD, 1 TFP = 1 TFT). ORACLE_HALTED when the oracle has none or is halted.
 */
export async function referencePrice(
  client: Client,
  source: ReferenceSource,
  nowMs = now(),
): Promise<Result<{ price: string; roundId: string | null }>> {
  if (source.source === "fixed") return referenceOf(source, null);
  return referenceOf(source, await priceInForce(client, "tft", nowMs));
}

/** `referencePrice` from the TFT price in force (`priceInForceStatement("tft", …)`, read in a batch). */
export function referenceOf(
  source: ReferenceSource,
  tftPrice: PriceInForce | null,
): Result<{ price: string; roundId: string | null }> {
  if (source.source === "fixed") return ok({ price: source.price, roundId: null });
  if (!tftPrice || tftPrice.health === "halted") {
    return fail("ORACLE_HALTED", "The TFT market price is halted or missing: no reference price");
  }
  return ok({ price: tftPrice.priceUsd, roundId: tftPrice.roundId });
}
