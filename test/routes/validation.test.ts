// Proves that bad input gets a clear 4xx problem-details body naming the field and writes
// nothing: wrong types, missing fields, negative or over-precise amounts, unknown fields,
// malformed JSON, wrong media type and oversized bodies, on every route that takes input.
import { beforeAll, describe, expect, it } from "vitest";
import { idempotencyRecordRetentionMs, pruneIdempotencyRecords } from "../../src/kit/db/idempotency";
import { call, database, fundedAccount, type Seeded, seedKey, tableCounts } from "../support/harness";

let admin: Seeded;
let account: string;

beforeAll(async () => {
  admin = await seedKey("admin");
  account = await fundedAccount(admin.ownerId, "CC", 0n);
});

type Problem = {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  requestId: string;
  errors?: { field: string; detail: string }[];
};

const transfer = (overrides: Record<string, unknown>) => ({
  transfers: [
    {
      type: "posted",
      debitAccountId: "acc_issuance_cc",
      creditAccountId: "acc_treasury_cc",
      asset: "CC",
      amount: "1",
      code: "manual_adjustment",
      ...overrides,
    },
  ],
});

const cases: {
  name: string;
  method: string;
  path: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  status: number;
  field?: string;
}[] = [
  {
    name: "account: missing asset",
    method: "POST",
    path: "/v1/accounts",
    body: { ownerId: "usr_x", kind: "user" },
    status: 422,
    field: "asset",
  },
  {
    name: "account: unknown asset",
    method: "POST",
    path: "/v1/accounts",
    body: { ownerId: "usr_x", asset: "BTC", kind: "user" },
    status: 422,
    field: "asset",
  },
  {
    name: "account: issuance kind",
    method: "POST",
    path: "/v1/accounts",
    body: { ownerId: "usr_x", asset: "CC", kind: "issuance" },
    status: 422,
    field: "kind",
  },
  {
    name: "account: wrong type",
    method: "POST",
    path: "/v1/accounts",
    body: { ownerId: 42, asset: "CC", kind: "user" },
    status: 422,
    field: "ownerId",
  },
  {
    name: "account: unknown field",
    method: "POST",
    path: "/v1/accounts",
    body: { ownerId: "usr_x", asset: "CC", kind: "user", balance: "100" },
    status: 422,
    field: "balance",
  },
  {
    name: "account: malformed JSON",
    method: "POST",
    path: "/v1/accounts",
    rawBody: '{"ownerId": ',
    headers: { "content-type": "application/json" },
    status: 400,
  },
  {
    name: "account: not JSON",
    method: "POST",
    path: "/v1/accounts",
    rawBody: "ownerId=x",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    status: 415,
  },
  {
    name: "account: oversized body",
    method: "POST",
    path: "/v1/accounts",
    body: { ownerId: "usr_x", asset: "CC", kind: "user", name: "x".repeat(70_000) },
    status: 413,
  },
  {
    name: "account id: bad shape",
    method: "GET",
    path: "/v1/accounts/not-an-id",
    status: 422,
    field: "param.id",
  },
  {
    name: "transfers page: limit too large",
    method: "GET",
    path: "/v1/accounts/acc_issuance_cc/transfers?limit=1000",
    status: 422,
    field: "query.limit",
  },
  {
    name: "transfers page: bad cursor",
    method: "GET",
    path: "/v1/accounts/acc_issuance_cc/transfers?cursor=abc",
    status: 422,
    field: "query.cursor",
  },
  {
    name: "key: unknown role",
    method: "POST",
    path: "/v1/keys",
    body: { ownerId: "usr_x", role: "root" },
    status: 422,
    field: "role",
  },
  {
    name: "key: lifetime too long",
    method: "POST",
    path: "/v1/keys",
    body: { ownerId: "usr_x", role: "user", expiresInDays: 100_000 },
    status: 422,
    field: "expiresInDays",
  },
  {
    name: "rotate: grace too long",
    method: "POST",
    path: "/v1/keys/key_abc/rotate",
    body: { graceSeconds: 10_000_000 },
    status: 422,
    field: "graceSeconds",
  },
  {
    name: "transfer: negative amount",
    method: "POST",
    path: "/v1/transfers",
    body: transfer({ amount: "-5" }),
    headers: { "idempotency-key": "validation-negative" },
    status: 422,
    field: "transfers.0.amount",
  },
  {
    name: "transfer: fractional minor units",
    method: "POST",
    path: "/v1/transfers",
    body: transfer({ amount: "0.0000001" }),
    headers: { "idempotency-key": "validation-fraction" },
    status: 422,
    field: "transfers.0.amount",
  },
  {
    name: "transfer: zero amount",
    method: "POST",
    path: "/v1/transfers",
    body: transfer({ amount: "0" }),
    headers: { "idempotency-key": "validation-zero" },
    status: 422,
    field: "transfers.0.amount",
  },
  {
    name: "transfer: amount as number",
    method: "POST",
    path: "/v1/transfers",
    body: transfer({ amount: 5 }),
    headers: { "idempotency-key": "validation-number" },
    status: 422,
    field: "transfers.0.amount",
  },
  {
    name: "transfer: unknown field",
    method: "POST",
    path: "/v1/transfers",
    body: transfer({ memo: "hi" }),
    headers: { "idempotency-key": "validation-unknown" },
    status: 422,
    field: "transfers.0.memo",
  },
  {
    name: "transfer: unknown type",
    method: "POST",
    path: "/v1/transfers",
    body: transfer({ type: "gift" }),
    headers: { "idempotency-key": "validation-type" },
    status: 422,
    field: "transfers.0.type",
  },
  {
    name: "transfer: empty group",
    method: "POST",
    path: "/v1/transfers",
    body: { transfers: [] },
    headers: { "idempotency-key": "validation-empty" },
    status: 422,
    field: "transfers",
  },
  {
    name: "transfer: no idempotency key",
    method: "POST",
    path: "/v1/transfers",
    body: transfer({}),
    status: 422,
    field: "header.idempotency-key",
  },
  {
    name: "transfer: asset mismatch",
    method: "POST",
    path: "/v1/transfers",
    body: transfer({ creditAccountId: "acc_vault_tft" }),
    headers: { "idempotency-key": "validation-asset" },
    status: 422,
    field: "transfers/0/asset",
  },
  {
    name: "transfer: unknown account",
    method: "POST",
    path: "/v1/transfers",
    body: transfer({ creditAccountId: "acc_nobody" }),
    headers: { "idempotency-key": "validation-account" },
    status: 404,
    field: "transfers/0/creditAccountId",
  },
  {
    name: "transfer: overdraft",
    method: "POST",
    path: "/v1/transfers",
    body: transfer({
      debitAccountId: "acc_treasury_cc",
      creditAccountId: "acc_burn_cc",
      amount: "1000000000",
    }),
    headers: { "idempotency-key": "validation-overdraft" },
    status: 422,
    field: "transfers/0/amount",
  },
];

describe.each(cases)("$name", (testCase) => {
  it(`answers ${testCase.status} with problem details and writes nothing`, async () => {
    const before = await tableCounts();
    const response = await call<Problem>(testCase.method, testCase.path, {
      key: admin.key,
      ...(testCase.body === undefined ? {} : { body: testCase.body }),
      ...(testCase.rawBody === undefined ? {} : { rawBody: testCase.rawBody }),
      headers: testCase.headers ?? {},
    });
    expect(response.status).toBe(testCase.status);
    expect(response.headers.get("content-type")).toContain("application/problem+json");
    expect(response.body.status).toBe(testCase.status);
    expect(response.body.type).toMatch(/^urn:tfgrid-market:problem:/);
    expect(response.body.requestId).toBe(response.headers.get("x-request-id"));
    if (testCase.field) expect(response.body.errors?.map((error) => error.field)).toContain(testCase.field);
    expect(await tableCounts()).toEqual(before);
  });
});

describe("responses", () => {
  it("unknown routes are problem details too", async () => {
    const response = await call<Problem>("GET", "/v1/nothing-here");
    expect(response.status).toBe(404);
    expect(response.body.code).toBe("NOT_FOUND");
  });

  it("every response carries a request id, echoing a well-formed caller id", async () => {
    const response = await call("GET", "/v1/health", { headers: { "x-request-id": "trace-123" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-request-id")).toBe("trace-123");
    expect(response.body).toMatchObject({ status: "ok", database: "ok" });
  });

  it("serves the OpenAPI 3.1 document listing the routes", async () => {
    const response = await call<{ openapi: string; paths: Record<string, unknown> }>("GET", "/openapi.json");
    expect(response.status).toBe(200);
    expect(response.body.openapi).toBe("3.1.0");
    expect(Object.keys(response.body.paths)).toEqual(
      expect.arrayContaining(["/v1/accounts", "/v1/transfers", "/v1/ledger/audit"]),
    );
  });

  it("moves value once for a repeated Idempotency-Key and replays the first response", async () => {
    const body = transfer({ creditAccountId: account, amount: "2.5" });
    const headers = { "idempotency-key": `replay-${account}` };
    const first = await call<{ transfers: { id: string }[] }>("POST", "/v1/transfers", {
      key: admin.key,
      body,
      headers,
    });
    const second = await call<{ transfers: { id: string }[] }>("POST", "/v1/transfers", {
      key: admin.key,
      body,
      headers,
    });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(second.body.transfers[0]!.id).toBe(first.body.transfers[0]!.id);
    const state = await call<{ balance: { posted: string } }>("GET", `/v1/accounts/${account}`, {
      key: admin.key,
    });
    expect(state.body.balance.posted).toBe("2.500000");
    const conflict = await call<Problem>("POST", "/v1/transfers", {
      key: admin.key,
      body: transfer({ creditAccountId: account, amount: "3" }),
      headers,
    });
    expect(conflict.status).toBe(409);
    expect(conflict.body.code).toBe("IDEMPOTENCY_CONFLICT");
  });

  it("keeps stored responses for the retention period, then prunes them", async () => {
    const db = database();
    const nowMs = Date.now();
    const owner = `prune_${nowMs}`;
    await db.execute({
      sql: "INSERT INTO idempotency_records (owner_id, key, fingerprint, status, body, created_at) VALUES (?, 'old', 'f', 201, '{}', ?), (?, 'recent', 'f', 201, '{}', ?)",
      args: [owner, nowMs - idempotencyRecordRetentionMs - 1, owner, nowMs - 1_000],
    });
    expect(await pruneIdempotencyRecords(db, nowMs)).toBeGreaterThanOrEqual(1);
    const left = await db.execute({
      sql: "SELECT key FROM idempotency_records WHERE owner_id = ?",
      args: [owner],
    });
    expect(left.rows.map((row) => row.key)).toEqual(["recent"]);
  });
});
