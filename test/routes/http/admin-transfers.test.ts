// Proves POST /v1/transfers (an admin's linked group) keeps its Idempotency-Key with the effect: the
// record of the 201 is written in the transfers' own batch, a retry answers that 201 without moving
// anything again, another body under the key is 409, and a hold placed in one call is posted in
// another whose hold is read with the key's record.
import { beforeAll, describe, expect, it } from "vitest";
import {
  balances,
  call,
  database,
  expectAuditClean,
  fundedAccount,
  type Seeded,
  seedKey,
} from "../../support/harness";

type Written = { transfers: { id: string; type: string; amount: string; pendingId: string | null }[] };

let admin: Seeded;
let from: string;
let to: string;

beforeAll(async () => {
  admin = await seedKey("admin");
  const owner = await seedKey("user");
  from = await fundedAccount(owner.ownerId, "CC", 100_000000n);
  to = await fundedAccount(owner.ownerId, "CC", 0n);
});

function send(key: string, transfers: unknown[]) {
  return call<Written & { code?: string }>("POST", "/v1/transfers", {
    key: admin.key,
    headers: { "idempotency-key": key },
    body: { transfers },
  });
}

async function recordOf(key: string): Promise<unknown[]> {
  const records = await database().execute({
    sql: "SELECT status, body FROM idempotency_records WHERE owner_id = ? AND key = ?",
    args: [admin.ownerId, key],
  });
  return records.rows.map((row) => [Number(row.status), JSON.parse(String(row.body))]);
}

describe("POST /v1/transfers under an Idempotency-Key", () => {
  it("stores the 201 with the transfers, replays it on a retry and refuses another body with 409", async () => {
    const hold = {
      type: "pending",
      id: `adm_hold_${Date.now()}`,
      debitAccountId: from,
      creditAccountId: to,
      asset: "CC",
      amount: "5",
      code: "manual_adjustment",
    };
    const placed = await send(`adm-hold-${hold.id}`, [hold]);
    expect(placed.status).toBe(201);
    expect(await recordOf(`adm-hold-${hold.id}`)).toEqual([[201, placed.body]]);

    const key = `adm-post-${hold.id}`;
    const post = {
      type: "post_pending",
      pendingId: hold.id,
      asset: "CC",
      amount: "3",
      code: "manual_adjustment",
    };
    const posted = await send(key, [post]);
    expect(posted.status).toBe(201);
    expect(
      posted.body.transfers.map((transfer) => [transfer.type, transfer.amount, transfer.pendingId]),
    ).toEqual([["post_pending", "3.000000", hold.id]]);
    expect(await recordOf(key)).toEqual([[201, posted.body]]);

    const retried = await send(key, [post]);
    expect([retried.status, retried.body, retried.headers.get("idempotent-replayed")]).toEqual([
      201,
      posted.body,
      "true",
    ]);
    const other = await send(key, [{ ...post, amount: "1" }]);
    expect([other.status, other.body.code]).toEqual([409, "IDEMPOTENCY_CONFLICT"]);

    expect(await balances(to)).toMatchObject({ posted: 3_000000n });
    expect(await balances(from)).toMatchObject({ posted: 97_000000n, pendingDebits: 0n });
    await expectAuditClean();
  });
});
