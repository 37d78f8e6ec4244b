// Proves the development routes: an admin moves the service's clock forward (the Worker and the node's bid book read the moved time) and settles a node now, so a lease's hours are charged and split 80/10/10 in seconds, once each; other roles are refused, bad input names its field, and where ENVIRONMENT is production (or anything but development or test) both routes answer 404 before any key is checked and move nothing.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../../src/app";
import { clockOffsetMs, hourMs } from "../../../src/kit/clock";
import { call, type Seeded, seedKey } from "../../support/harness";
import { fundedUser, type NodeBody, registerNode, reserve, setPeg, settlementsOf } from "../market/support";

let admin: Seeded;

beforeAll(async () => {
  admin = await seedKey("admin");
  await setPeg();
});

type Clock = { now: string; offsetSeconds: number };

describe("POST /v1/dev/clock", () => {
  it("moves the service's clock forward for an admin, and only forward", async () => {
    const before = clockOffsetMs();
    const moved = await call<Clock>("POST", "/v1/dev/clock", {
      key: admin.key,
      body: { advanceSeconds: 90 },
    });
    expect(moved.status).toBe(200);
    expect(clockOffsetMs() - before).toBe(90_000);
    expect(moved.body.offsetSeconds).toBe(clockOffsetMs() / 1000);
    expect(Math.abs(Date.parse(moved.body.now) - (Date.now() + clockOffsetMs()))).toBeLessThan(5_000);
    const read = await call<Clock>("GET", "/v1/dev/clock", { key: admin.key });
    expect(read.body.offsetSeconds).toBe(moved.body.offsetSeconds);

    for (const advanceSeconds of [0, -5, 1.5, 366 * 86_400 + 1, "60"]) {
      const refused = await call("POST", "/v1/dev/clock", { key: admin.key, body: { advanceSeconds } });
      expect(refused.status).toBe(422);
      expect(JSON.stringify(refused.body)).toContain("advanceSeconds");
    }
    const user = await seedKey("user");
    expect(
      (await call("POST", "/v1/dev/clock", { key: user.key, body: { advanceSeconds: 60 } })).status,
    ).toBe(403);
    expect((await call("POST", "/v1/dev/clock", { body: { advanceSeconds: 60 } })).status).toBe(401);
    expect(clockOffsetMs() - before).toBe(90_000);
  });
});

describe("POST /v1/dev/nodes/{id}/settle", () => {
  let node: NodeBody;

  beforeAll(async () => {
    const farmer = await seedKey("farmer");
    node = await registerNode(farmer);
  });

  it("settles the hours the clock moved past, split 80/10/10, each once", async () => {
    const user = await fundedUser(100_000_000n);
    const lease = await reserve(user, node.id, 2, null);
    expect(lease.status, JSON.stringify(lease.body)).toBe(201);
    const advanced = await call("POST", "/v1/dev/clock", {
      key: admin.key,
      body: { advanceSeconds: (3 * hourMs) / 1000 },
    });
    expect(advanced.status).toBe(200);

    const settled = await call<{ periodsSettled: number; nodeId: string; nextWakeAt: string | null }>(
      "POST",
      `/v1/dev/nodes/${node.id}/settle`,
      { key: admin.key },
    );
    expect(settled.status, JSON.stringify(settled.body)).toBe(200);
    expect(settled.body).toMatchObject({ nodeId: node.id, periodsSettled: 3 });
    const rows = await settlementsOf([lease.body.id]);
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      // 2 slices × 0.078125 CC per slice-hour at the test peg
      expect(row.chargeMinor).toBe(156_250n);
      expect(row.farmerMinor).toBe(125_000n);
      expect(row.burnMinor).toBe(15_625n);
      expect(row.threefoldMinor).toBe(15_625n);
    }
    const again = await call<{ periodsSettled: number }>("POST", `/v1/dev/nodes/${node.id}/settle`, {
      key: admin.key,
    });
    expect(again.body.periodsSettled).toBe(0);
    expect(await settlementsOf([lease.body.id])).toHaveLength(3);
  });

  it("answers 404 for a node that does not exist and 403 to a non-admin", async () => {
    const missing = await call("POST", "/v1/dev/nodes/node_nobody_here/settle", { key: admin.key });
    expect(missing.status).toBe(404);
    const farmer = await seedKey("farmer");
    expect((await call("POST", `/v1/dev/nodes/${node.id}/settle`, { key: farmer.key })).status).toBe(403);
  });
});

describe("outside development", () => {
  const app = buildApp();

  async function callIn(environment: string, method: string, path: string, key?: string, body?: unknown) {
    const context = createExecutionContext();
    const response = await app.fetch(
      new Request(`http://market.test${path}`, {
        method,
        headers: {
          ...(key ? { authorization: `Bearer ${key}` } : {}),
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
      { ...env, ENVIRONMENT: environment } as unknown as Env,
      context,
    );
    await waitOnExecutionContext(context);
    return {
      status: response.status,
      type: response.headers.get("content-type"),
      body: (await response.json()) as Record<string, unknown>,
    };
  }

  it("answers 404 NOT_FOUND to everyone, before the key, and moves nothing", async () => {
    const before = clockOffsetMs();
    for (const environment of ["production", "staging", ""]) {
      for (const key of [admin.key, undefined]) {
        const clock = await callIn(environment, "POST", "/v1/dev/clock", key, { advanceSeconds: 3600 });
        expect(clock.status).toBe(404);
        expect(clock.type).toContain("application/problem+json");
        expect(clock.body).toMatchObject({ code: "NOT_FOUND", status: 404 });
        expect(String(clock.body.detail)).toContain("ENVIRONMENT");
        expect((await callIn(environment, "GET", "/v1/dev/clock", key)).status).toBe(404);
        expect((await callIn(environment, "POST", "/v1/dev/nodes/node_any/settle", key)).status).toBe(404);
      }
    }
    expect(clockOffsetMs()).toBe(before);
    // The same app in development answers (the guard reads the binding per request).
    expect((await callIn("development", "GET", "/v1/dev/clock", admin.key)).status).toBe(200);
  });
});
