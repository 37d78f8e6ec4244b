// Proves that GET /v1/nodes/{id}/projection sets a registered node's projected farmer share (at its listed price, and the §12.4 minimum and maximum, pro rata to the hours the node existed) against the farmer CC its settlements actually paid, per calendar month, in USD and CC at the peg, and that only the node's farmer or an admin may read it.
import { beforeAll, describe, expect, it } from "vitest";
import { Dec } from "../../../src/ledger/core/money";
import { recordRound } from "../../../src/oracle/prices";
import { call, database, type Seeded, seedKey } from "../../support/harness";

type Money = { USD: string | null; CC: string | null };
type Projection = {
  nodeId: string;
  currency: string;
  perMonth: { listed: Money; min: Money; max: Money };
  months: {
    month: string;
    hours: string;
    projected: { listed: Money; min: Money; max: Money };
    actual: { farmerCc: string; chargedCc: string; farmerUsd: string | null; settlements: number };
    utilisation: string | null;
  }[];
  peg: { ccUsd: string | null; note: string | null };
};

const hourMs = 3_600_000;
let farmer: Seeded;
let nodeId: string;
let previousMonthStart: number;
let currentMonthStart: number;

async function insertSettlement(index: number, periodEndMs: number, farmerMinor: bigint): Promise<void> {
  // What one settled period looks like: charge = farmer + burn + ThreeFold (80/10/10).
  const charge = (farmerMinor * 10n) / 8n;
  const part = (charge - farmerMinor) / 2n;
  await database().execute({
    sql: `INSERT INTO settlements (id, lease_id, node_id, farmer_id, payer_account_id, farmer_account_id, period_index,
            period_start, period_end, running_ms, owed_minor, unpaid_minor, charge_minor, farmer_minor, burn_minor,
            threefold_minor, burn_tft_minor, burned_tft_minor, cc_usd, tft_usd, created_at)
          VALUES (?, ?, ?, ?, 'acc_payer', 'acc_farmer', ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, 0, 0, '0.128', '0.05', ?)`,
    args: [
      `stl_lse_projection_${nodeId}_${index}`,
      `lse_projection_${nodeId}`,
      nodeId,
      farmer.ownerId,
      index,
      periodEndMs - hourMs,
      periodEndMs,
      hourMs,
      charge,
      charge,
      farmerMinor,
      part,
      charge - farmerMinor - part,
      periodEndMs,
    ],
  });
}

beforeAll(async () => {
  await recordRound(database(), {
    kind: "gold",
    priceUsd: "128",
    quorumMet: true,
    source: "manual",
    reason: "projection route test",
    expiresAtMs: Date.now() + 3_600_000,
    createdBy: "test_projection",
  });
  farmer = await seedKey("farmer");
  const registered = await call<{ id: string }>("POST", "/v1/nodes", {
    key: farmer.key,
    body: {
      name: "projection test node",
      catalogueId: "3node-home",
      region: "calc-test",
      sliceCount: 7,
      pricePerSliceMonth: "6",
      pricePerSliceHour: "0.01",
    },
  });
  expect(registered.status, JSON.stringify(registered.body)).toBe(201);
  nodeId = registered.body.id;
  const now = new Date();
  currentMonthStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
  previousMonthStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1);
  // The node has existed since the start of last month.
  await database().execute({
    sql: "UPDATE nodes SET created_at = ? WHERE id = ?",
    args: [previousMonthStart, nodeId],
  });
  await insertSettlement(0, previousMonthStart + 10 * 24 * hourMs, 3_000_000n);
  await insertSettlement(1, previousMonthStart + 20 * 24 * hourMs, 1_000_000n);
  await insertSettlement(2, currentMonthStart + hourMs, 8_000_000n);
});

describe("GET /v1/nodes/{id}/projection", () => {
  it("projects the farmer's share per month and sets the settled farmer CC against it", async () => {
    const response = await call<Projection>("GET", `/v1/nodes/${nodeId}/projection?months=2`, {
      key: farmer.key,
    });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const body = response.body;
    expect(body.currency).toBe("USD");
    // 7 slices × 6 USD × 80 % = 33.6 USD a month (262.5 CC at 0.128); §12.4: 10.92 and 126 gross.
    expect(body.perMonth.listed).toEqual({ USD: "33.6", CC: "262.5" });
    expect(body.perMonth.min.USD).toBe("8.74"); // 8.736 USD to the cent
    expect(body.perMonth.max.USD).toBe("100.8");
    expect(body.peg).toEqual({ ccUsd: "0.128", note: null });

    const [previous, current] = body.months;
    expect(previous?.month).toBe(new Date(previousMonthStart).toISOString().slice(0, 7));
    expect(current?.month).toBe(new Date(currentMonthStart).toISOString().slice(0, 7));
    // Last month: the whole month, two settlements paying 3 + 1 CC to the farmer.
    const previousHours = (currentMonthStart - previousMonthStart) / hourMs;
    expect(previous?.hours).toBe(String(previousHours));
    expect(previous?.actual).toEqual({
      farmerCc: "4.000000",
      chargedCc: "5.000000",
      farmerUsd: "0.51", // 0.512 USD to the cent
      settlements: 2,
    });
    const projectedCc = new Dec("262.5").mul(previousHours).div(720);
    expect(previous?.projected.listed.CC).toBe(projectedCc.toDecimalPlaces(6).toFixed());
    expect(previous?.utilisation).toBe(new Dec(4).div(projectedCc).toDecimalPlaces(6).toFixed());
    // This month: up to now, one settlement of 8 CC.
    expect(current?.actual).toMatchObject({ farmerCc: "8.000000", chargedCc: "10.000000", settlements: 1 });
    expect(Number(current?.hours)).toBeGreaterThan(0);
    expect(Number(current?.hours)).toBeLessThanOrEqual((Date.now() - currentMonthStart) / hourMs + 1);
  });

  it("lets an admin read it and refuses other farmers and other roles", async () => {
    const admin = await seedKey("admin");
    expect((await call("GET", `/v1/nodes/${nodeId}/projection`, { key: admin.key })).status).toBe(200);
    const otherFarmer = await seedKey("farmer");
    const other = await call<{ code: string }>("GET", `/v1/nodes/${nodeId}/projection`, {
      key: otherFarmer.key,
    });
    expect(other.status).toBe(403);
    expect(other.body.code).toBe("FORBIDDEN");
    const user = await seedKey("user");
    expect((await call("GET", `/v1/nodes/${nodeId}/projection`, { key: user.key })).status).toBe(403);
    expect((await call("GET", `/v1/nodes/${nodeId}/projection`)).status).toBe(401);
  });

  it("answers 404 for an unknown node and 422 naming the field for a bad month count", async () => {
    const missing = await call<{ code: string }>("GET", "/v1/nodes/node_doesnotexist/projection", {
      key: farmer.key,
    });
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe("NOT_FOUND");
    for (const months of ["0", "25", "two"]) {
      const bad = await call<{ errors: { field: string }[] }>(
        "GET",
        `/v1/nodes/${nodeId}/projection?months=${months}`,
        {
          key: farmer.key,
        },
      );
      expect(bad.status).toBe(422);
      expect(bad.body.errors.map((error) => error.field)).toContain("query.months");
    }
  });
});
