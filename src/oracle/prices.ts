/**
 * The price-round store: every oracle round (and every manual price) with its sources' quotes,
 * and the current peg read from it. The newest accepted round of each kind is the price in force;
 * a manual price is in force until its expiry, and counts as healthy while it is.
 */
import type { Client, InStatement } from "@libsql/client";
import { now } from "../kit/clock";
import { newId } from "../kit/ids";
import { fail, ok, type Result } from "../kit/result";
import type { QuoteKind, QuoteRecord } from "./core/aggregate";
import {
  assessHealth,
  goldHealthRules,
  type HealthRules,
  type OracleHealth,
  tftHealthRules,
} from "./core/health";
import { ccUsd } from "./core/peg";

export type PriceRoundInput = {
  kind: QuoteKind;
  /** Accepted price in USD (per gram for gold, per token for TFT); null when quorum failed. */
  priceUsd: string | null;
  quorumMet: boolean;
  source: "oracle" | "manual";
  quotes?: readonly QuoteRecord[];
  reason?: string;
  expiresAtMs?: number;
  createdBy?: string;
};

/** Stores one round with its quotes in one write; returns its id (`prc_…`). */
export async function recordRound(client: Client, round: PriceRoundInput, nowMs = now()): Promise<string> {
  const id = newId("prc");
  const statements: InStatement[] = [
    {
      sql: "INSERT INTO price_rounds (id, kind, price_usd, quorum_met, source, reason, expires_at, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      args: [
        id,
        round.kind,
        round.priceUsd,
        round.quorumMet ? 1 : 0,
        round.source,
        round.reason ?? null,
        round.expiresAtMs ?? null,
        round.createdBy ?? null,
        nowMs,
      ],
    },
    ...(round.quotes ?? []).map((quote) => ({
      sql: "INSERT INTO price_quotes (round_id, source, price_usd, observed_at, status, reason, error) VALUES (?, ?, ?, ?, ?, ?, ?)",
      args: [
        id,
        quote.source,
        quote.priceUsd,
        quote.observedAtMs,
        quote.status,
        quote.reason ?? null,
        quote.error ?? null,
      ],
    })),
  ];
  await client.batch(statements, "write");
  return id;
}

export type PriceInForce = {
  kind: QuoteKind;
  priceUsd: string;
  roundId: string;
  source: "oracle" | "manual";
  acceptedAtMs: number;
  expiresAtMs: number | null;
  health: OracleHealth;
  ageMs: number;
  marketClosed: boolean;
};

const rulesOf: Record<QuoteKind, HealthRules> = { gold: goldHealthRules, tft: tftHealthRules };

/** The price in force for `kind`, with its health; null when no round was ever accepted. */
export async function priceInForce(
  client: Client,
  kind: QuoteKind,
  nowMs = now(),
): Promise<PriceInForce | null> {
  const result = await client.execute({
    sql: `SELECT id, price_usd, source, created_at, expires_at FROM price_rounds
          WHERE kind = ? AND price_usd IS NOT NULL AND created_at <= ? AND (expires_at IS NULL OR expires_at > ?)
          ORDER BY created_at DESC, id DESC LIMIT 1`,
    args: [kind, nowMs, nowMs],
  });
  const row = result.rows[0];
  if (!row) return null;
  const source = String(row.source) as "oracle" | "manual";
  const acceptedAtMs = Number(row.created_at);
  const assessment = assessHealth(acceptedAtMs, nowMs, rulesOf[kind]);
  return {
    kind,
    priceUsd: String(row.price_usd),
    roundId: String(row.id),
    source,
    acceptedAtMs,
    expiresAtMs: row.expires_at === null ? null : Number(row.expires_at),
    // An admin's manual price is deliberate: it stays healthy until it expires.
    health: source === "manual" ? "healthy" : assessment.state,
    ageMs: Math.max(0, nowMs - acceptedAtMs),
    marketClosed: assessment.marketClosed,
  };
}

export type Peg = {
  gold: PriceInForce | null;
  tft: PriceInForce | null;
  /** USD per CC (gold USD/gram ÷ 1000), or null without a gold price. */
  ccUsd: string | null;
  /** The worse of the two prices' health (halted when either is missing). */
  health: OracleHealth;
};

const rank: Record<OracleHealth, number> = { healthy: 0, degraded: 1, halted: 2 };

/** The current gold, TFT and CC prices with their combined health. */
export async function currentPeg(client: Client, nowMs = now()): Promise<Peg> {
  const [gold, tft] = await Promise.all([
    priceInForce(client, "gold", nowMs),
    priceInForce(client, "tft", nowMs),
  ]);
  const healths: OracleHealth[] = [gold?.health ?? "halted", tft?.health ?? "halted"];
  const health = healths.reduce(
    (worst, next) => (rank[next] > rank[worst] ? next : worst),
    "healthy" as OracleHealth,
  );
  return { gold, tft, ccUsd: gold ? ccUsd(gold.priceUsd).toFixed() : null, health };
}

/**
 * The peg for minting and conversions: refused with ORACLE_HALTED when either price is halted
 * or missing. Balances, spending and redemptions do not call this, so they keep working.
 */
export async function requireLivePeg(
  client: Client,
  nowMs = now(),
): Promise<Result<{ ccUsd: string; tftMarketUsd: string; goldUsdPerGram: string; peg: Peg }>> {
  const peg = await currentPeg(client, nowMs);
  if (peg.health === "halted" || !peg.gold || !peg.tft || peg.ccUsd === null) {
    return fail(
      "ORACLE_HALTED",
      "The price oracle is halted: minting and conversions are paused until prices are fresh again",
    );
  }
  return ok({ ccUsd: peg.ccUsd, tftMarketUsd: peg.tft.priceUsd, goldUsdPerGram: peg.gold.priceUsd, peg });
}
