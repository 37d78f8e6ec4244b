/**
 * Reading the price-round store: one round with its quotes, the last attempt per kind, and the
 * bucketed history that charts draw. Prices stay the exact decimal strings that were accepted.
 */
import type { Client, InStatement, ResultSet, Row } from "@libsql/client";
import { dayMs, hourMs } from "../kit/clock";
import { decodeRow } from "../kit/db/rows";
import * as tables from "../kit/db/schema";
import type { QuoteKind } from "./core/aggregate";
import { ccUsd } from "./core/peg";
import { type Peg, pegFrom, pegStatements } from "./prices";

export type StoredQuote = {
  source: string;
  priceUsd: string | null;
  observedAtMs: number | null;
  status: "accepted" | "dropped";
  reason: string | null;
  error: string | null;
};

export type StoredRound = {
  id: string;
  kind: QuoteKind;
  priceUsd: string | null;
  quorumMet: boolean;
  source: "oracle" | "manual";
  reason: string | null;
  expiresAtMs: number | null;
  createdBy: string | null;
  createdAtMs: number;
};

function roundFromRow(row: Row): StoredRound {
  const { quorumMet, ...round } = decodeRow(tables.priceRounds, row);
  return { ...round, quorumMet: quorumMet === 1 };
}

function quoteFromRow(row: Row): StoredQuote {
  const { roundId: _roundId, ...quote } = decodeRow(tables.priceQuotes, row);
  return quote;
}

/** A round with every source's quote and verdict, or null. */
export async function getRound(
  client: Client,
  id: string,
): Promise<(StoredRound & { quotes: StoredQuote[] }) | null> {
  const [rounds, quotes] = await client.batch(
    [
      { sql: "SELECT * FROM price_rounds WHERE id = ?", args: [id] },
      { sql: "SELECT * FROM price_quotes WHERE round_id = ? ORDER BY source", args: [id] },
    ],
    "read",
  );
  const row = rounds?.rows[0];
  if (!row) return null;
  return {
    ...roundFromRow(row),
    quotes: (quotes?.rows ?? []).map(quoteFromRow),
  };
}

/** The newest round of `kind` up to `nowMs`, accepted or not: shows why a price is stale. */
function lastRoundStatement(kind: QuoteKind, nowMs: number): InStatement {
  return {
    sql: "SELECT * FROM price_rounds WHERE kind = ? AND created_at <= ? ORDER BY created_at DESC, id DESC LIMIT 1",
    args: [kind, nowMs],
  };
}

function lastRoundFrom(result: ResultSet | undefined): StoredRound | null {
  const row = result?.rows[0];
  return row ? roundFromRow(row) : null;
}

/** The peg in force and the newest round of each kind, read in one round trip. */
export async function latestPrices(
  client: Client,
  nowMs: number,
): Promise<{ peg: Peg; lastRounds: { gold: StoredRound | null; tft: StoredRound | null } }> {
  const results = await client.batch(
    [...pegStatements(nowMs), lastRoundStatement("gold", nowMs), lastRoundStatement("tft", nowMs)],
    "read",
  );
  return {
    peg: pegFrom(results.slice(0, 2), nowMs),
    lastRounds: { gold: lastRoundFrom(results[2]), tft: lastRoundFrom(results[3]) },
  };
}

/** What a history series prices: gold (USD/gram), TFT (USD) or CC (USD, gold ÷ 1000). */
export type HistoryKind = QuoteKind | "cc";

/** Chart intervals and their length in ms. */
export const historyIntervalsMs = {
  "5m": 5 * 60_000,
  "15m": 15 * 60_000,
  "1h": hourMs,
  "4h": 4 * hourMs,
  "1d": dayMs,
} as const;
export type HistoryInterval = keyof typeof historyIntervalsMs;

/** Most points one history answer may hold. */
export const historyPointsMax = 500;

export type HistoryPoint = {
  /** Start of the bucket, ms since the epoch. */
  startMs: number;
  /** The first and the last accepted price in the bucket (USD), exact. */
  open: string;
  close: string;
  /** Accepted rounds in the bucket. */
  rounds: number;
};

/**
 * Accepted prices (oracle and manual rounds) of `kind` in `[fromMs, toMs)`, one point per
 * non-empty `interval` bucket counted from `fromMs`, oldest first. CC points are the gold points
 * divided by 1000 (§4). The caller bounds the range to `historyPointsMax` buckets.
 */
export async function priceHistory(
  client: Client,
  kind: HistoryKind,
  fromMs: number,
  toMs: number,
  interval: HistoryInterval,
): Promise<HistoryPoint[]> {
  const intervalMs = historyIntervalsMs[interval];
  const result = await client.execute({
    sql: `WITH ranked AS (
            SELECT (created_at - ?1) / ?2 AS bucket, price_usd,
              ROW_NUMBER() OVER (PARTITION BY (created_at - ?1) / ?2 ORDER BY created_at ASC, id ASC) AS first_rank,
              ROW_NUMBER() OVER (PARTITION BY (created_at - ?1) / ?2 ORDER BY created_at DESC, id DESC) AS last_rank
            FROM price_rounds
            WHERE kind = ?3 AND price_usd IS NOT NULL AND created_at >= ?1 AND created_at < ?4
          )
          SELECT bucket, count(*) AS rounds,
            max(CASE WHEN first_rank = 1 THEN price_usd END) AS open,
            max(CASE WHEN last_rank = 1 THEN price_usd END) AS close
          FROM ranked GROUP BY bucket ORDER BY bucket LIMIT ?5`,
    // bigints: a JS number travels as a float, and the bucket needs integer division.
    args: [BigInt(fromMs), BigInt(intervalMs), kind === "cc" ? "gold" : kind, BigInt(toMs), historyPointsMax],
  });
  const priced = (text: string) => (kind === "cc" ? ccUsd(text).toFixed() : text);
  return result.rows.map((row) => ({
    startMs: fromMs + Number(row.bucket) * intervalMs,
    open: priced(String(row.open)),
    close: priced(String(row.close)),
    rounds: Number(row.rounds),
  }));
}
