/**
 * Times one oracle round (`runOracleRound`) against five local HTTP servers standing in for the
 * providers (three gold, two TFT), answering in their documented shapes. Prints the median of a
 * few timed rounds after a warm-up; `run()` returns the figures.
 *
 *   npx tsx tools/bench/oracle.ts
 *
 * What it measures: the fetch layer's own cost (five concurrent requests over loopback, bounded
 * body reads, zod parsing, aggregation), not any provider's latency.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { parseSourceConfig, runOracleRound } from "../../src/oracle/sources";

export type OracleBenchFigures = {
  readonly sources: number;
  readonly warmupRounds: number;
  readonly timedRounds: number;
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  /** The last round's prices, to show the round did real work. */
  readonly goldUsdPerGram: string | null;
  readonly tftUsd: string | null;
};

type Stand = {
  readonly id: string;
  readonly kind: "gold" | "tft";
  readonly adapter: unknown;
  readonly body: () => string;
};

const isoNow = () => new Date().toISOString();
const stands: readonly Stand[] = [
  {
    id: "coingecko-paxg",
    kind: "gold",
    adapter: { type: "coingecko_simple_price", coinId: "pax-gold", unit: "usd_per_troy_ounce" },
    body: () =>
      JSON.stringify({ "pax-gold": { usd: 3981.23, last_updated_at: Math.floor(Date.now() / 1000) } }),
  },
  {
    id: "gold-api",
    kind: "gold",
    adapter: { type: "gold_api" },
    body: () =>
      JSON.stringify({ currency: "USD", name: "Gold", price: 3985, symbol: "XAU", updatedAt: isoNow() }),
  },
  {
    id: "metals-dev",
    kind: "gold",
    adapter: { type: "metals_dev" },
    body: () =>
      JSON.stringify({
        status: "success",
        currency: "USD",
        unit: "g",
        metals: { gold: 128.05, silver: 1.62 },
        timestamps: { metal: isoNow(), currency: isoNow() },
      }),
  },
  {
    id: "coingecko-tft",
    kind: "tft",
    adapter: { type: "coingecko_simple_price", coinId: "threefold-token", unit: "usd" },
    body: () => JSON.stringify({ "threefold-token": { usd: 0.0141 } }),
  },
  {
    id: "stellar-tft-usdc",
    kind: "tft",
    adapter: { type: "stellar_order_book" },
    body: () =>
      JSON.stringify({
        bids: [{ price_r: { n: 7, d: 500 }, price: "0.0140000", amount: "5000.0000000" }],
        asks: [{ price_r: { n: 71, d: 5000 }, price: "0.0142000", amount: "5000.0000000" }],
        base: { asset_type: "credit_alphanum4", asset_code: "TFT" },
        counter: { asset_type: "credit_alphanum4", asset_code: "USDC" },
      }),
  },
];

async function listen(stand: Stand): Promise<{ server: Server; url: string }> {
  const server = createServer((_, response) => {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(stand.body());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Runs the benchmark: `warmupRounds` untimed rounds, then `timedRounds` timed ones. */
export async function run(timedRounds = 31, warmupRounds = 5): Promise<OracleBenchFigures> {
  const servers = await Promise.all(stands.map(listen));
  try {
    const config = parseSourceConfig(
      stands.map((stand, index) => ({
        id: stand.id,
        kind: stand.kind,
        url: servers[index]!.url,
        adapter: stand.adapter,
      })),
    );
    if (!config.ok) throw new Error(`bench source config: ${config.detail}`);
    const durationsMs: number[] = [];
    let last: Awaited<ReturnType<typeof runOracleRound>> | undefined;
    for (let round = 0; round < warmupRounds + timedRounds; round += 1) {
      const started = performance.now();
      last = await runOracleRound(config.value, fetch, Date.now());
      if (round >= warmupRounds) durationsMs.push(performance.now() - started);
    }
    if (last === undefined || !last.gold.quorumMet || !last.tft.quorumMet) {
      throw new Error("bench round did not reach quorum: the numbers would be meaningless");
    }
    const round2 = (value: number) => Math.round(value * 100) / 100;
    return {
      sources: stands.length,
      warmupRounds,
      timedRounds,
      medianMs: round2(median(durationsMs)),
      minMs: round2(Math.min(...durationsMs)),
      maxMs: round2(Math.max(...durationsMs)),
      goldUsdPerGram: last.gold.accepted,
      tftUsd: last.tft.accepted,
    };
  } finally {
    for (const { server } of servers) server.closeAllConnections();
    await Promise.all(
      servers.map(({ server }) => new Promise<void>((resolve) => server.close(() => resolve()))),
    );
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await run();
  console.log(
    `oracle round, ${figures.sources} local sources: median ${figures.medianMs} ms ` +
      `(min ${figures.minMs}, max ${figures.maxMs}, ${figures.timedRounds} rounds after ${figures.warmupRounds} warm-up); ` +
      `gold ${figures.goldUsdPerGram} USD/g, TFT ${figures.tftUsd} USD`,
  );
}
