/**
 * The real service for the simulation, in-process: the Worker bundled by
 * `wrangler deploy --dry-run` and run by Miniflare 4 (workerd, both SQLite-backed Durable Object
 * classes with storage persisted to disk so a restart keeps it), the project's libSQL server on a
 * fresh migrated file, the fault proxy between them, stand-in price feeds, and a small driver
 * Worker inside workerd that reaches the node books' hooks (`shiftClock` from the bench entry,
 * tools/bench/_hooks.ts, and `settleNow`). The Worker and its Durable Objects share one clock
 * (src/kit/clock.ts) in memory, so a restart loses its shift: the service puts it back.
 */
import { execFileSync } from "node:child_process";
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { type Client, createClient } from "@libsql/client";
import { Miniflare, type MiniflareOptions } from "miniflare";
import { startLibsqlServer } from "../libsql-server/server";
import { migrateDatabase } from "../migrate";
import { type FaultProxy, startFaultProxy } from "./faults";
import { type Feeds, startFeeds } from "./feeds";

const root = join(import.meta.dirname, "..", "..");

/** Test-only webhook secrets the simulation signs with (never production values). */
export const simStripeSecret = "whsec_sim_current_secret";
export const simBridgeSecret = "bridge_sim_current_secret";
/** How long one call to the Worker may take before the simulation counts it as lost. */
export const callTimeoutMs = 30_000;

/** The driver: book test hooks, called from inside workerd (the hooks are RPC methods). */
const driverSource = `
export default {
  async fetch(request, env) {
    const input = await request.json();
    const stub = env.NODE_BOOK.get(env.NODE_BOOK.idFromName(input.nodeId));
    try {
      if (input.op === "shift") return Response.json({ ok: true, value: await stub.shiftClock(input.ms) });
      if (input.op === "settle") return Response.json(await stub.settleNow({ nodeId: input.nodeId }));
      if (input.op === "alarm") { await stub.alarm(); return Response.json({ ok: true, value: null }); }
    } catch (error) {
      return Response.json({ ok: false, code: "THROWN", detail: String(error && error.message || error) });
    }
    return new Response("unknown op", { status: 400 });
  },
};
`;

/** The Worker's log lines kept for a failure report. */
export const runtimeLinesMax = 200;

export type Service = {
  /** The Worker's latest log lines (newest last). */
  readonly runtimeLines: readonly string[];
  readonly mf: Miniflare;
  /** Direct access to the database (not through the fault proxy): checks and bootstrap. */
  readonly client: Client;
  readonly proxy: FaultProxy;
  readonly feeds: Feeds;
  /** Restarts workerd: every Durable Object loses its memory, keeps its storage. */
  /**
   * Moves the service's clock forward by `ms` (the whole workerd isolate); false when the call was
   * lost (the clock may or may not have moved: the next restart settles it at the total asked).
   */
  shiftClock(ms: number): Promise<boolean>;
  restart(): Promise<void>;
  close(): Promise<void>;
};

/** The book the clock hook is called on: any will do, the clock is the isolate's. */
const clockNodeId = "node_sim_clock";

let bundleDirectory: string | undefined;

/** Bundles the Worker once per process (the same bundle serves every seed). */
function bundle(): string {
  if (bundleDirectory !== undefined) return bundleDirectory;
  const directory = mkdtempSync(join(tmpdir(), "tfgrid-sim-bundle-"));
  execFileSync(
    join(root, "node_modules", ".bin", "wrangler"),
    ["deploy", "--dry-run", "--outdir", directory, join("tools", "bench", "_hooks.ts")],
    {
      cwd: root,
      stdio: "ignore",
      env: {
        ...process.env,
        PATH: `${join(root, "node_modules", ".bin")}:${process.env.PATH ?? ""}`,
        WRANGLER_SEND_METRICS: "false",
        CLOUDFLARE_CF_FETCH_ENABLED: "false",
      },
    },
  );
  bundleDirectory = directory;
  process.once("exit", () => rmSync(directory, { recursive: true, force: true }));
  return directory;
}

export async function startService(): Promise<Service> {
  const scriptDirectory = bundle();
  const directory = mkdtempSync(join(tmpdir(), "tfgrid-sim-"));
  const server = await startLibsqlServer({ file: join(directory, "sim.db"), port: 0 });
  await migrateDatabase(server.url);
  const client = createClient({ url: server.url, intMode: "bigint" });
  const proxy = await startFaultProxy(server.url);
  const feeds = await startFeeds({ gold: "128", tft: "0.05" });
  const shared = { compatibilityDate: "2026-08-01", compatibilityFlags: ["nodejs_compat"] };
  const runtimeLines: string[] = [];
  const keep = (stream: Readable) =>
    stream.on("data", (chunk: Buffer) => {
      if (process.env.SIM_RUNTIME_LOG) appendFileSync(process.env.SIM_RUNTIME_LOG, chunk);
      for (const line of chunk.toString("utf8").split("\n")) if (line.length > 0) runtimeLines.push(line);
      runtimeLines.splice(0, Math.max(0, runtimeLines.length - runtimeLinesMax));
    });
  const options: MiniflareOptions = {
    // The Worker's own logs (one JSON line per cron step, every error) are kept, not printed.
    handleRuntimeStdio(stdout: Readable, stderr: Readable) {
      keep(stdout);
      keep(stderr);
    },
    durableObjectsPersist: join(directory, "durable"),
    workers: [
      {
        name: "main",
        modules: true,
        scriptPath: join(scriptDirectory, "_hooks.js"),
        modulesRoot: scriptDirectory,
        ...shared,
        bindings: {
          LIBSQL_URL: proxy.url,
          ENVIRONMENT: "test",
          ORACLE_SOURCES: feeds.sourcesJson,
          ORACLE_QUORUM: "2",
          STRIPE_WEBHOOK_SECRET: simStripeSecret,
          BRIDGE_WEBHOOK_SECRET: simBridgeSecret,
          AUCTION_CADENCE_HOURS: "0",
        },
        durableObjects: {
          NODE_BOOK: { className: "NodeBidBook", useSQLite: true },
          AUCTION_ROUND: { className: "AuctionRound", useSQLite: true },
        },
      },
      {
        name: "driver",
        modules: [{ type: "ESModule", path: "driver.mjs", contents: driverSource }],
        ...shared,
        durableObjects: {
          NODE_BOOK: { className: "NodeBidBook", scriptName: "main", useSQLite: true },
        },
      },
    ],
  };
  const mf = new Miniflare(options);
  await mf.ready;
  /** The total the clock has been asked to move. */
  let shiftedMs = 0;
  /** Moves the isolate's clock by `ms`: its new time, or null when the call was lost. */
  const shift = async (ms: number): Promise<number | null> => {
    try {
      const driver = await mf.getWorker("driver");
      const answer = await driver.fetch("http://driver/", {
        method: "POST",
        body: JSON.stringify({ op: "shift", nodeId: clockNodeId, ms }),
      });
      const body = (await answer.json()) as { ok?: boolean; value?: number };
      return body.ok === true && typeof body.value === "number" ? body.value : null;
    } catch {
      return null;
    }
  };
  return {
    runtimeLines,
    mf,
    client,
    proxy,
    feeds,
    async shiftClock(ms) {
      shiftedMs += ms;
      return (await shift(ms)) !== null;
    },
    async restart() {
      await mf.setOptions(options);
      // A fresh isolate starts on real time: put the whole shift back.
      if (shiftedMs > 0) await shift(shiftedMs);
    },
    async close() {
      await mf.dispose();
      client.close();
      await proxy.close();
      await feeds.close();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
