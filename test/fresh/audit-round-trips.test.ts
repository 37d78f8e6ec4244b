// Proves the ledger audit's round trips on a database only this file writes to: the audit of a clean market (leases, bids, their holds) is one round trip with the ledger's own recomputation; one that finds something wrong reads once more, and reports it.
import { beforeAll, describe, expect, it } from "vitest";
import { databaseRoundTrips } from "../../src/kit/db/client";
import { createTransfers } from "../../src/ledger/store";
import { bid, ccMinor, fundedUser, registerNode, reserve, setPeg } from "../routes/market/support";
import { call, database, type Seeded, seedKey } from "../support/harness";

type AuditBody = {
  balanced: boolean;
  market: { nodesChecked: number; leasesChecked: number; openBidsChecked: number; mismatchesTotal: number };
  marketMismatches: { kind: string; id: string }[];
};

let admin: Seeded;
let farmer: Seeded;

beforeAll(async () => {
  await setPeg();
  [admin, farmer] = await Promise.all([seedKey("admin"), seedKey("farmer")]);
});

/** The audit's report and the round trips it took. */
async function audited(): Promise<{ report: AuditBody; trips: number }> {
  const before = databaseRoundTrips();
  const response = await call<AuditBody>("GET", "/v1/ledger/audit", { key: admin.key });
  const trips = databaseRoundTrips() - before;
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return { report: response.body, trips };
}

describe("the ledger audit's round trips", () => {
  it("one for a clean market, two when it finds a lease without its hold", async () => {
    const nodes = await Promise.all([registerNode(farmer), registerNode(farmer)]);
    const user = await fundedUser(100n * ccMinor);
    const leases = [];
    for (const node of nodes) {
      const lease = await reserve(user, node.id, 2, null);
      expect(lease.status, JSON.stringify(lease.body)).toBe(201);
      leases.push(lease.body as { id: string });
      const placed = await bid(user, node.id, 1, "0.02");
      expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    }
    // The key is verified once, so the audits below count only the audit's own reads.
    await audited();

    const clean = await audited();
    expect(clean.report.balanced).toBe(true);
    expect(clean.report.market).toMatchObject({
      nodesChecked: 2,
      leasesChecked: 2,
      openBidsChecked: 2,
      mismatchesTotal: 0,
    });
    expect(clean.trips).toBe(1);

    // A hold voided behind the book's back: the lease it funds runs without one.
    const holdId = `hold_${leases[0]!.id}_0`;
    const voided = await createTransfers(database(), [
      { type: "void_pending", id: `test_void_${holdId}`, pendingId: holdId, code: "test_void" },
    ]);
    expect(voided.ok ? "ok" : voided.detail).toBe("ok");
    const found = await audited();
    expect(found.report.balanced).toBe(false);
    expect(found.report.marketMismatches).toEqual([
      expect.objectContaining({ kind: "lease_without_hold", id: leases[0]!.id }),
    ]);
    expect(found.trips).toBe(2);
  });
});
