/** Price shapes as the API shows them: exact decimal strings, times as ISO 8601. */
import { z } from "@hono/zod-openapi";
import type { PriceInForce } from "../../oracle/prices";
import type { StoredQuote, StoredRound } from "../../oracle/rounds";

export const healthSchema = z.enum(["healthy", "degraded", "halted"]).openapi({
  description: "From the age of the last accepted round; gold does not age while its market is closed.",
});

export const priceInForceSchema = z
  .object({
    priceUsd: z
      .string()
      .openapi({ example: "128.05", description: "USD per gram (gold) or per token (TFT)." }),
    roundId: z.string().openapi({ example: "prc_3XkPq0fJ2m9Zb7Lr1sYtWc" }),
    source: z.enum(["oracle", "manual"]),
    acceptedAt: z.string(),
    ageMs: z.number().int(),
    health: healthSchema,
    marketClosed: z.boolean(),
    expiresAt: z.string().nullable().openapi({ description: "Manual prices only: when they stop applying." }),
  })
  .openapi("PriceInForce");

export function priceInForceJson(price: PriceInForce): z.infer<typeof priceInForceSchema> {
  return {
    priceUsd: price.priceUsd,
    roundId: price.roundId,
    source: price.source,
    acceptedAt: new Date(price.acceptedAtMs).toISOString(),
    ageMs: price.ageMs,
    health: price.health,
    marketClosed: price.marketClosed,
    expiresAt: price.expiresAtMs === null ? null : new Date(price.expiresAtMs).toISOString(),
  };
}

export const quoteSchema = z
  .object({
    source: z.string(),
    priceUsd: z.string().nullable(),
    observedAt: z.string().nullable(),
    status: z.enum(["accepted", "dropped"]),
    reason: z
      .string()
      .nullable()
      .openapi({ description: "Why it was dropped: stale, outlier, fetch_failed, …" }),
    error: z.string().nullable(),
  })
  .openapi("PriceQuote");

export const roundSchema = z
  .object({
    id: z.string(),
    kind: z.enum(["gold", "tft"]),
    priceUsd: z
      .string()
      .nullable()
      .openapi({ description: "The accepted price; null when quorum was not met." }),
    quorumMet: z.boolean(),
    source: z.enum(["oracle", "manual"]),
    reason: z.string().nullable(),
    expiresAt: z.string().nullable(),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi("PriceRound");

export function roundJson(round: StoredRound): z.infer<typeof roundSchema> {
  return {
    id: round.id,
    kind: round.kind,
    priceUsd: round.priceUsd,
    quorumMet: round.quorumMet,
    source: round.source,
    reason: round.reason,
    expiresAt: round.expiresAtMs === null ? null : new Date(round.expiresAtMs).toISOString(),
    createdBy: round.createdBy,
    createdAt: new Date(round.createdAtMs).toISOString(),
  };
}

export function quoteJson(quote: StoredQuote): z.infer<typeof quoteSchema> {
  return {
    source: quote.source,
    priceUsd: quote.priceUsd,
    observedAt: quote.observedAtMs === null ? null : new Date(quote.observedAtMs).toISOString(),
    status: quote.status,
    reason: quote.reason,
    error: quote.error,
  };
}
