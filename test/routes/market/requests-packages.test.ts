// Proves the reverse auction (offers must meet the requirements, the band, the maximum and the budget; the requester's acceptance or the deadline's cheapest offer becomes a lease), ThreeFold bid packages (eligibility, the committed quantity, leases paid from the treasury and settled 80/10/10) and the farmer's earnings report.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { runMarketCron } from "../../../src/market/flows/upkeep";
import { call, database, type Seeded, seedKey } from "../../support/harness";
import {
  ccMinor,
  fundedUser,
  fundTreasury,
  hourMs,
  idempotencyKey,
  registerNode,
  setPeg,
  settle,
  settlementsOf,
  shift,
} from "./support";

type Problem = { code: string; detail: string; errors?: { field: string }[] };
type Offer = { id: string; status: string };
type Request = {
  id: string;
  status: string;
  leaseId: string | null;
  offers: Offer[];
  requirements: Record<string, unknown>;
};

let admin: Seeded;
let farmerA: Seeded;
let farmerB: Seeded;

beforeAll(async () => {
  await setPeg();
  [admin, farmerA, farmerB] = await Promise.all([seedKey("admin"), seedKey("farmer"), seedKey("farmer")]);
});

async function postRequest(user: Seeded, overrides: Record<string, unknown> = {}) {
  const response = await call<Request>("POST", "/v1/capacity-requests", {
    key: user.key,
    body: {
      slices: 2,
      requirements: { minMemGb: "4", minPassmark: "2000" },
      durationHours: 10,
      maxPriceCcPerSliceHour: "0.3",
      budget: "5",
      deadlineInHours: 1,
      ...overrides,
    },
  });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body;
}

function offer(farmer: Seeded, requestId: string, nodeId: string, price: string) {
  return call<Offer & Problem>("POST", `/v1/capacity-requests/${requestId}/offers`, {
    key: farmer.key,
    body: { nodeId, priceCcPerSliceHour: price },
  });
}

describe("requirement names", () => {
  it("name every minimum min… like the market filters: the old names are refused, old rows still read", async () => {
    const user = await fundedUser(10n * ccMinor);
    const old = await call<Problem>("POST", "/v1/capacity-requests", {
      key: user.key,
      body: {
        slices: 1,
        requirements: { memGbMin: "4" },
        durationHours: 10,
        maxPriceCcPerSliceHour: "0.3",
        budget: "5",
        deadlineInHours: 1,
      },
    });
    expect(old.status).toBe(422);
    expect(old.body.errors?.map((problem) => problem.field)).toEqual(["requirements.memGbMin"]);
    const request = await postRequest(user, {
      requirements: {
        minCores: "1",
        minPassmark: "2000",
        minMemGb: "4",
        minSsdGb: "10",
        minAiGb: "0",
        minTps: "0",
      },
    });
    expect(request.requirements).toEqual({
      minCores: "1",
      minPassmark: "2000",
      minMemGb: "4",
      minSsdGb: "10",
      minAiGb: "0",
      minTps: "0",
    });
    // A request stored before the rename reads with the new names.
    await database().execute({
      sql: "UPDATE capacity_requests SET requirements = ? WHERE id = ?",
      args: [JSON.stringify({ memGbMin: "4", passmarkMin: "2000", gpuRequired: false }), request.id],
    });
    const stored = await call<Request>("GET", `/v1/capacity-requests/${request.id}`, { key: user.key });
    expect(stored.body.requirements).toEqual({ minMemGb: "4", minPassmark: "2000", gpuRequired: false });
  });
});

describe("capacity requests", () => {
  it("takes matching offers only and turns the accepted one into a lease", async () => {
    const user = await fundedUser(50n * ccMinor);
    const request = await postRequest(user);
    const fits = await registerNode(farmerA);
    const tooSlow = await registerNode(farmerB, {
      catalogueId: "mini-3",
      sliceCount: 25,
      pricePerSliceMonth: "5",
      pricePerSliceHour: "0.02",
    });

    const slow = await offer(farmerB, request.id, tooSlow.id, "0.1");
    expect(slow.status).toBe(422);
    expect(slow.body.code).toBe("REQUIREMENTS_NOT_MET");
    expect(slow.body.detail).toContain("minPassmark 2000");
    const notMine = await offer(farmerB, request.id, fits.id, "0.1");
    expect(notMine.status).toBe(403);
    const aboveMax = await offer(farmerA, request.id, fits.id, "0.31");
    expect(aboveMax.body.errors?.[0]?.field).toBe("priceCcPerSliceHour");
    const overBudget = await offer(farmerA, request.id, fits.id, "0.3");
    expect(overBudget.body.detail).toContain("budget");
    const belowBand = await offer(farmerA, request.id, fits.id, "0.001");
    expect(belowBand.body.code).toBe("PRICE_OUTSIDE_BAND");

    const good = await offer(farmerA, request.id, fits.id, "0.1");
    expect(good.status).toBe(201);
    expect((await offer(farmerA, request.id, fits.id, "0.09")).status).toBe(409);
    const second = await registerNode(farmerB);
    const other = await offer(farmerB, request.id, second.id, "0.12");
    expect(other.status).toBe(201);

    const asFarmer = await call<Request>("GET", `/v1/capacity-requests/${request.id}`, { key: farmerB.key });
    expect(asFarmer.body.offers.map((item) => item.id)).toEqual([other.body.id]);
    const openList = await call<{ data: Request[] }>("GET", "/v1/capacity-requests?limit=200", {
      key: farmerA.key,
    });
    expect(openList.body.data.map((item) => item.id)).toContain(request.id);

    const accepted = await call<{
      id: string;
      kind: string;
      source: string;
      priceCcPerSliceHour: string;
      endsAt: string;
      startedAt: string;
    }>("POST", `/v1/capacity-requests/${request.id}/accept`, {
      key: user.key,
      headers: { "idempotency-key": idempotencyKey("accept") },
      body: { offerId: good.body.id },
    });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(201);
    expect(accepted.body).toMatchObject({
      kind: "onDemand",
      source: "capacity_request",
      priceCcPerSliceHour: "0.1",
    });
    expect(Date.parse(accepted.body.endsAt) - Date.parse(accepted.body.startedAt)).toBe(10 * hourMs);
    const after = await call<Request>("GET", `/v1/capacity-requests/${request.id}`, { key: user.key });
    expect(after.body).toMatchObject({ status: "accepted", leaseId: accepted.body.id });
    expect(after.body.offers.map((item) => item.status).sort()).toEqual(["accepted", "lost"]);
    const again = await call<{ id: string }>("POST", `/v1/capacity-requests/${request.id}/accept`, {
      key: user.key,
      headers: { "idempotency-key": idempotencyKey("accept") },
      body: { offerId: good.body.id },
    });
    expect(again.body.id).toBe(accepted.body.id);
    const otherOffer = await call("POST", `/v1/capacity-requests/${request.id}/accept`, {
      key: user.key,
      headers: { "idempotency-key": idempotencyKey("accept") },
      body: { offerId: other.body.id },
    });
    expect(otherOffer.status).toBe(409);
    // Once accepted the request is no longer open: farmers no longer see it.
    expect((await offer(farmerA, request.id, (await registerNode(farmerA)).id, "0.1")).status).toBe(404);
  });

  it("takes the cheapest offer at the deadline when asked to, and expires the others", async () => {
    const user = await fundedUser(50n * ccMinor);
    const cheapest = await postRequest(user, { acceptCheapestAtDeadline: true });
    const plain = await postRequest(user);
    const [one, two] = await Promise.all([registerNode(farmerA), registerNode(farmerB)]);
    const high = await offer(farmerA, cheapest.id, one.id, "0.12");
    const low = await offer(farmerB, cheapest.id, two.id, "0.09");
    expect([high.status, low.status]).toEqual([201, 201]);
    expect((await offer(farmerA, plain.id, one.id, "0.1")).status).toBe(201);

    const report = await runMarketCron(env, Date.now() + 2 * hourMs);
    expect(report.requests).toMatchObject({ accepted: expect.any(Number), expired: expect.any(Number) });
    const taken = await call<Request>("GET", `/v1/capacity-requests/${cheapest.id}`, { key: user.key });
    expect(taken.body.status).toBe("accepted");
    expect(taken.body.leaseId).toBe(`lse_${low.body.id}`);
    const lease = await call<{ priceCcPerSliceHour: string; nodeId: string }>(
      "GET",
      `/v1/leases/${taken.body.leaseId}`,
      {
        key: user.key,
      },
    );
    expect(lease.body).toMatchObject({ priceCcPerSliceHour: "0.09", nodeId: two.id });
    const expired = await call<Request>("GET", `/v1/capacity-requests/${plain.id}`, { key: user.key });
    expect(expired.body).toMatchObject({ status: "expired", leaseId: null });
  });
});

describe("bid packages", () => {
  it("lists ThreeFold's packages, checks eligibility and quantity, and pays commitments from the treasury", async () => {
    await fundTreasury(admin, "10");
    const list = await call<{
      data: { id: string; priceCcPerSliceMonth: string; slicesCommitted: number }[];
    }>("GET", "/v1/bid-packages");
    expect(list.body.data).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          id: "standard-compute",
          priceCcPerSliceMonth: "1.2",
          slicesCommitted: 20_000,
        }),
        expect.objectContaining({ id: "memory-heavy", priceCcPerSliceMonth: "2.4", slicesCommitted: 2_000 }),
      ]),
    );
    const node = await registerNode(farmerA);
    const commit = (packageId: string, slices: number) =>
      call<
        {
          lease: {
            id: string;
            kind: string;
            payerAccountId: string;
            priceCcPerSliceHour: string;
            ownerId: string;
          };
        } & Problem
      >("POST", `/v1/bid-packages/${packageId}/commitments`, {
        key: farmerA.key,
        headers: { "idempotency-key": idempotencyKey("commit") },
        body: { nodeId: node.id, slices },
      });
    const heavy = await commit("memory-heavy", 1);
    expect(heavy.status).toBe(422);
    expect(heavy.body.code).toBe("REQUIREMENTS_NOT_MET");

    const configured = await call("PUT", `/v1/bid-packages/tiny-${node.id.slice(5, 15).toLowerCase()}`, {
      key: admin.key,
      body: {
        name: "Tiny",
        requirements: { minMemGb: "4" },
        priceCcPerSliceMonth: "1.2",
        slicesCommitted: 2,
        leaseHours: 48,
      },
    });
    expect(configured.status).toBe(200);
    const tinyId = `tiny-${node.id.slice(5, 15).toLowerCase()}`;
    expect((await commit(tinyId, 3)).status).toBe(429);
    const granted = await commit(tinyId, 2);
    expect(granted.status, JSON.stringify(granted.body)).toBe(201);
    expect(granted.body.lease).toMatchObject({
      kind: "package",
      payerAccountId: "acc_treasury_cc",
      ownerId: "threefold",
      priceCcPerSliceHour: "0.001666666666",
    });
    expect((await commit(tinyId, 1)).status).toBe(429);
    const standard = await commit("standard-compute", 3);
    expect(standard.status).toBe(201);

    shift(2 * hourMs + 1_000);
    await settle(node.id);
    const rows = await settlementsOf([granted.body.lease.id, standard.body.lease.id]);
    expect(rows).toHaveLength(4);
    // Charged at the exact 1.2/720 CC per slice-hour, cumulatively: 2 slices are 3,333.33… minor
    // units an hour (3,333 then 6,666 − 3,333); 3 slices exactly 5,000 (4,999 at the rounded price).
    expect(rows.map((row) => row.chargeMinor).sort()).toEqual([3_333n, 3_333n, 5_000n, 5_000n]);
    for (const row of rows)
      expect(row.farmerMinor + row.burnMinor + row.threefoldMinor).toBe(row.chargeMinor);
    const payer = await database().execute({
      sql: "SELECT DISTINCT payer_account_id FROM settlements WHERE lease_id IN (?, ?)",
      args: [granted.body.lease.id, standard.body.lease.id],
    });
    expect(payer.rows.map((row) => row.payer_account_id)).toEqual(["acc_treasury_cc"]);

    const earnings = await call<{
      total: { gross: string; farmer: string; burned: string; threefold: string; periods: number };
      nodes: { nodeId: string; gross: string }[];
      leases: { leaseId: string }[];
    }>(
      "GET",
      `/v1/farmers/${farmerA.ownerId}/earnings?to=${encodeURIComponent(new Date(Date.now() + 30 * hourMs).toISOString())}`,
      {
        key: farmerA.key,
      },
    );
    expect(earnings.status).toBe(200);
    const mine = await database().execute({
      sql: "SELECT COALESCE(SUM(charge_minor), 0) AS gross, COALESCE(SUM(farmer_minor), 0) AS farmer, count(*) AS periods FROM settlements WHERE farmer_id = ?",
      args: [farmerA.ownerId],
    });
    const gross = BigInt(mine.rows[0]?.gross as bigint);
    expect(earnings.body.total.gross).toBe((Number(gross) / 1e6).toFixed(6));
    expect(earnings.body.total.periods).toBe(Number(mine.rows[0]?.periods));
    const nodeRow = earnings.body.nodes.find((item) => item.nodeId === node.id);
    expect(nodeRow?.gross).toBe(((3_333 * 2 + 5_000 * 2) / 1e6).toFixed(6));
    expect(earnings.body.leases.map((item) => item.leaseId)).toEqual(
      expect.arrayContaining([granted.body.lease.id, standard.body.lease.id]),
    );
  });
});
