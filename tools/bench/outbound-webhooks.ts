/**
 * Outbound webhook throughput: deliveries per second through the queue.
 *
 *   npx tsx tools/bench/outbound-webhooks.ts      (or `npm run bench outbound`)
 *
 * What it measures: the Worker (bundled by `wrangler deploy --dry-run`) in Miniflare 4 with its
 * real queue producer and consumer (the WEBHOOK_DELIVERIES queue, batches of up to 50, a 1 s batch
 * timeout, as in wrangler.toml), the project's libSQL server on a fresh migrated temp file, and a
 * local receiver in this process that verifies every signature with `standardwebhooks` and counts
 * each `webhook-id` once. Events and their pending deliveries are written as an area's batch
 * writes them (`eventStatements`), the due deliveries are sent to the queue (what the outbox sweep
 * does), and the clock runs until every delivery is recorded delivered. Two shapes:
 * - `independent`: every event about its own subject (deliveries run in parallel);
 * - `ordered`: a few subjects with many events each — each subject's events go one after another
 *   (the next is enqueued when the previous is acknowledged), so each waits for a queue batch.
 * A run throws if a delivery is lost, repeated, unverified or out of order (the figure would be
 * meaningless).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Client, createClient } from "@libsql/client";
import { Miniflare } from "miniflare";
import { Webhook } from "standardwebhooks";
import { dueDeliveries } from "../../src/events/deliveries";
import { newSigningSecret } from "../../src/events/endpoints";
import { eventStatements } from "../../src/kit/db/events";
import { startLibsqlServer } from "../libsql-server/server";
import { migrateDatabase } from "../migrate";

const root = join(import.meta.dirname, "..", "..");
const queueName = "tfgrid-market-webhooks";

type Receiver = { url: string; processed: Map<string, string[]>; unverified: number; close(): Promise<void> };

async function startReceiver(secret: string): Promise<Receiver> {
  const processed = new Map<string, string[]>();
  const seen = new Set<string>();
  const receiver = { unverified: 0 };
  const webhook = new Webhook(secret);
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const headers = Object.fromEntries(
      Object.entries(request.headers).flatMap(([name, value]) =>
        typeof value === "string" ? [[name, value]] : [],
      ),
    );
    try {
      const payload = webhook.verify(text, headers) as { data: { id: string; subjectId: string } };
      if (!seen.has(payload.data.id)) {
        seen.add(payload.data.id);
        const list = processed.get(payload.data.subjectId) ?? [];
        list.push(payload.data.id);
        processed.set(payload.data.subjectId, list);
      }
      response.writeHead(204).end();
    } catch {
      receiver.unverified += 1;
      response.writeHead(401).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    processed,
    get unverified() {
      return receiver.unverified;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Writes `subjects × perSubject` events for one owner (and their deliveries), in batches of 100. */
async function writeEvents(
  client: Client,
  ownerId: string,
  subjects: number,
  perSubject: number,
): Promise<string[][]> {
  const ids: string[][] = [];
  const statements = [];
  const nowMs = Date.now();
  for (let subject = 0; subject < subjects; subject++) {
    const subjectIds: string[] = [];
    for (let index = 0; index < perSubject; index++) {
      statements.push(
        ...eventStatements(
          {
            sourceId: `bench_${ownerId}_${subject}_${index}`,
            type: "lease.started",
            owner: { ownerId },
            subjectId: `lse_bench_${ownerId}_${subject}`,
            atMs: nowMs,
            data: { index },
          },
          nowMs,
        ),
      );
      subjectIds.push(`${subject}:${index}`);
    }
    ids.push(subjectIds);
  }
  // Events in subject-major order: within a subject, seq grows with the index.
  for (let start = 0; start < statements.length; start += 200) {
    await client.batch(statements.slice(start, start + 200), "write");
  }
  return ids;
}

async function runShape(
  mf: Miniflare,
  client: Client,
  shape: { name: string; subjects: number; perSubject: number },
): Promise<string> {
  const secret = newSigningSecret();
  const receiver = await startReceiver(secret);
  const ownerId = `usr_bench_${shape.name}`;
  const nowMs = Date.now();
  await client.execute({
    sql: `INSERT INTO webhook_endpoints (id, owner_id, url, event_types, secret, created_at, updated_at)
          VALUES (?, ?, ?, '["lease.started"]', ?, ?, ?)`,
    args: [`whe_bench_${shape.name}`, ownerId, receiver.url, secret, nowMs - 1000, nowMs - 1000],
  });
  await writeEvents(client, ownerId, shape.subjects, shape.perSubject);
  const total = shape.subjects * shape.perSubject;
  const producer = await mf.getQueueProducer<{ deliveryId: string }>("WEBHOOK_DELIVERIES", "main");
  const started = performance.now();
  const due = await dueDeliveries(client, Date.now(), total);
  for (let start = 0; start < due.length; start += 100) {
    await producer.sendBatch(due.slice(start, start + 100).map((deliveryId) => ({ body: { deliveryId } })));
  }
  let delivered = 0;
  const deadline = started + 600_000;
  while (delivered < total) {
    if (performance.now() > deadline)
      throw new Error(`${shape.name}: ${delivered}/${total} delivered in 10 min`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const result = await client.execute({
      sql: "SELECT count(*) AS count FROM webhook_deliveries WHERE endpoint_id = ? AND status = 'delivered'",
      args: [`whe_bench_${shape.name}`],
    });
    delivered = Number(result.rows[0]!.count);
  }
  const seconds = (performance.now() - started) / 1000;
  const processedCount = [...receiver.processed.values()].reduce((sum, list) => sum + list.length, 0);
  if (processedCount !== total || receiver.unverified > 0) {
    throw new Error(`${shape.name}: processed ${processedCount}/${total}, unverified ${receiver.unverified}`);
  }
  // Order per subject: the receiver's order is the events' order (their data.index grows).
  const orderRows = await client.execute({
    sql: "SELECT subject_id, id FROM events WHERE owner_id = ? ORDER BY seq",
    args: [ownerId],
  });
  const expected = new Map<string, string[]>();
  for (const row of orderRows.rows) {
    const list = expected.get(String(row.subject_id)) ?? [];
    list.push(String(row.id));
    expected.set(String(row.subject_id), list);
  }
  for (const [subject, ids] of expected) {
    if (JSON.stringify(receiver.processed.get(subject)) !== JSON.stringify(ids)) {
      throw new Error(`${shape.name}: subject ${subject} delivered out of order`);
    }
  }
  await receiver.close();
  return `${shape.name}: ${total} deliveries (${shape.subjects} subjects × ${shape.perSubject}) in ${seconds.toFixed(2)} s = ${(total / seconds).toFixed(0)} deliveries/s, each verified and processed once, in order per subject`;
}

export async function run(): Promise<{ name: string; lines: string[] }> {
  const directory = mkdtempSync(join(tmpdir(), "tfgrid-outbound-bench-"));
  const bundle = join(directory, "bundle");
  execFileSync(join(root, "node_modules", ".bin", "wrangler"), ["deploy", "--dry-run", "--outdir", bundle], {
    cwd: root,
    stdio: "ignore",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
  });
  const server = await startLibsqlServer({ file: join(directory, "bench.db"), port: 0 });
  await migrateDatabase(server.url);
  const client = createClient({ url: server.url, intMode: "bigint" });
  const mf = new Miniflare({
    name: "main",
    modules: true,
    scriptPath: join(bundle, "worker.js"),
    modulesRoot: bundle,
    compatibilityDate: "2026-08-01",
    compatibilityFlags: ["nodejs_compat"],
    bindings: { LIBSQL_URL: server.url, ENVIRONMENT: "bench", WEBHOOK_TIMEOUT_MS: "10000" },
    durableObjects: {
      NODE_BOOK: { className: "NodeBidBook", useSQLite: true },
      AUCTION_ROUND: { className: "AuctionRound", useSQLite: true },
    },
    queueProducers: { WEBHOOK_DELIVERIES: queueName, WEBHOOK_DEAD_LETTERS: `${queueName}-dead` },
    queueConsumers: {
      [queueName]: {
        maxBatchSize: 50,
        maxBatchTimeout: 1,
        maxRetries: 20,
        deadLetterQueue: `${queueName}-dead`,
      },
    },
  });
  try {
    await mf.ready;
    const lines = [
      await runShape(mf, client, { name: "independent", subjects: 1000, perSubject: 1 }),
      await runShape(mf, client, { name: "ordered", subjects: 10, perSubject: 20 }),
    ];
    return { name: "outbound webhooks through the queue", lines };
  } finally {
    await mf.dispose();
    client.close();
    await server.close();
    rmSync(directory, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const result = await run();
  console.log(result.name);
  for (const line of result.lines) console.log(`  ${line}`);
}
