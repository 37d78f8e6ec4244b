// Proves the pool routes: pools with their two ledger accounts, contributions that move the asset and record a position in one write (valued through the oracle, frozen, idempotent), shares by value × time, and refusals (oracle halted, wrong owner or asset, bad input) that name the field and write nothing.
import { beforeAll, describe, expect, it } from "vitest";
import {
  accountTotals,
  agePositions,
  areaCounts,
  contributeUsdc,
  createPool,
  key,
  type Party,
  type PoolInfo,
  party,
  recordTftPrice,
  tfp,
  usdc,
  withoutTftPrice,
} from "../../durable/auction-support";
import { call, database, type Seeded, seedKey } from "../../support/harness";

type Problem = { code: string; status: number; errors?: { field: string }[] };
type PoolBody = {
  id: string;
  liquidity: Record<string, string>;
  totals: Record<string, string>;
  positions: {
    id: string;
    asset: string;
    amount: string;
    value: string;
    share: string;
    rewards: string;
    ownerId: string;
  }[];
};

let admin: Seeded;
let pool: PoolInfo;
let carol: Party;

beforeAll(async () => {
  admin = await seedKey("admin");
  pool = await createPool(admin, "pool route tests");
  carol = await party("lp", usdc(5_000), tfp(100_000));
  await recordTftPrice("0.05");
});

describe("pools", () => {
  it("are created by admins with a USDC and a TFP pool account", async () => {
    const created = await call<{ id: string; weightRule: string; accounts: { usdc: string; tfp: string } }>(
      "POST",
      "/v1/pools",
      { key: admin.key, body: { name: "value only", weightRule: "valueOnly" } },
    );
    expect(created.status).toBe(201);
    expect(created.body.id).toMatch(/^pol_/);
    expect(created.body.weightRule).toBe("valueOnly");
    const accounts = await database().execute({
      sql: "SELECT asset, kind, owner_id FROM accounts WHERE id IN (?, ?) ORDER BY asset",
      args: [created.body.accounts.tfp, created.body.accounts.usdc],
    });
    expect(accounts.rows.map((row) => [row.asset, row.kind, row.owner_id])).toEqual([
      ["TFP", "pool", created.body.id],
      ["USDC", "pool", created.body.id],
    ]);
    const refused = await call<Problem>("POST", "/v1/pools", { key: carol.key, body: { name: "mine" } });
    expect([refused.status, refused.body.code]).toEqual([403, "FORBIDDEN"]);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { data: { id: string }[]; nextCursor: string | null } } =
        await call("GET", `/v1/pools?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { key: carol.key });
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((entry) => entry.id));
      cursor = page.body.nextCursor;
    } while (cursor !== null);
    expect(seen).toContain(created.body.id);
    expect(new Set(seen).size).toBe(seen.length);
  });
});

describe("contributions", () => {
  it("move USDC into the pool and record a frozen position in the same write; a retry is the same position", async () => {
    const idempotencyKey = key("lp");
    const body = { asset: "USDC", amount: "1000", accountId: carol.usdcAccount };
    const first = await call<{ id: string; value: string; priceUsd: string; transferId: string }>(
      "POST",
      `/v1/pools/${pool.id}/positions`,
      { key: carol.key, headers: { "idempotency-key": idempotencyKey }, body },
    );
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      value: "1000.000000",
      priceUsd: "1",
      asset: "USDC",
      amount: "1000.000000",
    });
    const again = await call<{ id: string }>("POST", `/v1/pools/${pool.id}/positions`, {
      key: carol.key,
      headers: { "idempotency-key": idempotencyKey },
      body,
    });
    expect([again.status, again.body.id]).toEqual([201, first.body.id]);
    const totals = await accountTotals([carol.usdcAccount, pool.usdcAccount]);
    expect(totals.get(carol.usdcAccount)!.posted).toBe(usdc(4_000));
    expect(totals.get(pool.usdcAccount)!.posted).toBe(usdc(1_000));
    const transfers = await database().execute({
      sql: "SELECT count(*) AS n FROM transfers WHERE id = ?",
      args: [first.body.transferId],
    });
    expect(Number(transfers.rows[0]!.n)).toBe(1);
  });

  it("value TFP at the TFT market price in force, rewards going to a USDC account", async () => {
    const response = await call<{ value: string; priceUsd: string; rewardAccountId: string }>(
      "POST",
      `/v1/pools/${pool.id}/positions`,
      {
        key: carol.key,
        headers: { "idempotency-key": key("lp") },
        body: {
          asset: "TFP",
          amount: "20000",
          accountId: carol.tfpAccount,
          rewardAccountId: carol.usdcAccount,
        },
      },
    );
    expect(response.status).toBe(201);
    // 20,000 TFP × 0.05 USD = 1,000 USDC of value, frozen.
    expect(response.body).toMatchObject({
      value: "1000.000000",
      priceUsd: "0.05",
      rewardAccountId: carol.usdcAccount,
    });
  });

  it("show in the pool with shares by value × time and the lifetime totals", async () => {
    const own = await createPool(admin, "shares");
    const lps = await Promise.all([party("lp", usdc(1_000), 0n), party("user", usdc(1_000), 0n)]);
    await contributeUsdc(lps[0]!, own.id, "1000");
    await agePositions(own.id, 3 * 86_400_000);
    await contributeUsdc(lps[1]!, own.id, "1000");
    await database().execute({
      sql: "UPDATE pool_positions SET contributed_at = contributed_at - ? WHERE pool_id = ? AND owner_id = ?",
      args: [86_400_000, own.id, lps[1]!.ownerId],
    });
    const shown = await call<PoolBody>("GET", `/v1/pools/${own.id}`, { key: lps[1]!.key });
    expect(shown.status).toBe(200);
    expect(shown.body.liquidity).toMatchObject({
      usdc: "2000.000000",
      usdcAvailable: "2000.000000",
      tfp: "0.0000000",
    });
    expect(shown.body.totals).toMatchObject({
      contributed: "2000.000000",
      exited: "0.000000",
      rewardsPaid: "0.000000",
    });
    // Same value, three days against one (to the second): shares close to 3/4 and 1/4, summing to 1.
    const [older, newer] = shown.body.positions;
    expect(older!.ownerId).toBe(lps[0]!.ownerId);
    expect(Number(older!.share)).toBeCloseTo(0.75, 4);
    expect(Number(newer!.share)).toBeCloseTo(0.25, 4);
    expect(Number(older!.share) + Number(newer!.share)).toBeCloseTo(1, 12);
  });

  it("of TFP are refused with ORACLE_HALTED when there is no TFT price, writing nothing", async () => {
    await withoutTftPrice(async () => {
      const before = await areaCounts();
      const response = await call<Problem>("POST", `/v1/pools/${pool.id}/positions`, {
        key: carol.key,
        headers: { "idempotency-key": key("lp") },
        body: { asset: "TFP", amount: "10", accountId: carol.tfpAccount, rewardAccountId: carol.usdcAccount },
      });
      expect([response.status, response.body.code]).toEqual([503, "ORACLE_HALTED"]);
      expect(await areaCounts()).toEqual(before);
      // USDC needs no price: still accepted.
      const usdcResponse = await call("POST", `/v1/pools/${pool.id}/positions`, {
        key: carol.key,
        headers: { "idempotency-key": key("lp") },
        body: { asset: "USDC", amount: "1", accountId: carol.usdcAccount },
      });
      expect(usdcResponse.status).toBe(201);
    });
  });
});

describe("refusals name the field and write nothing", () => {
  let other: Party;
  beforeAll(async () => {
    other = await party("user", usdc(10), tfp(10));
  });

  const cases: {
    name: string;
    body: () => unknown;
    status: number;
    code: string;
    field?: string;
    path?: string;
  }[] = [
    {
      name: "missing amount",
      body: () => ({ asset: "USDC", accountId: carol.usdcAccount }),
      status: 422,
      code: "VALIDATION_FAILED",
      field: "amount",
    },
    {
      name: "negative amount",
      body: () => ({ asset: "USDC", amount: "-5", accountId: carol.usdcAccount }),
      status: 422,
      code: "VALIDATION_FAILED",
      field: "amount",
    },
    {
      name: "over-precise amount",
      body: () => ({ asset: "USDC", amount: "1.0000001", accountId: carol.usdcAccount }),
      status: 422,
      code: "VALIDATION_FAILED",
      field: "amount",
    },
    {
      name: "zero amount",
      body: () => ({ asset: "USDC", amount: "0", accountId: carol.usdcAccount }),
      status: 422,
      code: "VALIDATION_FAILED",
      field: "amount",
    },
    {
      name: "unsupported asset",
      body: () => ({ asset: "CC", amount: "1", accountId: carol.usdcAccount }),
      status: 422,
      code: "VALIDATION_FAILED",
      field: "asset",
    },
    {
      name: "unknown field",
      body: () => ({ asset: "USDC", amount: "1", accountId: carol.usdcAccount, share: "1" }),
      status: 422,
      code: "VALIDATION_FAILED",
      field: "share",
    },
    {
      name: "account of another asset",
      body: () => ({ asset: "USDC", amount: "1", accountId: carol.tfpAccount }),
      status: 422,
      code: "ASSET_MISMATCH",
      field: "accountId",
    },
    {
      name: "TFP without a reward account",
      body: () => ({ asset: "TFP", amount: "1", accountId: carol.tfpAccount }),
      status: 422,
      code: "VALIDATION_FAILED",
      field: "rewardAccountId",
    },
    {
      name: "reward account not USDC",
      body: () => ({
        asset: "TFP",
        amount: "1",
        accountId: carol.tfpAccount,
        rewardAccountId: carol.tfpAccount,
      }),
      status: 422,
      code: "ASSET_MISMATCH",
      field: "rewardAccountId",
    },
    {
      name: "unknown account",
      body: () => ({ asset: "USDC", amount: "1", accountId: "acc_nope" }),
      status: 404,
      code: "ACCOUNT_NOT_FOUND",
      field: "accountId",
    },
    {
      name: "someone else's account",
      body: () => ({ asset: "USDC", amount: "1", accountId: other.usdcAccount }),
      status: 403,
      code: "FORBIDDEN",
    },
    {
      name: "more than the balance",
      body: () => ({ asset: "USDC", amount: "999999", accountId: carol.usdcAccount }),
      status: 422,
      code: "INSUFFICIENT_FUNDS",
      field: "amount",
    },
    {
      name: "unknown pool",
      body: () => ({ asset: "USDC", amount: "1", accountId: carol.usdcAccount }),
      status: 404,
      code: "NOT_FOUND",
      path: "/v1/pools/pol_doesnotexist/positions",
    },
    {
      name: "malformed pool id",
      body: () => ({ asset: "USDC", amount: "1", accountId: carol.usdcAccount }),
      status: 422,
      code: "VALIDATION_FAILED",
      field: "param.id",
      path: "/v1/pools/not-a-pool/positions",
    },
  ];

  it.each(cases)("$name → $status $code", async (entry) => {
    const before = await areaCounts();
    const response = await call<Problem>("POST", entry.path ?? `/v1/pools/${pool.id}/positions`, {
      key: carol.key,
      headers: { "idempotency-key": key("bad") },
      body: entry.body(),
    });
    expect(response.status).toBe(entry.status);
    expect(response.headers.get("content-type")).toMatch(/application\/problem\+json/);
    expect(response.body.code).toBe(entry.code);
    if (entry.field) expect(response.body.errors?.map((error) => error.field)).toContain(entry.field);
    expect(await areaCounts()).toEqual(before);
  });

  it("without an Idempotency-Key → 422 naming the header", async () => {
    const before = await areaCounts();
    const response = await call<Problem>("POST", `/v1/pools/${pool.id}/positions`, {
      key: carol.key,
      body: { asset: "USDC", amount: "1", accountId: carol.usdcAccount },
    });
    expect(response.status).toBe(422);
    expect(response.body.errors?.map((error) => error.field)).toContain("header.idempotency-key");
    expect(await areaCounts()).toEqual(before);
  });

  it("pool creation with a bad rule → 422 naming weightRule", async () => {
    const before = await areaCounts();
    const response = await call<Problem>("POST", "/v1/pools", {
      key: admin.key,
      body: { name: "x", weightRule: "tokens" },
    });
    expect(response.status).toBe(422);
    expect(response.body.errors?.map((error) => error.field)).toContain("weightRule");
    expect(await areaCounts()).toEqual(before);
  });
});
