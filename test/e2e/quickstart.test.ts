// Proves that the README's "Quick start: every flow in ten minutes" works as written against the service as `npm run dev` runs it, with the keys and webhook secrets it prints, in the README's order: CC bought by card (a quote, then Stripe's "paid" signed by `npm run webhook`), a TFT deposit through the bridge webhook turned into CC, a lease reserved with the `tfgrid` CLI, an interruptible bid the farmer accepts, a capacity request whose accepted offer becomes a lease, two hours settled 80/10/10 through the dev clock (exact amounts from the ledger and from `tfgrid earnings`), and an LP's pool position and exit bid holding TFP.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

const baseUrl = inject("e2eBaseUrl");
const adminKey = inject("e2eAdminKey");
const demoKeys = inject("e2eDemoKeys");
const webhookSecrets = inject("e2eWebhookSecrets");
const root = join(import.meta.dirname, "..", "..");

/** The demo owners' keys as `npm run dev` prints them (README: USER_KEY, FARMER_KEY, LP_KEY). */
const userKey = demoKeys.usr_alice ?? "";
const farmerKey = demoKeys.frm_bob ?? "";
const lpKey = demoKeys.lp_carol ?? "";

type Json = Record<string, unknown>;
type Answer = { status: number; body: Json };
type Run = { code: number; stdout: string; stderr: string };

/** The curl steps: one request, its status and JSON body. */
async function api(
  method: string,
  path: string,
  key: string,
  options: { body?: unknown; idempotencyKey?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (options.body !== undefined) headers["content-type"] = "application/json";
  if (options.idempotencyKey !== undefined) headers["idempotency-key"] = options.idempotencyKey;
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  return { status: response.status, body: (await response.json()) as Json };
}

/** A decimal amount in minor units of `decimals` places (CC and USDC 6, TFP 7), for exact arithmetic. */
function minor(amount: unknown, decimals: number): bigint {
  if (typeof amount !== "string" || !/^[0-9]+(\.[0-9]+)?$/.test(amount)) {
    throw new Error(`not an amount: ${String(amount)}`);
  }
  const [whole = "0", fraction = ""] = amount.split(".");
  if (fraction.length > decimals) throw new Error(`${amount} has more than ${decimals} decimals`);
  return BigInt(whole + fraction.padEnd(decimals, "0"));
}

function spawnNode(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", ...args],
      { cwd: root, timeout: 60_000, env: { PATH: process.env.PATH ?? "", ...env } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

let configDirectory: string;

/** `npm run tfgrid -- …` (the CLI's TypeScript entry through tsx), with TFGRID_API_KEY = `key`. */
function tfgrid(args: string[], key?: string): Promise<Run> {
  return spawnNode([join(root, "sdk", "src", "cli", "main.ts"), ...args], {
    HOME: configDirectory,
    TFGRID_CONFIG: join(configDirectory, "config.json"),
    TFGRID_URL: baseUrl,
    ...(key === undefined ? {} : { TFGRID_API_KEY: key }),
  });
}

/**
 * `npm run webhook -- …` (tools/webhook.ts through tsx). The secrets and the admin key come from the
 * environment, as the helper reads them before .data/, so no file of this checkout is read.
 */
function webhook(args: string[]): Promise<Run> {
  return spawnNode([join(root, "tools", "webhook.ts"), ...args, "--url", baseUrl], {
    STRIPE_WEBHOOK_SECRET: webhookSecrets.stripe,
    BRIDGE_WEBHOOK_SECRET: webhookSecrets.bridge,
    ADMIN_API_KEY: adminKey,
  });
}

/** The JSON answer `npm run webhook` prints after the status line. */
function webhookAnswer(run: Run): { status: string; body: Json } {
  const match = /\n(\d{3} [^\n]*)\n([\s\S]*)$/.exec(run.stdout);
  if (match === null) throw new Error(`no answer in the webhook output:\n${run.stdout}\n${run.stderr}`);
  return { status: match[1] ?? "", body: JSON.parse(match[2] ?? "null") as Json };
}

/** An account's balance through `tfgrid balance --json`, in minor units. */
async function cliBalance(accountId: string, key: string, decimals: number) {
  const run = await tfgrid(["balance", accountId, "--json"], key);
  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
  const account = JSON.parse(run.stdout) as { balance: { available: string; posted: string } };
  return {
    available: minor(account.balance.available, decimals),
    posted: minor(account.balance.posted, decimals),
  };
}

async function balance(accountId: string, key: string, decimals: number) {
  const answer = await api("GET", `/v1/accounts/${accountId}`, key);
  expect(answer.status).toBe(200);
  const figures = answer.body.balance as { available: string; posted: string };
  return { available: minor(figures.available, decimals), posted: minor(figures.posted, decimals) };
}

beforeAll(() => {
  configDirectory = mkdtempSync(join(tmpdir(), "tfgrid-quickstart-"));
  // An empty config file, so no real ~/.config/tfgrid/config.json is read by the spawned CLI.
  writeFileSync(join(configDirectory, "config.json"), "{}\n");
});

afterAll(() => {
  if (configDirectory) rmSync(configDirectory, { recursive: true, force: true });
});

// State the README's steps hand on to the next ones, as its shell variables do.
let leaseId = "";

// Each spawn starts Node and tsx (a second or more on a busy machine): room beyond the project's 30 s.
describe("the README's quick start, step by step", { timeout: 120_000 }, () => {
  it("0. the printed keys belong to the demo owners and see their accounts", async () => {
    for (const [key, accountId, ownerId] of [
      [userKey, "acc_demo_alice_cc", "usr_alice"],
      [farmerKey, "acc_demo_bob_cc", "frm_bob"],
      [lpKey, "acc_demo_carol_tfp", "lp_carol"],
    ] as const) {
      const answer = await api("GET", `/v1/accounts/${accountId}`, key);
      expect(answer.status).toBe(200);
      expect(answer.body.ownerId).toBe(ownerId);
    }
    expect((await api("GET", "/v1/dev/clock", adminKey)).status).toBe(200);
  });

  it("1. buys CC by card: a quote, then Stripe's signed checkout.session.completed mints it", async () => {
    const before = await cliBalance("acc_demo_alice_cc", userKey, 6);
    const quote = await api("POST", "/v1/credits/checkout", userKey, {
      body: { accountId: "acc_demo_alice_cc", amountUsd: "25" },
    });
    expect(quote.status).toBe(201);
    // 25 USD at the demo peg of 0.128 USD per CC.
    expect(quote.body).toMatchObject({ amountUsd: "25.00", amountCc: "195.312500", status: "open" });
    const quoteId = String(quote.body.id);

    const delivered = await webhook(["stripe", "checkout.session.completed", "--quote", quoteId]);
    expect(delivered.code).toBe(0);
    const answer = webhookAnswer(delivered);
    expect(answer.status).toBe("200 OK");
    expect(answer.body).toMatchObject({ outcome: "minted", duplicate: false });

    const after = await cliBalance("acc_demo_alice_cc", userKey, 6);
    expect(after.available - before.available).toBe(195_312_500n);
    expect(after.posted - before.posted).toBe(195_312_500n);
    expect((await api("GET", `/v1/credits/checkout/${quoteId}`, userKey)).body.status).toBe("paid");
  });

  it("2. deposits TFT through the bridge webhook (TFP 1:1) and converts 100 TFP into 50 CC", async () => {
    const tfpBefore = await cliBalance("acc_demo_alice_tfp", userKey, 7);
    const delivered = await webhook([
      "bridge",
      "deposit",
      "--account",
      "acc_demo_alice_tfp",
      "--amount",
      "100",
    ]);
    expect(delivered.code).toBe(0);
    expect(webhookAnswer(delivered).body).toMatchObject({ outcome: "deposited", duplicate: false });
    const tfpDeposited = await cliBalance("acc_demo_alice_tfp", userKey, 7);
    expect(tfpDeposited.available - tfpBefore.available).toBe(1_000_000_000n);

    const ccBefore = await balance("acc_demo_alice_cc", userKey, 6);
    const quote = await api("POST", "/v1/conversions/quotes", userKey, {
      body: {
        pool: "entry",
        fromAccountId: "acc_demo_alice_tfp",
        toAccountId: "acc_demo_alice_cc",
        amount: "100",
      },
    });
    expect(quote.status).toBe(201);
    // 2 TFP per CC: TFT (0.05 USD) trades below half a CC's USD price (0.128 / 2), so the fixed rate holds.
    expect(quote.body).toMatchObject({ amountIn: "100.0000000", amountOut: "50.000000", status: "open" });
    const converted = await api("POST", "/v1/conversions", userKey, {
      body: { quoteId: quote.body.id },
      idempotencyKey: crypto.randomUUID(),
    });
    expect(converted.status).toBe(201);
    expect((converted.body.quote as Json).status).toBe("executed");
    const ccAfter = await balance("acc_demo_alice_cc", userKey, 6);
    expect(ccAfter.available - ccBefore.available).toBe(50_000_000n);
    const tfpAfter = await balance("acc_demo_alice_tfp", userKey, 7);
    expect(tfpDeposited.available - tfpAfter.available).toBe(1_000_000_000n);
  });

  it("3. searches the market and reserves a lease with the CLI: its 24 h of CC are held", async () => {
    const search = await tfgrid(["market", "search", "--region", "eu-west", "--json"]);
    expect(search.code).toBe(0);
    const listing = JSON.parse(search.stdout) as { data: { id: string; prices: { inCc: Json | null } }[] };
    const home = listing.data.find((node) => node.id === "node_demo_bob_home");
    expect(home?.prices.inCc).toMatchObject({ perSliceHour: "0.078125" });

    const before = await balance("acc_demo_alice_cc", userKey, 6);
    const reserved = await tfgrid(
      ["leases", "reserve", "node_demo_bob_home", "--slices", "1", "--hours", "24", "--json"],
      userKey,
    );
    expect(reserved.code).toBe(0);
    expect(reserved.stderr).toContain("Idempotency-Key: ");
    const lease = JSON.parse(reserved.stdout) as Json & { holdIds: string[] };
    expect(lease).toMatchObject({
      nodeId: "node_demo_bob_home",
      slices: 1,
      status: "running",
      priceCcPerSliceHour: "0.078125",
      charged: "0.000000",
      payerAccountId: "acc_demo_alice_cc",
    });
    expect(lease.holdIds).toHaveLength(1);
    leaseId = String(lease.id);
    // 24 h × 0.078125 CC held (available), nothing charged yet (posted).
    const after = await balance("acc_demo_alice_cc", userKey, 6);
    expect(before.available - after.available).toBe(1_875_000n);
    expect(after.posted).toBe(before.posted);
  });

  it("4. places an interruptible bid (its CC held) that the farmer sees and accepts into a lease", async () => {
    const before = await balance("acc_demo_alice_cc", userKey, 6);
    const placed = await api("POST", "/v1/nodes/node_demo_bob_mini3/bids", userKey, {
      body: { slices: 2, priceCcPerSliceHour: "0.05" },
      idempotencyKey: crypto.randomUUID(),
    });
    expect(placed.status).toBe(201);
    expect(placed.body).toMatchObject({ status: "open", slices: 2, leaseId: null });
    const bidId = String(placed.body.id);
    // 2 slices × 0.05 CC × 24 h held.
    const held = await balance("acc_demo_alice_cc", userKey, 6);
    expect(before.available - held.available).toBe(2_400_000n);

    const book = await api("GET", "/v1/nodes/node_demo_bob_mini3/bids", farmerKey);
    expect(book.status).toBe(200);
    expect((book.body.data as Json[]).map((bid) => bid.id)).toContain(bidId);

    const accepted = await api("POST", `/v1/nodes/node_demo_bob_mini3/bids/${bidId}/accept`, farmerKey);
    expect(accepted.status).toBe(200);
    expect(accepted.body.status).toBe("accepted");
    const lease = await api("GET", `/v1/leases/${String(accepted.body.leaseId)}`, userKey);
    expect(lease.body).toMatchObject({
      kind: "interruptible",
      source: "bid",
      status: "running",
      slices: 2,
      priceCcPerSliceHour: "0.05",
    });
  });

  it("5. posts a capacity request; the farmer offers on it and the user accepts the offer as a lease", async () => {
    const posted = await api("POST", "/v1/capacity-requests", userKey, {
      body: {
        slices: 1,
        requirements: {},
        durationHours: 24,
        maxPriceCcPerSliceHour: "0.5",
        budget: "12",
        deadlineInHours: 1,
      },
    });
    expect(posted.status).toBe(201);
    expect(posted.body.status).toBe("open");
    const requestId = String(posted.body.id);

    const open = await api("GET", "/v1/capacity-requests", farmerKey);
    expect((open.body.data as Json[]).map((request) => request.id)).toContain(requestId);
    const offered = await api("POST", `/v1/capacity-requests/${requestId}/offers`, farmerKey, {
      body: { nodeId: "node_demo_bob_ai", priceCcPerSliceHour: "0.4" },
    });
    expect(offered.status).toBe(201);
    expect(offered.body.status).toBe("open");

    const before = await balance("acc_demo_alice_cc", userKey, 6);
    const accepted = await api("POST", `/v1/capacity-requests/${requestId}/accept`, userKey, {
      body: { offerId: offered.body.id },
      idempotencyKey: crypto.randomUUID(),
    });
    expect(accepted.status).toBe(201);
    expect(accepted.body).toMatchObject({
      nodeId: "node_demo_bob_ai",
      source: "capacity_request",
      sourceId: requestId,
      status: "running",
      priceCcPerSliceHour: "0.4",
    });
    // 0.4 CC × 24 h held for the lease.
    const after = await balance("acc_demo_alice_cc", userKey, 6);
    expect(before.available - after.available).toBe(9_600_000n);
    const request = await api("GET", `/v1/capacity-requests/${requestId}`, userKey);
    expect(request.body).toMatchObject({ status: "accepted", leaseId: accepted.body.id });
  });

  it("6. advances the dev clock 2 h, settles the node now and splits each hour 80/10/10", async () => {
    const clockBefore = await api("GET", "/v1/dev/clock", adminKey);
    const farmerBefore = await balance("acc_demo_bob_cc", farmerKey, 6);
    const moved = await api("POST", "/v1/dev/clock", adminKey, { body: { advanceSeconds: 7200 } });
    expect(moved.status).toBe(200);
    expect(Number(moved.body.offsetSeconds) - Number(clockBefore.body.offsetSeconds)).toBe(7200);

    const settled = await api("POST", "/v1/dev/nodes/node_demo_bob_home/settle", adminKey);
    expect(settled.status).toBe(200);
    expect(settled.body).toMatchObject({ periodsSettled: 2, leasesFailed: 0 });
    const lease = await api("GET", `/v1/leases/${leaseId}`, userKey);
    expect(lease.body.charged).toBe("0.156250");

    // The ledger: per hour 0.078125 CC = 0.0625 farmer + 0.007812 burned (10 %, rounded down)
    // + 0.007813 ThreeFold (10 % and the remainder).
    const legs: Record<string, bigint> = {};
    for (const [accountId, key] of [
      ["acc_demo_bob_cc", farmerKey],
      ["acc_burn_cc", adminKey],
      ["acc_treasury_cc", adminKey],
    ] as const) {
      const transfers = await api("GET", `/v1/accounts/${accountId}/transfers?limit=200`, key);
      for (const transfer of transfers.body.data as (Json & { metadata: Json | null })[]) {
        if (transfer.metadata?.leaseId !== leaseId) continue;
        expect(transfer.debitAccountId).toBe("acc_escrow_cc");
        expect(transfer.creditAccountId).toBe(accountId);
        legs[String(transfer.code)] = (legs[String(transfer.code)] ?? 0n) + minor(transfer.amount, 6);
      }
    }
    expect(legs).toEqual({
      lease_revenue_farmer: 125_000n,
      lease_revenue_burn: 15_624n,
      lease_revenue_threefold: 15_626n,
    });
    const farmerAfter = await balance("acc_demo_bob_cc", farmerKey, 6);
    expect(farmerAfter.available - farmerBefore.available).toBe(125_000n);

    const report = await tfgrid(["earnings", "--farmer", "frm_bob", "--json"], farmerKey);
    expect(report.code).toBe(0);
    const earnings = JSON.parse(report.stdout) as { nodes: Json[]; leases: Json[] };
    expect(earnings.nodes.find((node) => node.nodeId === "node_demo_bob_home")).toEqual({
      nodeId: "node_demo_bob_home",
      gross: "0.156250",
      farmer: "0.125000",
      burned: "0.015624",
      threefold: "0.015626",
      unpaid: "0.000000",
      periods: 2,
    });
    expect(earnings.leases.find((entry) => entry.leaseId === leaseId)).toMatchObject({
      gross: "0.156250",
      farmer: "0.125000",
    });
  });

  it("7. contributes USDC to the demo pool, and bids TFP with the CLI in a round an admin opens", async () => {
    const usdcBefore = await balance("acc_demo_carol_usdc", lpKey, 6);
    const position = await api("POST", "/v1/pools/pol_demo/positions", lpKey, {
      body: { asset: "USDC", amount: "1000", accountId: "acc_demo_carol_usdc" },
      idempotencyKey: crypto.randomUUID(),
    });
    expect(position.status).toBe(201);
    expect(position.body).toMatchObject({
      poolId: "pol_demo",
      ownerId: "lp_carol",
      asset: "USDC",
      amount: "1000.000000",
      value: "1000.000000",
    });
    const usdcAfter = await balance("acc_demo_carol_usdc", lpKey, 6);
    expect(usdcBefore.posted - usdcAfter.posted).toBe(1_000_000_000n);
    const pool = await api("GET", "/v1/pools/pol_demo", lpKey);
    expect((pool.body.positions as Json[]).map((entry) => entry.id)).toContain(position.body.id);

    // As the README: a day from this machine's clock (the service's runs 2 h ahead of it now).
    const closesAt = new Date(Date.now() + 86_400_000).toISOString();
    const round = await api("POST", "/v1/auctions", adminKey, {
      body: { poolId: "pol_demo", closesAt },
      idempotencyKey: crypto.randomUUID(),
    });
    expect(round.status).toBe(201);
    expect(round.body).toMatchObject({ poolId: "pol_demo", state: "open", acceptingBids: true });
    const roundId = String(round.body.id);

    const tfpBefore = await balance("acc_demo_carol_tfp", lpKey, 7);
    const bid = await tfgrid(
      [
        "auctions",
        "bid",
        roundId,
        "--amount",
        "500",
        "--min-price",
        "0.035",
        "--account",
        "acc_demo_carol_tfp",
        "--payout",
        "acc_demo_carol_usdc",
        "--json",
      ],
      lpKey,
    );
    expect(bid.code).toBe(0);
    const placed = JSON.parse(bid.stdout) as Json;
    expect(placed).toMatchObject({ roundId, amount: "500.0000000", minPrice: "0.035", status: "held" });
    // The TFP is held (available), not yet moved (posted).
    const tfpAfter = await balance("acc_demo_carol_tfp", lpKey, 7);
    expect(tfpBefore.available - tfpAfter.available).toBe(5_000_000_000n);
    expect(tfpAfter.posted).toBe(tfpBefore.posted);
    const own = await api("GET", `/v1/auctions/${roundId}/bids`, lpKey);
    expect((own.body.data as Json[]).map((entry) => entry.id)).toEqual([placed.id]);
  });
});
