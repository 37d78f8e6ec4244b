/**
 * Webhook throughput: deliveries per second processed exactly once.
 *
 *   npx tsx tools/bench/webhooks.ts      (or `npm run bench webhooks`)
 *
 * What it measures: the webhook service functions themselves — `receiveStripeWebhook` (signature
 * verified by the `stripe` library, event parsed, payment state read, mint written through the
 * ledger's `createTransfers` with the event's record in the same batch) and `receiveBridgeWebhook`
 * (HMAC check, deposit written the same way) — called from Node with `@libsql/client` over HTTP
 * (Hrana v2, the path the Worker takes) against the project's local libSQL server
 * (tools/libsql-server) on a fresh temporary file database migrated by tools/migrate.ts. Not
 * measured: workerd, Hono routing and the network between Stripe and the Worker.
 *
 * Each Stripe run sends `payments × 4` deliveries in a shuffled order — per payment, the
 * `checkout.session.completed` event twice, `payment_intent.succeeded` once, and one more duplicate
 * of either — at a given concurrency, then checks that every payment minted exactly once and the
 * ledger audit balances (a failed check throws: the figure would be meaningless).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Client, createClient } from "@libsql/client";
import Stripe from "stripe";
import { receiveBridgeWebhook, signBridgePayload } from "../../src/credits/bridge";
import { createCheckoutQuote } from "../../src/credits/checkout";
import { receiveStripeWebhook } from "../../src/credits/stripe";
import { randomBase62 } from "../../src/kit/ids";
import { audit, createAccount } from "../../src/ledger/accounts";
import { recordRound } from "../../src/oracle/prices";
import { startLibsqlServer } from "../libsql-server/server";
import { migrateDatabase } from "../migrate";

const stripeSecret = "whsec_bench_secret";
const bridgeSecret = "bridge_bench_secret";
const paymentsPerRun = 250;
const depositsPerRun = 250;
const accountsCount = 20;

/** Seeded shuffle (mulberry32 + Fisher–Yates): the same order every run. */
function shuffle<T>(items: T[], seed: number): T[] {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  for (let index = items.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [items[index], items[other]] = [items[other]!, items[index]!];
  }
  return items;
}

async function pool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<number> {
  let next = 0;
  const startedMs = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
  return performance.now() - startedMs;
}

const id = (prefix: string) => `${prefix}_${randomBase62(16)}`;

async function stripeRun(client: Client, accounts: string[], concurrency: number, seed: number) {
  const nowMs = Date.now();
  const deliveries: { payload: string; signature: string }[] = [];
  const payments: { pi: string; ccMinor: bigint }[] = [];
  for (let index = 0; index < paymentsPerRun; index++) {
    const usdMinor = BigInt(100 + ((index * 7919) % 4_900));
    const created = await createCheckoutQuote(
      client,
      { role: "admin", ownerId: "bench" },
      { accountId: accounts[index % accounts.length]!, usdMinor, idempotencyKey: null },
      { config: { checkoutQuoteTtlMs: 3_600_000 }, createSession: null },
      nowMs,
    );
    if (!created.ok) throw new Error(created.detail);
    const quote = { value: created.value.quote };
    const pi = id("pi");
    payments.push({ pi, ccMinor: quote.value.ccMinor });
    const event = (type: string, object: Record<string, unknown>) =>
      JSON.stringify({
        id: id("evt"),
        object: "event",
        created: Math.floor(nowMs / 1000),
        type,
        data: { object },
      });
    const session = event("checkout.session.completed", {
      id: id("cs"),
      object: "checkout.session",
      amount_total: Number(usdMinor),
      currency: "usd",
      client_reference_id: quote.value.id,
      metadata: { cc_quote_id: quote.value.id },
      payment_intent: pi,
      payment_status: "paid",
    });
    const intent = event("payment_intent.succeeded", {
      id: pi,
      object: "payment_intent",
      amount_received: Number(usdMinor),
      currency: "usd",
      metadata: { cc_quote_id: quote.value.id },
    });
    for (const payload of [session, session, intent, index % 2 === 0 ? session : intent]) {
      deliveries.push({
        payload,
        signature: Stripe.webhooks.generateTestHeaderString({ payload, secret: stripeSecret }),
      });
    }
  }
  shuffle(deliveries, seed);
  const elapsedMs = await pool(deliveries, concurrency, async (delivery) => {
    const result = await receiveStripeWebhook(
      client,
      { rawBody: delivery.payload, signature: delivery.signature },
      [stripeSecret],
      Date.now(),
    );
    if (!result.ok) throw new Error(`delivery refused: ${result.code} ${result.detail}`);
  });
  const rows = await client.execute({
    sql: `SELECT id, cc_minted FROM card_payments WHERE id IN (${payments.map(() => "?").join(", ")})`,
    args: payments.map((payment) => payment.pi),
  });
  const minted = new Map(rows.rows.map((row) => [String(row.id), BigInt(row.cc_minted as bigint)]));
  const exactlyOnce = payments.every((payment) => minted.get(payment.pi) === payment.ccMinor);
  const transfers = await client.execute({
    sql: `SELECT count(*) AS count FROM transfers WHERE json_extract(metadata, '$.paymentId') IN (${payments.map(() => "?").join(", ")})`,
    args: payments.map((payment) => payment.pi),
  });
  if (
    !exactlyOnce ||
    rows.rows.length !== payments.length ||
    Number(transfers.rows[0]!.count) !== payments.length * 2
  ) {
    throw new Error("stripe run: a payment did not mint exactly once");
  }
  return { deliveries: deliveries.length, payments: payments.length, elapsedMs };
}

async function bridgeRun(client: Client, accounts: string[], concurrency: number, seed: number) {
  const deliveries: { payload: string; signature: string }[] = [];
  const deposits: string[] = [];
  const nowSeconds = Math.floor(Date.now() / 1000);
  for (let index = 0; index < depositsPerRun; index++) {
    const depositId = id("dep");
    deposits.push(depositId);
    const payload = JSON.stringify({
      id: id("bev"),
      type: "deposit.confirmed",
      created: nowSeconds,
      data: { depositId, accountId: accounts[index % accounts.length], amount: "100", txHash: id("tx") },
    });
    const signature = await signBridgePayload(payload, bridgeSecret, nowSeconds);
    deliveries.push({ payload, signature }, { payload, signature });
  }
  shuffle(deliveries, seed);
  const elapsedMs = await pool(deliveries, concurrency, async (delivery) => {
    const result = await receiveBridgeWebhook(
      client,
      { rawBody: delivery.payload, signature: delivery.signature },
      [bridgeSecret],
      Date.now(),
    );
    if (!result.ok) throw new Error(`delivery refused: ${result.code} ${result.detail}`);
  });
  const rows = await client.execute({
    sql: `SELECT count(*) AS count FROM tft_deposits WHERE id IN (${deposits.map(() => "?").join(", ")})`,
    args: deposits,
  });
  if (Number(rows.rows[0]!.count) !== deposits.length)
    throw new Error("bridge run: a deposit did not apply once");
  return { deliveries: deliveries.length, deposits: deposits.length, elapsedMs };
}

const perSecond = (count: number, elapsedMs: number) => Math.round((count * 1000) / elapsedMs);

/** Runs the benchmark on a fresh database and returns its figures as lines. */
export async function run(): Promise<{ name: string; lines: string[] }> {
  const directory = mkdtempSync(join(tmpdir(), "tfgrid-bench-webhooks-"));
  const server = await startLibsqlServer({ file: join(directory, "bench.db"), port: 0 });
  const client = createClient({ url: server.url, intMode: "bigint" });
  try {
    await migrateDatabase(server.url);
    const nowMs = Date.now();
    for (const [kind, priceUsd] of [
      ["gold", "128"],
      ["tft", "0.05"],
    ] as const) {
      await recordRound(client, { kind, priceUsd, quorumMet: true, source: "oracle" }, nowMs);
    }
    const ccAccounts: string[] = [];
    const tfpAccounts: string[] = [];
    for (let index = 0; index < accountsCount; index++) {
      ccAccounts.push(
        (await createAccount(client, { ownerId: `bench_${index}`, asset: "CC", kind: "user" })).id,
      );
      tfpAccounts.push(
        (await createAccount(client, { ownerId: `bench_${index}`, asset: "TFP", kind: "user" })).id,
      );
    }
    // The scale of every figure below: one round trip to the database (a new delivery costs two,
    // a duplicate one, plus the signature check).
    const roundTripsMs: number[] = [];
    for (let index = 0; index < 100; index++) {
      const startedMs = performance.now();
      await client.execute("SELECT 1");
      roundTripsMs.push(performance.now() - startedMs);
    }
    roundTripsMs.sort((left, right) => left - right);
    const lines: string[] = [
      `baseline: one SELECT 1 round trip, median ${roundTripsMs[50]!.toFixed(2)} ms (p90 ${roundTripsMs[90]!.toFixed(2)} ms)`,
    ];
    for (const [index, concurrency] of [1, 16].entries()) {
      const figures = await stripeRun(client, ccAccounts, concurrency, 1000 + index);
      lines.push(
        `stripe, concurrency ${String(concurrency).padStart(2)}: ${perSecond(figures.deliveries, figures.elapsedMs)} deliveries/s ` +
          `(${figures.deliveries} deliveries for ${figures.payments} payments in ${Math.round(figures.elapsedMs)} ms; each payment minted exactly once)`,
      );
    }
    for (const [index, concurrency] of [1, 16].entries()) {
      const figures = await bridgeRun(client, tfpAccounts, concurrency, 2000 + index);
      lines.push(
        `bridge, concurrency ${String(concurrency).padStart(2)}: ${perSecond(figures.deliveries, figures.elapsedMs)} deliveries/s ` +
          `(${figures.deliveries} deliveries for ${figures.deposits} deposits in ${Math.round(figures.elapsedMs)} ms; each deposit applied exactly once)`,
      );
    }
    const report = await audit(client);
    if (!report.balanced) throw new Error("ledger audit failed after the bench");
    lines.push(`ledger audit balanced over ${report.transfersChecked} transfers`);
    lines.push(
      "path: service functions → @libsql/client (Hrana over HTTP) → tools/libsql-server, fresh temp DB",
    );
    return { name: "webhooks (exactly-once deliveries per second)", lines };
  } finally {
    client.close();
    await server.close();
    rmSync(directory, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await run();
  console.log(result.name);
  for (const line of result.lines) console.log(`  ${line}`);
}
