// Proves that every free-text field of every route refuses NUL, other control characters,
// bidirectional overrides and over-long text with a 422 naming the field, and writes nothing.
import { beforeAll, describe, expect, it } from "vitest";
import { call, database, type Seeded, seedKey } from "../../support/harness";

let admin: Seeded;
let farmer: Seeded;

beforeAll(async () => {
  admin = await seedKey("admin");
  farmer = await seedKey("farmer");
});

type TextRoute = {
  name: string;
  method: string;
  path: string;
  role: "admin" | "farmer";
  field: string;
  /** The longest text the field accepts, in UTF-16 code units. */
  maxChars: number;
  body: (text: string) => Record<string, unknown>;
  /** Value-moving routes need an Idempotency-Key. */
  idempotent?: boolean;
};

const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

const routes: TextRoute[] = [
  {
    name: "account name",
    method: "POST",
    path: "/v1/accounts",
    role: "admin",
    field: "name",
    maxChars: 120,
    body: (text) => ({ ownerId: "usr_text", asset: "CC", kind: "user", name: text }),
  },
  {
    name: "key name",
    method: "POST",
    path: "/v1/keys",
    role: "admin",
    field: "name",
    maxChars: 120,
    body: (text) => ({ ownerId: "usr_text", role: "user", name: text }),
  },
  {
    name: "node name",
    method: "POST",
    path: "/v1/nodes",
    role: "farmer",
    field: "name",
    maxChars: 120,
    body: (text) => ({
      name: text,
      catalogueId: "3node-home",
      region: "text-test",
      sliceCount: 7,
      pricePerSliceMonth: "6",
      pricePerSliceHour: "0.01",
    }),
  },
  {
    name: "bid package name",
    method: "PUT",
    path: "/v1/bid-packages/text-test",
    role: "admin",
    field: "name",
    maxChars: 120,
    body: (text) => ({ name: text, requirements: {}, priceCcPerSliceMonth: "1.2", slicesCommitted: 1 }),
  },
  {
    name: "pool name",
    method: "POST",
    path: "/v1/pools",
    role: "admin",
    field: "name",
    maxChars: 120,
    body: (text) => ({ name: text }),
  },
  {
    name: "manual price reason",
    method: "POST",
    path: "/v1/prices/manual",
    role: "admin",
    field: "reason",
    maxChars: 500,
    body: (text) => ({ kind: "gold", priceUsd: "128", reason: text, expiresAt: inAnHour() }),
  },
  {
    name: "transfer pendingId",
    method: "POST",
    path: "/v1/transfers",
    role: "admin",
    field: "transfers.0.pendingId",
    maxChars: 128,
    body: (text) => ({ transfers: [{ type: "void_pending", pendingId: text, code: "manual_adjustment" }] }),
    idempotent: true,
  },
];

const badTexts: { name: string; text: (maxChars: number) => string }[] = [
  { name: "NUL", text: () => "bad\u0000name" },
  { name: "bell (U+0007)", text: () => "bad\u0007name" },
  { name: "C1 control (U+0085)", text: () => "bad\u0085name" },
  { name: "right-to-left override (U+202E)", text: () => "bad\u202Ename" },
  { name: "first strong isolate (U+2068)", text: () => "bad\u2068name" },
  { name: "one character too long", text: (maxChars) => "x".repeat(maxChars + 1) },
];

/** Row counts of every table these routes write to. */
async function counts(): Promise<Record<string, number>> {
  const tables = ["accounts", "api_keys", "nodes", "bid_packages", "pools", "price_rounds", "transfers"];
  const result = await database().execute(
    `SELECT ${tables.map((table) => `(SELECT count(*) FROM ${table}) AS ${table}`).join(", ")}`,
  );
  const row = result.rows[0]!;
  return Object.fromEntries(Object.entries(row).map(([name, value]) => [name, Number(value)]));
}

describe("free text", () => {
  for (const route of routes) {
    for (const bad of badTexts) {
      it(`${route.name}: ${bad.name} → 422 naming ${route.field}, nothing written`, async () => {
        const before = await counts();
        const key = route.role === "admin" ? admin.key : farmer.key;
        const response = await call<{ code: string; errors?: { field: string }[] }>(
          route.method,
          route.path,
          {
            key,
            body: route.body(bad.text(route.maxChars)),
            ...(route.idempotent ? { headers: { "idempotency-key": `text-${crypto.randomUUID()}` } } : {}),
          },
        );
        expect(response.status, JSON.stringify(response.body)).toBe(422);
        expect(response.body.code).toBe("VALIDATION_FAILED");
        expect(response.body.errors?.map((error) => error.field)).toContain(route.field);
        expect(await counts()).toEqual(before);
      });
    }
  }

  it("accepts ordinary text with accents, symbols and emoji up to the limit", async () => {
    const response = await call("POST", "/v1/pools", {
      key: admin.key,
      body: { name: `Pool ↔ café 🚀 ${"x".repeat(120 - 15)}` },
    });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
  });
});
