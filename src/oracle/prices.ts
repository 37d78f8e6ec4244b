/**
 * The price-round store: every oracle round (and every manual price) with its sources' quotes,
 * and the current peg read from it. The newest accepted round of each kind is the price in force;
 * a manual price is in force until its expiry, and counts as healthy while it is.
 */
import type { Client, InStatement, ResultSet } from "@libsql/client";
import { now } from "../kit/clock";
import { decodeColumns } from "../kit/db/rows";
import * as tables from "../kit/db/schema";
import { invariant } from "../kit/errors";
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

/** The read of the price in force for `kind` at `nowMs` (one indexed lookup), for a batch. */
export function priceInForceStatement(kind: QuoteKind, nowMs: number): InStatement {
  return {
    sql: `SELECT id, price_usd, source, created_at, expires_at FROM price_rounds
          WHERE kind = ? AND price_usd IS NOT NULL AND created_at <= ? AND (expires_at IS NULL OR expires_at > ?)
          ORDER BY created_at DESC, id DESC LIMIT 1`,
    args: [kind, nowMs, nowMs],
  };
}

/** The price in force for `kind`, with its health, from `priceInForceStatement`'s answer. */
export function priceInForceFrom(kind: QuoteKind, result: ResultSet, nowMs: number): PriceInForce | null {
  const row = result.rows[0];
  if (!row) return null;
  const round = decodeColumns(tables.priceRounds, row, [
    "id",
    "priceUsd",
    "source",
    "createdAtMs",
    "expiresAtMs",
  ]);
  const assessment = assessHealth(round.createdAtMs, nowMs, rulesOf[kind]);
  return {
    kind,
    priceUsd: String(round.priceUsd),
    roundId: round.id,
    source: round.source,
    acceptedAtMs: round.createdAtMs,
    expiresAtMs: round.expiresAtMs,
    // An admin's manual price is deliberate: it stays healthy until it expires.
    health: round.source === "manual" ? "healthy" : assessment.state,
    ageMs: Math.max(0, nowMs - round.createdAtMs),
    marketClosed: assessment.marketClosed,
  };
}

/** The price in force for `kind`, with its health; null when no round was ever accepted. */
export async function priceInForce(
  client: Client,
  kind: QuoteKind,
  nowMs = now(),
): Promise<PriceInForce | null> {
  return priceInForceFrom(kind, await client.execute(priceInForceStatement(kind, nowMs)), nowMs);
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

/** The reads of the peg (gold, then TFT), to send in one batch with a request's own reads. */
export function pegStatements(nowMs: number): InStatement[] {
  return [priceInForceStatement("gold", nowMs), priceInForceStatement("tft", nowMs)];
}

/** The peg from the answers to `pegStatements` (in that order). */
export function pegFrom(results: readonly ResultSet[], nowMs: number): Peg {
  const [goldResult, tftResult] = results;
  invariant(goldResult !== undefined && tftResult !== undefined, "pegFrom: two answers expected");
  const gold = priceInForceFrom("gold", goldResult, nowMs);
  const tft = priceInForceFrom("tft", tftResult, nowMs);
  const healths: OracleHealth[] = [gold?.health ?? "halted", tft?.health ?? "halted"];
  const health = healths.reduce(
    (worst, next) => (rank[next] > rank[worst] ? next : worst),
    "healthy" as OracleHealth,
  );
  return { gold, tft, ccUsd: gold ? ccUsd(gold.priceUsd).toFixed() : null, health };
}

/**
 * A request's own reads and the peg, in one round trip: `statements` first (their answers in
 * `results`, in order), then the peg's two reads.
 */
export async function readWithPeg(
  client: Client,
  statements: readonly InStatement[],
  nowMs: number,
): Promise<{ results: ResultSet[]; peg: Peg }> {
  const answers = await client.batch([...statements, ...pegStatements(nowMs)], "read");
  return {
    results: answers.slice(0, statements.length),
    peg: pegFrom(answers.slice(statements.length), nowMs),
  };
}

/** The current gold, TFT and CC prices with their combined health (one round trip). */
export async function currentPeg(client: Client, nowMs = now()): Promise<Peg> {
  return pegFrom(await client.batch(pegStatements(nowMs), "read"), nowMs);
}

/**
 * The peg for minting and conversions: refused with ORACLE_HALTED when either price is halted
 * or missing. Balances, spending and redemptions do not call this, so they keep working.
 */
export async function requireLivePeg(client: Client, nowMs = now()): Promise<Result<LivePeg>> {
  return livePegOf(await currentPeg(client, nowMs));
}

export type LivePeg = { ccUsd: string; tftMarketUsd: string; goldUsdPerGram: string; peg: Peg };

/** `peg` when it is live; ORACLE_HALTED when either price is halted or missing. */
export function livePegOf(peg: Peg): Result<LivePeg> {
  if (peg.health === "halted" || !peg.gold || !peg.tft || peg.ccUsd === null) {
    return fail(
      "ORACLE_HALTED",
      "The price oracle is halted: minting and conversions are paused until prices are fresh again",
    );
  }
  return ok({ ccUsd: peg.ccUsd, tftMarketUsd: peg.tft.priceUsd, goldUsdPerGram: peg.gold.priceUsd, peg });
}
