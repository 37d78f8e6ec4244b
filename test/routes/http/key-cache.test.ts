// Proves the API-key cache keeps its documented bounds: a known key and an unknown key cost no database round trip once verified in this isolate; a key revoked or rotated through the API stops working here at once; a key revoked behind this isolate's back (as a revocation made in another isolate looks from here) stops working once apiKeyCacheTtlMs has passed, never later; expiry is checked at every use.
import { describe, expect, it } from "vitest";
import { apiKeyCacheTtlMs } from "../../../src/kit/auth";
import { dayMs, shiftClock } from "../../../src/kit/clock";
import { databaseRoundTrips } from "../../../src/kit/db/client";
import { call, database, seedKey } from "../../support/harness";

/** Status and database round trips of one authenticated read. */
async function whoAmI(key: string) {
  const before = databaseRoundTrips();
  const response = await call("GET", "/v1/prices/latest", { key });
  return { status: response.status, trips: databaseRoundTrips() - before };
}

/** Status of one call that only authenticates (the route's own reads are not counted here). */
async function authStatus(key: string): Promise<number> {
  return (await call("GET", "/v1/prices/latest", { key })).status;
}

describe("the API-key cache", () => {
  it("verifies a known key and refuses an unknown one without asking the database again", async () => {
    const user = await seedKey("user");
    const first = await whoAmI(user.key);
    const again = await whoAmI(user.key);
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.trips).toBe(first.trips - 1);

    const unknown = `tfm_${"A".repeat(12)}_${"b".repeat(32)}`;
    const before = databaseRoundTrips();
    expect(await authStatus(unknown)).toBe(401);
    expect(databaseRoundTrips() - before).toBe(1);
    const cached = databaseRoundTrips();
    expect(await authStatus(unknown)).toBe(401);
    expect(databaseRoundTrips() - cached).toBe(0);
  });

  it("stops a key revoked through the API at once", async () => {
    const admin = await seedKey("admin");
    const user = await seedKey("user");
    expect(await authStatus(user.key)).toBe(200);
    expect((await call("DELETE", `/v1/keys/${user.keyId}`, { key: admin.key })).status).toBe(200);
    expect(await authStatus(user.key)).toBe(401);
  });

  it("stops a key rotated through the API with no grace at once, and its successor works", async () => {
    const admin = await seedKey("admin");
    const user = await seedKey("user");
    expect(await authStatus(user.key)).toBe(200);
    const rotated = await call<{ key: { key: string } }>("POST", `/v1/keys/${user.keyId}/rotate`, {
      key: admin.key,
      body: { graceSeconds: 0 },
    });
    expect(rotated.status).toBe(201);
    expect(await authStatus(user.key)).toBe(401);
    expect(await authStatus(rotated.body.key.key)).toBe(200);
  });

  it("stops a key revoked behind this isolate's back within the cache TTL", async () => {
    const user = await seedKey("user");
    expect(await authStatus(user.key)).toBe(200);
    await database().execute({ sql: "UPDATE api_keys SET revoked_at = 0 WHERE id = ?", args: [user.keyId] });
    // Still trusted from the cache just before the TTL ends…
    shiftClock(apiKeyCacheTtlMs - 1_000);
    expect(await authStatus(user.key)).toBe(200);
    // …and refused once it has passed.
    shiftClock(1_000);
    expect(await authStatus(user.key)).toBe(401);
  });

  it("checks expiry at every use, cached or not", async () => {
    const admin = await seedKey("admin");
    const created = await call<{ id: string; key: string }>("POST", "/v1/keys", {
      key: admin.key,
      body: { ownerId: "usr_expiring0001", role: "user", name: "expiring", expiresInDays: 1 },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(await authStatus(created.body.key)).toBe(200);
    shiftClock(dayMs);
    expect(await authStatus(created.body.key)).toBe(401);
  });
});
