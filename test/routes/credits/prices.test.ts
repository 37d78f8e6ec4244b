// Proves the price routes: latest prices with round, age and health for every role; bounded,
// bucketed history for gold, TFT and CC (gold ÷ 1000); one round with its quotes; and admin-only
// manual prices with a reason and a bounded expiry, recorded as rounds and in force until replaced.
import { beforeAll, describe, expect, it } from "vitest";
import type { Role } from "../../../src/kit/db/schema";
import { currentPeg, recordRound } from "../../../src/oracle/prices";
import { call, database, type Seeded, seedKey } from "../../support/harness";
import { hourMs, resetPrices, setPrices } from "./support";

type History = { kind: string; points: { start: string; open: string; close: string; rounds: number }[] };
type Round = {
  id: string;
  kind: string;
  priceUsd: string;
  source: string;
  reason: string;
  createdBy: string;
  expiresAt: string;
};

const roles: Role[] = ["admin", "user", "farmer", "lp", "oracle"];
let keys: Record<Role, Seeded>;

beforeAll(async () => {
  keys = Object.fromEntries(
    await Promise.all(roles.map(async (role) => [role, await seedKey(role)] as const)),
  ) as Record<Role, Seeded>;
});

describe("GET /v1/prices/latest", () => {
  it("shows gold, CC and TFT with their round, age and health to every role", async () => {
    await setPrices({ gold: "128", tft: "0.05" }, Date.now() - 20 * 60_000);
    for (const role of roles) {
      const response = await call("GET", "/v1/prices/latest", { key: keys[role].key });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        gold: { priceUsd: "128", source: "oracle" },
        tft: { priceUsd: "0.05", source: "oracle", health: "degraded" },
        cc: { priceUsd: "0.128", goldGramsPerCc: "0.001" },
        health: "degraded",
        mintingAvailable: true,
      });
    }
    expect((await call("GET", "/v1/prices/latest")).status).toBe(401);
  });

  it("says halted, with no prices, before any round", async () => {
    await resetPrices();
    const response = await call("GET", "/v1/prices/latest", { key: keys.user.key });
    expect(response.body).toMatchObject({
      gold: null,
      tft: null,
      cc: null,
      health: "halted",
      mintingAvailable: false,
    });
  });
});

describe("GET /v1/prices/history", () => {
  it("buckets accepted rounds per interval, with CC as gold ÷ 1000, skipping failed rounds", async () => {
    await resetPrices();
    const fromMs = Math.floor(Date.now() / hourMs) * hourMs - 5 * hourMs;
    const at = (minutes: number) => fromMs + minutes * 60_000;
    const db = database();
    await recordRound(db, { kind: "gold", priceUsd: "128", quorumMet: true, source: "oracle" }, at(10));
    await recordRound(db, { kind: "gold", priceUsd: "129.5", quorumMet: true, source: "oracle" }, at(40));
    await recordRound(db, { kind: "gold", priceUsd: null, quorumMet: false, source: "oracle" }, at(50));
    await recordRound(db, { kind: "gold", priceUsd: "130", quorumMet: true, source: "oracle" }, at(70));
    await recordRound(db, { kind: "tft", priceUsd: "0.0141", quorumMet: true, source: "oracle" }, at(130));
    const query = (kind: string) =>
      `/v1/prices/history?kind=${kind}&interval=1h&from=${new Date(fromMs).toISOString()}&to=${new Date(at(180)).toISOString()}`;
    const gold = await call<History>("GET", query("gold"), { key: keys.farmer.key });
    expect(gold.status).toBe(200);
    expect(gold.body.points).toEqual([
      { start: new Date(fromMs).toISOString(), open: "128", close: "129.5", rounds: 2 },
      { start: new Date(at(60)).toISOString(), open: "130", close: "130", rounds: 1 },
    ]);
    const cc = await call<History>("GET", query("cc"), { key: keys.farmer.key });
    expect(cc.body.points.map((point) => [point.open, point.close])).toEqual([
      ["0.128", "0.1295"],
      ["0.13", "0.13"],
    ]);
    const tft = await call<History>("GET", query("tft"), { key: keys.farmer.key });
    expect(tft.body.points).toEqual([
      { start: new Date(at(120)).toISOString(), open: "0.0141", close: "0.0141", rounds: 1 },
    ]);
    const defaults = await call<History>("GET", "/v1/prices/history?kind=gold", { key: keys.user.key });
    expect(defaults.status).toBe(200);
    expect(defaults.body.points.length).toBeGreaterThan(0);
  });

  it("bounds the request: at most 500 intervals, from before to, a known kind and interval", async () => {
    const to = new Date();
    const threeDaysAgo = new Date(to.getTime() - 3 * 24 * hourMs).toISOString();
    const tooMany = await call("GET", `/v1/prices/history?kind=gold&interval=5m&from=${threeDaysAgo}`, {
      key: keys.user.key,
    });
    expect(tooMany.status).toBe(422);
    expect(tooMany.body).toMatchObject({ code: "VALIDATION_FAILED" });
    const reversed = await call(
      "GET",
      `/v1/prices/history?kind=gold&from=${to.toISOString()}&to=${threeDaysAgo}`,
      { key: keys.user.key },
    );
    expect(reversed.status).toBe(422);
    expect((await call("GET", "/v1/prices/history?kind=silver", { key: keys.user.key })).status).toBe(422);
    expect(
      (await call("GET", "/v1/prices/history?kind=gold&interval=2m", { key: keys.user.key })).status,
    ).toBe(422);
    expect((await call("GET", "/v1/prices/history", { key: keys.user.key })).status).toBe(422);
  });
});

describe("POST /v1/prices/manual", () => {
  const inAnHour = () => new Date(Date.now() + hourMs).toISOString();

  it("records an admin's price with its reason and expiry; it is in force (healthy) until replaced", async () => {
    await setPrices({ gold: "128", tft: "0.05" }, Date.now() - 2 * hourMs); // halted
    const response = await call<Round>("POST", "/v1/prices/manual", {
      key: keys.admin.key,
      body: {
        kind: "tft",
        priceUsd: "0.0150",
        reason: "both TFT sources down since 09:00 UTC",
        expiresAt: inAnHour(),
      },
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      kind: "tft",
      priceUsd: "0.015",
      source: "manual",
      reason: "both TFT sources down since 09:00 UTC",
      createdBy: keys.admin.ownerId,
    });
    const round = await call<Round & { quotes: unknown[] }>("GET", `/v1/prices/rounds/${response.body.id}`, {
      key: keys.lp.key,
    });
    expect(round.body).toMatchObject({ id: response.body.id, quorumMet: true, quotes: [] });
    const latest = await call("GET", "/v1/prices/latest", { key: keys.user.key });
    expect(latest.body).toMatchObject({ tft: { priceUsd: "0.015", source: "manual", health: "healthy" } });
    // After its expiry it no longer applies: the older oracle price (halted) is what remains.
    const afterExpiry = await currentPeg(database(), Date.parse(response.body.expiresAt) + 1);
    expect(afterExpiry.tft?.source).toBe("oracle");
  });

  it("is admin-only and bounds the expiry and the price", async () => {
    for (const role of ["user", "farmer", "lp", "oracle"] as const) {
      const response = await call("POST", "/v1/prices/manual", {
        key: keys[role].key,
        body: { kind: "gold", priceUsd: "128", reason: "test", expiresAt: inAnHour() },
      });
      expect(response.status).toBe(403);
    }
    const cases = [
      { kind: "gold", priceUsd: "128", reason: "past", expiresAt: new Date(Date.now() - 1000).toISOString() },
      {
        kind: "gold",
        priceUsd: "128",
        reason: "too far",
        expiresAt: new Date(Date.now() + 8 * 24 * hourMs).toISOString(),
      },
      { kind: "gold", priceUsd: "5", reason: "implausible gold", expiresAt: inAnHour() },
      { kind: "tft", priceUsd: "1000", reason: "implausible tft", expiresAt: inAnHour() },
      { kind: "gold", priceUsd: "128", reason: "", expiresAt: inAnHour() },
      { kind: "gold", priceUsd: "-1", reason: "negative", expiresAt: inAnHour() },
      { kind: "silver", priceUsd: "1", reason: "kind", expiresAt: inAnHour() },
    ];
    for (const body of cases) {
      const response = await call("POST", "/v1/prices/manual", { key: keys.admin.key, body });
      expect(response.status).toBe(422);
    }
  });

  it("an unknown round is 404", async () => {
    const response = await call("GET", "/v1/prices/rounds/prc_doesnotexist", { key: keys.user.key });
    expect(response.status).toBe(404);
  });
});

describe("the OpenAPI document", () => {
  it("lists every Cloud Credits route", async () => {
    const response = await call<{ paths: Record<string, unknown> }>("GET", "/openapi.json");
    expect(Object.keys(response.body.paths)).toEqual(
      expect.arrayContaining([
        "/v1/prices/latest",
        "/v1/prices/history",
        "/v1/prices/rounds/{id}",
        "/v1/prices/manual",
        "/v1/credits/checkout",
        "/v1/credits/checkout/{id}",
        "/v1/conversions/quotes",
        "/v1/conversions",
        "/v1/withdrawals",
        "/v1/withdrawals/{id}",
        "/v1/webhooks/stripe",
        "/v1/webhooks/tft-bridge",
      ]),
    );
  });
});
