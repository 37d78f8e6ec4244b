// Proves that a settlement's burn that no TFT price could value becomes an open obligation, that the cron
// values and burns open obligations from the vault (oldest first, whole, once the vault covers them) with the
// obligation closed in the same write, that TFT moves only vault → burn and exactly by the amounts recorded,
// and that running it again burns nothing twice.
import { beforeAll, describe, expect, it } from "vitest";
import { audit } from "../../src/ledger/accounts";
import { createTransfers } from "../../src/ledger/store";
import { settleBurnObligations } from "../../src/market/store/obligations";
import { tftForCc } from "../../src/market/store/settlement";
import {
  ccMinor,
  fundedUser,
  hourMs,
  registerNode,
  reserve,
  setPeg,
  settle,
  settlementsOf,
  shift,
} from "../routes/market/support";
import { balances, database, type Seeded, seedKey, withoutPrice } from "../support/harness";

let farmer: Seeded;

beforeAll(async () => {
  await setPeg("128", "0.05");
  farmer = await seedKey("farmer");
});

type Obligation = {
  id: string;
  status: string;
  tftMinor: bigint | null;
  reason: string;
  burnCcMinor: bigint;
};

async function obligationsOf(settlementIds: readonly string[]): Promise<Obligation[]> {
  const result = await database().execute({
    sql: `SELECT id, status, tft_minor, reason, burn_cc_minor FROM burn_obligations
          WHERE settlement_id IN (${settlementIds.map(() => "?").join(", ")}) ORDER BY id`,
    args: [...settlementIds],
  });
  return result.rows.map((row) => ({
    id: String(row.id),
    status: String(row.status),
    tftMinor: row.tft_minor === null ? null : BigInt(row.tft_minor as bigint),
    reason: String(row.reason),
    burnCcMinor: BigInt(row.burn_cc_minor as bigint),
  }));
}

/** Runs the cron step until it settles nothing more. */
async function settleAll(): Promise<{ settled: number; burnedTftMinor: bigint }> {
  let settled = 0;
  let burnedTftMinor = 0n;
  for (;;) {
    const report = await settleBurnObligations(database(), Date.now());
    settled += report.settled;
    burnedTftMinor += BigInt(report.burnedTftMinor);
    if (report.settled === 0 || report.open === 0) return { settled, burnedTftMinor };
  }
}

describe("burn obligations", () => {
  it("are valued once a price exists and burned from the vault exactly once", async () => {
    const node = await registerNode(farmer);
    const user = await fundedUser(50n * ccMinor);
    const lease = await reserve(user, node.id, 2, null);
    expect(lease.status, JSON.stringify(lease.body)).toBe(201);
    // The hour settles while the oracle has no TFT price: its burn cannot be valued in TFT.
    const waiting = await withoutPrice("tft", async () => {
      shift(hourMs + 1_000);
      expect(await settle(node.id)).toBeGreaterThan(0);
      return settleBurnObligations(database(), Date.now());
    });
    const rows = await settlementsOf([lease.body.id]);
    expect(rows.length).toBeGreaterThan(0);
    const opened = await obligationsOf(rows.map((row) => row.id));
    expect(opened).toHaveLength(rows.length);
    for (const [index, obligation] of opened.entries()) {
      expect(obligation).toMatchObject({ status: "open", tftMinor: null, reason: "no_price" });
      expect(obligation.burnCcMinor).toBe(rows[index]!.burnMinor);
    }
    // Without a price the cron left them open.
    expect(waiting.waiting).not.toBeNull();

    // Lock enough TFT in the vault for every open obligation (older ones from other files come first).
    const locked = await createTransfers(database(), [
      {
        type: "posted",
        id: `test_vault_obligations_${node.id}`,
        debitAccountId: "acc_issuance_tft",
        creditAccountId: "acc_vault_tft",
        asset: "TFT",
        amountMinor: 10n ** 12n,
        code: "test_vault_lock",
      },
    ]);
    expect(locked.ok).toBe(true);
    const vaultBefore = await balances("acc_vault_tft");
    const burnBefore = await balances("acc_burn_tft");
    const run = await settleAll();
    expect(run.settled).toBeGreaterThanOrEqual(opened.length);
    const closed = await obligationsOf(rows.map((row) => row.id));
    for (const obligation of closed) {
      expect(obligation.status).toBe("settled");
      // Valued at the peg in force now: 0.10 × burn CC × (128 / 1000 / 0.05) TFT, rounded down.
      expect(obligation.tftMinor).toBe(tftForCc(obligation.burnCcMinor, "0.128", "0.05"));
      const transfer = await database().execute({
        sql: "SELECT debit_account_id, credit_account_id, amount FROM transfers WHERE id = ?",
        args: [`${obligation.id}.tft`],
      });
      expect(transfer.rows[0]).toMatchObject({
        debit_account_id: "acc_vault_tft",
        credit_account_id: "acc_burn_tft",
      });
      expect(BigInt(transfer.rows[0]?.amount as bigint)).toBe(obligation.tftMinor);
    }
    // TFT moved only from the vault to the burn account, by exactly what the run reports.
    const vaultAfter = await balances("acc_vault_tft");
    const burnAfter = await balances("acc_burn_tft");
    expect(vaultBefore.posted - vaultAfter.posted).toBe(run.burnedTftMinor);
    expect(burnBefore.posted - burnAfter.posted).toBe(-run.burnedTftMinor);

    // Again: nothing left to burn, nothing moves.
    const again = await settleBurnObligations(database(), Date.now());
    expect(again.settled).toBe(0);
    expect(await balances("acc_vault_tft")).toEqual(vaultAfter);
    expect((await audit(database())).balanced).toBe(true);
  });
});
