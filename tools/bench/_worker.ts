/**
 * The bench harness shared by the Durable Object benchmarks: bundles the Worker with its bench
 * hooks (tools/bench/_hooks.ts) by `wrangler deploy --dry-run`, starts the project's libSQL server on a fresh migrated temp file,
 * and loads the bundle into Miniflare 4 beside a small "driver" Worker that calls a Durable
 * Object's RPC methods from inside workerd (so timings exclude Miniflare's Node proxy).
 * The leading underscore keeps `npm run bench` from treating this file as a benchmark.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Client, createClient } from "@libsql/client";
import { Miniflare } from "miniflare";
import { startLibsqlServer } from "../libsql-server/server";
import { migrateDatabase } from "../migrate";

const root = join(import.meta.dirname, "..", "..");
/** The entry bundled: the Worker with the node book's bench hooks (`ping`, `echo`, `shiftClock`). */
const hooksEntry = join("tools", "bench", "_hooks.ts");

export type BenchWorker = {
  mf: Miniflare;
  client: Client;
  libsqlUrl: string;
  close(): Promise<void>;
};

/**
 * Starts the bundle with `bindings` (beside LIBSQL_URL and ENVIRONMENT=bench) and a driver
 * Worker whose module source is `driverSource`, bound to the main Worker's object `driverBinding`.
 */
export async function startBenchWorker(options: {
  name: string;
  bindings: Record<string, string>;
  driverSource: string;
  driverBinding: { name: "NODE_BOOK" | "AUCTION_ROUND"; className: "NodeBidBook" | "AuctionRound" };
}): Promise<BenchWorker> {
  const directory = mkdtempSync(join(tmpdir(), `tfgrid-${options.name}-bench-`));
  const bundle = join(directory, "bundle");
  execFileSync(
    join(root, "node_modules", ".bin", "wrangler"),
    ["deploy", "--dry-run", "--outdir", bundle, hooksEntry],
    {
      cwd: root,
      stdio: "ignore",
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
    },
  );
  const server = await startLibsqlServer({ file: join(directory, "bench.db"), port: 0 });
  await migrateDatabase(server.url);
  const client = createClient({ url: server.url, intMode: "bigint" });
  const shared = { compatibilityDate: "2026-08-01", compatibilityFlags: ["nodejs_compat"] };
  const mf = new Miniflare({
    workers: [
      {
        name: "main",
        modules: true,
        scriptPath: join(bundle, "_hooks.js"),
        modulesRoot: bundle,
        ...shared,
        bindings: { LIBSQL_URL: server.url, ENVIRONMENT: "bench", ...options.bindings },
        durableObjects: {
          NODE_BOOK: { className: "NodeBidBook", useSQLite: true },
          AUCTION_ROUND: { className: "AuctionRound", useSQLite: true },
        },
      },
      {
        name: "driver",
        modules: [{ type: "ESModule", path: "driver.mjs", contents: options.driverSource }],
        ...shared,
        durableObjects: {
          [options.driverBinding.name]: {
            className: options.driverBinding.className,
            scriptName: "main",
            useSQLite: true,
          },
        },
      },
    ],
  });
  return {
    mf,
    client,
    libsqlUrl: server.url,
    async close() {
      await mf.dispose();
      client.close();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
