// Proves node registration and pricing (slices and bands from the spec's formulas, prices shown in USD and in CC at the live peg, a new price for new leases only, the monthly rate for leases of a month or more), node state, heartbeats and the 30-day reliability score, the market listing's filters, sorts and cursor pagination, and that the OpenAPI document lists every marketplace route.

import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { runMarketCron } from "../../../src/market/flows/upkeep";
import {
  balances,
  call,
  database,
  type Seeded,
  seedKey,
  tableCounts,
  withoutPrice,
} from "../../support/harness";
import { ccMinor, fundedUser, hourMs, registerNode, reserve, setPeg, settle, shift } from "./support";

let farmer: Seeded;

type NodeJson = {
  id: string;
  region: string;
  certified: boolean;
  state: string;
  freeSlices: number;
  reliability: string;
  slice: { cores: string; memGb: string; passmark: string; aiGb: string };
  band: {
    minPerSliceMonth: string;
    maxPerSliceMonth: string;
    minPerSliceHour: string;
    maxPerSliceHour: string;
  };
  prices: {
    currency: string;
    perSliceMonth: string;
    perSliceHour: string;
    inCc: { perSliceMonth: string; perSliceHour: string; ccUsd: string | null } | null;
    minBidCcPerSliceHour: string;
  };
};

beforeAll(async () => {
  await setPeg();
  farmer = await seedKey("farmer");
});

describe("registration and prices", () => {
  it("slices a catalogue node, derives its band and shows prices in USD and CC", async () => {
    const node = (await registerNode(farmer, {
      catalogueId: "large-tfgrid-node",
      sliceCount: 20,
      pricePerSliceMonth: "10",
      pricePerSliceHour: "0.05",
    })) as unknown as NodeJson;
    expect(node.slice).toMatchObject({ cores: "1.8", passmark: "1000", memGb: "25.4" });
    expect(node.band).toMatchObject({ minPerSliceMonth: "7.62", maxPerSliceMonth: "76.2" });
    expect(Number(node.band.minPerSliceHour)).toBeCloseTo(0.021167, 5);
    expect(Number(node.band.maxPerSliceHour)).toBeCloseTo(0.15875, 5);
    expect(node.prices).toMatchObject({
      currency: "USD",
      perSliceMonth: "10",
      perSliceHour: "0.05",
      inCc: { perSliceMonth: "78.125", perSliceHour: "0.390625", ccUsd: "0.128" },
    });
    expect(node.freeSlices).toBe(20);
    // The answer is the node as it now reads (the route builds it without reading it back).
    expect((await call<NodeJson>("GET", `/v1/nodes/${node.id}`)).body).toEqual(node);
    const payout = await database().execute({
      sql: "SELECT a.kind, a.owner_id FROM nodes n JOIN accounts a ON a.id = n.payout_account_id WHERE n.id = ?",
      args: [node.id],
    });
    expect(payout.rows[0]).toMatchObject({ kind: "farmer", owner_id: farmer.ownerId });
  });

  it("registers custom AI hardware on the fixed band and defaults the minimum bid to the band's hourly floor in CC", async () => {
    const response = await call<NodeJson>("POST", "/v1/nodes", {
      key: farmer.key,
      body: {
        name: "gpu box",
        hardware: {
          cores: "24",
          passmark: "35000",
          memGb: "128",
          ssdGb: "4000",
          aiGb: "96",
          tps: "350",
          maxSlices: 1,
        },
        hardwareCostUsd: "15000",
        certified: true,
        region: "us-east",
        sliceCount: 1,
        pricePerSliceMonth: "500",
        pricePerSliceHour: "1",
      },
    });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    expect(response.body.band).toMatchObject({ minPerSliceMonth: "300", maxPerSliceMonth: "3000" });
    // 300 × 2 / 720 = 0.8333… USD per hour, / 0.128 = 6.5104166… CC, rounded up to 6 decimals.
    expect(response.body.prices.minBidCcPerSliceHour).toBe("6.510417");
  });

  it("rounds every figure to its unit at the response (slices down, band inward, CC prices to 6 decimals) and accepts the shown band's ends", async () => {
    // 16 cores, 22,000 Passmark, 32 GB (4 reserved) and 1,000 GB SSD in 7 slices: 2.2857… cores,
    // 3,142.857… points, 4 GB, 142.857… GB; band 1.2–12 USD a month, 0.003333…–0.025 an hour.
    const hardware = { cores: "16", passmark: "22000", memGb: "32", ssdGb: "1000", maxSlices: 25 };
    const registered = await call<NodeJson>("POST", "/v1/nodes", {
      key: farmer.key,
      body: {
        name: "odd slices",
        hardware,
        hardwareCostUsd: "500",
        region: "eu-west",
        sliceCount: 7,
        pricePerSliceMonth: "3",
        pricePerSliceHour: "0.01",
      },
    });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    const node = registered.body;
    expect(node.slice).toEqual({
      cores: "2.285",
      passmark: "3142",
      memGb: "4",
      ssdGb: "142.85",
      aiGb: "0",
      tps: "0",
    });
    expect(node.band).toMatchObject({
      minPerSliceMonth: "1.2",
      maxPerSliceMonth: "12",
      minPerSliceHour: "0.003334",
      maxPerSliceHour: "0.025",
    });
    // 3 / 0.128 and 0.01 / 0.128 CC; the default minimum bid 0.003333… / 0.128 rounded up.
    expect(node.prices.inCc).toEqual({ perSliceMonth: "23.4375", perSliceHour: "0.078125", ccUsd: "0.128" });
    expect(node.prices.minBidCcPerSliceHour).toBe("0.026042");
    const decimalsOf = (text: string) => text.split(".")[1]?.length ?? 0;
    for (const text of [
      ...Object.values(node.slice),
      node.band.minPerSliceHour,
      node.prices.minBidCcPerSliceHour,
    ]) {
      expect(decimalsOf(text)).toBeLessThanOrEqual(6);
    }
    // The listing and the node's page show the same figures.
    const listed = await call<{ data: NodeJson[]; prepaidHours: number }>(
      "GET",
      `/v1/market/slices?region=eu-west&limit=200&minCores=2.285`,
    );
    expect(listed.body.data.find((row) => row.id === node.id)).toEqual(node);
    // What a new lease or bid holds up front, for a page to show before it orders.
    expect(listed.body.prepaidHours).toBe(Number(env.MARKET_PREPAID_HOURS));
    // Prices at the shown band's ends are inside the real band.
    for (const [month, hour] of [
      [node.band.minPerSliceMonth, node.band.minPerSliceHour],
      [node.band.maxPerSliceMonth, node.band.maxPerSliceHour],
    ]) {
      const priced = await call<NodeJson>("PUT", `/v1/nodes/${node.id}/price`, {
        key: farmer.key,
        body: { pricePerSliceMonth: month, pricePerSliceHour: hour },
      });
      expect(priced.status, JSON.stringify(priced.body)).toBe(200);
    }
  });

  it("fixes a lease's CC price at its start: hourly for short leases, monthly ÷ 720 for a month or more", async () => {
    const node = await registerNode(farmer);
    const user = await fundedUser(500n * ccMinor);
    const short = await reserve(user, node.id, 1, 24);
    expect(short.body).toMatchObject({
      priceCcPerSliceHour: "0.078125",
      quoted: { price: "0.01", currency: "USD", ccUsd: "0.128" },
    });
    const month = await reserve(user, node.id, 1, 720);
    // 3 USD per month / 720 / 0.128 = 0.0325520833… CC per slice-hour, rounded down.
    expect(month.body.priceCcPerSliceHour).toBe("0.032552083333");
    const changed = await call<NodeJson>("PUT", `/v1/nodes/${node.id}/price`, {
      key: farmer.key,
      body: { pricePerSliceMonth: "6", pricePerSliceHour: "0.02" },
    });
    expect(changed.status).toBe(200);
    expect(changed.body.prices.inCc?.perSliceHour).toBe("0.15625");
    // The answer is the node as it now reads (the route builds it without reading it back).
    expect((await call<NodeJson>("GET", `/v1/nodes/${node.id}`)).body).toEqual(changed.body);
    const before = await call<{ priceCcPerSliceHour: string }>("GET", `/v1/leases/${short.body.id}`, {
      key: user.key,
    });
    expect(before.body.priceCcPerSliceHour).toBe("0.078125");
    const after = await reserve(user, node.id, 1, null);
    expect(after.body.priceCcPerSliceHour).toBe("0.15625");
  });
});

describe("state and reliability", () => {
  it("pauses leases while a node is offline and shows its state in the listing", async () => {
    const node = await registerNode(farmer, { region: `state-${Date.now()}` });
    const user = await fundedUser(50n * ccMinor);
    const lease = await reserve(user, node.id, 2, null);
    const offline = await call<NodeJson>("PUT", `/v1/nodes/${node.id}/state`, {
      key: farmer.key,
      body: { state: "offline" },
    });
    expect(offline.body.state).toBe("offline");
    const paused = await call<{ status: string; pausedReason: string }>(
      "GET",
      `/v1/leases/${lease.body.id}`,
      { key: user.key },
    );
    expect(paused.body).toMatchObject({ status: "paused", pausedReason: "node_offline" });
    const listed = await call<{ data: NodeJson[] }>("GET", `/v1/market/slices?region=${node.region}`);
    expect(listed.body.data).toHaveLength(0);
    const offlineListing = await call<{ data: NodeJson[] }>(
      "GET",
      `/v1/market/slices?region=${node.region}&state=offline`,
    );
    expect(offlineListing.body.data.map((item) => item.id)).toEqual([node.id]);
    await call("PUT", `/v1/nodes/${node.id}/state`, { key: farmer.key, body: { state: "online" } });
    const resumed = await call<{ status: string }>("GET", `/v1/leases/${lease.body.id}`, { key: user.key });
    expect(resumed.body.status).toBe("running");
  });

  it("scores uptime over the last 30 days from hourly heartbeats", async () => {
    const node = await registerNode(farmer);
    const beat = await call<{ reliability: string }>("POST", `/v1/nodes/${node.id}/heartbeat`, {
      key: farmer.key,
    });
    expect(beat.status).toBe(200);
    expect(beat.body.reliability).toBe("1.0000");
    // The node was registered 10 hours ago and was seen in 5 of those hours and this one.
    const nowMs = Date.now();
    const hour = Math.floor(nowMs / hourMs);
    const db = database();
    await db.execute({
      sql: "UPDATE nodes SET created_at = ? WHERE id = ?",
      args: [nowMs - 10 * hourMs, node.id],
    });
    for (const ago of [2, 4, 6, 8, 10]) {
      await db.execute({
        sql: "INSERT OR IGNORE INTO node_uptime (node_id, hour) VALUES (?, ?)",
        args: [node.id, hour - ago],
      });
    }
    await db.execute({ sql: "DELETE FROM market_cron_state WHERE name = 'reliability_hour'" });
    const report = await runMarketCron(env, nowMs);
    expect(report.reliability).toMatchObject({ pruned: expect.any(Number) });
    const after = await call<NodeJson>("GET", `/v1/nodes/${node.id}`);
    // 6 hours seen out of 10 completed hours and the current (seen) one.
    expect(after.body.reliability).toBe((Math.floor((6 * 10_000) / 11) / 10_000).toFixed(4));
    const listed = await call<{ data: NodeJson[] }>(
      "GET",
      `/v1/market/slices?minReliability=0.9&region=${node.region}&limit=200`,
    );
    expect(listed.body.data.map((item) => item.id)).not.toContain(node.id);
    expect((await runMarketCron(env, nowMs)).reliability).toBe("already done this hour");
  });
});

describe("market listing", () => {
  let region: string;
  let ids: Record<string, string>;

  beforeAll(async () => {
    region = `listing-${Date.now()}`;
    const made = {
      small: await registerNode(farmer, { region, pricePerSliceHour: "0.02" }),
      large: await registerNode(farmer, {
        region,
        catalogueId: "large-tfgrid-node",
        sliceCount: 20,
        pricePerSliceMonth: "10",
        pricePerSliceHour: "0.03",
      }),
      mini: await registerNode(farmer, {
        region,
        catalogueId: "mini-3",
        sliceCount: 25,
        pricePerSliceMonth: "5",
        pricePerSliceHour: "0.01",
      }),
      gpu: await registerNode(farmer, {
        region,
        catalogueId: "nvidia-6000-1x",
        sliceCount: 1,
        pricePerSliceMonth: "400",
        pricePerSliceHour: "1",
      }),
    };
    ids = Object.fromEntries(Object.entries(made).map(([name, node]) => [name, node.id]));
  });

  const list = async (query: string) => {
    const response = await call<{ data: NodeJson[]; nextCursor: string | null }>(
      "GET",
      `/v1/market/slices?region=${region}&${query}`,
    );
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return response.body;
  };

  it("sorts by price, both ways, and by memory", async () => {
    expect((await list("sort=price")).data.map((node) => node.id)).toEqual([
      ids.mini,
      ids.small,
      ids.large,
      ids.gpu,
    ]);
    expect((await list("sort=-price")).data.map((node) => node.id)).toEqual([
      ids.gpu,
      ids.large,
      ids.small,
      ids.mini,
    ]);
    expect((await list("sort=memory")).data.map((node) => node.id)).toEqual([
      ids.gpu,
      ids.large,
      ids.mini,
      ids.small,
    ]);
  });

  it("filters by resources, GPU, certification and price (in USD or CC)", async () => {
    expect((await list("minMemGb=5")).data.map((node) => node.id).sort()).toEqual(
      [ids.large, ids.gpu].sort(),
    );
    expect((await list("minMemGb=4.96")).data).toHaveLength(3);
    expect((await list("gpu=true")).data.map((node) => node.id)).toEqual([ids.gpu]);
    expect((await list("gpu=false&certified=false")).data).toHaveLength(3);
    expect((await list("certified=true")).data.map((node) => node.id)).toEqual([ids.gpu]);
    expect((await list("maxPricePerSliceHour=0.02")).data.map((node) => node.id)).toEqual([
      ids.mini,
      ids.small,
    ]);
    // 0.15625 CC × 0.128 = 0.02 USD.
    expect((await list("maxPriceCcPerSliceHour=0.15625")).data.map((node) => node.id)).toEqual([
      ids.mini,
      ids.small,
    ]);
    expect((await list("minCores=2&minPassmark=2000")).data.map((node) => node.id).sort()).toEqual(
      [ids.small, ids.gpu].sort(),
    );
  });

  it("pages with a cursor and hides nodes without enough free slices", async () => {
    const first = await list("sort=price&limit=3");
    expect(first.data).toHaveLength(3);
    expect(first.nextCursor).not.toBeNull();
    const second = await list(`sort=price&limit=3&cursor=${encodeURIComponent(first.nextCursor!)}`);
    expect(second.data.map((node) => node.id)).toEqual([ids.gpu]);
    expect(second.nextCursor).toBeNull();
    const user = await fundedUser(500n * ccMinor);
    expect((await reserve(user, ids.gpu!, 1, 1)).status).toBe(201);
    expect((await list("sort=price")).data.map((node) => node.id)).not.toContain(ids.gpu);
    expect((await list("minFreeSlices=20")).data.map((node) => node.id).sort()).toEqual(
      [ids.large, ids.mini].sort(),
    );
  });
});

describe("OpenAPI", () => {
  it("documents every marketplace route", async () => {
    const response = await call<{ paths: Record<string, Record<string, unknown>> }>("GET", "/openapi.json");
    expect(response.status).toBe(200);
    const documented = Object.entries(response.body.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented).toEqual(
      expect.arrayContaining([
        "POST /v1/nodes",
        "GET /v1/nodes/{id}",
        "PUT /v1/nodes/{id}/price",
        "PUT /v1/nodes/{id}/state",
        "POST /v1/nodes/{id}/heartbeat",
        "GET /v1/nodes/{id}/bids",
        "POST /v1/nodes/{id}/bids",
        "POST /v1/nodes/{id}/bids/{bidId}/accept",
        "POST /v1/nodes/{id}/bids/{bidId}/reject",
        "DELETE /v1/nodes/{id}/bids/{bidId}",
        "GET /v1/market/slices",
        "POST /v1/leases",
        "GET /v1/leases/{id}",
        "DELETE /v1/leases/{id}",
        "GET /v1/leases/{id}/events",
        "POST /v1/capacity-requests",
        "GET /v1/capacity-requests",
        "GET /v1/capacity-requests/{id}",
        "POST /v1/capacity-requests/{id}/offers",
        "POST /v1/capacity-requests/{id}/accept",
        "GET /v1/bid-packages",
        "PUT /v1/bid-packages/{id}",
        "POST /v1/bid-packages/{id}/commitments",
        "GET /v1/farmers/{id}/earnings",
        "GET /v1/farmers/{id}/nodes",
      ]),
    );
  });
});

describe("without a gold price", () => {
  it("refuses to price a USD-listed reservation with 503 and writes nothing, and shows no CC prices", async () => {
    const node = await registerNode(farmer);
    const user = await fundedUser(50n * ccMinor);
    const before = await tableCounts();
    const { refused, shown } = await withoutPrice("gold", async () => ({
      refused: await reserve(user, node.id, 1, null),
      shown: await call<NodeJson>("GET", `/v1/nodes/${node.id}`),
    }));
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ code: "ORACLE_HALTED", status: 503 });
    expect(shown.body.prices.inCc).toBeNull();
    expect(await tableCounts()).toEqual(before);
    const leases = await database().execute({
      sql: "SELECT count(*) AS n FROM leases WHERE node_id = ?",
      args: [node.id],
    });
    expect(Number(leases.rows[0]?.n)).toBe(0);
    expect(await balances(user.accountId)).toEqual({
      posted: 50n * ccMinor,
      available: 50n * ccMinor,
      pendingDebits: 0n,
    });
    // With the price back, the same request succeeds.
    expect((await reserve(user, node.id, 1, null)).status).toBe(201);
  });
});

describe("GET /v1/farmers/{id}/nodes", () => {
  it("pages through the farmer's own nodes, and only the farmer's", async () => {
    const owner = await seedKey("farmer");
    const registered = [];
    for (let index = 0; index < 3; index++) registered.push((await registerNode(owner)).id);
    const first = await call<{ data: NodeJson[]; nextCursor: string | null }>(
      "GET",
      `/v1/farmers/${owner.ownerId}/nodes?limit=2`,
      { key: owner.key },
    );
    expect(first.status).toBe(200);
    expect(first.body.data).toHaveLength(2);
    expect(first.body.nextCursor).toBe(first.body.data[1]!.id);
    const second = await call<{ data: NodeJson[]; nextCursor: string | null }>(
      "GET",
      `/v1/farmers/${owner.ownerId}/nodes?limit=2&cursor=${first.body.nextCursor}`,
      { key: owner.key },
    );
    expect(second.body.nextCursor).toBeNull();
    const listed = [...first.body.data, ...second.body.data];
    expect(listed.map((node) => node.id)).toEqual([...registered].sort());
    expect(listed[0]).toMatchObject({ state: "online", prices: { currency: "USD" } });
    const admin = await seedKey("admin");
    const asAdmin = await call<{ data: NodeJson[] }>("GET", `/v1/farmers/${owner.ownerId}/nodes`, {
      key: admin.key,
    });
    expect(asAdmin.body.data.map((node) => node.id)).toEqual([...registered].sort());
    expect((await call("GET", `/v1/farmers/${owner.ownerId}/nodes`, { key: farmer.key })).status).toBe(403);
    const badCursor = await call<{ errors: { field: string }[] }>(
      "GET",
      `/v1/farmers/${owner.ownerId}/nodes?cursor=nope`,
      { key: owner.key },
    );
    expect(badCursor.status).toBe(422);
    expect(badCursor.body.errors.map((error) => error.field)).toContain("query.cursor");
    const tooMany = await call("GET", `/v1/farmers/${owner.ownerId}/nodes?limit=201`, { key: owner.key });
    expect(tooMany.status).toBe(422);
  });
});

// Last in the file: it moves the shared clock, which the reliability scores above read.
describe("lease events", () => {
  it("carry structured details with ISO 8601 times, and no epoch milliseconds in their sentences", async () => {
    const node = await registerNode(farmer);
    const user = await fundedUser(100n * ccMinor);
    const lease = await reserve(user, node.id, 1, 24);
    expect(lease.status, JSON.stringify(lease.body)).toBe(201);
    shift(hourMs + 60_000);
    expect(await settle(node.id)).toBeGreaterThanOrEqual(1);
    const response = await call<{
      data: { type: string; at: string; detail: string; details: Record<string, unknown> }[];
    }>("GET", `/v1/leases/${lease.body.id}/events?limit=200`, { key: user.key });
    expect(response.status).toBe(200);
    const events = response.body.data;
    const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
    const started = events.find((event) => event.type === "started");
    expect(started?.details).toEqual({
      kind: "onDemand",
      slices: 1,
      priceCcPerSliceHour: "0.078125",
      endsAt: new Date(Date.parse(started?.at ?? "") + 24 * hourMs).toISOString(),
    });
    expect(events.find((event) => event.type === "hold_placed")?.details).toMatchObject({
      amountCc: expect.stringMatching(/^[0-9]+(\.[0-9]{1,6})?$/),
      accountId: user.accountId,
      holdId: expect.stringMatching(/^hold_/),
    });
    const settled = events.find((event) => event.type === "settled");
    expect(settled?.details).toMatchObject({
      settlementId: expect.stringMatching(/^stl_/),
      periodStartAt: expect.stringMatching(iso),
      periodEndAt: expect.stringMatching(iso),
      chargedCc: "0.078125",
      alreadySettled: false,
    });
    for (const event of events) {
      expect(event.at).toMatch(iso);
      // Ids are random hex and may hold a run of digits: only the sentence around them is checked.
      const sentence = event.detail.replace(/\b[a-z]+_[A-Za-z0-9_]+/g, "<id>");
      expect(sentence, event.type).not.toMatch(/\d{12,}/);
      for (const [key, value] of Object.entries(event.details)) {
        expect(key, event.type).not.toMatch(/Ms$/);
        if (key.endsWith("At") && value !== null) expect(value, `${event.type}.${key}`).toMatch(iso);
      }
    }
  });
});
