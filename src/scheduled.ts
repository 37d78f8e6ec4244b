/**
 * The Worker's scheduled handler body (wrangler.toml `[triggers] crons`, every 5 minutes): a
 * fixed sequence of steps, run one after the other. Each step's outcome is logged as one JSON
 * line; a step that throws is logged and the next one still runs, so one broken area never
 * stops the oracle or the hold sweeper.
 *
 * To add a step, append `{ name, run }` to `scheduledSteps` below: `run` gets the env, a database
 * client, the round's clock and the fetch function, and returns a small summary for the log.
 * Steps must be idempotent (a cron can fire twice, or be retried) and bounded in work.
 */
import type { Client } from "@libsql/client";
import { enqueueDueDeliveries } from "./events/consumer";
import { pruneEvents } from "./events/deliveries";
import { now } from "./kit/clock";
import { openDatabase } from "./kit/db/client";
import { pruneIdempotencyRecords } from "./kit/db/idempotency";
import { expireHolds } from "./ledger/store";
import { runMarketCron, takeSilentNodesOffline } from "./market/flows/upkeep";
import { settleBurnObligations } from "./market/store/obligations";
import { type AggregationRules, goldAggregationRules, tftAggregationRules } from "./oracle/core/aggregate";
import { recordRound } from "./oracle/prices";
import { parseSourceConfig, runOracleRound, type SecretEnv, sourcesPerRoundMax } from "./oracle/sources";
import { openScheduledRounds } from "./pools/flows/auctions";

/** What a step receives. */
export type ScheduledContext = {
  readonly env: Env;
  readonly db: Client;
  /** The run's clock, ms since the epoch. */
  readonly nowMs: number;
  /** Outbound fetch: the global one in production, a stand-in in tests. */
  readonly fetch: typeof fetch;
};

export type ScheduledStep = {
  /** lower_snake_case, unique: the log's `step` field. */
  readonly name: string;
  readonly run: (context: ScheduledContext) => Promise<Record<string, unknown>>;
};

export type StepReport = {
  readonly name: string;
  readonly ok: boolean;
  readonly durationMs: number;
  readonly result?: Record<string, unknown>;
  readonly error?: string;
};

/**
 * Quorum override for both kinds (`ORACLE_QUORUM`, 1 … `sourcesPerRoundMax`); absent: the
 * aggregation defaults (2 sources per kind).
 */
function aggregationRules(env: Env): { goldRules: AggregationRules; tftRules: AggregationRules } {
  const text = env.ORACLE_QUORUM;
  if (text === undefined || text === "")
    return { goldRules: goldAggregationRules, tftRules: tftAggregationRules };
  const quorum = Number(text);
  if (!Number.isInteger(quorum) || quorum < 1 || quorum > sourcesPerRoundMax) {
    throw new Error(`ORACLE_QUORUM must be an integer 1…${sourcesPerRoundMax}`);
  }
  return { goldRules: { ...goldAggregationRules, quorum }, tftRules: { ...tftAggregationRules, quorum } };
}

/**
 * One oracle round: fetches every source in `ORACLE_SOURCES` (secrets read from the env by the
 * names the sources give), aggregates gold and TFT, and records both rounds with every quote and
 * its verdict, whether or not quorum was met. Without `ORACLE_SOURCES` nothing is fetched and the
 * prices age towards `halted` (manual prices still apply); an invalid list throws.
 */
export async function oracleRoundStep(context: ScheduledContext): Promise<Record<string, unknown>> {
  const configured = context.env.ORACLE_SOURCES;
  if (configured === undefined || configured.trim() === "") {
    return { skipped: "ORACLE_SOURCES is not set" };
  }
  const sources = parseSourceConfig(configured);
  if (!sources.ok) throw new Error(`ORACLE_SOURCES: ${sources.detail}`);
  const round = await runOracleRound(sources.value, context.fetch, context.nowMs, {
    env: context.env as unknown as SecretEnv,
    ...aggregationRules(context.env),
  });
  const summary: Record<string, unknown> = { durationMs: round.durationMs, ccUsd: round.ccUsd };
  for (const kind of ["gold", "tft"] as const) {
    const aggregate = round[kind];
    const roundId = await recordRound(
      context.db,
      {
        kind,
        priceUsd: aggregate.accepted,
        quorumMet: aggregate.quorumMet,
        source: "oracle",
        quotes: aggregate.quotes,
      },
      context.nowMs,
    );
    summary[kind] = {
      roundId,
      priceUsd: aggregate.accepted,
      quorumMet: aggregate.quorumMet,
      dropped: aggregate.quotes
        .filter((quote) => quote.status === "dropped")
        .map((quote) => `${quote.source}:${quote.reason}`),
    };
  }
  return summary;
}

/** The webhook outbox sweep: enqueues due deliveries (src/events/consumer.ts). */
const webhookOutboxStep: ScheduledStep = {
  name: "webhook_outbox",
  run: ({ env, db, nowMs }) => enqueueDueDeliveries(env, db, nowMs),
};

/** The every-minute cron (wrangler.toml): it runs `minuteSteps` only. */
export const minuteCron = "* * * * *";

/** What the every-minute cron runs: the webhook outbox sweep, so a delivery waits at most a minute. */
export const minuteSteps: readonly ScheduledStep[] = [webhookOutboxStep];

/**
 * The cron's steps, in order. The oracle goes first so that minting sees fresh prices as soon as
 * possible; the sweepers after it. Append new steps here.
 */
export const scheduledSteps: readonly ScheduledStep[] = [
  { name: "oracle_round", run: oracleRoundStep },
  {
    name: "expire_holds",
    run: async ({ db, nowMs }) => ({ expired: await expireHolds(db, nowMs) }),
  },
  {
    name: "prune_idempotency_records",
    run: async ({ db, nowMs }) => ({ pruned: await pruneIdempotencyRecords(db, nowMs) }),
  },
  { name: "market", run: ({ env, db, nowMs }) => runMarketCron(env, nowMs, db) },
  { name: "silent_nodes", run: ({ env, db, nowMs }) => takeSilentNodesOffline(env, nowMs, db) },
  { name: "burn_obligations", run: ({ db, nowMs }) => settleBurnObligations(db, nowMs) },
  {
    name: "auction_rounds",
    run: async ({ env, db, nowMs }) => ({ opened: await openScheduledRounds(env, nowMs, db) }),
  },
  webhookOutboxStep,
  { name: "prune_events", run: ({ db, nowMs }) => pruneEvents(db, nowMs) },
];

export type RunScheduledOptions = {
  /** Outbound fetch for the oracle (default: the global `fetch`). */
  readonly fetch?: typeof fetch;
  /** The steps to run (default: `scheduledSteps`). */
  readonly steps?: readonly ScheduledStep[];
  /** Where each step's report goes (default: one JSON line on the console). */
  readonly log?: (report: StepReport) => void;
};

function logReport(report: StepReport): void {
  const line = JSON.stringify({ level: report.ok ? "info" : "error", event: "cron_step", ...report });
  if (report.ok) console.log(line);
  else console.error(line);
}

/**
 * Runs every scheduled step once, in order, and returns their reports. Never rejects: a step
 * that throws is reported (`ok: false`, its message) and the run goes on with the next step.
 */
export async function runScheduled(
  env: Env,
  nowMs: number,
  options: RunScheduledOptions = {},
): Promise<StepReport[]> {
  const db = openDatabase(env);
  const fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
  const log = options.log ?? logReport;
  const reports: StepReport[] = [];
  for (const step of options.steps ?? scheduledSteps) {
    const startedMs = now();
    let report: StepReport;
    try {
      const result = await step.run({ env, db, nowMs, fetch: fetchFn });
      report = { name: step.name, ok: true, durationMs: now() - startedMs, result };
    } catch (error) {
      report = {
        name: step.name,
        ok: false,
        durationMs: now() - startedMs,
        error: error instanceof Error ? error.message : String(error),
      };
    }
    log(report);
    reports.push(report);
  }
  return reports;
}
