// Proves that a key is rotated at most once however many rotations race: of 16 parallel
// rotations exactly one answers 201 and the rest 409 CONFLICT, exactly one successor key exists
// and authenticates, and the old key keeps working through its grace period only.
import { describe, expect, it } from "vitest";
import { call, database, expectAuditClean, seedKey } from "../../support/harness";

const parallelRotations = 16;

type Rotated = { key: { id: string; key: string; rotatedFromId: string }; previous: { revokedAt: string } };

describe("rotating one key concurrently", () => {
  it("lets one rotation win and answers 409 to the others", async () => {
    const admin = await seedKey("admin");
    const user = await seedKey("user");
    const responses = await Promise.all(
      Array.from({ length: parallelRotations }, () =>
        call<Rotated>("POST", `/v1/keys/${user.keyId}/rotate`, {
          key: admin.key,
          body: { graceSeconds: 3600 },
        }),
      ),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([201, ...Array<number>(parallelRotations - 1).fill(409)]);
    for (const refused of responses.filter((response) => response.status === 409)) {
      expect(refused.body).toMatchObject({ code: "CONFLICT", status: 409 });
      expect(refused.headers.get("content-type")).toContain("application/problem+json");
    }

    const successors = await database().execute({
      sql: "SELECT id FROM api_keys WHERE rotated_from_id = ?",
      args: [user.keyId],
    });
    const winner = responses.find((response) => response.status === 201)!.body;
    expect(successors.rows.map((row) => String(row.id))).toEqual([winner.key.id]);
    expect(winner.key.rotatedFromId).toBe(user.keyId);
    expect((await call("GET", "/v1/ledger/supply", { key: winner.key.key })).status).toBe(200);
    // The old key is retiring: it works until its grace period ends, an hour from now.
    expect((await call("GET", "/v1/ledger/supply", { key: user.key })).status).toBe(200);
    const retireAtMs = Date.parse(winner.previous.revokedAt);
    expect(retireAtMs).toBeGreaterThan(Date.now() + 3_500_000);
    await expectAuditClean();
  });

  it("answers 404 for a key that does not exist and writes nothing", async () => {
    const admin = await seedKey("admin");
    const before = await database().execute("SELECT count(*) AS n FROM api_keys");
    const missing = await call("POST", "/v1/keys/key_doesnotexist/rotate", { key: admin.key, body: {} });
    expect(missing.status).toBe(404);
    const after = await database().execute("SELECT count(*) AS n FROM api_keys");
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
  });
});
