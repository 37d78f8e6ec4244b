// Proves, through the API, the node's bid book and the ledger, that a month of a lease costs its monthly price to the minor unit: a 720 h bid-package lease of 1.2 CC per slice-month is charged exactly 1.2 CC over its 720 hourly settlements (1.19952 CC when each hour was charged at the 12-decimal price, rounded down), and a month of on-demand capacity listed at 3 USD per slice-month exactly 3 USD at the peg; every hour's 80/10/10 split sums to its charge.
import { beforeAll, describe, expect, it } from "vitest";
import {
  fundedUser,
  fundTreasury,
  hourMs,
  idempotencyKey,
  registerNode,
  reserve,
  type SettlementRow,
  setPeg,
  settle,
  settlementsOf,
  shift,
} from "../routes/market/support";
import { call, database, type Seeded, seedKey } from "../support/harness";

/** Hours in the month a monthly price covers (ECONOMICS: 720). */
const monthHours = 720;
/** Money passes allowed to settle a month (each settles at least 48 periods per lease). */
const passesMax = 30;

let admin: Seeded;
let farmer: Seeded;

beforeAll(async () => {
  await setPeg();
  [admin, farmer] = await Promise.all([seedKey("admin"), seedKey("farmer")]);
});

/** Runs money passes until nothing more is due; returns the lease's settlement rows. */
async function settleMonth(nodeId: string, leaseId: string): Promise<SettlementRow[]> {
  for (let pass = 0; pass < passesMax; pass += 1) {
    if ((await settle(nodeId)) === 0) break;
  }
  return settlementsOf([leaseId]);
}

function total(rows: readonly SettlementRow[]): bigint {
  return rows.reduce((sum, row) => sum + row.chargeMinor, 0n);
}

describe("a month of a lease", () => {
  it("a 720 h bid-package lease of 1.2 CC per slice-month charges exactly 1.2 CC", async () => {
    await fundTreasury(admin, "5");
    const node = await registerNode(farmer);
    const committed = await call<{ lease: { id: string; priceCcPerSliceHour: string } }>(
      "POST",
      "/v1/bid-packages/standard-compute/commitments",
      {
        key: farmer.key,
        headers: { "idempotency-key": idempotencyKey("commit") },
        body: { nodeId: node.id, slices: 1 },
      },
    );
    expect(committed.status, JSON.stringify(committed.body)).toBe(201);
    expect(committed.body.lease.priceCcPerSliceHour).toBe("0.001666666666");
    shift(monthHours * hourMs + 1_000);
    const rows = await settleMonth(node.id, committed.body.lease.id);
    expect(rows).toHaveLength(monthHours);
    expect(rows.every((row) => row.unpaidMinor === 0n)).toBe(true);
    expect(total(rows)).toBe(1_200_000n);
    for (const row of rows)
      expect(row.farmerMinor + row.burnMinor + row.threefoldMinor).toBe(row.chargeMinor);
    const mirror = await database().execute({
      sql: "SELECT charged_minor FROM leases WHERE id = ?",
      args: [committed.body.lease.id],
    });
    expect(BigInt(mirror.rows[0]?.charged_minor as bigint)).toBe(1_200_000n);
  });

  it("a month of on-demand capacity at 3 USD per slice-month charges 3 USD at the peg exactly", async () => {
    // The test peg is 0.128 USD per CC: 3 USD is 23.4375 CC, 0.032552083333… CC per slice-hour.
    const node = await registerNode(farmer);
    const user = await fundedUser(100_000_000n);
    const lease = await reserve(user, node.id, 1, monthHours);
    expect(lease.status, JSON.stringify(lease.body)).toBe(201);
    expect(lease.body.priceCcPerSliceHour).toBe("0.032552083333");
    shift(monthHours * hourMs + 1_000);
    const rows = await settleMonth(node.id, lease.body.id);
    expect(rows).toHaveLength(monthHours);
    expect(rows.every((row) => row.unpaidMinor === 0n)).toBe(true);
    // 23,437,440 minor units when each hour was charged at the rounded price on its own.
    expect(total(rows)).toBe(23_437_500n);
    for (const row of rows)
      expect(row.farmerMinor + row.burnMinor + row.threefoldMinor).toBe(row.chargeMinor);
  });
});
