/**
 * Burn obligations: the TFT side of a settlement's 10 % burn that could not be burned when the
 * period settled (settlement.ts) because the vault's available TFT fell short (`vault_shortfall`,
 * valued then) or no healthy TFT price could value it (`no_price`). The cron works through the
 * open ones, oldest first, at most `obligationsPerRunMax` per run:
 * - a `no_price` obligation is valued at the current peg (`tftForCc`, rounded down) once there is
 *   a healthy one, and otherwise skipped until there is;
 * - an obligation is burned whole from the vault (acc_vault_tft → acc_burn_tft, transfer id
 *   `<obligation id>.tft`) once the vault's available TFT covers it, and marked settled with its
 *   amount and time in the same atomic write, so a retried run never burns twice;
 * - the first obligation the vault cannot cover stops the run: first owed, first burned.
 * The CC of these burns was destroyed when their periods settled; only the TFT is owed here.
 */
import type { Client } from "@libsql/client";
import { createTransfers } from "../../ledger/store";
import { burnPrices, burnTftAccountId, tftForCc, vaultAvailable, vaultTftAccountId } from "./settlement";

/** Most obligations one cron run settles. */
export const obligationsPerRunMax = 100;

export type ObligationsReport = {
  /** Obligations burned in this run, and their TFT (minor units, scale 7). */
  readonly settled: number;
  readonly burnedTftMinor: string;
  /** Obligations left open after the run. */
  readonly open: number;
  /** Why the run stopped short, if it did. */
  readonly waiting: "vault" | "price" | null;
};

/** Burns what the vault can of the open burn obligations at `nowMs`; see the module comment. */
export async function settleBurnObligations(client: Client, nowMs: number): Promise<ObligationsReport> {
  const rows = await client.execute({
    sql: `SELECT id, burn_cc_minor, tft_minor FROM burn_obligations WHERE status = 'open'
          ORDER BY created_at, id LIMIT ?`,
    args: [obligationsPerRunMax],
  });
  const prices = await burnPrices(client, nowMs);
  let available = await vaultAvailable(client);
  let settled = 0;
  let burned = 0n;
  let waiting: ObligationsReport["waiting"] = null;
  for (const row of rows.rows) {
    const id = String(row.id);
    const valued = row.tft_minor === null ? null : BigInt(row.tft_minor as bigint);
    if (valued === null && prices === null) {
      waiting = "price";
      continue;
    }
    const tftMinor = valued ?? tftForCc(BigInt(row.burn_cc_minor as bigint), prices!.ccUsd, prices!.tftUsd);
    if (tftMinor > available) {
      waiting = "vault";
      break;
    }
    const markSettled = {
      sql: `UPDATE burn_obligations SET status = 'settled', tft_minor = ?, settled_at = ?
            WHERE id = ? AND status = 'open'`,
      args: [tftMinor, nowMs, id],
    };
    // An obligation worth less than one TFT minor unit has nothing to burn: it is only closed.
    if (tftMinor === 0n) {
      await client.execute(markSettled);
      settled += 1;
      continue;
    }
    const written = await createTransfers(
      client,
      [
        {
          type: "posted",
          id: `${id}.tft`,
          debitAccountId: vaultTftAccountId,
          creditAccountId: burnTftAccountId,
          asset: "TFT",
          amountMinor: tftMinor,
          code: "burn_obligation_tft",
          metadata: { obligationId: id },
        },
      ],
      { nowMs },
      [markSettled],
    );
    if (!written.ok) {
      // The vault moved under us (another write took its TFT): the next run tries again.
      waiting = "vault";
      break;
    }
    available -= tftMinor;
    settled += 1;
    burned += tftMinor;
  }
  const open = await client.execute("SELECT count(*) AS n FROM burn_obligations WHERE status = 'open'");
  return { settled, burnedTftMinor: burned.toString(), open: Number(open.rows[0]?.n ?? 0), waiting };
}
