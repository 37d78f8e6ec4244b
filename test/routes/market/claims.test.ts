// Proves the claims written with a lease's hold (src/market/store/claims.ts): one Idempotency-Key sent at once makes one claim; commitments racing for a package's last slices never take more than its room and the refused ones hold nothing; two acceptances of one capacity request racing make one lease, and the other writes nothing; a final request's status never changes and a request an earlier version left `accepting` is accepted for its offer only; each succeeds in two round trips, and its key's replay answers the first response.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { databaseRoundTrips } from "../../../src/kit/db/client";
import { runMarketCron } from "../../../src/market/flows/upkeep";
import { call, database, type Seeded, seedKey } from "../../support/harness";
import {
  book,
  ccMinor,
  configurePackage,
  fundedUser,
  fundTreasury,
  hourMs,
  idempotencyKey,
  postCapacityRequest,
  registerNode,
  setPeg,
} from "./support";

type Problem = { code: string; detail: string; errors?: { field: string }[] };
type Commitment = { commitmentId: string; packageId: string; lease: { id: string; nodeId: string } };

let farmer: Seeded;
let otherFarmer: Seeded;
let admin: Seeded;

beforeAll(async () => {
  await setPeg();
  [farmer, otherFarmer, admin] = await Promise.all([seedKey("farmer"), seedKey("farmer"), seedKey("admin")]);
  await fundTreasury(admin, "50");
});

/** Pending holds the treasury has for leases on `nodeIds`. */
async function treasuryHoldsOn(nodeIds: readonly string[]): Promise<number> {
  const result = await database().execute({
    sql: `SELECT count(*) AS n FROM transfers WHERE type = 'pending' AND debit_account_id = 'acc_treasury_cc'
            AND json_extract(metadata, '$.nodeId') IN (SELECT value FROM json_each(?))`,
    args: [JSON.stringify(nodeIds)],
  });
  return Number(result.rows[0]?.n);
}

describe("a package's room, checked by the database with the hold", () => {
  it("commitments racing for the last slices: exactly the room is taken, the refused hold and reserve nothing", async () => {
    const nodes = await Promise.all(Array.from({ length: 6 }, () => registerNode(farmer)));
    const packageId = `race-${nodes[0]!.id.slice(5, 15).toLowerCase()}`;
    await configurePackage(admin, packageId, {
      name: "Race",
      priceCcPerSliceMonth: "1.2",
      slicesCommitted: 3,
    });
    const keys = nodes.map(() => idempotencyKey("race"));
    const answers = await Promise.all(
      nodes.map((node, index) =>
        call<Commitment & Problem>("POST", `/v1/bid-packages/${packageId}/commitments`, {
          key: farmer.key,
          headers: { "idempotency-key": keys[index]! },
          body: { nodeId: node.id, slices: 1 },
        }),
      ),
    );
    const granted = answers.filter((answer) => answer.status === 201);
    const refused = answers.filter((answer) => answer.status !== 201);
    expect(granted).toHaveLength(3);
    for (const answer of refused) {
      expect(answer.status, JSON.stringify(answer.body)).toBe(429);
      expect(answer.body.code).toBe("LIMIT_REACHED");
      expect(answer.body.errors?.[0]?.field).toBe("slices");
    }
    const rows = await database().execute({
      sql: "SELECT node_id, lease_id FROM package_commitments WHERE package_id = ? AND status = 'active' ORDER BY node_id",
      args: [packageId],
    });
    expect(rows.rows.map((row) => String(row.lease_id)).sort()).toEqual(
      granted.map((answer) => answer.body.lease.id).sort(),
    );
    // One treasury hold per granted commitment; a refused one's node keeps every slice.
    expect(await treasuryHoldsOn(nodes.map((node) => node.id))).toBe(3);
    const grantedNodes = new Set(granted.map((answer) => answer.body.lease.nodeId));
    for (const node of nodes) {
      const shown = await call<{ freeSlices: number }>("GET", `/v1/nodes/${node.id}`, { key: farmer.key });
      expect(shown.body.freeSlices).toBe(grantedNodes.has(node.id) ? node.sliceCount - 1 : node.sliceCount);
    }
    const listed = await call<{ data: { id: string; slicesFilled: number }[] }>("GET", "/v1/bid-packages");
    expect(listed.body.data.find((item) => item.id === packageId)?.slicesFilled).toBe(3);

    // The key's record was written with the hold: its replay is the first response, word for word.
    const first = granted[0]!;
    const index = answers.indexOf(first);
    const replay = await call<Commitment>("POST", `/v1/bid-packages/${packageId}/commitments`, {
      key: farmer.key,
      headers: { "idempotency-key": keys[index]! },
      body: { nodeId: nodes[index]!.id, slices: 1 },
    });
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body).toEqual(first.body);
  });

  it("one Idempotency-Key sent four times at once: one commitment, one hold, four equal answers", async () => {
    const node = await registerNode(farmer);
    const key = idempotencyKey("same");
    const holds = await treasuryHoldsOn([node.id]);
    const answers = await Promise.all(
      [0, 1, 2, 3].map(() =>
        call<Commitment>("POST", "/v1/bid-packages/standard-compute/commitments", {
          key: farmer.key,
          headers: { "idempotency-key": key },
          body: { nodeId: node.id, slices: 2 },
        }),
      ),
    );
    for (const answer of answers) {
      expect(answer.status, JSON.stringify(answer.body)).toBe(201);
      expect(answer.body).toEqual(answers[0]!.body);
    }
    const rows = await database().execute({
      sql: "SELECT count(*) AS n FROM package_commitments WHERE node_id = ?",
      args: [node.id],
    });
    expect(Number(rows.rows[0]?.n)).toBe(1);
    expect(await treasuryHoldsOn([node.id])).toBe(holds + 1);
  });

  it("a commitment takes two round trips, and a package found full is refused before any write", async () => {
    const node = await registerNode(farmer);
    const packageId = `two-${node.id.slice(5, 15).toLowerCase()}`;
    await configurePackage(admin, packageId, {
      name: "Two",
      priceCcPerSliceMonth: "1.2",
      slicesCommitted: 2,
    });
    const commit = (slices: number) =>
      call<Commitment & Problem>("POST", `/v1/bid-packages/${packageId}/commitments`, {
        key: farmer.key,
        headers: { "idempotency-key": idempotencyKey("two") },
        body: { nodeId: node.id, slices },
      });
    const before = databaseRoundTrips();
    const granted = await commit(2);
    expect(databaseRoundTrips() - before).toBe(2);
    expect(granted.status, JSON.stringify(granted.body)).toBe(201);
    const holds = await treasuryHoldsOn([node.id]);
    const start = databaseRoundTrips();
    const full = await commit(1);
    expect(databaseRoundTrips() - start).toBe(1);
    expect(full.status).toBe(429);
    expect(full.body.errors?.[0]?.field).toBe("slices");
    expect(await treasuryHoldsOn([node.id])).toBe(holds);
  });
});

type CapacityRequest = {
  id: string;
  status: string;
  leaseId: string | null;
  offers: { id: string; status: string }[];
};

async function requestWithOffers(user: Seeded, count: number) {
  const created = await postCapacityRequest(user);
  const farmers = [farmer, otherFarmer];
  const offers: { id: string; nodeId: string }[] = [];
  for (let index = 0; index < count; index += 1) {
    const node = await registerNode(farmers[index % 2]!);
    const made = await call<{ id: string }>("POST", `/v1/capacity-requests/${created.id}/offers`, {
      key: farmers[index % 2]!.key,
      body: { nodeId: node.id, priceCcPerSliceHour: "0.1" },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    offers.push({ id: made.body.id, nodeId: node.id });
  }
  return { request: created, offers };
}

function accept(user: Seeded, requestId: string, offerId: string, key = idempotencyKey("accept")) {
  return call<{ id: string; nodeId: string } & Problem>("POST", `/v1/capacity-requests/${requestId}/accept`, {
    key: user.key,
    headers: { "idempotency-key": key },
    body: { offerId },
  });
}

async function pendingHoldsOf(accountId: string): Promise<number> {
  const result = await database().execute({
    sql: "SELECT count(*) AS n FROM holds WHERE debit_account_id = ? AND status = 'pending'",
    args: [accountId],
  });
  return Number(result.rows[0]?.n);
}

describe("a capacity request's acceptance, written with the hold", () => {
  it("two acceptances racing: one lease, the other refused with nothing held or reserved", async () => {
    const user = await fundedUser(50n * ccMinor);
    const { request, offers } = await requestWithOffers(user, 3);
    const answers = await Promise.all(offers.map((offer) => accept(user, request.id, offer.id)));
    const won = answers.filter((answer) => answer.status === 201);
    expect(won).toHaveLength(1);
    for (const answer of answers.filter((item) => item.status !== 201)) {
      expect(answer.status, JSON.stringify(answer.body)).toBe(409);
      expect(answer.body.code).toBe("CONFLICT");
    }
    const lease = won[0]!.body;
    expect(await pendingHoldsOf(user.accountId)).toBe(1);
    for (const offer of offers) {
      const node = await call<{ freeSlices: number; sliceCount: number }>(
        "GET",
        `/v1/nodes/${offer.nodeId}`,
        {
          key: admin.key,
        },
      );
      expect(node.body.freeSlices).toBe(node.body.sliceCount - (offer.nodeId === lease.nodeId ? 2 : 0));
    }
    const after = await call<CapacityRequest>("GET", `/v1/capacity-requests/${request.id}`, {
      key: user.key,
    });
    expect(after.body).toMatchObject({ status: "accepted", leaseId: lease.id });
    expect(after.body.offers.filter((offer) => offer.status === "accepted")).toHaveLength(1);
    expect(after.body.offers.filter((offer) => offer.status === "lost")).toHaveLength(2);
    const events = await database().execute({
      sql: "SELECT count(*) AS n FROM events WHERE type = 'capacity_request.offer_accepted' AND subject_id = ?",
      args: [request.id],
    });
    expect(Number(events.rows[0]?.n)).toBe(1);
  });

  it("takes two round trips; the same key answers the first response, another key the same lease", async () => {
    const user = await fundedUser(50n * ccMinor);
    const { request, offers } = await requestWithOffers(user, 1);
    const key = idempotencyKey("accept");
    const before = databaseRoundTrips();
    const accepted = await accept(user, request.id, offers[0]!.id, key);
    expect(databaseRoundTrips() - before).toBe(2);
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(201);
    const replay = await accept(user, request.id, offers[0]!.id, key);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body).toEqual(accepted.body);
    const again = await accept(user, request.id, offers[0]!.id);
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(accepted.body.id);
    expect(await pendingHoldsOf(user.accountId)).toBe(1);
  });

  it("one Idempotency-Key sent four times at once: one lease, one hold, four equal answers", async () => {
    const user = await fundedUser(50n * ccMinor);
    const { request, offers } = await requestWithOffers(user, 1);
    const key = idempotencyKey("same");
    const answers = await Promise.all([0, 1, 2, 3].map(() => accept(user, request.id, offers[0]!.id, key)));
    for (const answer of answers) {
      expect(answer.status, JSON.stringify(answer.body)).toBe(201);
      expect(answer.body).toEqual(answers[0]!.body);
    }
    expect(await pendingHoldsOf(user.accountId)).toBe(1);
    const events = await database().execute({
      sql: "SELECT count(*) AS n FROM events WHERE type = 'capacity_request.offer_accepted' AND subject_id = ?",
      args: [request.id],
    });
    expect(Number(events.rows[0]?.n)).toBe(1);
  });

  it("the database keeps a final status, and accepts a request left `accepting` for its offer only", async () => {
    const user = await fundedUser(50n * ccMinor);
    const accepted = await requestWithOffers(user, 1);
    expect((await accept(user, accepted.request.id, accepted.offers[0]!.id)).status).toBe(201);
    await expect(
      database().execute({
        sql: "UPDATE capacity_requests SET status = 'expired' WHERE id = ?",
        args: [accepted.request.id],
      }),
    ).rejects.toThrow(/LEDGER:CONFLICT/);

    // An earlier version held a request in `accepting` while it asked the book.
    const { request, offers } = await requestWithOffers(user, 2);
    await database().execute({
      sql: "UPDATE capacity_requests SET status = 'accepting', accepting_offer_id = ? WHERE id = ?",
      args: [offers[0]!.id, request.id],
    });
    const other = await accept(user, request.id, offers[1]!.id);
    expect(other.status, JSON.stringify(other.body)).toBe(409);
    expect(await pendingHoldsOf(user.accountId)).toBe(1);
    const taken = await accept(user, request.id, offers[0]!.id);
    expect(taken.status, JSON.stringify(taken.body)).toBe(201);
    expect(await pendingHoldsOf(user.accountId)).toBe(2);
  });
  it("records the acceptance of a lease an earlier version reserved before it stopped, at the deadline", async () => {
    const user = await fundedUser(50n * ccMinor);
    const { request, offers } = await requestWithOffers(user, 2);
    const [offer, other] = offers as [{ id: string; nodeId: string }, { id: string; nodeId: string }];
    // The earlier version took the request for the offer, and its book reserved the lease; then it stopped.
    await database().execute({
      sql: "UPDATE capacity_requests SET status = 'accepting', accepting_offer_id = ? WHERE id = ?",
      args: [offer.id, request.id],
    });
    const reserved = await book(offer.nodeId).reserve({
      nodeId: offer.nodeId,
      leaseId: `lse_${offer.id}`,
      ownerId: user.ownerId,
      payerAccountId: user.accountId,
      kind: "onDemand",
      slices: 2,
      durationMs: 10 * hourMs,
      pricing: { type: "fixed", priceCcPerSliceHour: "0.1" },
      source: "capacity_request",
      sourceId: request.id,
    });
    expect(reserved.ok).toBe(true);
    await runMarketCron(env, Date.now() + 2 * hourMs);
    const after = await call<CapacityRequest>("GET", `/v1/capacity-requests/${request.id}`, {
      key: user.key,
    });
    expect(after.body).toMatchObject({ status: "accepted", leaseId: `lse_${offer.id}` });
    expect(Object.fromEntries(after.body.offers.map((item) => [item.id, item.status]))).toEqual({
      [offer.id]: "accepted",
      [other.id]: "lost",
    });
    expect(await pendingHoldsOf(user.accountId)).toBe(1);
    const events = await database().execute({
      sql: "SELECT count(*) AS n FROM events WHERE type = 'capacity_request.offer_accepted' AND subject_id = ?",
      args: [request.id],
    });
    expect(Number(events.rows[0]?.n)).toBe(1);
  });
});
