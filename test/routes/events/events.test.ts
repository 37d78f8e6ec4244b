// Proves the event model and GET /v1/events: a lease's start and end written by the bid book's mirror reach its owner's events exactly once (and nobody else's), with structured fields; the type filter and the `after` cursor page through them in order; an admin may read another owner's, a non-admin may not; bad input is a 422 naming the field.
import { beforeAll, describe, expect, it } from "vitest";
import { call, seedKey } from "../../support/harness";
import { ccMinor, fundedUser, registerNode, reserve, setPeg } from "../market/support";

type EventBody = {
  id: string;
  seq: string;
  type: string;
  at: string;
  ownerId: string;
  subjectId: string;
  data: Record<string, unknown>;
};
type Page = { data: EventBody[]; nextCursor: string; hasMore: boolean };

describe("GET /v1/events", () => {
  beforeAll(async () => {
    await setPeg();
  });

  it("shows a lease's start and end once each, to its owner only, in order", async () => {
    const farmer = await seedKey("farmer");
    const node = await registerNode(farmer);
    const user = await fundedUser(100n * ccMinor);
    const other = await fundedUser(100n * ccMinor);
    const lease = await reserve(user, node.id, 2, 10);
    expect(lease.status, JSON.stringify(lease.body)).toBe(201);
    const ended = await call("DELETE", `/v1/leases/${lease.body.id}`, { key: user.key });
    expect(ended.status, JSON.stringify(ended.body)).toBe(200);

    const page = await call<Page>("GET", "/v1/events", { key: user.key });
    expect(page.status).toBe(200);
    const mine = page.body.data.filter((event) => event.subjectId === lease.body.id);
    expect(mine.map((event) => event.type)).toEqual(["lease.started", "lease.ended"]);
    const started = mine[0]!;
    expect(started.ownerId).toBe(user.ownerId);
    expect(started.id).toMatch(/^evt_[0-9a-f]{32}$/);
    expect(Number.isNaN(Date.parse(started.at))).toBe(false);
    expect(started.data).toMatchObject({ nodeId: node.id, leaseId: lease.body.id, slices: 2 });
    expect(Number(mine[1]!.seq)).toBeGreaterThan(Number(started.seq));

    const theirs = await call<Page>("GET", "/v1/events", { key: other.key });
    expect(theirs.body.data.some((event) => event.subjectId === lease.body.id)).toBe(false);
  });

  it("filters by type and pages with the cursor, nothing repeated or skipped", async () => {
    const farmer = await seedKey("farmer");
    const node = await registerNode(farmer);
    const user = await fundedUser(100n * ccMinor);
    const leases: string[] = [];
    for (let index = 0; index < 3; index++) {
      const lease = await reserve(user, node.id, 1, 5);
      expect(lease.status).toBe(201);
      leases.push(lease.body.id);
    }
    const seen: string[] = [];
    let after = "0";
    for (let round = 0; round < 10; round++) {
      const page = await call<Page>(
        "GET",
        `/v1/events?type=lease.started,lease.ended&limit=1&after=${after}`,
        {
          key: user.key,
        },
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.data.map((event) => event.subjectId));
      for (const event of page.body.data) expect(event.type).toBe("lease.started");
      after = page.body.nextCursor;
      if (!page.body.hasMore) break;
    }
    expect(seen).toEqual(leases);
    const none = await call<Page>("GET", "/v1/events?type=payment.minted", { key: user.key });
    expect(none.body.data).toEqual([]);
    expect(none.body.nextCursor).toBe("0");
  });

  it("lets an admin read another owner's events and refuses a non-admin", async () => {
    const admin = await seedKey("admin");
    const farmer = await seedKey("farmer");
    const node = await registerNode(farmer);
    const user = await fundedUser(100n * ccMinor);
    const lease = await reserve(user, node.id, 1, 5);
    expect(lease.status).toBe(201);
    const asAdmin = await call<Page>("GET", `/v1/events?ownerId=${user.ownerId}`, { key: admin.key });
    expect(asAdmin.status).toBe(200);
    expect(asAdmin.body.data.map((event) => event.subjectId)).toEqual([lease.body.id]);
    const other = await seedKey("user");
    const refused = await call("GET", `/v1/events?ownerId=${user.ownerId}`, { key: other.key });
    expect(refused.status).toBe(403);
    const anonymous = await call("GET", "/v1/events");
    expect(anonymous.status).toBe(401);
  });

  it.each([
    ["/v1/events?type=lease.exploded", "query.type"],
    ["/v1/events?after=-1", "query.after"],
    ["/v1/events?after=abc", "query.after"],
    ["/v1/events?limit=0", "query.limit"],
    ["/v1/events?limit=201", "query.limit"],
    ["/v1/events?colour=red", "query.colour"],
  ])("%s is a 422 naming %s", async (path, field) => {
    const user = await seedKey("user");
    const response = await call<{ code: string; errors: { field: string }[] }>("GET", path, {
      key: user.key,
    });
    expect(response.status).toBe(422);
    expect(response.body.code).toBe("VALIDATION_FAILED");
    expect(response.body.errors.map((error) => error.field)).toContain(field);
  });
});
