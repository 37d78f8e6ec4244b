// Proves a node's bid book never overbooks under concurrent reservations and bids, pre-empts the lowest-priced running interruptible lease first (with a notice in its events) and never an on-demand one, and that bids the farmer accepts, rejects or lets expire, or the bidder cancels, end with their holds accepted into a lease or released.
import { beforeAll, describe, expect, it } from "vitest";
import type { LeaseView } from "../../src/market/object/contract";
import {
  bid,
  book,
  ccMinor,
  fundedUser,
  hourMs,
  registerNode,
  reserve,
  setPeg,
  settle,
  shift,
} from "../routes/market/support";
import { balances, call, database, expectAuditClean, type Seeded, seedKey } from "../support/harness";

let farmer: Seeded;

beforeAll(async () => {
  await setPeg();
  farmer = await seedKey("farmer");
});

async function view(nodeId: string) {
  const result = await book(nodeId).open({ nodeId });
  if (!result.ok) throw new Error(result.detail);
  return result.value;
}

async function lease(nodeId: string, leaseId: string): Promise<LeaseView> {
  const result = await book(nodeId).getLease({ nodeId, leaseId });
  if (!result.ok) throw new Error(result.detail);
  return result.value;
}

async function setAutoAccept(nodeId: string, price: string | null) {
  const response = await call("PUT", `/v1/nodes/${nodeId}/price`, {
    key: farmer.key,
    body: {
      pricePerSliceMonth: "3",
      pricePerSliceHour: "0.01",
      minBidCcPerSliceHour: "0.01",
      autoAcceptAboveCcPerSliceHour: price,
    },
  });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
}

describe("no overbooking", () => {
  it("gives a 7-slice node to concurrent reservations exactly up to its slices, holding nothing for the refused ones", async () => {
    const node = await registerNode(farmer);
    const users = await Promise.all(Array.from({ length: 12 }, () => fundedUser(20n * ccMinor)));
    const sizes = users.map((_, index) => 1 + (index % 3));
    const responses = await Promise.all(
      users.map((user, index) => reserve(user, node.id, sizes[index]!, null)),
    );
    const granted = responses.flatMap((response, index) => (response.status === 201 ? [sizes[index]!] : []));
    const refused = responses.filter((response) => response.status !== 201);
    expect(granted.reduce((sum, size) => sum + size, 0)).toBeLessThanOrEqual(7);
    expect(granted.length).toBeGreaterThan(0);
    for (const response of refused) expect(response.status).toBe(409);
    const book = await view(node.id);
    expect(book.runningSlices).toBe(granted.reduce((sum, size) => sum + size, 0));
    expect(book.freeSlices).toBe(7 - book.runningSlices);
    for (const [index, response] of responses.entries()) {
      const after = await balances(users[index]!.accountId);
      if (response.status === 201) expect(after.pendingDebits).toBeGreaterThan(0n);
      else {
        expect(after).toEqual({ posted: 20n * ccMinor, available: 20n * ccMinor, pendingDebits: 0n });
        const holds = await database().execute({
          sql: "SELECT count(*) AS count FROM holds WHERE debit_account_id = ?",
          args: [users[index]!.accountId],
        });
        expect(Number(holds.rows[0]?.count)).toBe(0);
      }
    }
    expect((await call<{ freeSlices: number }>("GET", `/v1/nodes/${node.id}`)).body.freeSlices).toBe(
      book.freeSlices,
    );
    await expectAuditClean();
  });

  it("keeps running slices within the node under concurrent bids, reservations and acceptances", async () => {
    const node = await registerNode(farmer);
    await setAutoAccept(node.id, "0.02");
    const users = await Promise.all(Array.from({ length: 16 }, () => fundedUser(50n * ccMinor)));
    const calls = users.map((user, index) =>
      index % 3 === 0
        ? reserve(user, node.id, 1 + (index % 2), null)
        : bid(user, node.id, 1 + (index % 3), `0.0${2 + (index % 7)}`),
    );
    const responses = await Promise.all(calls);
    for (const response of responses) expect([201, 409]).toContain(response.status);
    const state = await view(node.id);
    expect(state.runningSlices).toBeLessThanOrEqual(7);
    expect(state.freeSlices).toBeGreaterThanOrEqual(0);
    const onDemand = responses.filter((response, index) => index % 3 === 0 && response.status === 201);
    const running = await Promise.all(onDemand.map((response) => lease(node.id, response.body.id)));
    expect(running.every((item) => item.status === "running")).toBe(true);
    await expectAuditClean();
  });
});

describe("bids that arrive together", () => {
  it("places a group in one write: a repeated id gets the same bid, another bid under that id a conflict", async () => {
    const node = await registerNode(farmer);
    const bidder = await fundedUser(50n * ccMinor);
    const stub = book(node.id);
    await view(node.id);
    const request = (bidId: string, price: string) => ({
      nodeId: node.id,
      bidId,
      ownerId: bidder.ownerId,
      payerAccountId: bidder.accountId,
      slices: 2,
      priceCcPerSliceHour: price,
      openMs: hourMs,
    });
    // Sent without awaiting in between, so the book takes them as one group.
    const results = await Promise.all([
      stub.placeBid(request("bid_group_a", "0.05")),
      stub.placeBid(request("bid_group_b", "0.04")),
      stub.placeBid(request("bid_group_a", "0.05")),
      stub.placeBid(request("bid_group_a", "0.07")),
      stub.placeBid(request("bid_group_c", "0.001")),
    ]);
    const [first, second, retry, clash, below] = results;
    expect(first).toMatchObject({ ok: true, value: { id: "bid_group_a", priceCcPerSliceHour: "0.05" } });
    expect(second).toMatchObject({ ok: true, value: { id: "bid_group_b", status: "open" } });
    expect(retry).toEqual(first);
    expect(clash).toMatchObject({ ok: false, code: "CONFLICT", field: "bidId" });
    expect(below).toMatchObject({ ok: false, code: "BID_BELOW_MINIMUM" });
    const listed = await stub.listBids({ nodeId: node.id });
    expect(listed.ok && listed.value.map((item) => item.id).sort()).toEqual(["bid_group_a", "bid_group_b"]);
    // The book held the bidder's CC for the bids it placed, and for nothing it refused.
    const holds = await database().execute({
      sql: "SELECT id, status FROM holds WHERE debit_account_id = ? ORDER BY id",
      args: [bidder.accountId],
    });
    expect(holds.rows.map((row) => [row.id, row.status])).toEqual([
      ["hold_bid_group_a", "pending"],
      ["hold_bid_group_b", "pending"],
    ]);
    await expectAuditClean();
  });
});

describe("pre-emption", () => {
  it("pauses the lowest-priced interruptible lease first and never an on-demand one", async () => {
    const node = await registerNode(farmer);
    await setAutoAccept(node.id, "0.02");
    const [owner, a, b, c, d, e] = await Promise.all(
      Array.from({ length: 6 }, () => fundedUser(200n * ccMinor)),
    );
    const onDemand = await reserve(owner!, node.id, 4, null);
    expect(onDemand.status).toBe(201);
    const bidA = await bid(a!, node.id, 1, "0.03");
    const bidB = await bid(b!, node.id, 2, "0.04");
    expect([bidA.body.status, bidB.body.status]).toEqual(["accepted", "accepted"]);
    expect((await view(node.id)).freeSlices).toBe(0);

    // C outbids A only: A, the cheapest, is paused with a notice; B keeps running.
    const bidC = await bid(c!, node.id, 1, "0.05");
    expect(bidC.body.status).toBe("accepted");
    const leaseA = bidA.body.leaseId!;
    expect(await lease(node.id, leaseA)).toMatchObject({ status: "paused", pausedReason: "preempted" });
    expect((await lease(node.id, bidB.body.leaseId!)).status).toBe("running");
    const events = await call<{ data: { type: string; detail: string }[] }>(
      "GET",
      `/v1/leases/${leaseA}/events`,
      {
        key: a!.key,
      },
    );
    expect(events.body.data.map((event) => event.type)).toEqual(
      expect.arrayContaining(["placed", "accepted", "started", "preempted"]),
    );
    expect(events.body.data.find((event) => event.type === "preempted")?.detail).toContain("higher-priced");

    // A very high bid cannot touch the on-demand lease: it pre-empts B (now the cheapest running).
    const bidD = await bid(d!, node.id, 2, "1");
    expect(bidD.body.status).toBe("accepted");
    expect((await lease(node.id, bidB.body.leaseId!)).pausedReason).toBe("preempted");
    expect((await lease(node.id, onDemand.body.id)).status).toBe("running");

    // A new on-demand reservation takes interruptible slices, cheapest first (C before D).
    const second = await reserve(e!, node.id, 1, 24);
    expect(second.status).toBe(201);
    expect((await lease(node.id, bidC.body.leaseId!)).pausedReason).toBe("preempted");
    expect((await lease(node.id, bidD.body.leaseId!)).status).toBe("running");
    expect((await lease(node.id, onDemand.body.id)).status).toBe("running");
    const state = await view(node.id);
    expect(state.runningSlices).toBe(7);

    // Ending the second reservation frees a slice: the best waiting claim (C at 0.05) resumes.
    const ended = await call("DELETE", `/v1/leases/${second.body.id}`, { key: e!.key });
    expect(ended.status).toBe(200);
    expect((await lease(node.id, bidC.body.leaseId!)).status).toBe("running");
  });
});

describe("bids by hand", () => {
  it("waits for the farmer, who accepts or rejects; bidders cancel their own; expired bids release their holds", async () => {
    const node = await registerNode(farmer);
    const [first, second, third, fourth] = await Promise.all(
      Array.from({ length: 4 }, () => fundedUser(20n * ccMinor)),
    );
    const low = await bid(first!, node.id, 1, "0.001");
    expect(low.status).toBe(422);
    expect((low.body as unknown as { code: string }).code).toBe("BID_BELOW_MINIMUM");
    expect(await balances(first!.accountId)).toMatchObject({ pendingDebits: 0n });

    const one = await bid(first!, node.id, 2, "0.05");
    const two = await bid(second!, node.id, 1, "0.06");
    const three = await bid(third!, node.id, 1, "0.07", { expiresInHours: 1 });
    const four = await bid(fourth!, node.id, 1, "0.08");
    for (const placed of [one, two, three, four]) expect(placed.body.status).toBe("open");
    expect((await balances(first!.accountId)).pendingDebits).toBe(2n * 50_000n * 24n);

    const list = await call<{ data: { id: string }[] }>("GET", `/v1/nodes/${node.id}/bids`, {
      key: farmer.key,
    });
    expect(list.body.data.map((item) => item.id)).toEqual([
      four.body.id,
      three.body.id,
      two.body.id,
      one.body.id,
    ]);

    const accepted = await call<{ status: string; leaseId: string }>(
      "POST",
      `/v1/nodes/${node.id}/bids/${one.body.id}/accept`,
      {
        key: farmer.key,
      },
    );
    expect(accepted.body.status).toBe("accepted");
    expect((await lease(node.id, accepted.body.leaseId)).status).toBe("running");
    const leaseRow = await call<{ kind: string; holdIds: string[] }>(
      "GET",
      `/v1/leases/${accepted.body.leaseId}`,
      {
        key: first!.key,
      },
    );
    expect(leaseRow.body).toMatchObject({ kind: "interruptible", holdIds: [`hold_${one.body.id}`] });

    const rejected = await call<{ status: string }>(
      "POST",
      `/v1/nodes/${node.id}/bids/${two.body.id}/reject`,
      {
        key: farmer.key,
      },
    );
    expect(rejected.body.status).toBe("rejected");
    const stranger = await call("DELETE", `/v1/nodes/${node.id}/bids/${four.body.id}`, { key: first!.key });
    expect(stranger.status).toBe(403);
    const cancelled = await call<{ status: string }>("DELETE", `/v1/nodes/${node.id}/bids/${four.body.id}`, {
      key: fourth!.key,
    });
    expect(cancelled.body.status).toBe("cancelled");

    shift(hourMs + 1_000);
    await settle(node.id);
    const expired = await book(node.id).getBid({ nodeId: node.id, bidId: three.body.id });
    expect(expired.ok && expired.value.status).toBe("expired");
    for (const user of [second!, third!, fourth!]) {
      expect(await balances(user.accountId)).toMatchObject({ posted: 20n * ccMinor, pendingDebits: 0n });
    }
    const again = await call("POST", `/v1/nodes/${node.id}/bids/${two.body.id}/accept`, { key: farmer.key });
    expect(again.status).toBe(409);
    const otherFarmer = await seedKey("farmer");
    const forbidden = await call("POST", `/v1/nodes/${node.id}/bids/${one.body.id}/accept`, {
      key: otherFarmer.key,
    });
    expect(forbidden.status).toBe(403);
  });
});
