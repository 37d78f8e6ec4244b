// Proves the auction routes: admins open one unsettled round per pool with validated rules, anyone lists and reads rounds (with an indicative cap, bids sealed as a count), bidders place idempotent bids within the round's limits and see only their own, and every refusal names its field and writes nothing.

import { beforeAll, describe, expect, it } from "vitest";
import { now } from "../../../src/kit/clock";
import {
  areaCounts,
  contributeUsdc,
  createPool,
  getRound,
  key,
  openRound,
  type Party,
  type PoolInfo,
  party,
  passClose,
  placeBid,
  settle,
  tfp,
  usdc,
} from "../../durable/auction-support";
import { call, type Seeded, seedKey } from "../../support/harness";

type Problem = { code: string; status: number; errors?: { field: string }[] };

let admin: Seeded;
let pool: PoolInfo;
let roundId: string;
let bidder: Party;
let other: Party;

beforeAll(async () => {
  admin = await seedKey("admin");
  pool = await createPool(admin, "auction route tests");
  const lp = await party("lp", usdc(20_000), 0n);
  await contributeUsdc(lp, pool.id, "20000");
  bidder = await party("farmer", usdc(0), tfp(10_000));
  other = await party("user", usdc(0), tfp(10_000));
  roundId = await openRound(admin, pool.id, {
    limits: { minBidAmount: "10", maxBidsPerOwner: 3 },
    rules: { allowPartialFill: false },
  });
});

describe("rounds", () => {
  it("are opened by admins only, one unsettled round per pool", async () => {
    const byLp = await call<Problem>("POST", "/v1/auctions", {
      key: bidder.key,
      headers: { "idempotency-key": key() },
      body: { poolId: pool.id, closesAt: new Date(now() + 60_000).toISOString() },
    });
    expect([byLp.status, byLp.body.code]).toEqual([403, "FORBIDDEN"]);
    const before = await areaCounts();
    const second = await call<Problem>("POST", "/v1/auctions", {
      key: admin.key,
      headers: { "idempotency-key": key() },
      body: { poolId: pool.id, closesAt: new Date(now() + 60_000).toISOString() },
    });
    expect([second.status, second.body.code]).toEqual([409, "CONFLICT"]);
    expect(second.body.errors?.map((error) => error.field)).toEqual(["poolId"]);
    expect(await areaCounts()).toEqual(before);
  });

  it("replay their creation for the same Idempotency-Key", async () => {
    const own = await createPool(admin, "replayed round");
    const idempotencyKey = key();
    const body = { poolId: own.id, closesAt: new Date(now() + 60_000).toISOString() };
    const first = await call<{ id: string }>("POST", "/v1/auctions", {
      key: admin.key,
      headers: { "idempotency-key": idempotencyKey },
      body,
    });
    const again = await call<{ id: string }>("POST", "/v1/auctions", {
      key: admin.key,
      headers: { "idempotency-key": idempotencyKey },
      body,
    });
    expect([first.status, again.status, again.body.id]).toEqual([201, 201, first.body.id]);
  });

  it("show their configuration, an indicative cap and a bid count, never the bids", async () => {
    const placed = await placeBid(bidder, roundId, "100", "0.03");
    expect(placed.response.status).toBe(201);
    const shown = await getRound(other.key, roundId);
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({
      state: "open",
      acceptingBids: true,
      bidsCount: 1,
      result: null,
      reference: { source: "fixed", price: "0.05" },
      rules: { periodCapRatio: "0.05", lifetimeCapRatio: "0.5", minDiscount: "0.2", allowPartialFill: false },
      limits: { minBidAmount: "10.0000000", maxBidsPerOwner: 3 },
      periodLiquidity: "20000.000000",
      // 5 % of 20,000 USDC = 1,000 USDC at the ceiling 0.04 → 25,000 TFP.
      cap: { amount: "25000.0000000", referencePrice: "0.05", priceCeiling: "0.04", indicative: true },
    });
    expect(JSON.stringify(shown.body)).not.toContain(placed.bidId);

    const listed = await call<{ data: { id: string; bidsCount: number }[] }>(
      "GET",
      `/v1/auctions?poolId=${pool.id}&state=open`,
      { key: other.key },
    );
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((round) => round.id)).toEqual([roundId]);
  });

  it("page newest first with a cursor", async () => {
    const first = await call<{ data: { id: string }[]; nextCursor: string | null }>(
      "GET",
      "/v1/auctions?limit=1",
      {
        key: other.key,
      },
    );
    expect(first.status).toBe(200);
    expect(first.body.data).toHaveLength(1);
    expect(first.body.nextCursor).not.toBeNull();
    const second = await call<{ data: { id: string }[] }>(
      "GET",
      `/v1/auctions?limit=1&cursor=${encodeURIComponent(first.body.nextCursor!)}`,
      { key: other.key },
    );
    expect(second.status).toBe(200);
    expect(second.body.data[0]?.id).not.toBe(first.body.data[0]!.id);
  });
});

describe("bids", () => {
  it("are idempotent per key: the same bid, one hold", async () => {
    const idempotencyKey = key("bid");
    const first = await placeBid(other, roundId, "50", "0.02", idempotencyKey);
    const again = await placeBid(other, roundId, "50", "0.02", idempotencyKey);
    expect([first.response.status, again.response.status]).toEqual([201, 201]);
    expect(again.response.body.id).toBe(first.response.body.id);
    const own = await call<{ data: { id: string; status: string; amount: string }[] }>(
      "GET",
      `/v1/auctions/${roundId}/bids`,
      { key: other.key },
    );
    expect(own.body.data).toEqual([
      expect.objectContaining({ id: first.bidId, status: "held", amount: "50.0000000" }),
    ]);
  });

  it("are sealed: each owner lists only their own", async () => {
    const mine = await call<{ data: { id: string }[] }>("GET", `/v1/auctions/${roundId}/bids`, {
      key: bidder.key,
    });
    const theirs = await call<{ data: { id: string }[] }>("GET", `/v1/auctions/${roundId}/bids`, {
      key: other.key,
    });
    const mineIds = mine.body.data.map((bid) => bid.id);
    expect(mineIds.length).toBeGreaterThan(0);
    for (const id of theirs.body.data.map((bid) => bid.id)) expect(mineIds).not.toContain(id);
  });

  it("stop at the per-owner limit", async () => {
    const limited = await party("user", 0n, tfp(1_000));
    for (let index = 0; index < 3; index += 1) {
      expect((await placeBid(limited, roundId, "10", "0.03")).response.status).toBe(201);
    }
    const before = await areaCounts();
    const fourth = await placeBid(limited, roundId, "10", "0.03");
    expect([fourth.response.status, fourth.response.body.code]).toEqual([429, "LIMIT_REACHED"]);
    expect(await areaCounts()).toEqual(before);
  });

  it("publish each bid's fill and payout once the round clears (whole-bid mode here)", async () => {
    const own = await createPool(admin, "published");
    const lp = await party("lp", usdc(2_000), 0n);
    await contributeUsdc(lp, own.id, "2000");
    // Closes before the shared round, so passing this close leaves that one open.
    const round = await openRound(admin, own.id, { rules: { allowPartialFill: false }, closesInMs: 600_000 });
    // Cap 5 % of 2,000 = 100 USDC at 0.04 → 2,500 TFP: 1,500 fits, the next 1,500 does not.
    const first = await placeBid(bidder, round, "1500", "0.03");
    const second = await placeBid(other, round, "1500", "0.035");
    await passClose(round);
    await settle(round);
    const shown = await getRound(other.key, round);
    expect(shown.body.result).toMatchObject({
      clearingPrice: "0.03",
      filled: "1500.0000000",
      payoutTotal: "45.000000",
    });
    expect(shown.body.result!.bids).toEqual([
      expect.objectContaining({
        id: first.bidId,
        status: "filled",
        accepted: "1500.0000000",
        payout: "45.000000",
      }),
      expect.objectContaining({
        id: second.bidId,
        status: "rejected",
        accepted: "0.0000000",
        payout: "0.000000",
      }),
    ]);
    const own2 = await call<{ data: { status: string; accepted: string | null; payout: string | null }[] }>(
      "GET",
      `/v1/auctions/${round}/bids`,
      { key: other.key },
    );
    expect(own2.body.data).toEqual([
      expect.objectContaining({ status: "rejected", accepted: "0.0000000", payout: "0.000000" }),
    ]);
    const late = await placeBid(other, round, "10", "0.03");
    expect([late.response.status, late.response.body.code]).toEqual([409, "AUCTION_CLOSED"]);
  });
});

describe("refusals name the field and write nothing", () => {
  const bidCases: {
    name: string;
    body: () => Record<string, unknown>;
    status: number;
    code: string;
    field?: string;
  }[] = [
    {
      name: "missing minPrice",
      body: () => ({ amount: "10", accountId: bidder.tfpAccount, payoutAccountId: bidder.usdcAccount }),
      status: 422,
      code: "VALIDATION_FAILED",
      field: "minPrice",
    },
    {
      name: "minPrice with 13 decimals",
      body: () => ({
        amount: "10",
        minPrice: "0.0000000000001",
        accountId: bidder.tfpAccount,
        payoutAccountId: bidder.usdcAccount,
      }),
      status: 422,
      code: "VALIDATION_FAILED",
      field: "minPrice",
    },
    {
      name: "negative minPrice",
      body: () => ({
        amount: "10",
        minPrice: "-0.1",
        accountId: bidder.tfpAccount,
        payoutAccountId: bidder.usdcAccount,
      }),
      status: 422,
      code: "VALIDATION_FAILED",
      field: "minPrice",
    },
    {
      name: "amount with 8 decimals",
      body: () => ({
        amount: "10.00000001",
        minPrice: "0.03",
        accountId: bidder.tfpAccount,
        payoutAccountId: bidder.usdcAccount,
      }),
      status: 422,
      code: "VALIDATION_FAILED",
      field: "amount",
    },
    {
      name: "amount below the round's minimum",
      body: () => ({
        amount: "9.9999999",
        minPrice: "0.03",
        accountId: bidder.tfpAccount,
        payoutAccountId: bidder.usdcAccount,
      }),
      status: 422,
      code: "BID_BELOW_MINIMUM",
      field: "amount",
    },
    {
      name: "amount above the balance",
      body: () => ({
        amount: "1000000",
        minPrice: "0.03",
        accountId: bidder.tfpAccount,
        payoutAccountId: bidder.usdcAccount,
      }),
      status: 422,
      code: "INSUFFICIENT_FUNDS",
      field: "amount",
    },
    {
      name: "TFP from a USDC account",
      body: () => ({
        amount: "10",
        minPrice: "0.03",
        accountId: bidder.usdcAccount,
        payoutAccountId: bidder.usdcAccount,
      }),
      status: 422,
      code: "ASSET_MISMATCH",
      field: "accountId",
    },
    {
      name: "payout to a TFP account",
      body: () => ({
        amount: "10",
        minPrice: "0.03",
        accountId: bidder.tfpAccount,
        payoutAccountId: bidder.tfpAccount,
      }),
      status: 422,
      code: "ASSET_MISMATCH",
      field: "payoutAccountId",
    },
    {
      name: "someone else's TFP",
      body: () => ({
        amount: "10",
        minPrice: "0.03",
        accountId: other.tfpAccount,
        payoutAccountId: bidder.usdcAccount,
      }),
      status: 403,
      code: "FORBIDDEN",
    },
    {
      name: "unknown payout account",
      body: () => ({
        amount: "10",
        minPrice: "0.03",
        accountId: bidder.tfpAccount,
        payoutAccountId: "acc_missing",
      }),
      status: 404,
      code: "ACCOUNT_NOT_FOUND",
      field: "payoutAccountId",
    },
    {
      name: "unknown field",
      body: () => ({
        amount: "10",
        minPrice: "0.03",
        accountId: bidder.tfpAccount,
        payoutAccountId: bidder.usdcAccount,
        priority: 1,
      }),
      status: 422,
      code: "VALIDATION_FAILED",
      field: "priority",
    },
  ];

  it.each(bidCases)("bid: $name → $status $code", async (entry) => {
    const before = await areaCounts();
    const response = await call<Problem>("POST", `/v1/auctions/${roundId}/bids`, {
      key: bidder.key,
      headers: { "idempotency-key": key("bad") },
      body: entry.body(),
    });
    expect(response.status).toBe(entry.status);
    expect(response.headers.get("content-type")).toMatch(/application\/problem\+json/);
    expect(response.body.code).toBe(entry.code);
    if (entry.field) expect(response.body.errors?.map((error) => error.field)).toContain(entry.field);
    expect(await areaCounts()).toEqual(before);
  });

  const roundCases: {
    name: string;
    body: () => Record<string, unknown>;
    status: number;
    code: string;
    field: string;
  }[] = [
    {
      name: "limit under its old name (maxBidsPerOwner, like every other max… field)",
      body: () => ({
        poolId: pool.id,
        closesAt: new Date(now() + 60_000).toISOString(),
        limits: { bidsPerOwnerMax: 3 },
      }),
      status: 422,
      code: "VALIDATION_FAILED",
      field: "limits.bidsPerOwnerMax",
    },
    {
      name: "close in the past",
      body: () => ({ poolId: pool.id, closesAt: new Date(now() - 1_000).toISOString() }),
      status: 422,
      code: "VALIDATION_FAILED",
      field: "closesAt",
    },
    {
      name: "close not a date",
      body: () => ({ poolId: pool.id, closesAt: "tomorrow" }),
      status: 422,
      code: "VALIDATION_FAILED",
      field: "closesAt",
    },
    {
      name: "round longer than 31 days",
      body: () => ({ poolId: pool.id, closesAt: new Date(now() + 40 * 86_400_000).toISOString() }),
      status: 422,
      code: "VALIDATION_FAILED",
      field: "closesAt",
    },
    {
      name: "deadline after the close",
      body: () => ({
        poolId: pool.id,
        closesAt: new Date(now() + 60_000).toISOString(),
        cancellationDeadline: new Date(now() + 120_000).toISOString(),
      }),
      status: 422,
      code: "VALIDATION_FAILED",
      field: "cancellationDeadline",
    },
    {
      name: "unknown pool",
      body: () => ({ poolId: "pol_missing", closesAt: new Date(now() + 60_000).toISOString() }),
      status: 404,
      code: "NOT_FOUND",
      field: "poolId",
    },
    {
      name: "ratio above 1",
      body: () => ({
        poolId: pool.id,
        closesAt: new Date(now() + 60_000).toISOString(),
        rules: { periodCapRatio: "1.5" },
      }),
      status: 422,
      code: "VALIDATION_FAILED",
      field: "rules.periodCapRatio",
    },
    {
      name: "unknown tie rule",
      body: () => ({
        poolId: pool.id,
        closesAt: new Date(now() + 60_000).toISOString(),
        rules: { tieRule: "random" },
      }),
      status: 422,
      code: "VALIDATION_FAILED",
      field: "rules.tieRule",
    },
    {
      name: "fixed reference without a price",
      body: () => ({
        poolId: pool.id,
        closesAt: new Date(now() + 60_000).toISOString(),
        reference: { source: "fixed" },
      }),
      status: 422,
      code: "VALIDATION_FAILED",
      field: "reference.price",
    },
    {
      name: "batch of one transfer",
      body: () => ({
        poolId: pool.id,
        closesAt: new Date(now() + 60_000).toISOString(),
        settlement: { transfersPerBatch: 1 },
      }),
      status: 422,
      code: "VALIDATION_FAILED",
      field: "settlement.transfersPerBatch",
    },
  ];

  it.each(roundCases)("round: $name → $status $code", async (entry) => {
    const fresh = await createPool(admin, "refusals");
    const before = await areaCounts();
    const body = entry.body();
    if (body.poolId === pool.id) body.poolId = fresh.id;
    const response = await call<Problem>("POST", "/v1/auctions", {
      key: admin.key,
      headers: { "idempotency-key": key("bad") },
      body,
    });
    expect(response.status).toBe(entry.status);
    expect(response.body.code).toBe(entry.code);
    expect(response.body.errors?.map((error) => error.field)).toContain(entry.field);
    expect(await areaCounts()).toEqual(before);
  });

  it("unknown round → 404 for reads, bids and cancellations", async () => {
    const missing = "auc_doesnotexist";
    expect((await call("GET", `/v1/auctions/${missing}`, { key: other.key })).status).toBe(404);
    expect((await placeBid(other, missing, "10", "0.03")).response.status).toBe(404);
    expect((await call("DELETE", `/v1/auctions/${missing}/bids/bid_x`, { key: other.key })).status).toBe(404);
    expect(
      (await call("DELETE", `/v1/auctions/${roundId}/bids/bid_unknown`, { key: other.key })).status,
    ).toBe(404);
  });
});

describe("the OpenAPI document", () => {
  it("describes every pool and auction route", async () => {
    const document = await call<{ paths: Record<string, Record<string, unknown>> }>("GET", "/openapi.json");
    expect(document.status).toBe(200);
    const routes = Object.entries(document.body.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(routes).toEqual(
      expect.arrayContaining([
        "POST /v1/pools",
        "GET /v1/pools",
        "GET /v1/pools/{id}",
        "POST /v1/pools/{id}/positions",
        "POST /v1/auctions",
        "GET /v1/auctions",
        "GET /v1/auctions/{id}",
        "POST /v1/auctions/simulate",
        "POST /v1/auctions/{id}/bids",
        "GET /v1/auctions/{id}/bids",
        "DELETE /v1/auctions/{id}/bids/{bidId}",
      ]),
    );
  });
});
