/** Where a round's reference price comes from when it closes: a fixed price or the oracle. */
import type { Client } from "@libsql/client";
import { now } from "../../kit/clock";
import { fail, ok, type Result } from "../../kit/result";
import { priceInForce } from "../../oracle/prices";
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
  if (source.source === "fixed") return ok({ price: source.price, roundId: null });
  const price = await priceInForce(client, "tft", nowMs);
  if (!price || price.health === "halted") {
    return fail("ORACLE_HALTED", "The TFT market price is halted or missing: no reference price");
  }
  return ok({ price: price.priceUsd, roundId: price.roundId });
}
