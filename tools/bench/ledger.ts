/**
 * Ledger throughput: transfers per second through the ledger service (one transfer per call,
 * and linked batches) beside raw libSQL inserts of the same rows into a table of the same shape
 * and indexes but without the ledger's triggers, with their ratio. Runs on a fresh, migrated
 * file database, twice: through the embedded engine (`file:` URL, the engine's own cost) and
 * through the project's libSQL HTTP server (the path the Worker takes).
 *
 * `npx tsx tools/bench/ledger.ts` or `npm run bench ledger`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Client, createClient, type InStatement } from "@libsql/client";
import { sha256HexSync } from "../../src/kit/ids";
import { createAccount } from "../../src/ledger/accounts";
import {
  planTransfers,
  type TransferRequest,
  transferFingerprintText,
} from "../../src/ledger/core/transfers";
import { createTransfers, insertStatements } from "../../src/ledger/store";
import { startLibsqlServer } from "../libsql-server/server";
import { migrateDatabase } from "../migrate";

const accountsCount = 100;
const singleCount = 1_000;
const batchSize = 500;
const batchedCount = 20_000;

async function setup(client: Client): Promise<string[]> {
  await client.execute(`CREATE TABLE raw_transfers (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, type TEXT NOT NULL, debit_account_id TEXT NOT NULL,
    credit_account_id TEXT NOT NULL, asset TEXT NOT NULL, amount INTEGER NOT NULL, pending_id TEXT, pending_released INTEGER,
    timeout_at INTEGER, flags INTEGER DEFAULT 0 NOT NULL, code TEXT NOT NULL, metadata TEXT, link_id TEXT,
    fingerprint TEXT NOT NULL, created_at INTEGER NOT NULL)`);
  await client.execute("CREATE UNIQUE INDEX raw_transfers_id ON raw_transfers (id)");
  await client.execute("CREATE INDEX raw_transfers_debit ON raw_transfers (debit_account_id, seq)");
  await client.execute("CREATE INDEX raw_transfers_credit ON raw_transfers (credit_account_id, seq)");
  const ids: string[] = [];
  for (let index = 0; index < accountsCount; index++) {
    const account = await createAccount(client, { ownerId: `bench_${index}`, asset: "CC", kind: "user" });
    ids.push(account.id);
  }
  const funding: TransferRequest[] = ids.map((id, index) => ({
    type: "posted",
    id: `fund_${index}`,
    debitAccountId: "acc_issuance_cc",
    creditAccountId: id,
    asset: "CC",
    amountMinor: 10n ** 15n,
    code: "bench_fund",
  }));
  const funded = await createTransfers(client, funding);
  if (!funded.ok) throw new Error(funded.detail);
  return ids;
}

function requestsFor(prefix: string, count: number, accounts: string[]): TransferRequest[] {
  return Array.from({ length: count }, (_, index) => ({
    type: "posted",
    id: `${prefix}_${index}`,
    debitAccountId: accounts[index % accounts.length]!,
    creditAccountId: accounts[(index * 7 + 1) % accounts.length]!,
    asset: "CC",
    amountMinor: BigInt(1 + (index % 1000)),
    code: "bench",
  }));
}

/** The same rows the ledger writes, built by the same code, into the trigger-less twin table. */
async function rawStatements(
  requests: TransferRequest[],
  nowMs: number,
  perWrite: number,
): Promise<InStatement[][]> {
  const writes: InStatement[][] = [];
  for (let start = 0; start < requests.length; start += perWrite) {
    const chunk = requests.slice(start, start + perWrite);
    const planned = planTransfers(chunk, null, new Map(), nowMs);
    if (!planned.ok) throw new Error(planned.detail);
    const prints = chunk.map((request) => sha256HexSync(transferFingerprintText(request)));
    writes.push(insertStatements(planned.value.planned, prints, null, nowMs, "raw_transfers"));
  }
  return writes;
}

async function timed(work: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

async function measure(client: Client, label: string): Promise<string[]> {
  const accounts = await setup(client);
  const nowMs = Date.now();
  const singles = requestsFor(`${label}_single`, singleCount, accounts);
  const ledgerSingleMs = await timed(async () => {
    for (const request of singles) {
      const result = await createTransfers(client, [request], { nowMs });
      if (!result.ok) throw new Error(result.detail);
    }
  });
  const rawSingles = await rawStatements(requestsFor(`${label}_rawsingle`, singleCount, accounts), nowMs, 1);
  const rawSingleMs = await timed(async () => {
    for (const write of rawSingles) await client.batch(write, "write");
  });
  const batched = requestsFor(`${label}_batch`, batchedCount, accounts);
  const ledgerBatchMs = await timed(async () => {
    for (let start = 0; start < batched.length; start += batchSize) {
      const result = await createTransfers(client, batched.slice(start, start + batchSize), { nowMs });
      if (!result.ok) throw new Error(result.detail);
    }
  });
  const rawBatched = await rawStatements(
    requestsFor(`${label}_rawbatch`, batchedCount, accounts),
    nowMs,
    batchSize,
  );
  const rawBatchMs = await timed(async () => {
    for (const write of rawBatched) await client.batch(write, "write");
  });
  const perSecond = (count: number, ms: number) => Math.round((count / ms) * 1000);
  const ledgerSingle = perSecond(singleCount, ledgerSingleMs);
  const rawSingle = perSecond(singleCount, rawSingleMs);
  const ledgerBatch = perSecond(batchedCount, ledgerBatchMs);
  const rawBatch = perSecond(batchedCount, rawBatchMs);
  return [
    `${label}: single  ledger ${ledgerSingle}/s  raw ${rawSingle}/s  ratio ${(ledgerSingle / rawSingle).toFixed(2)}  (${singleCount} transfers, one per write)`,
    `${label}: batched ledger ${ledgerBatch}/s  raw ${rawBatch}/s  ratio ${(ledgerBatch / rawBatch).toFixed(2)}  (${batchedCount} transfers, ${batchSize} per linked write)`,
  ];
}

export async function run(): Promise<{ name: string; lines: string[] }> {
  const directory = mkdtempSync(join(tmpdir(), "tfgrid-bench-ledger-"));
  const lines: string[] = [];
  try {
    const fileUrl = `file:${join(directory, "embedded.db")}`;
    await migrateDatabase(fileUrl);
    const embedded = createClient({ url: fileUrl, intMode: "bigint" });
    await embedded.execute("PRAGMA journal_mode = WAL");
    lines.push(...(await measure(embedded, "embedded")));
    embedded.close();

    const server = await startLibsqlServer({ file: join(directory, "served.db"), port: 0 });
    try {
      await migrateDatabase(server.url);
      const http = createClient({ url: server.url, intMode: "bigint" });
      lines.push(...(await measure(http, "http")));
      http.close();
    } finally {
      await server.close();
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
  return { name: "ledger transfers per second (ledger service vs raw inserts)", lines };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await run();
  for (const line of result.lines) console.log(line);
}
