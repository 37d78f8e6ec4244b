// Proves that a bid or a reservation whose hold — with its Idempotency-Key record and, for a lease, its mirror rows — reached the ledger while the book stopped before committing it is finished by the book before any other change: the retry replays the stored answer, and that answer is true (the book has the bid or the lease, its hold stands, the audit is clean).
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { BookStorage } from "../../src/market/object/storage";
import {
  book,
  fundedUser,
  idempotencyKey,
  type NodeBody,
  registerNode,
  setPeg,
} from "../routes/market/support";
import { call, database, expectAuditClean, type Seeded, seedKey } from "../support/harness";

let user: Seeded & { accountId: string };
let farmer: Seeded;

beforeAll(async () => {
  await setPeg();
  user = await fundedUser(1_000_000_000n);
  farmer = await seedKey("farmer");
});

/** Makes the book stop once, right before it commits a change (after the ledger wrote its hold). */
function stopBeforeNextCommit() {
  return vi.spyOn(BookStorage.prototype, "commit").mockImplementationOnce(() => {
    throw new Error("stopped before committing");
  });
}

async function holdStatus(holdId: string): Promise<string | undefined> {
  const result = await database().execute({ sql: "SELECT status FROM holds WHERE id = ?", args: [holdId] });
  return result.rows[0]?.status as string | undefined;
}

const placeBid = (node: NodeBody, key: string) =>
  call<{ id: string; status: string; holdIds: string[] }>("POST", `/v1/nodes/${node.id}/bids`, {
    key: user.key,
    headers: { "idempotency-key": key },
    body: { slices: 1, priceCcPerSliceHour: "0.02" },
  });

const reserve = (node: NodeBody, key: string) =>
  call<{ id: string; status: string; holdIds: string[] }>("POST", "/v1/leases", {
    key: user.key,
    headers: { "idempotency-key": key },
    body: { nodeId: node.id, slices: 2, durationHours: 3 },
  });

describe("a change written to the ledger but not committed by its book", () => {
  it("a bid: the retry replays the stored answer and the restarted book has the bid", async () => {
    const node = await registerNode(farmer);
    const key = idempotencyKey("intent-bid");
    const stop = stopBeforeNextCommit();
    let first: Awaited<ReturnType<typeof placeBid>>;
    try {
      first = await placeBid(node, key);
    } finally {
      stop.mockRestore();
    }
    expect(first.status).toBe(500);
    await evictDurableObject(book(node.id));

    const again = await placeBid(node, key);
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.status).toBe("open");
    expect(await holdStatus(again.body.holdIds[0]!)).toBe("pending");

    // The next change of the book finishes the bid first.
    expect((await placeBid(node, idempotencyKey("intent-bid-next"))).status).toBe(201);
    const listed = await call<{ data: { id: string }[] }>("GET", `/v1/nodes/${node.id}/bids`, {
      key: farmer.key,
    });
    expect(listed.body.data.map((bid) => bid.id)).toContain(again.body.id);
    const stored = await book(node.id).getBid({ nodeId: node.id, bidId: again.body.id });
    expect(stored.ok && stored.value.status).toBe("open");
    await expectAuditClean();
  });

  it("a reservation: the retry replays the stored answer, the lease is mirrored and the book has it", async () => {
    const node = await registerNode(farmer);
    const key = idempotencyKey("intent-lease");
    const stop = stopBeforeNextCommit();
    let first: Awaited<ReturnType<typeof reserve>>;
    try {
      first = await reserve(node, key);
    } finally {
      stop.mockRestore();
    }
    expect(first.status).toBe(500);
    // The book has not restarted: its next change finishes the reservation before anything else.
    const again = await reserve(node, key);
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.status).toBe("running");
    expect(await holdStatus(again.body.holdIds[0]!)).toBe("pending");

    const read = await call<{ id: string; status: string }>("GET", `/v1/leases/${again.body.id}`, {
      key: user.key,
    });
    expect(read.status).toBe(200);
    expect(read.body.status).toBe("running");
    expect((await reserve(node, idempotencyKey("intent-lease-next"))).status).toBe(201);
    const live = await book(node.id).getLease({ nodeId: node.id, leaseId: again.body.id });
    expect(live.ok && live.value.status).toBe("running");
    const view = await book(node.id).open({ nodeId: node.id });
    expect(view.ok && view.value.freeSlices).toBe(node.sliceCount - 4);
    await expectAuditClean();
  });

  it("a reservation whose hold the ledger refused leaves no intent, no row and no record", async () => {
    const node = await registerNode(farmer);
    const poor = await fundedUser(1n);
    const refused = await call("POST", "/v1/leases", {
      key: poor.key,
      headers: { "idempotency-key": idempotencyKey("intent-poor") },
      body: { nodeId: node.id, slices: 1, durationHours: 1 },
    });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: "INSUFFICIENT_FUNDS" });
    const rows = await database().batch([
      { sql: "SELECT count(*) AS n FROM leases WHERE owner_id = ?", args: [poor.ownerId] },
      { sql: "SELECT count(*) AS n FROM idempotency_records WHERE owner_id = ?", args: [poor.ownerId] },
    ]);
    expect(rows.map((result) => Number(result.rows[0]?.n))).toEqual([0, 0]);
    const view = await book(node.id).open({ nodeId: node.id });
    expect(view.ok && view.value.freeSlices).toBe(node.sliceCount);
    const intents = await runInDurableObject(
      book(node.id),
      (_instance, state) =>
        state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM intents").one().n,
    );
    expect(intents).toBe(0);
  });
});
