/**
 * Demo data for local development, written idempotently (fixed ids; existing rows are kept):
 * an admin key, a few owners (a user, a farmer, an LP) with keys and funded accounts, ThreeFold's
 * treasury funded for bid packages, demo prices, a pool and nodes. Never run against production.
 *
 * Keys are stored hashed, so the plaintexts are the caller's: `npm run dev` generates them once and
 * keeps them in `.data/` (tools/stack.ts), and the seed inserts each one whose prefix is missing.
 * Running it again with the same plaintexts changes nothing.
 */
import type { Client } from "@libsql/client";
import { createApiKey } from "../src/kit/auth";
import type { AccountKind, Role } from "../src/kit/db/schema";
import type { AssetCode } from "../src/ledger/core/money";
import { createTransfers } from "../src/ledger/store";
import { recordRound } from "../src/oracle/prices";
import { demoTfpAccounts, seedDemoCredits } from "./seed/credits";
import { fundDemoTreasury, seedDemoMarket } from "./seed/market";
import { seedDemoPools } from "./seed/pools";

export type DemoOwner = {
  ownerId: string;
  role: Role;
  accounts: { id: string; asset: AssetCode; kind: AccountKind; fundMinor: bigint }[];
};

export const demoOwners: DemoOwner[] = [
  {
    ownerId: "usr_alice",
    role: "user",
    accounts: [{ id: "acc_demo_alice_cc", asset: "CC", kind: "user", fundMinor: 1_000_000_000n }],
  },
  {
    ownerId: "frm_bob",
    role: "farmer",
    accounts: [{ id: "acc_demo_bob_cc", asset: "CC", kind: "farmer", fundMinor: 0n }],
  },
  {
    ownerId: "lp_carol",
    role: "lp",
    accounts: [
      { id: "acc_demo_carol_usdc", asset: "USDC", kind: "lp", fundMinor: 50_000_000_000n },
      { id: "acc_demo_carol_tfp", asset: "TFP", kind: "lp", fundMinor: 100_000_000_000n },
    ],
  },
];

/** The demo admin's owner id. */
export const demoAdminOwnerId = "adm_local";

/** Every demo account of `ownerId` (those above and the TFP accounts of tools/seed/credits.ts). */
export function demoAccountIdsOf(ownerId: string): string[] {
  const owned =
    demoOwners.find((owner) => owner.ownerId === ownerId)?.accounts.map((account) => account.id) ?? [];
  const tfp = demoTfpAccounts.filter((account) => account.ownerId === ownerId).map((account) => account.id);
  return [...owned, ...tfp];
}

async function exists(client: Client, sql: string, args: string[]): Promise<boolean> {
  return (await client.execute({ sql, args })).rows.length > 0;
}

/** Inserts the key `plaintext` for `ownerId` unless a key with its prefix exists. */
async function ensureKey(
  client: Client,
  input: { ownerId: string; role: Role; name: string; plaintext: string },
): Promise<void> {
  const prefix = input.plaintext.split("_")[1] ?? "";
  if (await exists(client, "SELECT 1 FROM api_keys WHERE prefix = ?", [prefix])) return;
  await createApiKey(client, input);
}

/**
 * Ensures the admin key and, for each demo owner in `ownerKeys` (owner id → plaintext, which the
 * caller keeps), that owner's key; then the demo owners' accounts and the rest of the demo data.
 */
export async function seedDemo(
  client: Client,
  adminKey: string,
  ownerKeys: Readonly<Record<string, string>> = {},
): Promise<void> {
  await ensureKey(client, {
    ownerId: demoAdminOwnerId,
    role: "admin",
    name: "local dev admin",
    plaintext: adminKey,
  });
  for (const owner of demoOwners) {
    const plaintext = ownerKeys[owner.ownerId];
    if (plaintext !== undefined) {
      await ensureKey(client, {
        ownerId: owner.ownerId,
        role: owner.role,
        name: "local dev demo",
        plaintext,
      });
    }
  }
  for (const owner of demoOwners) {
    for (const account of owner.accounts) {
      if (!(await exists(client, "SELECT 1 FROM accounts WHERE id = ?", [account.id]))) {
        await client.execute({
          sql: "INSERT INTO accounts (id, owner_id, asset, kind, name, flags, created_at) VALUES (?, ?, ?, ?, ?, 1, ?)",
          args: [account.id, owner.ownerId, account.asset, account.kind, `demo ${owner.ownerId}`, Date.now()],
        });
      }
      if (account.fundMinor > 0n) {
        const result = await createTransfers(client, [
          {
            type: "posted",
            id: `demo_fund_${account.id}`,
            debitAccountId: `acc_issuance_${account.asset.toLowerCase()}`,
            creditAccountId: account.id,
            asset: account.asset,
            amountMinor: account.fundMinor,
            code: "demo_seed",
          },
        ]);
        if (!result.ok) throw new Error(`demo funding failed: ${result.detail}`);
      }
    }
  }
  await fundDemoTreasury(client);
  await seedDemoPrices(client);
  await seedDemoCredits(client);
  await seedDemoPools(client);
  await seedDemoMarket(client);
}

/**
 * Demo prices so minting works offline: manual rounds (gold 128 USD/g → 1 CC = 0.128 USD, the
 * spec's reference; TFT 0.05 USD), valid for 30 days. Real oracle rounds replace them once the
 * configured sources answer.
 */
export async function seedDemoPrices(client: Client, nowMs = Date.now()): Promise<void> {
  const present = await client.execute("SELECT 1 FROM price_rounds WHERE created_by = 'demo_seed' LIMIT 1");
  if (present.rows.length > 0) return;
  const expiresAtMs = nowMs + 30 * 86_400_000;
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
        reason: "demo seed (offline)",
        expiresAtMs,
        createdBy: "demo_seed",
      },
      nowMs,
    );
  }
}
