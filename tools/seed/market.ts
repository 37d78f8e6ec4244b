/**
 * Demo capacity for local development, written idempotently (fixed node ids; existing rows are
 * kept): three nodes of frm_bob (tools/seed.ts), paid into his CC account acc_demo_bob_cc (kind
 * farmer), from catalogue presets with prices inside their bands, and ThreeFold's bid packages.
 * Only libSQL rows are written: each node's bid book (its Durable Object) opens itself from its
 * row the first time it is used, so `npm run dev` can reserve on them at once. Never run against
 * production. Run after the demo owners and prices exist (the end of `seedDemo`).
 */
import type { Client } from "@libsql/client";
import { treasuryAccountId } from "../../src/ledger/holds";
import { createTransfers } from "../../src/ledger/store";
import { findCatalogueNode } from "../../src/market/core/catalogue";
import { defaultMarketParameters } from "../../src/market/core/parameters";
import { insertNodeStatement } from "../../src/market/store/nodes";
import { ensureDefaultPackages } from "../../src/market/store/packages";
import { planNode } from "../../src/market/store/registration";

/** The demo nodes: id, catalogue preset, slices, region and prices per slice (USD). */
export const demoNodes = [
  {
    id: "node_demo_bob_home",
    catalogueId: "3node-home",
    sliceCount: 7,
    region: "eu-west",
    month: "3",
    hour: "0.01",
  },
  {
    id: "node_demo_bob_mini3",
    catalogueId: "mini-3",
    sliceCount: 25,
    region: "eu-central",
    month: "4",
    hour: "0.012",
  },
  {
    id: "node_demo_bob_ai",
    catalogueId: "mini-ai-1",
    sliceCount: 4,
    region: "us-east",
    month: "40",
    hour: "0.1",
  },
] as const;

/** Ensures frm_bob's demo nodes and the default bid packages exist. */
export async function seedDemoMarket(client: Client, nowMs = Date.now()): Promise<void> {
  for (const demo of demoNodes) {
    const present = await client.execute({ sql: "SELECT 1 FROM nodes WHERE id = ?", args: [demo.id] });
    if (present.rows.length > 0) continue;
    const preset = findCatalogueNode(demo.catalogueId);
    if (!preset) throw new Error(`demo node ${demo.id}: no catalogue node ${demo.catalogueId}`);
    const planned = planNode(
      {
        id: demo.id,
        farmerId: "frm_bob",
        payoutAccountId: "acc_demo_bob_cc",
        name: `Bob's ${preset.name}`,
        catalogueId: preset.id,
        region: demo.region,
        certified: preset.certified,
        hardware: preset.hardware,
        hardwareCostUsd: preset.hardwareCostUsd,
        sliceCount: demo.sliceCount,
        bandProfile: null,
        pricePerSliceMonth: demo.month,
        pricePerSliceHour: demo.hour,
        minBidCcPerSliceHour: null,
        autoAcceptAboveCcPerSliceHour: null,
        state: "online",
      },
      defaultMarketParameters,
      // The demo peg (tools/seed.ts seedDemoPrices: 1 CC = 0.128 USD), for the default minimum bid.
      "0.128",
      nowMs,
    );
    if (!planned.ok) throw new Error(`demo node ${demo.id}: ${planned.detail}`);
    await client.execute(insertNodeStatement(planned.value));
  }
  await ensureDefaultPackages(client, nowMs);
}

/** What the demo treasury is funded with: 100,000 CC (6 decimals), years of every default package. */
export const demoTreasuryFundMinor = 100_000_000_000n;

/**
 * Funds ThreeFold's treasury (acc_treasury_cc), which pays for bid-package commitments, so they
 * work on a fresh database: CC minted through the ledger (acc_issuance_cc → the treasury, one
 * posted transfer with a fixed id, so running it again moves nothing and supply stays conserved).
 */
export async function fundDemoTreasury(client: Client, nowMs = Date.now()): Promise<void> {
  const result = await createTransfers(
    client,
    [
      {
        type: "posted",
        id: `demo_fund_${treasuryAccountId}`,
        debitAccountId: "acc_issuance_cc",
        creditAccountId: treasuryAccountId,
        asset: "CC",
        amountMinor: demoTreasuryFundMinor,
        code: "demo_seed",
        metadata: { reason: "demo treasury for bid packages" },
      },
    ],
    { nowMs },
  );
  if (!result.ok) throw new Error(`demo treasury funding failed: ${result.detail}`);
}
