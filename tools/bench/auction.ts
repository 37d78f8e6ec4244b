/**
 * Benchmark: bids per second into one exit round at concurrency 32, through the whole path a
 * client takes. The Worker is bundled with `wrangler deploy --dry-run --outdir` and run by
 * Miniflare 4 (workerd, SQLite-backed Durable Objects) against the project's local libSQL server
 * (tools/libsql-server) on a fresh, migrated file database. Each bid is an HTTP request to
 * `POST /v1/auctions/{id}/bids`: key authentication, round and account reads, the AuctionRound
 * Durable Object (limits and the close checked and the slot taken synchronously), the ledger hold
 * with the bid's mirror row in one libSQL write, and the Idempotency-Key record.
 *
 * After the bids, the round's close passes and its alarm clears and settles every bid through the
 * ledger; the bench reports how long that took (close → settled, polled every 100 ms) and checks
 * the ledger audit is balanced.
 *
 * `npx tsx tools/bench/auction.ts` or `npm run bench auction`. Needs no network.
 */
import { pathToFileURL } from "node:url";
import type { Client } from "@libsql/client";
import { createApiKey } from "../../src/kit/auth";
import { audit, createAccount } from "../../src/ledger/accounts";
import type { TransferRequest } from "../../src/ledger/core/transfers";
import { createTransfers } from "../../src/ledger/store";
import { startBenchWorker } from "./_worker";

/** Bids placed through each path (override with BENCH_AUCTION_BIDS). */
export const benchBidsCount = Number(process.env.BENCH_AUCTION_BIDS ?? 600);
/** Requests in flight at once. */
export const benchConcurrency = 32;
/** Distinct bidders (each with a key, a TFP and a USDC account). */
const biddersCount = 32;
/**
 * The RPC-path round stays open at least this long, or 1.5 × the time the HTTP path took for the
 * same number of bids (the RPC path is a subset of it); its alarm then clears and settles it.
 */
const settlementRoundOpenMsMin = 10_000;

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? Number.NaN;
}

async function seed(client: Client, adminKey: string) {
  await createApiKey(client, {
    ownerId: "adm_bench",
    role: "admin",
    name: "bench admin",
    plaintext: adminKey,
  });
  const lp = await createAccount(client, { ownerId: "lp_bench", asset: "USDC", kind: "lp" });
  const bidders: { key: string; ownerId: string; tfp: string; usdc: string }[] = [];
  const funding: TransferRequest[] = [
    {
      type: "posted",
      id: "bench_fund_lp",
      debitAccountId: "acc_issuance_usdc",
      creditAccountId: lp.id,
      asset: "USDC",
      amountMinor: 10n ** 13n,
      code: "bench_fund",
    },
  ];
  for (let index = 0; index < biddersCount; index++) {
    const ownerId = `frm_bench_${index}`;
    const { plaintext } = await createApiKey(client, { ownerId, role: "farmer", name: "bench bidder" });
    const tfp = await createAccount(client, { ownerId, asset: "TFP", kind: "farmer" });
    const usdc = await createAccount(client, { ownerId, asset: "USDC", kind: "farmer" });
    bidders.push({ key: plaintext, ownerId, tfp: tfp.id, usdc: usdc.id });
    funding.push({
      type: "posted",
      id: `bench_fund_${index}`,
      debitAccountId: "acc_issuance_tfp",
      creditAccountId: tfp.id,
      asset: "TFP",
      amountMinor: 10n ** 15n,
      code: "bench_fund",
    });
  }
  const funded = await createTransfers(client, funding);
  if (!funded.ok) throw new Error(`bench funding: ${funded.detail}`);
  const lpKey = (await createApiKey(client, { ownerId: "lp_bench", role: "lp", name: "bench lp" })).plaintext;
  return { lpAccount: lp.id, lpKey, bidders };
}

/**
 * A Worker that places bids into one round through an AuctionRound binding at a given
 * concurrency and times them with the workerd clock (which advances on I/O: fine for RPCs).
 */
const rpcDriverSource = `
export default {
  async fetch(request, env) {
    const { roundId, bids, concurrency } = await request.json();
    const stub = env.AUCTION_ROUND.get(env.AUCTION_ROUND.idFromName(roundId));
    const latenciesMs = [];
    const outcomes = {};
    let next = 0;
    const started = Date.now();
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < bids.length) {
        const bid = bids[next++];
        const sent = Date.now();
        const result = await stub.placeBid(bid);
        latenciesMs.push(Date.now() - sent);
        const outcome = result.ok ? "ok" : result.code;
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      }
    }));
    return Response.json({ elapsedMs: Date.now() - started, latenciesMs, outcomes });
  },
};
`;

type Api = (
  method: string,
  path: string,
  key: string,
  body?: unknown,
  idempotencyKey?: string,
) => Promise<{ status: number; body: Record<string, unknown> }>;

/** Timed bids at `benchConcurrency`: `place(index)` resolves to an HTTP-like status. */
async function timedBids(count: number, place: (index: number) => Promise<number>) {
  const statuses = new Map<number, number>();
  const latenciesMs: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: benchConcurrency }, async () => {
      while (next < count) {
        const index = next++;
        const sent = performance.now();
        const status = await place(index);
        latenciesMs.push(performance.now() - sent);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status !== 201) throw new Error(`bid ${index} answered ${status}`);
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  latenciesMs.sort((left, right) => left - right);
  return {
    elapsedMs,
    line: `${latenciesMs.length} bids in ${(elapsedMs / 1000).toFixed(2)} s → ${Math.round((latenciesMs.length * 1000) / elapsedMs)} bids/s; latency ms p50 ${percentile(latenciesMs, 0.5).toFixed(1)}, p90 ${percentile(latenciesMs, 0.9).toFixed(1)}, p99 ${percentile(latenciesMs, 0.99).toFixed(1)}, max ${(latenciesMs.at(-1) ?? Number.NaN).toFixed(1)}`,
  };
}

async function openBenchRound(api: Api, adminKey: string, poolId: string, closesInMs: number, name: string) {
  const round = await api(
    "POST",
    "/v1/auctions",
    adminKey,
    {
      poolId,
      closesAt: new Date(Date.now() + closesInMs).toISOString(),
      reference: { source: "fixed", price: "0.05" },
      limits: { maxBidsPerOwner: benchBidsCount, maxBidsPerRound: benchBidsCount + biddersCount },
    },
    `bench-round-${name}`,
  );
  if (round.status !== 201) throw new Error(`round: ${JSON.stringify(round.body)}`);
  return String(round.body.id);
}

/** Runs the benchmark; figures in the returned lines. */
export async function run(): Promise<{ name: string; lines: string[] }> {
  const worker = await startBenchWorker({
    name: "auction",
    bindings: { AUCTION_CADENCE_HOURS: "0" },
    driverSource: rpcDriverSource,
    driverBinding: { name: "AUCTION_ROUND", className: "AuctionRound" },
  });
  const { mf, client } = worker;
  try {
    const adminKey = "tfm_BenchAdmin01_BenchAdminSecretBenchAdminSecret";
    const { lpAccount, lpKey, bidders } = await seed(client, adminKey);
    await mf.ready;
    const api: Api = async (method, path, key, body, idempotencyKey) => {
      const response = await mf.dispatchFetch(`http://bench.local${path}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...(idempotencyKey ? { "idempotency-key": idempotencyKey } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const health = async () => (await api("GET", "/v1/health", adminKey)).status;

    const pools: string[] = [];
    for (const name of ["http", "rpc"]) {
      const pool = await api("POST", "/v1/pools", adminKey, { name: `bench pool ${name}` });
      const poolId = String(pool.body.id);
      const contributed = await api(
        "POST",
        `/v1/pools/${poolId}/positions`,
        lpKey,
        { asset: "USDC", amount: "1000000", accountId: lpAccount },
        `bench-contribution-${name}`,
      );
      if (contributed.status !== 201) throw new Error(`contribution: ${JSON.stringify(contributed.body)}`);
      pools.push(poolId);
    }
    const bidBody = (index: number) => {
      const bidder = bidders[index % bidders.length]!;
      return {
        bidder,
        body: {
          amount: String(10 + (index % 90)),
          minPrice: `0.0${(index % 4) + 1}`,
          accountId: bidder.tfp,
          payoutAccountId: bidder.usdc,
        },
      };
    };

    // Baseline: the cheapest route (one libSQL query), same concurrency, to show this machine's floor.
    await timedBids(biddersCount, async () => ((await health()) === 200 ? 201 : 500));
    const baseline = await timedBids(benchBidsCount, async () => ((await health()) === 200 ? 201 : 500));

    // 1. The full HTTP path into one round (closes long after the bench).
    const httpRound = await openBenchRound(api, adminKey, pools[0]!, 3_600_000, "http");
    const placeHttp = async (index: number) => {
      const { bidder, body } = bidBody(index);
      return (await api("POST", `/v1/auctions/${httpRound}/bids`, bidder.key, body, `bench-bid-${index}`))
        .status;
    };
    await Promise.all(bidders.map((_, index) => placeHttp(1_000_000 + index))); // warm-up, untimed
    const http = await timedBids(benchBidsCount, placeHttp);

    // 2. The Durable Object's RPC path alone (placeBid: checks, slot, ledger hold + mirror row),
    //    driven from a second Worker inside the same workerd through a DO binding, timed there;
    //    this round then closes and settles.
    const rpcOpenMs = Math.max(settlementRoundOpenMsMin, Math.ceil(1.5 * http.elapsedMs) + 5_000);
    const rpcRound = await openBenchRound(api, adminKey, pools[1]!, rpcOpenMs, "rpc");
    const driver = await mf.getWorker("driver");
    const drive = async (from: number, count: number) => {
      const bids = Array.from({ length: count }, (_, offset) => {
        const { bidder, body } = bidBody(from + offset);
        return {
          bidId: `bid_rpc${from + offset}`,
          ownerId: bidder.ownerId,
          accountId: body.accountId,
          payoutAccountId: body.payoutAccountId,
          amountMinor: `${body.amount}0000000`,
          minPrice: body.minPrice,
        };
      });
      const response = await driver.fetch("http://driver.local/", {
        method: "POST",
        body: JSON.stringify({ roundId: rpcRound, bids, concurrency: benchConcurrency }),
      });
      return (await response.json()) as {
        elapsedMs: number;
        latenciesMs: number[];
        outcomes: Record<string, number>;
      };
    };
    await drive(1_000_000, biddersCount); // warm-up, untimed
    const driven = await drive(0, benchBidsCount);
    if ((driven.outcomes.ok ?? 0) !== benchBidsCount)
      throw new Error(`RPC bids: ${JSON.stringify(driven.outcomes)}`);
    driven.latenciesMs.sort((left, right) => left - right);
    const rpc = {
      line: `${benchBidsCount} bids in ${(driven.elapsedMs / 1000).toFixed(2)} s → ${Math.round((benchBidsCount * 1000) / driven.elapsedMs)} bids/s; latency ms p50 ${percentile(driven.latenciesMs, 0.5)}, p90 ${percentile(driven.latenciesMs, 0.9)}, p99 ${percentile(driven.latenciesMs, 0.99)}, max ${driven.latenciesMs.at(-1)} (workerd clock)`,
    };

    // 3. Settlement of the RPC round: its alarm clears and settles every bid at the close.
    let settled: { settledAtMs: number; closesAtMs: number; clearedAtMs: number } | null = null;
    const deadline = Date.now() + rpcOpenMs + 120_000;
    while (Date.now() < deadline) {
      const row = (
        await client.execute({
          sql: "SELECT state, settled_at, cleared_at, closes_at FROM auction_rounds WHERE id = ?",
          args: [rpcRound],
        })
      ).rows[0]!;
      if (row.state === "settled") {
        settled = {
          settledAtMs: Number(row.settled_at),
          clearedAtMs: Number(row.cleared_at),
          closesAtMs: Number(row.closes_at),
        };
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const transfers = Number(
      (
        await client.execute({
          sql: "SELECT count(*) AS n FROM transfers WHERE id LIKE ? AND id NOT LIKE '%.hold'",
          args: [`${rpcRound}.%`],
        })
      ).rows[0]!.n,
    );
    const report = await audit(client);
    return {
      name: "auction",
      lines: [
        `Miniflare 4 (workerd) on the wrangler --dry-run bundle, local libSQL server, concurrency ${benchConcurrency}, ${biddersCount} bidders`,
        `baseline GET /v1/health (1 libSQL query): ${baseline.line}`,
        `HTTP POST /v1/auctions/{id}/bids (auth, round and account reads, DO, ledger hold, idempotency record): ${http.line}`,
        `DO RPC placeBid from a Worker in the same workerd (checks, slot, one libSQL write: hold + mirror row): ${rpc.line}`,
        settled
          ? `settlement of the RPC round (${benchBidsCount + biddersCount} bids, ${transfers} settlement transfers): close → cleared ${settled.clearedAtMs - settled.closesAtMs} ms, cleared → settled ${settled.settledAtMs - settled.clearedAtMs} ms`
          : "settlement: did not finish within 2 minutes of the close",
        `audit balanced: ${report.balanced}`,
      ],
    };
  } finally {
    await worker.close();
  }
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
  run().then(
    ({ lines }) => {
      for (const line of lines) console.log(line);
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
