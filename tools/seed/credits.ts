/**
 * Demo Cloud Credits data for local development, written idempotently (fixed ids and transfer ids;
 * existing rows are kept): TFP accounts for the demo user and farmer of tools/seed.ts, and a
 * 1,000 TFT deposit for usr_alice through the same legs the bridge webhook writes (TFT locked in
 * acc_vault_tft, TFP minted 1:1), so Pool 1 conversions and withdrawals can be tried offline.
 * Never run against production.
 */
import type { Client } from "@libsql/client";
import { createTransfers } from "../../src/ledger/store";

export const demoTfpAccounts = [
  { id: "acc_demo_alice_tfp", ownerId: "usr_alice", kind: "user" },
  { id: "acc_demo_bob_tfp", ownerId: "frm_bob", kind: "farmer" },
] as const;

/** A demo deposit: 1,000 TFT (7 decimals) for alice. */
const demoDeposit = { id: "dep_demo_alice", accountId: "acc_demo_alice_tfp", amountMinor: 10_000_000_000n };

/** Ensures the demo TFP accounts and alice's demo deposit exist. */
export async function seedDemoCredits(client: Client, nowMs = Date.now()): Promise<void> {
  for (const account of demoTfpAccounts) {
    await client.execute({
      sql: "INSERT OR IGNORE INTO accounts (id, owner_id, asset, kind, name, flags, created_at) VALUES (?, ?, 'TFP', ?, ?, 1, ?)",
      args: [account.id, account.ownerId, account.kind, `demo ${account.ownerId}`, nowMs],
    });
  }
  const metadata = { depositId: demoDeposit.id, source: "demo_seed" };
  const result = await createTransfers(
    client,
    [
      {
        type: "posted",
        id: "demo_deposit_alice_lock",
        debitAccountId: "acc_issuance_tft",
        creditAccountId: "acc_vault_tft",
        asset: "TFT",
        amountMinor: demoDeposit.amountMinor,
        code: "tft_deposit_lock",
        metadata,
      },
      {
        type: "posted",
        id: "demo_deposit_alice_mint",
        debitAccountId: "acc_issuance_tfp",
        creditAccountId: demoDeposit.accountId,
        asset: "TFP",
        amountMinor: demoDeposit.amountMinor,
        code: "tft_deposit_mint",
        metadata,
      },
    ],
    { nowMs },
    [
      {
        sql: "INSERT OR IGNORE INTO tft_deposits (id, event_id, account_id, tft_amount, tfp_amount, tx_hash, created_at) VALUES (?, 'demo_seed', ?, ?, ?, NULL, ?)",
        args: [
          demoDeposit.id,
          demoDeposit.accountId,
          demoDeposit.amountMinor,
          demoDeposit.amountMinor,
          nowMs,
        ],
      },
    ],
  );
  if (!result.ok) throw new Error(`demo deposit failed: ${result.detail}`);
}
