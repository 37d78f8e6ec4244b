// Proves the webhook endpoint routes: an endpoint is created with a whsec_ secret shown once (never in a read), listed and read by its owner only (another owner's is a 404), updated (URL, types, disabled), its secret rotated with a grace, deleted; the URL rules refuse what they should per environment; bad input and the per-owner limit are refused with problem details naming the field, writing nothing.
import { describe, expect, it } from "vitest";
import { checkEndpointUrl, endpointUrlCharsMax, isPrivateHost } from "../../../src/events/core/endpoint-url";
import { endpointsPerOwnerMax } from "../../../src/events/endpoints";
import { call, database, seedKey } from "../../support/harness";
import { createEndpoint } from "./support";

type EndpointBody = {
  id: string;
  ownerId: string;
  url: string;
  eventTypes: string[];
  disabled: boolean;
  previousSecretExpiresAt: string | null;
  secret?: string;
};
type Problem = { code: string; errors: { field: string; detail: string }[] };

async function endpointCount(ownerId: string): Promise<number> {
  const result = await database().execute({
    sql: "SELECT count(*) AS count FROM webhook_endpoints WHERE owner_id = ?",
    args: [ownerId],
  });
  return Number(result.rows[0]!.count);
}

describe("webhook endpoints", () => {
  it("creates, reads, updates, rotates and deletes an endpoint for its owner only", async () => {
    const owner = await seedKey("user");
    const stranger = await seedKey("farmer");
    const created = await createEndpoint(owner, "https://example.com/hooks/a", ["lease.started"]);
    expect(created.id).toMatch(/^whe_/);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);

    const read = await call<EndpointBody>("GET", `/v1/webhook-endpoints/${created.id}`, { key: owner.key });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({
      ownerId: owner.ownerId,
      url: "https://example.com/hooks/a",
      disabled: false,
    });
    expect(read.body.secret).toBeUndefined();
    const list = await call<{ data: EndpointBody[] }>("GET", "/v1/webhook-endpoints", { key: owner.key });
    expect(list.body.data.map((endpoint) => endpoint.id)).toEqual([created.id]);
    expect(JSON.stringify(list.body)).not.toContain(created.secret);

    for (const [method, path] of [
      ["GET", `/v1/webhook-endpoints/${created.id}`],
      ["DELETE", `/v1/webhook-endpoints/${created.id}`],
      ["GET", `/v1/webhook-endpoints/${created.id}/deliveries`],
    ] as const) {
      expect((await call(method, path, { key: stranger.key })).status).toBe(404);
    }
    const strangerUpdate = await call("PUT", `/v1/webhook-endpoints/${created.id}`, {
      key: stranger.key,
      body: { disabled: true },
    });
    expect(strangerUpdate.status).toBe(404);
    expect(
      (await call("GET", `/v1/webhook-endpoints?ownerId=${owner.ownerId}`, { key: stranger.key })).status,
    ).toBe(403);

    const updated = await call<EndpointBody>("PUT", `/v1/webhook-endpoints/${created.id}`, {
      key: owner.key,
      body: { eventTypes: ["lease.ended", "payment.minted"], disabled: true },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ eventTypes: ["lease.ended", "payment.minted"], disabled: true });
    const enabled = await call<EndpointBody>("PUT", `/v1/webhook-endpoints/${created.id}`, {
      key: owner.key,
      body: { disabled: false, url: "https://example.com/hooks/b" },
    });
    expect(enabled.body).toMatchObject({ disabled: false, url: "https://example.com/hooks/b" });

    const rotated = await call<EndpointBody>("POST", `/v1/webhook-endpoints/${created.id}/rotate-secret`, {
      key: owner.key,
      body: { graceSeconds: 3600 },
    });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(created.secret);
    expect(rotated.body.previousSecretExpiresAt).not.toBeNull();

    const deleted = await call("DELETE", `/v1/webhook-endpoints/${created.id}`, { key: owner.key });
    expect(deleted.status).toBe(200);
    expect((await call("GET", `/v1/webhook-endpoints/${created.id}`, { key: owner.key })).status).toBe(404);
  });

  it.each([
    [{ url: "not a url", eventTypes: ["lease.started"] }, "url"],
    [{ url: "ftp://example.com/x", eventTypes: ["lease.started"] }, "url"],
    [{ url: "https://user:pass@example.com/x", eventTypes: ["lease.started"] }, "url"],
    [{ url: `https://example.com/${"a".repeat(endpointUrlCharsMax)}`, eventTypes: ["lease.started"] }, "url"],
    [{ url: "https://example.com/x", eventTypes: ["lease.exploded"] }, "eventTypes.0"],
    [{ url: "https://example.com/x", eventTypes: [] }, "eventTypes"],
    [{ url: "https://example.com/x", eventTypes: ["lease.started", "lease.started"] }, "eventTypes"],
    [{ url: "https://example.com/x" }, "eventTypes"],
    [{ url: "https://example.com/x", eventTypes: ["lease.started"], secret: "mine" }, "secret"],
  ])("refuses body #%# with a 422 naming the field, writing nothing", async (body, field) => {
    const owner = await seedKey("user");
    const response = await call<Problem>("POST", "/v1/webhook-endpoints", { key: owner.key, body });
    expect(response.status).toBe(422);
    expect(response.body.errors.map((error) => error.field)).toContain(field);
    expect(await endpointCount(owner.ownerId)).toBe(0);
  });

  it("refuses bad updates and rotations naming the field, changing nothing", async () => {
    const owner = await seedKey("user");
    const created = await createEndpoint(owner, "https://example.com/hooks/a", ["lease.started"]);
    for (const [path, body, field] of [
      [`/v1/webhook-endpoints/${created.id}`, { url: "javascript:alert(1)" }, "url"],
      [`/v1/webhook-endpoints/${created.id}`, { disabled: "yes" }, "disabled"],
      [`/v1/webhook-endpoints/${created.id}/rotate-secret`, { graceSeconds: 8 * 86_400 }, "graceSeconds"],
    ] as const) {
      const method = path.endsWith("rotate-secret") ? "POST" : "PUT";
      const response = await call<Problem>(method, path, { key: owner.key, body });
      expect(response.status, JSON.stringify(response.body)).toBe(422);
      expect(response.body.errors.map((error) => error.field)).toContain(field);
    }
    const read = await call<EndpointBody>("GET", `/v1/webhook-endpoints/${created.id}`, { key: owner.key });
    expect(read.body).toMatchObject({
      url: "https://example.com/hooks/a",
      disabled: false,
      previousSecretExpiresAt: null,
    });
    const badId = await call<Problem>("GET", "/v1/webhook-endpoints/nope", { key: owner.key });
    expect(badId.status).toBe(422);
    expect(badId.body.errors.map((error) => error.field)).toContain("param.id");
  });

  it(`refuses an owner's endpoint beyond ${endpointsPerOwnerMax}`, async () => {
    const owner = await seedKey("user");
    for (let index = 0; index < endpointsPerOwnerMax; index++) {
      await createEndpoint(owner, `https://example.com/hooks/${index}`, ["lease.started"]);
    }
    const refused = await call<Problem>("POST", "/v1/webhook-endpoints", {
      key: owner.key,
      body: { url: "https://example.com/hooks/over", eventTypes: ["lease.started"] },
    });
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe("LIMIT_REACHED");
    expect(await endpointCount(owner.ownerId)).toBe(endpointsPerOwnerMax);
  });
});

describe("endpoint URL rules", () => {
  it.each([
    ["production", "https://hooks.example.com/x", true],
    ["production", "http://hooks.example.com/x", false],
    ["production", "https://127.0.0.1/x", false],
    ["production", "https://localhost/x", false],
    ["production", "https://[::1]/x", false],
    ["production", "https://10.1.2.3/x", false],
    ["production", "https://169.254.169.254/latest", false],
    ["staging", "http://hooks.example.com/x", true],
    ["staging", "http://192.168.1.10/x", false],
    ["staging", "http://[fd00::1]/x", false],
    ["staging", "http://[::ffff:127.0.0.1]/x", false],
    ["staging", "http://172.32.0.1/x", true],
    ["development", "http://127.0.0.1:8787/x", true],
    ["test", "http://localhost:9000/x", true],
  ])("in %s, %s is %s", (environment, url, allowed) => {
    expect(checkEndpointUrl(url, environment).ok).toBe(allowed);
  });

  it("names private hosts in every spelling URL normalises to", () => {
    expect(isPrivateHost(new URL("http://0x7f.1/").hostname)).toBe(true);
    expect(isPrivateHost(new URL("http://2130706433/").hostname)).toBe(true);
    expect(isPrivateHost(new URL("http://api.localhost./").hostname)).toBe(true);
    expect(isPrivateHost(new URL("http://example.com/").hostname)).toBe(false);
  });
});
