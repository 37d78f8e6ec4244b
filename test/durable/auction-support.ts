/**
 * Helpers shared by the pool and auction tests (workerd): a pool with funded liquidity providers
 * and bidders, rounds opened through the API, bids, and `passClose`, which moves the service's
 * one clock (src/kit/clock.ts, shared by the Worker and the round's object) past a round's close,
 * so its alarm clears it without waiting for real time.
 */
import { env, runDurableObjectAlarm } from "cloudflare:test";
import { expect } from "vitest";
import { hourMs, now, shiftClock } from "../../src/kit/clock";
import { transferIdFor } from "../../src/kit/http/middleware";
import { randomBase62 } from "../../src/kit/ids";
import { recordRound } from "../../src/oracle/prices";
import { roundStub } from "../../src/pools/flows/auctions";
import type { AuctionRound } from "../../src/pools/object/auction-round";
import { call, database, fundedAccount, type Seeded, seedKey, withoutPrice } from "../support/harness";

export const tfp = (whole: number | string): bigint => BigInt(Math.round(Number(whole) * 1e7));
export const usdc = (whole: number | string): bigint => BigInt(Math.round(Number(whole) * 1e6));

/** A fresh Idempotency-Key. */
export const key = (prefix = "k"): string => `${prefix}_${randomBase62(16)}`;

export type Party = Seeded & { usdcAccount: string; tfpAccount: string };

/** A principal of `role` with a USDC and a TFP account, funded. */
export async function party(
  role: "lp" | "user" | "farmer",
  usdcMinor: bigint,
  tfpMinor: bigint,
): Promise<Party> {
  const seeded = await seedKey(role);
  const kind = role === "farmer" ? "farmer" : role === "lp" ? "lp" : "user";
  const [usdcAccount, tfpAccount] = await Promise.all([
    fundedAccount(seeded.ownerId, "USDC", usdcMinor, kind),
    fundedAccount(seeded.ownerId, "TFP", tfpMinor, kind),
  ]);
  return { ...seeded, usdcAccount, tfpAccount };
}

export type PoolInfo = { id: string; usdcAccount: string; tfpAccount: string };

/** Creates a pool through the API. */
export async function createPool(admin: Seeded, name = "test pool"): Promise<PoolInfo> {
  const created = await call<{ id: string; accounts: { usdc: string; tfp: string } }>("POST", "/v1/pools", {
    key: admin.key,
    body: { name },
  });
  expect(created.status).toBe(201);
  return {
    id: created.body.id,
    usdcAccount: created.body.accounts.usdc,
    tfpAccount: created.body.accounts.tfp,
  };
}

/** Contributes USDC from the party's USDC account; returns the position id. */
export async function contributeUsdc(lp: Party, poolId: string, amount: string): Promise<string> {
  const response = await call<{ id: string }>("POST", `/v1/pools/${poolId}/positions`, {
    key: lp.key,
    headers: { "idempotency-key": key("lp") },
    body: { asset: "USDC", amount, accountId: lp.usdcAccount },
  });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body.id;
}

/** Moves every position of a pool `ageMs` into the past (so time-weighted shares are non-zero). */
export async function agePositions(poolId: string, ageMs: number): Promise<void> {
  await database().execute({
    sql: "UPDATE pool_positions SET contributed_at = contributed_at - ? WHERE pool_id = ?",
    args: [ageMs, poolId],
  });
}

export type RoundBody = {
  poolId: string;
  closesAt: string;
  cancellationDeadline?: string;
  reference?: { source: "oracle" } | { source: "fixed"; price: string };
  rules?: Record<string, unknown>;
  limits?: Record<string, unknown>;
  settlement?: Record<string, unknown>;
};

/** Opens a round through the API (fixed reference 0.05 USDC per TFP unless told otherwise). */
export async function openRound(
  admin: Seeded,
  poolId: string,
  options: { closesInMs?: number; deadlineInMs?: number } & Partial<
    Omit<RoundBody, "poolId" | "closesAt">
  > = {},
): Promise<string> {
  const nowMs = now();
  const { closesInMs = hourMs, deadlineInMs, ...rest } = options;
  const body: RoundBody = {
    poolId,
    closesAt: new Date(nowMs + closesInMs).toISOString(),
    reference: { source: "fixed", price: "0.05" },
    ...rest,
  };
  if (deadlineInMs !== undefined) body.cancellationDeadline = new Date(nowMs + deadlineInMs).toISOString();
  const response = await call<{ id: string }>("POST", "/v1/auctions", {
    key: admin.key,
    headers: { "idempotency-key": key("round") },
    body,
  });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body.id;
}

export type BidResponse = { id: string; status: string; submitSeq: number; holdId: string };

/** Places a bid with a fresh key (or the given one); returns the raw response and the bid id the key derives. */
export async function placeBid(
  bidder: Party,
  roundId: string,
  amount: string,
  minPrice: string,
  idempotencyKey = key("bid"),
) {
  const response = await call<BidResponse & { code?: string; errors?: { field: string }[] }>(
    "POST",
    `/v1/auctions/${roundId}/bids`,
    {
      key: bidder.key,
      headers: { "idempotency-key": idempotencyKey },
      body: { amount, minPrice, accountId: bidder.tfpAccount, payoutAccountId: bidder.usdcAccount },
    },
  );
  const bidId = await transferIdFor(bidder.ownerId, idempotencyKey, "bid");
  return { response, bidId, idempotencyKey };
}

export function stubOf(roundId: string): DurableObjectStub<AuctionRound> {
  return roundStub(env, roundId);
}

/** The round's close, as its object holds it. */
export async function closeOf(
  roundId: string,
): Promise<{ closesAtMs: number; cancellationDeadlineMs: number }> {
  const status = await stubOf(roundId).status();
  if (!status.ok) throw new Error(`round ${roundId}: ${status.code}`);
  return { closesAtMs: status.value.closesAtMs, cancellationDeadlineMs: status.value.cancellationDeadlineMs };
}

/** Moves the clock to `atMs` (never back): the Worker and every object read the new time at once. */
export function clockTo(atMs: number): void {
  shiftClock(Math.max(0, atMs - now()));
}

/** Moves the clock a second past the round's close (and so its cancellation deadline). */
export async function passClose(roundId: string): Promise<void> {
  clockTo((await closeOf(roundId)).closesAtMs + 1_000);
}

type RoundView = {
  state: string;
  result: {
    clearingPrice: string | null;
    filled: string;
    payoutTotal: string;
    referencePrice: string | null;
    cap: { amount: string; binding: string };
    margin: {
      created: string;
      distributed: string;
      undistributed: string;
      credits: { positionId: string; amount: string }[];
    };
    bids: { id: string; accepted: string; remainder: string; payout: string; status: string }[];
    supplyCurve: { price: string; cumulative: string }[];
  } | null;
  bidsCount: number;
  lastError: string | null;
};

export async function getRound(key: string, roundId: string) {
  return call<RoundView>("GET", `/v1/auctions/${roundId}`, { key });
}

/** Runs the round's alarm until it is settled or void (each run writes a bounded number of batches). */
export async function settle(roundId: string, runsMax = 200): Promise<void> {
  const stub = stubOf(roundId);
  for (let run = 0; run < runsMax; run += 1) {
    const status = await stub.status();
    if (status.ok && (status.value.state === "settled" || status.value.state === "void")) return;
    await runDurableObjectAlarm(stub);
  }
  throw new Error(`round ${roundId} did not settle in ${runsMax} alarm runs`);
}

/** Posted and pending-debit figures of many accounts at once. */
export async function accountTotals(
  ids: readonly string[],
): Promise<Map<string, { posted: bigint; pendingDebits: bigint; asset: string }>> {
  const result = await database().execute({
    sql: `SELECT id, asset, credits_posted - debits_posted AS posted, debits_pending FROM accounts WHERE id IN (${ids.map(() => "?").join(", ")})`,
    args: [...ids],
  });
  return new Map(
    result.rows.map((row) => [
      String(row.id),
      {
        posted: BigInt(row.posted as bigint),
        pendingDebits: BigInt(row.debits_pending as bigint),
        asset: String(row.asset),
      },
    ]),
  );
}

/** Sum of posted balances per asset over `ids`. */
export async function sumByAsset(ids: readonly string[]): Promise<Record<string, bigint>> {
  const totals = await accountTotals(ids);
  const sums: Record<string, bigint> = {};
  for (const { asset, posted } of totals.values()) sums[asset] = (sums[asset] ?? 0n) + posted;
  return sums;
}

/** Records a manual TFT price valid for an hour (manual prices count as healthy until they expire). */
export async function recordTftPrice(priceUsd: string): Promise<string> {
  return recordRound(database(), {
    kind: "tft",
    priceUsd,
    quorumMet: true,
    source: "manual",
    reason: "pool and auction tests",
    expiresAtMs: now() + hourMs,
    createdBy: "test_pools",
  });
}

/** Runs `body` while the oracle has no TFT price. */
export function withoutTftPrice<T>(body: () => Promise<T>): Promise<T> {
  return withoutPrice("tft", body);
}

/** Row counts of this area's tables, to prove a refusal wrote nothing. */
export async function areaCounts(): Promise<Record<string, number>> {
  const result = await database().execute(
    "SELECT (SELECT count(*) FROM pools) AS pools, (SELECT count(*) FROM pool_positions) AS positions, (SELECT count(*) FROM auction_rounds) AS rounds, (SELECT count(*) FROM auction_bids) AS bids, (SELECT count(*) FROM position_rewards) AS rewards, (SELECT count(*) FROM transfers) AS transfers, (SELECT count(*) FROM holds) AS holds, (SELECT count(*) FROM accounts) AS accounts",
  );
  const row = result.rows[0]!;
  return Object.fromEntries(Object.entries(row).map(([name, value]) => [name, Number(value)]));
}
