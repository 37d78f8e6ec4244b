/**
 * Benchmark of the capacity market. The Worker is bundled with `wrangler deploy --dry-run --outdir`
 * and run by Miniflare 4 (workerd, SQLite-backed Durable Objects) against the project's own libSQL
 * server (tools/libsql-server) on a fresh, migrated file database. Figures:
 *
 * 1. Bids per second into one node's bid book at concurrency 32, beside two no-op calls to the same
 *    Durable Object in the same run: `ping` (carries nothing) and `echo` (carries the bid's
 *    arguments there and a placed bid's answer back), with ratios and p50/p99 latency. All are
 *    driven from a second Worker inside the same workerd through a NODE_BOOK binding and timed
 *    there, so the figure is the book itself (zod parse, the transition, the group's holds in one
 *    ledger batch, the durable storage write), not the Node ↔ workerd hop. The book places each
 *    bid's hold itself, after checking the bid, so the bidders' accounts are funded first. Beside
 *    it, the pure domain transitions in Node, one bid at a time and in groups of 32.
 * 2. The same bids end to end through `POST /v1/nodes/{id}/bids` (key check, node read, the ledger
 *    hold, the book, the Idempotency-Key record), from Node.
 * 3. The time to settle an hour of 10,000 running leases: 100 nodes × 100 one-slice leases
 *    (reserved through the books, each with its ledger hold), then every book's clock moves one
 *    hour and all 100 settle concurrently (80/10/10 split, TFT burn record, settlement rows).
 * 4. The market listing over 10,000+ nodes: `GET /v1/market/slices` with filters and sorts,
 *    through the Worker, p50/p99 over repeated queries.
 *
 * `npx tsx tools/bench/market.ts` or `npm run bench market`; `BENCH_MARKET_BOOK_ONLY=1` stops after
 * figure 1. Needs no network.
 */
import { pathToFileURL } from "node:url";
import type { Client, InStatement } from "@libsql/client";
import { createApiKey } from "../../src/kit/auth";
import { audit, createAccount } from "../../src/ledger/accounts";
import { Dec } from "../../src/ledger/core/money";
import type { TransferRequest } from "../../src/ledger/core/transfers";
import { createTransfers } from "../../src/ledger/store";
import { openBook, placeBids } from "../../src/market/core/bidbook";
import { findCatalogueNode } from "../../src/market/core/catalogue";
import { defaultMarketParameters } from "../../src/market/core/parameters";
import { sliceNode } from "../../src/market/core/quote";
import { insertNodeStatement, listMarket } from "../../src/market/store/nodes";
import { planNode } from "../../src/market/store/registration";
import { recordRound } from "../../src/oracle/prices";
import { startBenchWorker } from "./_worker";

/** Requests in flight at once (bids, pings, reservations). */
export const benchConcurrency = 32;
/** Bids into the largest measured book: one book holds at most 1,000 open bids. */
const bidsCount = 1_000;
/** Accounts the book-level bids pay from (`acc_bench_bidder_<n>`): 1,000 bids stay within 20 open bids each. */
const bookBidderAccounts = 50;
/** Bids through the HTTP route (each with its ledger hold). */
const httpBidsCount = Number(process.env.BENCH_MARKET_HTTP_BIDS ?? 300);
/** Nodes and one-slice leases per node for the settlement figure. */
const settlementNodes = 100;
const leasesPerNode = 100;
/** Nodes in the listing (besides the ones above). */
const listingNodes = 10_000;
const hourMs = 3_600_000;

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? Number.NaN;
}

function summary(label: string, count: number, elapsedMs: number, latenciesMs: number[]): string {
  const sorted = [...latenciesMs].sort((left, right) => left - right);
  return `${label}: ${count} in ${(elapsedMs / 1000).toFixed(2)} s → ${Math.round((count * 1000) / elapsedMs)}/s; latency ms p50 ${percentile(sorted, 0.5).toFixed(1)}, p99 ${percentile(sorted, 0.99).toFixed(1)}`;
}

/** Runs calls from inside workerd through a NODE_BOOK binding, timed with the workerd clock. */
const driverSource = `
const hourMs = 3_600_000;
async function pool(count, concurrency, call) {
  const latenciesMs = [];
  const outcomes = {};
  let next = 0;
  const started = Date.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const index = next++;
      const sent = Date.now();
      const result = await call(index);
      latenciesMs.push(Date.now() - sent);
      const outcome = result === true || result?.ok ? "ok" : (result?.code ?? String(result));
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }
  }));
  return { elapsedMs: Date.now() - started, latenciesMs, outcomes };
}
export default {
  async fetch(request, env) {
    const input = await request.json();
    const book = (nodeId) => env.NODE_BOOK.get(env.NODE_BOOK.idFromName(nodeId));
    if (input.op === "ping") {
      const stub = book(input.nodeId);
      return Response.json(await pool(input.count, input.concurrency, async () => (await stub.ping()) === "pong"));
    }
    if (input.op === "open") {
      return Response.json(await book(input.nodeId).open({ nodeId: input.nodeId }));
    }
    if (input.op === "bids" || input.op === "echo") {
      const stub = book(input.nodeId);
      const bid = (index) => ({
        nodeId: input.nodeId,
        bidId: "bid_" + input.prefix + index,
        ownerId: "usr_bench_" + (index % input.accounts),
        payerAccountId: "acc_bench_bidder_" + (index % input.accounts),
        slices: 1 + (index % 3),
        priceCcPerSliceHour: "0.0" + (10 + (index % 80)),
        openMs: 24 * hourMs,
      });
      if (input.op === "echo") {
        // The bid's arguments there and an answer of a placed bid's size back.
        return Response.json(await pool(input.count, input.concurrency, async (index) => {
          const request = bid(index);
          const answer = await stub.echo({ ok: true, value: { ...request, status: "open", expiresAtMs: 0, holdIds: ["hold_" + request.bidId], leaseId: null } });
          return answer.ok === true;
        }));
      }
      return Response.json(await pool(input.count, input.concurrency, (index) => stub.placeBid(bid(index))));
    }
    if (input.op === "reserve") {
      const stub = book(input.nodeId);
      return Response.json(await pool(input.count, input.concurrency, (index) => stub.reserve({
        nodeId: input.nodeId,
        leaseId: "lse_" + input.nodeId.slice(5) + "_" + index,
        ownerId: input.ownerId,
        payerAccountId: input.payers[index % input.payers.length],
        kind: "onDemand",
        slices: 1,
        durationMs: null,
        pricing: { type: "listed", ccUsd: "0.128" },
        source: "reservation",
        sourceId: null,
      })));
    }
    if (input.op === "settle") {
      const started = Date.now();
      // One hour passes on the service's clock (the whole isolate), then every book settles it.
      await book(input.nodeIds[0]).shiftClock(hourMs);
      const results = await Promise.all(input.nodeIds.map((nodeId) => book(nodeId).settleNow({ nodeId })));
      return Response.json({ elapsedMs: Date.now() - started, failed: results.filter((result) => !result.ok).length });
    }
    return new Response("unknown op", { status: 400 });
  },
};
`;

type Pooled = { elapsedMs: number; latenciesMs: number[]; outcomes: Record<string, number> };

/** Inserts registered nodes straight into libSQL (their books open from the rows on first use). */
async function insertNodes(
  client: Client,
  farmerId: string,
  payoutAccountId: string,
  count: number,
  prefix: string,
  catalogueId: string,
  sliceCount: number,
  vary: boolean,
): Promise<string[]> {
  const preset = findCatalogueNode(catalogueId);
  if (!preset) throw new Error(`no catalogue node ${catalogueId}`);
  const ids: string[] = [];
  let statements: InStatement[] = [];
  const regions = ["eu-west", "eu-central", "us-east", "us-west", "ap-south"];
  for (let index = 0; index < count; index++) {
    const id = `node_${prefix}${index}`;
    const slices = vary ? 1 + (index % preset.hardware.maxSlices) : sliceCount;
    const sliced = sliceNode(preset.hardware, slices, "memory", defaultMarketParameters);
    if (!sliced.ok) throw new Error(sliced.detail);
    // Prices inside the band: from its minimum up to 2.8 × it (the band spans 7.5 × hourly, 10 × monthly).
    const { band } = sliced.value;
    const priceHour = new Dec(band.minPerSliceHour)
      .mul(1 + (index % 19) / 10)
      .toDecimalPlaces(9, Dec.ROUND_UP)
      .toFixed();
    const priceMonth = new Dec(band.minPerSliceMonth).mul(2).toDecimalPlaces(9, Dec.ROUND_UP).toFixed();
    const planned = planNode(
      {
        id,
        farmerId,
        payoutAccountId,
        name: `${prefix} ${index}`,
        catalogueId: preset.id,
        region: regions[index % regions.length]!,
        certified: preset.certified,
        hardware: preset.hardware,
        hardwareCostUsd: preset.hardwareCostUsd,
        sliceCount: slices,
        bandProfile: null,
        pricePerSliceMonth: priceMonth,
        pricePerSliceHour: priceHour,
        minBidCcPerSliceHour: "0.01",
        autoAcceptAboveCcPerSliceHour: null,
        state: "online",
      },
      defaultMarketParameters,
      "0.128",
      Date.now(),
    );
    if (!planned.ok) throw new Error(`node ${id}: ${planned.detail}`);
    statements.push(insertNodeStatement(planned.value));
    ids.push(id);
    if (statements.length === 250) {
      await client.batch(statements, "write");
      statements = [];
    }
  }
  if (statements.length > 0) await client.batch(statements, "write");
  return ids;
}

/** Runs the benchmark; figures in the returned lines. */
export async function run(): Promise<{ name: string; lines: string[] }> {
  const lines: string[] = [];
  const worker = await startBenchWorker({
    name: "market",
    bindings: { MARKET_BAND_CURRENCY: "USD" },
    driverSource: driverSource,
    driverBinding: { name: "NODE_BOOK", className: "NodeBidBook" },
  });
  const { mf, client } = worker;
  try {
    const nowMs = Date.now();
    for (const [kind, priceUsd] of [
      ["gold", "128"],
      ["tft", "0.05"],
    ] as const) {
      await recordRound(
        client,
        {
          kind,
          priceUsd,
          quorumMet: true,
          source: "manual",
          reason: "bench",
          expiresAtMs: nowMs + 30 * 24 * hourMs,
        },
        nowMs,
      );
    }
    // The accounts the book-level bids pay from (each bid's hold is placed by the book).
    const bookBidders: TransferRequest[] = [];
    for (let index = 0; index < bookBidderAccounts; index++) {
      const account = await createAccount(client, {
        ownerId: `usr_bench_${index}`,
        asset: "CC",
        kind: "user",
        id: `acc_bench_bidder_${index}`,
      });
      bookBidders.push({
        type: "posted",
        id: `bench_fund_book_${index}`,
        debitAccountId: "acc_issuance_cc",
        creditAccountId: account.id,
        asset: "CC",
        amountMinor: 10n ** 12n,
        code: "bench_fund",
      });
    }
    const bookFunded = await createTransfers(client, bookBidders);
    if (!bookFunded.ok) throw new Error(bookFunded.detail);
    const farmerId = "frm_bench";
    const payout = await createAccount(client, { ownerId: farmerId, asset: "CC", kind: "farmer" });
    const [warmNode, httpNode, ...bidNodes] = await insertNodes(
      client,
      farmerId,
      payout.id,
      13,
      "bids",
      "large-tfgrid-node",
      100,
      false,
    );
    await mf.ready;
    const driver = await mf.getWorker("driver");
    const drive = async (input: Record<string, unknown>) => {
      const response = await driver.fetch("http://driver.local/", {
        method: "POST",
        body: JSON.stringify(input),
      });
      if (!response.ok) throw new Error(`driver: ${response.status} ${await response.text()}`);
      return response.json();
    };

    // 1. Bids into one book beside two no-op calls to the same object in the same run: `ping`
    //    (nothing carried) and `echo` (the bid's arguments there, a placed bid's answer back). Each
    //    figure fills fresh books, opened beforehand: ten books 0 → 100 open bids, and one book
    //    0 → 1,000 (the most one book holds). The no-op figures are taken before and after the
    //    bids and averaged. Warm-up first, on a book of its own.
    const drivePool = async (input: Record<string, unknown>) => (await drive(input)) as Pooled;
    await drive({ op: "open", nodeId: warmNode });
    await drive({ op: "ping", nodeId: warmNode, count: 500, concurrency: benchConcurrency });
    await drive({
      op: "echo",
      nodeId: warmNode,
      prefix: "warm",
      count: 500,
      concurrency: benchConcurrency,
      accounts: bookBidderAccounts,
    });
    await drive({
      op: "bids",
      nodeId: warmNode,
      prefix: "warm",
      count: 200,
      concurrency: benchConcurrency,
      accounts: bookBidderAccounts,
    });
    lines.push(`book RPC (workerd clock, concurrency ${benchConcurrency}; fresh books filling up):`);
    for (const [size, nodeIds] of [
      [100, bidNodes.slice(1)],
      [bidsCount, bidNodes.slice(0, 1)],
    ] as const) {
      const calls = size * nodeIds.length;
      const noOps = async () => {
        const baseline = { nodeId: nodeIds[0], count: calls, concurrency: benchConcurrency };
        return {
          ping: await drivePool({ op: "ping", ...baseline }),
          echo: await drivePool({ op: "echo", ...baseline, prefix: "echo", accounts: bookBidderAccounts }),
        };
      };
      for (const nodeId of nodeIds) await drive({ op: "open", nodeId });
      const before = await noOps();
      const bids: Pooled = { elapsedMs: 0, latenciesMs: [], outcomes: {} };
      for (const nodeId of nodeIds) {
        const filled = await drivePool({
          op: "bids",
          nodeId,
          // Bid ids (and so hold ids) differ from book to book: the ledger's ids are global.
          prefix: `s${size}_${nodeId.slice(5)}_`,
          count: size,
          concurrency: benchConcurrency,
          accounts: bookBidderAccounts,
        });
        if ((filled.outcomes.ok ?? 0) !== size) throw new Error(`bids: ${JSON.stringify(filled.outcomes)}`);
        bids.elapsedMs += filled.elapsedMs;
        bids.latenciesMs.push(...filled.latenciesMs);
      }
      const after = await noOps();
      const books = nodeIds.length === 1 ? "one book" : `${nodeIds.length} books`;
      lines.push(`  ${books} 0 → ${size} open bids (${calls} calls each):`);
      const bidsPerSecond = calls / Math.max(1, bids.elapsedMs);
      for (const name of ["ping", "echo"] as const) {
        const merged: Pooled = {
          elapsedMs: before[name].elapsedMs + after[name].elapsedMs,
          latenciesMs: [...before[name].latenciesMs, ...after[name].latenciesMs],
          outcomes: {},
        };
        lines.push(
          `    ${summary(`${name} (no-op), mean of 2 runs`, calls * 2, Math.max(1, merged.elapsedMs), merged.latenciesMs)}`,
        );
      }
      lines.push(`    ${summary("placeBid", calls, Math.max(1, bids.elapsedMs), bids.latenciesMs)}`);
      for (const name of ["ping", "echo"] as const) {
        const baseline = (calls * 2) / Math.max(1, before[name].elapsedMs + after[name].elapsedMs);
        lines.push(`    ratio placeBid / ${name} = ${(bidsPerSecond / baseline).toFixed(2)}`);
      }
    }
    // The pure domain transitions alone (src/market/core/bidbook, plain Node): one bid per transition,
    // as a lone bid is placed, and groups of 32, as the Durable Object places bids that arrive
    // together. Each transition copies the book's arrays and checks it whole, so a lone bid's cost
    // grows with the open bids; a group shares that cost.
    for (const [size, group] of [
      [100, 1],
      [bidsCount, 1],
      [bidsCount, benchConcurrency],
    ] as const) {
      const opened = openBook({
        nodeId: "node_domain",
        sliceCount: 100,
        state: "online",
        listedPriceCcPerSliceHour: "0.078125",
        minBidCcPerSliceHour: "0.01",
        autoAcceptAboveCcPerSliceHour: null,
      });
      if (!opened.ok) throw new Error(opened.detail);
      let book = opened.value;
      const domainStarted = performance.now();
      for (let index = 0; index < size; index += group) {
        const inputs = Array.from({ length: Math.min(group, size - index) }, (_, offset) => ({
          bidId: `bid_domain${index + offset}`,
          accountId: `acc_bench_bidder_${(index + offset) % 50}`,
          slices: 1 + ((index + offset) % 3),
          priceCcPerSliceHour: `0.0${10 + ((index + offset) % 80)}`,
          expiresAtMs: nowMs + 24 * hourMs,
          nowMs,
        }));
        const placed = placeBids(book, inputs, nowMs);
        if (!placed.ok || placed.value.refusals.some((refusal) => refusal !== undefined))
          throw new Error("domain bids refused");
        book = placed.value.book;
      }
      const domainMs = performance.now() - domainStarted;
      lines.push(
        `  domain placeBids alone, 0 → ${size} bids in groups of ${group}: ${domainMs.toFixed(0)} ms (${((domainMs * 1000) / size).toFixed(0)} µs per bid, Node)`,
      );
    }

    if (process.env.BENCH_MARKET_BOOK_ONLY === "1") return { name: "market", lines };
    // 2. Bids end to end through the route (key, node read, ledger hold, book, idempotency record).
    const bidders: { key: string; accountId: string }[] = [];
    const funding: TransferRequest[] = [];
    for (let index = 0; index < 20; index++) {
      const ownerId = `usr_bench_http_${index}`;
      const { plaintext } = await createApiKey(client, { ownerId, role: "user", name: "bench bidder" });
      const account = await createAccount(client, { ownerId, asset: "CC", kind: "user" });
      bidders.push({ key: plaintext, accountId: account.id });
      funding.push({
        type: "posted",
        id: `bench_fund_http_${index}`,
        debitAccountId: "acc_issuance_cc",
        creditAccountId: account.id,
        asset: "CC",
        amountMinor: 10n ** 12n,
        code: "bench_fund",
      });
    }
    const funded = await createTransfers(client, funding);
    if (!funded.ok) throw new Error(funded.detail);
    const postBid = async (index: number) => {
      const bidder = bidders[index % bidders.length]!;
      const response = await mf.dispatchFetch(`http://bench.local/v1/nodes/${httpNode}/bids`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${bidder.key}`,
          "content-type": "application/json",
          "idempotency-key": `bench-bid-${index}`,
        },
        body: JSON.stringify({
          slices: 1,
          priceCcPerSliceHour: `0.0${10 + (index % 80)}`,
          accountId: bidder.accountId,
        }),
      });
      await response.arrayBuffer();
      return response.status;
    };
    await Promise.all(Array.from({ length: 20 }, (_, index) => postBid(100_000 + index)));
    const httpLatencies: number[] = [];
    let httpNext = 0;
    const httpStarted = performance.now();
    await Promise.all(
      Array.from({ length: benchConcurrency }, async () => {
        while (httpNext < httpBidsCount) {
          const index = httpNext++;
          const sent = performance.now();
          const status = await postBid(index);
          httpLatencies.push(performance.now() - sent);
          if (status !== 201) throw new Error(`HTTP bid ${index}: ${status}`);
        }
      }),
    );
    lines.push(
      `  ${summary("POST /v1/nodes/{id}/bids end to end (Node clock, with the ledger hold)", httpBidsCount, performance.now() - httpStarted, httpLatencies)}`,
    );

    // 3. An hour of 10,000 running leases.
    const payers: string[] = [];
    const payerFunding: TransferRequest[] = [];
    for (let index = 0; index < 50; index++) {
      const account = await createAccount(client, {
        ownerId: `usr_bench_payer_${index}`,
        asset: "CC",
        kind: "user",
      });
      payers.push(account.id);
      payerFunding.push({
        type: "posted",
        id: `bench_fund_payer_${index}`,
        debitAccountId: "acc_issuance_cc",
        creditAccountId: account.id,
        asset: "CC",
        amountMinor: 10n ** 13n,
        code: "bench_fund",
      });
    }
    const payersFunded = await createTransfers(client, payerFunding);
    if (!payersFunded.ok) throw new Error(payersFunded.detail);
    const settleNodes = await insertNodes(
      client,
      farmerId,
      payout.id,
      settlementNodes,
      "settle",
      "large-tfgrid-node",
      leasesPerNode,
      false,
    );
    const setupStarted = performance.now();
    let nodeNext = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (nodeNext < settleNodes.length) {
          const nodeId = settleNodes[nodeNext++]!;
          const reserved = (await drive({
            op: "reserve",
            nodeId,
            count: leasesPerNode,
            concurrency: 8,
            ownerId: "usr_bench_payer",
            payers,
          })) as Pooled;
          if ((reserved.outcomes.ok ?? 0) !== leasesPerNode)
            throw new Error(`reserve: ${JSON.stringify(reserved.outcomes)}`);
        }
      }),
    );
    const setupMs = performance.now() - setupStarted;
    const settleStarted = performance.now();
    const settled = (await drive({ op: "settle", nodeIds: settleNodes })) as {
      elapsedMs: number;
      failed: number;
    };
    const settleMs = performance.now() - settleStarted;
    const counts = (
      await client.execute(
        "SELECT count(*) AS rows, COALESCE(SUM(charge_minor), 0) AS charged FROM settlements",
      )
    ).rows[0]!;
    const report = await audit(client);
    lines.push(
      `settlement: ${settlementNodes} nodes × ${leasesPerNode} leases reserved (each with its hold) in ${(setupMs / 1000).toFixed(1)} s; ` +
        `one hour of all ${settlementNodes * leasesPerNode} settled in ${(settleMs / 1000).toFixed(2)} s ` +
        `(workerd clock ${(settled.elapsedMs / 1000).toFixed(2)} s, ${Math.round((Number(counts.rows) * 1000) / settleMs)} lease-hours/s); ` +
        `${counts.rows} settlement rows, ${settled.failed} books failed; audit balanced: ${report.balanced}`,
    );

    // 4. The listing over 10,000 more nodes.
    await insertNodes(client, farmerId, payout.id, listingNodes, "list", "mini-3", 25, true);
    await client.execute(
      "UPDATE nodes SET reliability_bp = abs(random()) % 10001, free_slices = abs(random()) % (slice_count + 1) WHERE id LIKE 'node_list%'",
    );
    const nodeCount = Number((await client.execute("SELECT count(*) AS n FROM nodes")).rows[0]!.n);
    const queries = [
      "sort=price&limit=50",
      "minMemGb=4&minReliability=0.9&sort=price&limit=50",
      "region=us-east&maxPricePerSliceHour=0.01&sort=reliability&limit=50",
      "minCores=1&minFreeSlices=10&sort=memory&limit=200",
      "gpu=false&certified=false&sort=-price&limit=50&cursor=20000000.node_list5",
    ];
    const direct: number[] = [];
    for (let attempt = 0; attempt < 45; attempt++) {
      const sent = performance.now();
      await listMarket(
        client,
        { state: "online", minFreeSlices: 1, minMemMilli: 4_000n, minReliabilityBp: 9_000 },
        "price",
        null,
        50,
      );
      if (attempt >= 5) direct.push(performance.now() - sent);
    }
    direct.sort((left, right) => left - right);
    lines.push(
      `listing query alone (listMarket over libSQL HTTP from Node, minMemGb=4&minReliability=0.9&sort=price, ${nodeCount} nodes): p50 ${percentile(direct, 0.5).toFixed(1)} ms, p99 ${percentile(direct, 0.99).toFixed(1)} ms`,
    );
    lines.push(`listing: GET /v1/market/slices over ${nodeCount} nodes through the Worker, 40 runs each:`);
    for (const query of queries) {
      const latencies: number[] = [];
      let rows = 0;
      for (let attempt = 0; attempt < 45; attempt++) {
        const sent = performance.now();
        const response = await mf.dispatchFetch(`http://bench.local/v1/market/slices?${query}`);
        const body = (await response.json()) as { data?: unknown[] };
        if (response.status !== 200) throw new Error(`listing ${query}: ${response.status}`);
        if (attempt >= 5) latencies.push(performance.now() - sent);
        rows = body.data?.length ?? 0;
      }
      latencies.sort((left, right) => left - right);
      lines.push(
        `  ${query} → ${rows} rows; p50 ${percentile(latencies, 0.5).toFixed(1)} ms, p99 ${percentile(latencies, 0.99).toFixed(1)} ms`,
      );
    }
    return { name: "market", lines };
  } finally {
    await worker.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const result = await run();
  console.log(`## ${result.name}`);
  for (const line of result.lines) console.log(`  ${line}`);
}
