// Proves the market's value-moving routes write nothing when they refuse: a bid refused for the book's open-bid limit, insufficient funds or the minimum holds nothing (and its retry with the same Idempotency-Key gets the same refusal, not a conflict), a bid group with one bidder short of CC places the others and nothing for that one, a lease refused for funds or an offline node holds nothing, a package commitment refused for the treasury's funds leaves no commitment row, and a capacity-offer acceptance refused for the requester's funds leaves the request and the offer as they were.
import { beforeAll, describe, expect, it } from "vitest";
import { openBidsPerAccountMax } from "../../../src/market/core/bidbook/model";
import { call, database, expectAuditClean, type Seeded, seedKey } from "../../support/harness";
import {
  book,
  ccMinor,
  configurePackage,
  fundedUser,
  hourMs,
  idempotencyKey,
  postCapacityRequest,
  registerNode,
  setPeg,
} from "./support";

type Problem = { code: string; detail: string; status: number };

let farmer: Seeded;
let admin: Seeded;

beforeAll(async () => {
  await setPeg();
  [farmer, admin] = await Promise.all([seedKey("farmer"), seedKey("admin")]);
});

/** The ledger's rows that involve an account: transfers it is a side of (or that resolve its holds), and its holds. */
async function ledgerRowsOf(accountId: string): Promise<{ transfers: number; holds: number }> {
  const result = await database().execute({
    sql: `SELECT (SELECT count(*) FROM transfers WHERE debit_account_id = ?1 OR credit_account_id = ?1
                    OR pending_id IN (SELECT id FROM holds WHERE debit_account_id = ?1)) AS transfers,
                 (SELECT count(*) FROM holds WHERE debit_account_id = ?1) AS holds`,
    args: [accountId],
  });
  return { transfers: Number(result.rows[0]?.transfers), holds: Number(result.rows[0]?.holds) };
}

function postBid(user: Seeded, nodeId: string, key: string, price = "0.05", slices = 1) {
  return call<Problem & { id: string; status: string }>("POST", `/v1/nodes/${nodeId}/bids`, {
    key: user.key,
    headers: { "idempotency-key": key },
    body: { slices, priceCcPerSliceHour: price },
  });
}

describe("refused bids", () => {
  it("the open-bid limit: 429, nothing held, and the retry with the same key is 429 again", async () => {
    const node = await registerNode(farmer);
    const user = await fundedUser(100n * ccMinor);
    for (let index = 0; index < openBidsPerAccountMax; index += 1) {
      const placed = await postBid(user, node.id, idempotencyKey("limit"));
      expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    }
    const before = await ledgerRowsOf(user.accountId);
    const key = idempotencyKey("over");
    const refused = await postBid(user, node.id, key);
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe("LIMIT_REACHED");
    expect(await ledgerRowsOf(user.accountId)).toEqual(before);
    const retried = await postBid(user, node.id, key);
    expect(retried.status, JSON.stringify(retried.body)).toBe(429);
    expect(retried.body.code).toBe("LIMIT_REACHED");
    expect(await ledgerRowsOf(user.accountId)).toEqual(before);
  });

  it("insufficient funds and a price below the minimum: refused, nothing held, the same answer again", async () => {
    const node = await registerNode(farmer);
    // One prepaid window of one slice at 0.05 CC is 1.2 CC: 1 CC does not cover it.
    const user = await fundedUser(1n * ccMinor);
    const before = await ledgerRowsOf(user.accountId);
    const key = idempotencyKey("poor");
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const refused = await postBid(user, node.id, key);
      expect(refused.status).toBe(422);
      expect(refused.body.code).toBe("INSUFFICIENT_FUNDS");
    }
    const below = await postBid(user, node.id, idempotencyKey("below"), "0.001");
    expect(below.status).toBe(422);
    expect(below.body.code).toBe("BID_BELOW_MINIMUM");
    expect(await ledgerRowsOf(user.accountId)).toEqual(before);
    // Enough for it now: the same key places the bid.
    const placed = await postBid(user, node.id, key, "0.04");
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    expect(await ledgerRowsOf(user.accountId)).toEqual({
      transfers: before.transfers + 1,
      holds: before.holds + 1,
    });
  });

  it("a group with one bidder short of CC places the others and holds nothing for that one", async () => {
    const node = await registerNode(farmer);
    const stub = book(node.id);
    await stub.open({ nodeId: node.id });
    const [rich, poor] = await Promise.all([fundedUser(50n * ccMinor), fundedUser(1n * ccMinor)]);
    const poorBefore = await ledgerRowsOf(poor.accountId);
    const request = (bidder: Seeded & { accountId: string }, bidId: string) => ({
      nodeId: node.id,
      bidId,
      ownerId: bidder.ownerId,
      payerAccountId: bidder.accountId,
      slices: 1,
      priceCcPerSliceHour: "0.05",
      openMs: hourMs,
    });
    const suffix = node.id.slice(5);
    // Sent without awaiting in between, so the book takes them as one group.
    const [first, short, second] = await Promise.all([
      stub.placeBid(request(rich, `bid_rich_a_${suffix}`)),
      stub.placeBid(request(poor, `bid_poor_${suffix}`)),
      stub.placeBid(request(rich, `bid_rich_b_${suffix}`)),
    ]);
    expect(first).toMatchObject({
      ok: true,
      value: { status: "open", holdIds: [`hold_bid_rich_a_${suffix}`] },
    });
    expect(second).toMatchObject({
      ok: true,
      value: { status: "open", holdIds: [`hold_bid_rich_b_${suffix}`] },
    });
    expect(short).toMatchObject({ ok: false, code: "INSUFFICIENT_FUNDS" });
    expect(await ledgerRowsOf(poor.accountId)).toEqual(poorBefore);
    const listed = await stub.listBids({ nodeId: node.id });
    expect(listed.ok && listed.value.map((item) => item.id).sort()).toEqual([
      `bid_rich_a_${suffix}`,
      `bid_rich_b_${suffix}`,
    ]);
    await expectAuditClean();
  });
});

describe("refused leases", () => {
  it("insufficient funds or an offline node: refused and nothing held", async () => {
    const node = await registerNode(farmer);
    const poor = await fundedUser(1n * ccMinor);
    const before = await ledgerRowsOf(poor.accountId);
    const lease = (user: Seeded, key: string) =>
      call<Problem>("POST", "/v1/leases", {
        key: user.key,
        headers: { "idempotency-key": key },
        body: { nodeId: node.id, slices: 2, durationHours: null },
      });
    const short = await lease(poor, idempotencyKey("short"));
    expect(short.status).toBe(422);
    expect(short.body.code).toBe("INSUFFICIENT_FUNDS");
    const offline = await call("PUT", `/v1/nodes/${node.id}/state`, {
      key: farmer.key,
      body: { state: "offline" },
    });
    expect(offline.status, JSON.stringify(offline.body)).toBe(200);
    const rich = await fundedUser(50n * ccMinor);
    const richBefore = await ledgerRowsOf(rich.accountId);
    const unavailable = await lease(rich, idempotencyKey("offline"));
    expect(unavailable.status).toBe(409);
    expect(unavailable.body.code).toBe("NODE_UNAVAILABLE");
    expect(await ledgerRowsOf(poor.accountId)).toEqual(before);
    expect(await ledgerRowsOf(rich.accountId)).toEqual(richBefore);
  });
});

describe("a refused package commitment", () => {
  it("leaves no commitment row and moves nothing; its retry is refused the same way", async () => {
    const node = await registerNode(farmer);
    const packageId = `dear-${node.id.slice(5, 15).toLowerCase()}`;
    // 100,000,000 CC per slice-month: a day of one slice is far more than the treasury holds.
    await configurePackage(admin, packageId, {
      name: "Dear",
      priceCcPerSliceMonth: "100000000",
      slicesCommitted: 5,
    });
    const counts = async () => {
      const result = await database().execute({
        sql: `SELECT (SELECT count(*) FROM package_commitments WHERE package_id = ?) AS commitments,
                     (SELECT count(*) FROM transfers WHERE debit_account_id = 'acc_treasury_cc' AND type = 'pending') AS holds`,
        args: [packageId],
      });
      return { commitments: Number(result.rows[0]?.commitments), holds: Number(result.rows[0]?.holds) };
    };
    const before = await counts();
    const key = idempotencyKey("dear");
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const refused = await call<Problem>("POST", `/v1/bid-packages/${packageId}/commitments`, {
        key: farmer.key,
        headers: { "idempotency-key": key },
        body: { nodeId: node.id, slices: 1 },
      });
      expect(refused.status, JSON.stringify(refused.body)).toBe(422);
      expect(refused.body.code).toBe("INSUFFICIENT_FUNDS");
      expect(await counts()).toEqual(before);
    }
    const listed = await call<{ data: { id: string; slicesFilled: number }[] }>("GET", "/v1/bid-packages");
    expect(listed.body.data.find((item) => item.id === packageId)?.slicesFilled).toBe(0);
  });
});

describe("a refused capacity-offer acceptance", () => {
  it("leaves the request open as it was and the offer open when the requester is short of CC", async () => {
    const user = await fundedUser(1n * ccMinor);
    const created = await postCapacityRequest(user);
    const node = await registerNode(farmer);
    const offer = await call<{ id: string; status: string }>(
      "POST",
      `/v1/capacity-requests/${created.id}/offers`,
      { key: farmer.key, body: { nodeId: node.id, priceCcPerSliceHour: "0.1" } },
    );
    expect(offer.status, JSON.stringify(offer.body)).toBe(201);
    const rows = async () => {
      const result = await database().batch(
        [
          {
            sql: "SELECT status, updated_at, accepting_offer_id FROM capacity_requests WHERE id = ?",
            args: [created.id],
          },
          { sql: "SELECT status, detail FROM capacity_offers WHERE id = ?", args: [offer.body.id] },
        ],
        "read",
      );
      return { request: result[0]?.rows[0], offer: result[1]?.rows[0] };
    };
    const before = await rows();
    const ledgerBefore = await ledgerRowsOf(user.accountId);
    const key = idempotencyKey("accept");
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const refused = await call<Problem>("POST", `/v1/capacity-requests/${created.id}/accept`, {
        key: user.key,
        headers: { "idempotency-key": key },
        body: { offerId: offer.body.id },
      });
      expect(refused.status, JSON.stringify(refused.body)).toBe(422);
      expect(refused.body.code).toBe("INSUFFICIENT_FUNDS");
    }
    expect(await rows()).toEqual(before);
    expect(await ledgerRowsOf(user.accountId)).toEqual(ledgerBefore);
  });
});
