/**
 * The market's scheduled work, one bounded and idempotent step for the Worker's cron: capacity
 * requests past their deadline (take the cheapest offer when asked, else expire), and once per
 * hour the 30-day reliability of every node (dropping uptime buckets older than the window).
 * Settlement is not here: each node's bid book settles on its own alarm.
 */
import type { Client } from "@libsql/client";
import { openDatabase } from "../../kit/db/client";
import { hourMs, marketConfig } from "../config";
import { recomputeReliability, setAutoOffline, silentNodes } from "../store/nodes";
import { bookOf } from "./books";
import { closeDueRequests } from "./capacity-requests";

/** Most silent nodes one cron run takes offline; the rest wait for the next run (every 5 minutes). */
export const silentNodesPerRunMax = 200;

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

/**
 * Takes online nodes that have gone silent (no heartbeat within MARKET_HEARTBEAT_TIMEOUT_HOURS, or
 * none since registration) offline through their bid books, so their running leases pause and are
 * not charged while nobody can tell whether they run. Each node is marked first, so a run cut short
 * leaves nothing a heartbeat cannot undo: the mark alone changes no state, and the next run finds
 * the node still online and silent. A node whose book refuses is reported and left for the next run.
 */
export async function takeSilentNodesOffline(
  env: Env,
  nowMs: number,
  client?: Client,
): Promise<{ offline: string[]; failed: string[] }> {
  const db = client ?? openDatabase(env);
  const { heartbeatTimeoutMs } = marketConfig(env);
  const silent = await silentNodes(db, nowMs - heartbeatTimeoutMs, silentNodesPerRunMax);
  const offline: string[] = [];
  const failed: string[] = [];
  for (const nodeId of silent) {
    await setAutoOffline(db, nodeId, nowMs);
    const changed = await bookOf(env, nodeId).setState({ nodeId, state: "offline" });
    (changed.ok ? offline : failed).push(nodeId);
  }
  return { offline, failed };
}
