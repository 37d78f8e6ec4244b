/**
 * The market's scheduled work, one bounded and idempotent step for the Worker's cron: capacity
 * requests past their deadline (take the cheapest offer when asked, else expire), and once per
 * hour the 30-day reliability of every node (dropping uptime buckets older than the window).
 * Settlement is not here: each node's bid book settles on its own alarm.
 */
import type { Client } from "@libsql/client";
import { openDatabase } from "../db/client";
import { closeDueRequests } from "./capacity-requests";
import { hourMs } from "./config";
import { recomputeReliability } from "./nodes";

/** Runs the market's cron work at `nowMs`; returns a small summary for the log. */
export async function runMarketCron(
  env: Env,
  nowMs: number,
  client?: Client,
): Promise<Record<string, unknown>> {
  const db = client ?? openDatabase(env);
  const requests = await closeDueRequests(env, db, nowMs);
  const hour = Math.floor(nowMs / hourMs);
  // Claim this hour's reliability pass in one statement, so two overlapping crons do it once.
  const claimed = await db.execute({
    sql: `INSERT INTO market_cron_state (name, value) VALUES ('reliability_hour', ?)
          ON CONFLICT (name) DO UPDATE SET value = excluded.value WHERE market_cron_state.value < excluded.value`,
    args: [hour],
  });
  const reliability = claimed.rowsAffected > 0 ? await recomputeReliability(db, nowMs) : null;
  return { requests, reliability: reliability ?? "already done this hour" };
}
