// Proves the demo seed (tools/seed.ts) on a freshly migrated database: it funds ThreeFold's treasury
// through the ledger (issuance → acc_treasury_cc, audit balanced) so bid-package commitments can be
// paid, gives each demo owner (user, farmer, LP) the key it was handed, and running it again with the
// same keys writes nothing new. Also that the dev stack's kept secrets and demo keys are generated
// once and read back unchanged (tools/stack.ts).
import { mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Client, createClient } from "@libsql/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/kit/ids.ts";
import { audit } from "../../src/ledger/accounts.ts";
import { migrateDatabase } from "../../tools/migrate.ts";
import { demoTreasuryFundMinor } from "../../tools/seed/market.ts";
import { demoAccountIdsOf, demoOwners, seedDemo } from "../../tools/seed.ts";
import { adminKeyPattern, devDemoKeys, devWebhookSecrets } from "../../tools/stack.ts";

let directory: string;
let client: Client;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), "seed-"));
  const url = `file:${join(directory, "seed.db")}`;
  await migrateDatabase(url);
  client = createClient({ url, intMode: "bigint" });
});

afterAll(() => {
  client.close();
  rmSync(directory, { recursive: true, force: true });
});

async function count(sql: string): Promise<number> {
  return Number((await client.execute(sql)).rows[0]?.[0] ?? -1);
}

async function balance(accountId: string): Promise<bigint> {
  const result = await client.execute({
    sql: "SELECT credits_posted - debits_posted FROM accounts WHERE id = ?",
    args: [accountId],
  });
  return result.rows[0]?.[0] as bigint;
}

describe("the demo seed", () => {
  it("funds the treasury through the ledger and keys each demo owner, once", async () => {
    const keysDir = join(directory, "data");
    rmSync(keysDir, { recursive: true, force: true });
    mkdirSync(keysDir);
    const ownerKeys = devDemoKeys(keysDir);
    const adminKey = `tfm_${"a".repeat(12)}_${"b".repeat(32)}`;
    await seedDemo(client, adminKey, ownerKeys);

    expect(await balance("acc_treasury_cc")).toBe(demoTreasuryFundMinor);
    expect((await audit(client)).balanced).toBe(true);
    for (const owner of demoOwners) {
      const key = ownerKeys[owner.ownerId] ?? "";
      expect(key).toMatch(adminKeyPattern);
      const stored = await client.execute({
        sql: "SELECT owner_id, role, hash FROM api_keys WHERE prefix = ?",
        args: [key.split("_")[1] ?? ""],
      });
      expect(stored.rows).toHaveLength(1);
      expect(stored.rows[0]).toMatchObject({
        owner_id: owner.ownerId,
        role: owner.role,
        hash: await sha256Hex(key),
      });
      for (const accountId of demoAccountIdsOf(owner.ownerId)) {
        const account = await client.execute({
          sql: "SELECT owner_id FROM accounts WHERE id = ?",
          args: [accountId],
        });
        expect(account.rows[0]?.owner_id).toBe(owner.ownerId);
      }
    }
    expect(demoAccountIdsOf("frm_bob")).toEqual(["acc_demo_bob_cc", "acc_demo_bob_tfp"]);

    const before = {
      transfers: await count("SELECT count(*) FROM transfers"),
      keys: await count("SELECT count(*) FROM api_keys"),
      accounts: await count("SELECT count(*) FROM accounts"),
    };
    // A second run (as every `npm run dev` does) with the kept keys changes nothing.
    expect(devDemoKeys(keysDir)).toEqual(ownerKeys);
    await seedDemo(client, adminKey, devDemoKeys(keysDir));
    expect({
      transfers: await count("SELECT count(*) FROM transfers"),
      keys: await count("SELECT count(*) FROM api_keys"),
      accounts: await count("SELECT count(*) FROM accounts"),
    }).toEqual(before);
    expect(await balance("acc_treasury_cc")).toBe(demoTreasuryFundMinor);
    expect((await audit(client)).balanced).toBe(true);
  });

  it("keeps the webhook secrets it generated, private to the user", () => {
    const keysDir = mkdtempSync(join(directory, "secrets-"));
    const first = devWebhookSecrets(keysDir);
    expect(first.stripe).toMatch(/^whsec_[0-9A-Za-z]{32}$/);
    expect(first.bridge).toMatch(/^bridge_[0-9A-Za-z]{32}$/);
    expect(devWebhookSecrets(keysDir)).toEqual(first);
    expect(statSync(join(keysDir, "webhook-secrets.json")).mode & 0o077).toBe(0);
    expect(devWebhookSecrets(mkdtempSync(join(directory, "other-")))).not.toEqual(first);
  });
});
