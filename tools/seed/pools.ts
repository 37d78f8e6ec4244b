/**
 * Demo liquidity pool for local development, written idempotently (fixed ids; existing rows are
 * kept): `pol_demo` with two positions of lp_carol from tools/seed.ts, 10,000 USDC and 5,000 TFP
 * (valued at the demo TFT price), her USDC account receiving the exit margins. Never run against
 * production. Run after the demo owners and prices exist (the end of `seedDemo`).
 */
import type { Client } from "@libsql/client";
import { contribute, createPool, getPool } from "../../src/pools/store/pools";

/** The demo pool's id. */
export const demoPoolId = "pol_demo";

const demoPositions = [
  {
    positionId: "pos_demo_carol_usdc",
    transferId: "demo_pool_carol_usdc",
    asset: "USDC",
    amountMinor: 10_000_000_000n,
    sourceAccountId: "acc_demo_carol_usdc",
  },
  {
    positionId: "pos_demo_carol_tfp",
    transferId: "demo_pool_carol_tfp",
    asset: "TFP",
    amountMinor: 50_000_000_000n,
    sourceAccountId: "acc_demo_carol_tfp",
  },
] as const;

/** Ensures the demo pool and lp_carol's two positions exist. */
export async function seedDemoPools(client: Client, nowMs = Date.now()): Promise<void> {
  const created = await createPool(
    client,
    {
      id: demoPoolId,
      name: "Demo TFP ↔ USDC exit pool",
      weightRule: "valueTimesTime",
      createdBy: "demo_seed",
    },
    nowMs,
  );
  if (!created.ok) throw new Error(`demo pool: ${created.detail}`);
  const pool = await getPool(client, demoPoolId);
  if (!pool) throw new Error("demo pool missing after creation");
  for (const position of demoPositions) {
    const result = await contribute(
      client,
      {
        pool,
        positionId: position.positionId,
        transferId: position.transferId,
        ownerId: "lp_carol",
        asset: position.asset,
        amountMinor: position.amountMinor,
        sourceAccountId: position.sourceAccountId,
        rewardAccountId: "acc_demo_carol_usdc",
      },
      nowMs,
    );
    if (!result.ok) throw new Error(`demo position ${position.positionId}: ${result.detail}`);
  }
}
