/**
 * Helpers shared by the marketplace's route and Durable Object tests: the peg, farmers with
 * registered nodes, funded users, the bid book's stub, its clock, and reading settlements.
 */
import { env, SELF } from "cloudflare:test";
import { expect } from "vitest";
import { hourMs, shiftClock } from "../../../src/kit/clock";
import { recordRound } from "../../../src/oracle/prices";
import { call, database, fundedAccount, type Seeded, seedKey } from "../../support/harness";

export { hourMs };
/** 1 CC in minor units. */
export const ccMinor = 1_000_000n;

/**
 * Manual gold and TFT prices, newest in the database: gold 128 USD/g (1 CC = 0.128 USD) and TFT
 * 0.05 USD, valid for 60 days (so shifted book clocks still find them).
 */
export async function setPeg(goldUsd = "128", tftUsd = "0.05"): Promise<void> {
  const db = database();
  const nowMs = Date.now();
  for (const [kind, priceUsd] of [
    ["gold", goldUsd],
    ["tft", tftUsd],
  ] as const) {
    await recordRound(
      db,
      {
        kind,
        priceUsd,
        quorumMet: true,
        source: "manual",
        reason: "market tests",
        expiresAtMs: nowMs + 60 * 24 * hourMs,
        createdBy: "market_tests",
      },
      nowMs,
    );
  }
}

export type NodeBody = { id: string; freeSlices: number; sliceCount: number; [key: string]: unknown };

/**
 * Registers a node for `farmer` (default: a 3Node Home cut into 7 slices at 3 USD per slice-month
 * and 0.01 USD per slice-hour: 0.078125 CC per slice-hour at the test peg).
 */
export async function registerNode(
  farmer: Seeded,
  overrides: Record<string, unknown> = {},
): Promise<NodeBody> {
  const response = await call<NodeBody>("POST", "/v1/nodes", {
    key: farmer.key,
    body: {
      name: "test node",
      catalogueId: "3node-home",
      region: "eu-west",
      sliceCount: 7,
      pricePerSliceMonth: "3",
      pricePerSliceHour: "0.01",
      minBidCcPerSliceHour: "0.01",
      ...overrides,
    },
  });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body;
}

/** A user key with a CC user account funded with `amountMinor`. */
export async function fundedUser(amountMinor: bigint): Promise<Seeded & { accountId: string }> {
  const user = await seedKey("user");
  const accountId = await fundedAccount(user.ownerId, "CC", amountMinor);
  return { ...user, accountId };
}

/** Mints `amount` CC into ThreeFold's treasury (which pays bid-package leases), as an admin. */
export async function fundTreasury(admin: Seeded, amount: string): Promise<void> {
  const funded = await call("POST", "/v1/transfers", {
    key: admin.key,
    headers: { "idempotency-key": idempotencyKey("treasury") },
    body: {
      transfers: [
        {
          type: "posted",
          debitAccountId: "acc_issuance_cc",
          creditAccountId: "acc_treasury_cc",
          asset: "CC",
          amount,
          code: "test_treasury",
        },
      ],
    },
  });
  expect(funded.status, JSON.stringify(funded.body)).toBe(201);
}

/** Creates (or replaces) bid package `id` as an admin: 4 GB of memory per slice, 48 h leases. */
export async function configurePackage(
  admin: Seeded,
  id: string,
  package_: { name: string; priceCcPerSliceMonth: string; slicesCommitted: number },
): Promise<void> {
  const configured = await call("PUT", `/v1/bid-packages/${id}`, {
    key: admin.key,
    body: { ...package_, requirements: { minMemGb: "4" }, leaseHours: 48 },
  });
  expect(configured.status, JSON.stringify(configured.body)).toBe(200);
}

/** A capacity request of `user`'s: 2 slices of 4 GB for 10 h, at most 0.3 CC a slice-hour and 5 CC in all, open 1 h. */
export async function postCapacityRequest(user: Seeded, overrides: Record<string, unknown> = {}) {
  const created = await call<{ id: string; status: string; updatedAt: string }>(
    "POST",
    "/v1/capacity-requests",
    {
      key: user.key,
      body: {
        slices: 2,
        requirements: { minMemGb: "4" },
        durationHours: 10,
        maxPriceCcPerSliceHour: "0.3",
        budget: "5",
        deadlineInHours: 1,
        ...overrides,
      },
    },
  );
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body;
}

/** The bid book's stub for a node. */
export function book(nodeId: string) {
  return env.NODE_BOOK.get(env.NODE_BOOK.idFromName(nodeId));
}

/**
 * Moves the service's clock forward (src/kit/clock.ts): the Worker and every book read it. A book
 * acts on the new time when it is next called (`settle`) or its alarm fires.
 */
export function shift(ms: number): void {
  shiftClock(ms);
}

/** Runs the money pass now and returns how many periods it settled. */
export async function settle(nodeId: string): Promise<number> {
  const result = await book(nodeId).settleNow({ nodeId });
  if (!result.ok) throw new Error(`${result.code}: ${result.detail}`);
  return result.value.periodsSettled;
}

let keyCounter = 0;
/** A fresh Idempotency-Key. */
export function idempotencyKey(prefix = "key"): string {
  keyCounter += 1;
  return `${prefix}-${Date.now()}-${keyCounter}-${Math.random().toString(36).slice(2, 10)}`;
}

/** Reserves slices through the API; returns the response. */
export async function reserve(
  user: Seeded,
  nodeId: string,
  slices: number,
  durationHours: number | null,
  extra: Record<string, unknown> = {},
) {
  return call<Record<string, unknown> & { id: string }>("POST", "/v1/leases", {
    key: user.key,
    headers: { "idempotency-key": idempotencyKey("lease") },
    body: { nodeId, slices, durationHours, ...extra },
  });
}

/** Places a bid through the API; returns the response. */
export async function bid(
  user: Seeded,
  nodeId: string,
  slices: number,
  price: string,
  extra: Record<string, unknown> = {},
) {
  return call<Record<string, unknown> & { id: string; status: string; leaseId: string | null }>(
    "POST",
    `/v1/nodes/${nodeId}/bids`,
    {
      key: user.key,
      headers: { "idempotency-key": idempotencyKey("bid") },
      body: { slices, priceCcPerSliceHour: price, ...extra },
    },
  );
}

export type SettlementRow = {
  id: string;
  leaseId: string;
  chargeMinor: bigint;
  owedMinor: bigint;
  unpaidMinor: bigint;
  farmerMinor: bigint;
  burnMinor: bigint;
  threefoldMinor: bigint;
  burnTftMinor: bigint;
  burnedTftMinor: bigint;
};

/** Settlement rows of some leases (or all), oldest period first. */
export async function settlementsOf(leaseIds?: readonly string[]): Promise<SettlementRow[]> {
  const where = leaseIds === undefined ? "" : `WHERE lease_id IN (${leaseIds.map(() => "?").join(", ")})`;
  const result = await database().execute({
    sql: `SELECT * FROM settlements ${where} ORDER BY lease_id, period_index`,
    args: leaseIds === undefined ? [] : [...leaseIds],
  });
  return result.rows.map((row) => ({
    id: String(row.id),
    leaseId: String(row.lease_id),
    chargeMinor: BigInt(row.charge_minor as bigint),
    owedMinor: BigInt(row.owed_minor as bigint),
    unpaidMinor: BigInt(row.unpaid_minor as bigint),
    farmerMinor: BigInt(row.farmer_minor as bigint),
    burnMinor: BigInt(row.burn_minor as bigint),
    threefoldMinor: BigInt(row.threefold_minor as bigint),
    burnTftMinor: BigInt(row.burn_tft_minor as bigint),
    burnedTftMinor: BigInt(row.burned_tft_minor as bigint),
  }));
}

/** Posted balance of an account, in minor units. */
export async function posted(accountId: string): Promise<bigint> {
  const result = await database().execute({
    sql: "SELECT credits_posted - debits_posted AS posted FROM accounts WHERE id = ?",
    args: [accountId],
  });
  return BigInt(result.rows[0]?.posted as bigint);
}

/** A node registered for `farmer`, with its agent's key (`POST /v1/nodes/{id}/keys`). */
export async function agentNode(
  farmer: Seeded,
  overrides: Record<string, unknown> = {},
): Promise<{ node: NodeBody; agent: Seeded & { nodeId: string } }> {
  const node = await registerNode(farmer, overrides);
  const created = await call<{ id: string; key: string; ownerId: string; nodeId: string }>(
    "POST",
    `/v1/nodes/${node.id}/keys`,
    { key: farmer.key, body: { name: "test agent" } },
  );
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return {
    node,
    agent: {
      key: created.body.key,
      keyId: created.body.id,
      ownerId: created.body.ownerId,
      role: "node",
      nodeId: node.id,
    },
  };
}

export type AssignmentJson = {
  leaseId: string;
  seq: number;
  slices: number;
  sliceIndices: number[];
  run: boolean;
  status: string;
  pausedReason: string | null;
  agentStatus: string | null;
  provisionBy: string | null;
  chargedFrom: string;
  resources: Record<string, string> | null;
  deployment: unknown;
};
export type AssignmentsJson = {
  nodeId: string;
  cursor: string;
  reset: boolean;
  more: boolean;
  assignments: AssignmentJson[];
  removed: { leaseId: string; seq: number; endedAt: string }[];
  acknowledged: { cursor: string; at: string } | null;
};

/** `GET /v1/nodes/{id}/assignments` with `key`, after `after` when given. */
export async function assignmentsOf(key: string, nodeId: string, after?: string, limit?: number) {
  const query = new URLSearchParams();
  if (after !== undefined) query.set("after", after);
  if (limit !== undefined) query.set("limit", String(limit));
  const suffix = query.size > 0 ? `?${query}` : "";
  return call<AssignmentsJson>("GET", `/v1/nodes/${nodeId}/assignments${suffix}`, { key });
}

/** The agent reports a lease's status (`PUT …/assignments/{leaseId}/status`). */
export async function reportLease(key: string, nodeId: string, leaseId: string, status: string) {
  return call<{ leaseId: string; status: string; pausedReason: string | null; agentStatus: string | null }>(
    "PUT",
    `/v1/nodes/${nodeId}/assignments/${leaseId}/status`,
    { key, body: { status } },
  );
}

/** An agent's open WebSocket to its node's book, with the messages it received in order. */
export type AgentSocket = {
  socket: WebSocket;
  /** The next message not yet taken (waits up to `timeoutMs`). */
  next(timeoutMs?: number): Promise<AssignmentsJson & { type: string; detail?: string }>;
  /** Messages received and not yet taken. */
  pending(): number;
  send(message: unknown): void;
  close(): void;
};

/** Opens `GET /v1/nodes/{id}/agent` as a WebSocket with `key` (the upgrade's status when refused). */
export async function openFeed(
  key: string,
  nodeId: string,
  after?: string,
): Promise<AgentSocket | ApiStatus> {
  const suffix = after === undefined ? "" : `?after=${after}`;
  const response = await SELF.fetch(`http://market.test/v1/nodes/${nodeId}/agent${suffix}`, {
    headers: { upgrade: "websocket", authorization: `Bearer ${key}` },
  });
  const socket = response.webSocket;
  if (response.status !== 101 || socket === null) {
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }
  socket.accept();
  const received: string[] = [];
  const waiting: ((text: string) => void)[] = [];
  socket.addEventListener("message", (event) => {
    const text = String(event.data);
    const waiter = waiting.shift();
    if (waiter) waiter(text);
    else received.push(text);
  });
  return {
    socket,
    pending: () => received.length,
    next: (timeoutMs = 5_000) =>
      new Promise((resolve, reject) => {
        const first = received.shift();
        if (first !== undefined) {
          resolve(parsedOrText(first));
          return;
        }
        const timer = setTimeout(() => reject(new Error("no message from the book")), timeoutMs);
        waiting.push((text) => {
          clearTimeout(timer);
          resolve(parsedOrText(text));
        });
      }),
    send: (message) => socket.send(typeof message === "string" ? message : JSON.stringify(message)),
    close: () => socket.close(1000, "done"),
  };
}

export type ApiStatus = { status: number; body: Record<string, unknown> };

// biome-ignore lint/suspicious/noExplicitAny: a socket message is JSON, or the text `pong`
function parsedOrText(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
