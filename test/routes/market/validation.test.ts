// Proves that bad input to the marketplace routes gets a 4xx problem-details body naming the offending field (a price outside the band names the band) and writes nothing: no node, lease, hold, transfer, request, offer or commitment.
import { beforeAll, describe, expect, it } from "vitest";
import { call, database, fundedAccount, type Seeded, seedKey, tableCounts } from "../../support/harness";
import { ccMinor, fundedUser, idempotencyKey, registerNode, setPeg } from "./support";

type Problem = { status: number; code: string; detail: string; errors?: { field: string; detail: string }[] };

let farmer: Seeded;
let admin: Seeded;
let user: Seeded & { accountId: string };
let poorUser: Seeded & { accountId: string };
let nodeId: string;
let otherAccount: string;

beforeAll(async () => {
  await setPeg();
  [farmer, admin] = await Promise.all([seedKey("farmer"), seedKey("admin")]);
  user = await fundedUser(10n * ccMinor);
  poorUser = await fundedUser(1_000n);
  otherAccount = await fundedAccount("usr_someone_else", "CC", 5n * ccMinor);
  nodeId = (await registerNode(farmer)).id;
  await call("GET", "/v1/bid-packages");
});

async function marketCounts(): Promise<Record<string, number>> {
  const result = await database().execute(
    `SELECT (SELECT count(*) FROM nodes) AS nodes, (SELECT count(*) FROM leases) AS leases,
       (SELECT count(*) FROM settlements) AS settlements, (SELECT count(*) FROM capacity_requests) AS requests,
       (SELECT count(*) FROM capacity_offers) AS offers, (SELECT count(*) FROM package_commitments) AS commitments,
       (SELECT count(*) FROM bid_packages) AS packages`,
  );
  const row = result.rows[0]!;
  return {
    ...Object.fromEntries(Object.entries(row).map(([name, value]) => [name, Number(value)])),
    ...(await tableCounts()),
  };
}

const node = (overrides: Record<string, unknown>) => ({
  name: "n",
  catalogueId: "3node-home",
  region: "eu-west",
  sliceCount: 7,
  pricePerSliceMonth: "3",
  pricePerSliceHour: "0.01",
  ...overrides,
});

type Case = {
  name: string;
  method: string;
  path: () => string;
  key: () => string;
  body?: unknown;
  idempotent?: boolean;
  status: number;
  code?: string;
  field?: string;
  detail?: string;
};

const cases: Case[] = [
  {
    name: "node: missing region",
    method: "POST",
    path: () => "/v1/nodes",
    key: () => farmer.key,
    body: node({ region: undefined }),
    status: 422,
    field: "region",
  },
  {
    name: "node: monthly price below the band",
    method: "POST",
    path: () => "/v1/nodes",
    key: () => farmer.key,
    body: node({ pricePerSliceMonth: "1.1" }),
    status: 422,
    code: "PRICE_OUTSIDE_BAND",
    field: "pricePerSliceMonth",
    detail: "[1.2, 12] USD per slice-month",
  },
  {
    name: "node: hourly price above the band",
    method: "POST",
    path: () => "/v1/nodes",
    key: () => farmer.key,
    body: node({ pricePerSliceHour: "0.026" }),
    status: 422,
    code: "PRICE_OUTSIDE_BAND",
    field: "pricePerSliceHour",
    detail: "USD per slice-hour",
  },
  {
    name: "node: more slices than the node allows",
    method: "POST",
    path: () => "/v1/nodes",
    key: () => farmer.key,
    body: node({ sliceCount: 26 }),
    status: 422,
    field: "sliceCount",
  },
  {
    name: "node: memory not above the reserve",
    method: "POST",
    path: () => "/v1/nodes",
    key: () => farmer.key,
    body: node({
      catalogueId: undefined,
      hardwareCostUsd: "100",
      hardware: { cores: "4", passmark: "4000", memGb: "4", ssdGb: "100", maxSlices: 4 },
      sliceCount: 2,
    }),
    status: 422,
    field: "hardware.memGb",
  },
  {
    name: "node: hardware that is not a number",
    method: "POST",
    path: () => "/v1/nodes",
    key: () => farmer.key,
    body: node({
      catalogueId: undefined,
      hardwareCostUsd: "100",
      hardware: { cores: "four", passmark: "4000", memGb: "16", ssdGb: "100", maxSlices: 4 },
    }),
    status: 422,
    field: "hardware.cores",
  },
  {
    name: "node: price with too many decimals",
    method: "POST",
    path: () => "/v1/nodes",
    key: () => farmer.key,
    body: node({ pricePerSliceHour: "0.0100000001" }),
    status: 422,
    field: "pricePerSliceHour",
  },
  {
    name: "node: unknown field",
    method: "POST",
    path: () => "/v1/nodes",
    key: () => farmer.key,
    body: node({ colour: "red" }),
    status: 422,
    field: "colour",
  },
  {
    name: "node: payout account not the farmer's",
    method: "POST",
    path: () => "/v1/nodes",
    key: () => farmer.key,
    body: node({ payoutAccountId: "acc_demo_nobody" }),
    status: 422,
    field: "payoutAccountId",
  },
  {
    name: "price: hourly outside the band",
    method: "PUT",
    path: () => `/v1/nodes/${nodeId}/price`,
    key: () => farmer.key,
    body: { pricePerSliceMonth: "3", pricePerSliceHour: "0.003" },
    status: 422,
    code: "PRICE_OUTSIDE_BAND",
    field: "pricePerSliceHour",
    detail: "USD per slice-hour",
  },
  {
    name: "state: unknown",
    method: "PUT",
    path: () => `/v1/nodes/${nodeId}/state`,
    key: () => farmer.key,
    body: { state: "sleeping" },
    status: 422,
    field: "state",
  },
  {
    name: "lease: zero slices",
    method: "POST",
    path: () => "/v1/leases",
    key: () => user.key,
    body: { nodeId: "node_x", slices: 0, durationHours: 1 },
    idempotent: true,
    status: 422,
    field: "slices",
  },
  {
    name: "lease: no Idempotency-Key",
    method: "POST",
    path: () => "/v1/leases",
    key: () => user.key,
    body: { nodeId: "node_x", slices: 1, durationHours: 1 },
    status: 422,
    field: "header.idempotency-key",
  },
  {
    name: "lease: negative duration",
    method: "POST",
    path: () => "/v1/leases",
    key: () => user.key,
    body: { nodeId: "node_x", slices: 1, durationHours: -1 },
    idempotent: true,
    status: 422,
    field: "durationHours",
  },
  {
    name: "lease: unknown node",
    method: "POST",
    path: () => "/v1/leases",
    key: () => user.key,
    body: { nodeId: "node_doesnotexist", slices: 1, durationHours: 1 },
    idempotent: true,
    status: 404,
  },
  {
    name: "lease: more slices than the node has",
    method: "POST",
    path: () => "/v1/leases",
    key: () => user.key,
    body: { nodeId: "NODE", slices: 8, durationHours: 1 },
    idempotent: true,
    status: 422,
    field: "slices",
  },
  {
    name: "lease: someone else's account",
    method: "POST",
    path: () => "/v1/leases",
    key: () => user.key,
    body: { nodeId: "NODE", slices: 1, durationHours: 1, accountId: "OTHER" },
    idempotent: true,
    status: 422,
    field: "accountId",
  },
  {
    name: "lease: not enough CC to hold",
    method: "POST",
    path: () => "/v1/leases",
    key: () => poorUser.key,
    body: { nodeId: "NODE", slices: 1, durationHours: 10 },
    idempotent: true,
    status: 422,
    code: "INSUFFICIENT_FUNDS",
  },
  {
    name: "bid: price with 13 decimals",
    method: "POST",
    path: () => `/v1/nodes/${nodeId}/bids`,
    key: () => user.key,
    body: { slices: 1, priceCcPerSliceHour: "0.0000000000001" },
    idempotent: true,
    status: 422,
    field: "priceCcPerSliceHour",
  },
  {
    name: "bid: below the minimum",
    method: "POST",
    path: () => `/v1/nodes/${nodeId}/bids`,
    key: () => user.key,
    body: { slices: 1, priceCcPerSliceHour: "0.005" },
    idempotent: true,
    status: 422,
    code: "BID_BELOW_MINIMUM",
    field: "priceCcPerSliceHour",
  },
  {
    name: "bid: open too long",
    method: "POST",
    path: () => `/v1/nodes/${nodeId}/bids`,
    key: () => user.key,
    body: { slices: 1, priceCcPerSliceHour: "0.05", expiresInHours: 721 },
    idempotent: true,
    status: 422,
    field: "expiresInHours",
  },
  {
    name: "bid: not enough CC to hold",
    method: "POST",
    path: () => `/v1/nodes/${nodeId}/bids`,
    key: () => poorUser.key,
    body: { slices: 1, priceCcPerSliceHour: "0.05" },
    idempotent: true,
    status: 422,
    code: "INSUFFICIENT_FUNDS",
  },
  {
    name: "capacity request: negative budget",
    method: "POST",
    path: () => "/v1/capacity-requests",
    key: () => user.key,
    body: {
      slices: 1,
      requirements: {},
      durationHours: 1,
      maxPriceCcPerSliceHour: "1",
      budget: "-1",
      deadlineInHours: 1,
    },
    status: 422,
    field: "budget",
  },
  {
    name: "capacity request: unknown requirement",
    method: "POST",
    path: () => "/v1/capacity-requests",
    key: () => user.key,
    body: {
      slices: 1,
      requirements: { colourMin: "1" },
      durationHours: 1,
      maxPriceCcPerSliceHour: "1",
      budget: "1",
      deadlineInHours: 1,
    },
    status: 422,
    field: "requirements.colourMin",
  },
  {
    name: "listing: minimum with 4 decimals",
    method: "GET",
    path: () => "/v1/market/slices?minCores=1.2345",
    key: () => user.key,
    status: 422,
    field: "query.minCores",
  },
  {
    name: "listing: unknown sort",
    method: "GET",
    path: () => "/v1/market/slices?sort=colour",
    key: () => user.key,
    status: 422,
    field: "query.sort",
  },
  {
    name: "listing: forged cursor",
    method: "GET",
    path: () => "/v1/market/slices?cursor=abc",
    key: () => user.key,
    status: 422,
    field: "query.cursor",
  },
  {
    name: "earnings: from after to",
    method: "GET",
    path: () => `/v1/farmers/${farmer.ownerId}/earnings?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z`,
    key: () => farmer.key,
    status: 422,
    field: "query.from",
  },
  {
    name: "package: zero price",
    method: "PUT",
    path: () => "/v1/bid-packages/validation",
    key: () => admin.key,
    body: { name: "x", requirements: {}, priceCcPerSliceMonth: "0", slicesCommitted: 1 },
    status: 422,
    field: "priceCcPerSliceMonth",
  },
  {
    name: "commitment: zero slices",
    method: "POST",
    path: () => "/v1/bid-packages/standard-compute/commitments",
    key: () => farmer.key,
    body: { nodeId: "NODE", slices: 0 },
    idempotent: true,
    status: 422,
    field: "slices",
  },
];

function resolve(value: unknown): unknown {
  if (typeof value === "string") return value === "NODE" ? nodeId : value === "OTHER" ? otherAccount : value;
  if (Array.isArray(value) || typeof value !== "object" || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, resolve(inner)]));
}

describe("bad input", () => {
  it.each(cases)("$name", async (testCase) => {
    const before = await marketCounts();
    const response = await call<Problem>(testCase.method, testCase.path(), {
      key: testCase.key(),
      ...(testCase.body === undefined ? {} : { body: resolve(testCase.body) }),
      headers: testCase.idempotent ? { "idempotency-key": idempotencyKey("bad") } : {},
    });
    expect(response.status, JSON.stringify(response.body)).toBe(testCase.status);
    expect(response.headers.get("content-type")).toContain("application/problem+json");
    if (testCase.code) expect(response.body.code).toBe(testCase.code);
    if (testCase.field) expect(response.body.errors?.map((error) => error.field)).toContain(testCase.field);
    if (testCase.detail) expect(response.body.detail).toContain(testCase.detail);
    expect(await marketCounts()).toEqual(before);
    const [rich, poor] = await Promise.all(
      [user.accountId, poorUser.accountId].map((id) =>
        database().execute({ sql: "SELECT debits_pending FROM accounts WHERE id = ?", args: [id] }),
      ),
    );
    expect(Number(rich?.rows[0]?.debits_pending)).toBe(0);
    expect(Number(poor?.rows[0]?.debits_pending)).toBe(0);
  });
});
