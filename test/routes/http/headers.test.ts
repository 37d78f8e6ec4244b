// Proves the response headers of the HTTP boundary: nosniff and no-store on JSON, problem and
// secret-bearing responses; CORS for /v1 (any origin, no credentials, preflight 204 with the
// headers the API reads); and /docs under a strict Content-Security-Policy, with no other origin.
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, seedKey } from "../../support/harness";

function expectApiHeaders(headers: Headers): void {
  expect(headers.get("x-content-type-options")).toBe("nosniff");
  expect(headers.get("cache-control")).toBe("no-store");
}

describe("API responses", () => {
  it("carry nosniff and no-store on JSON, problem and key-creating responses", async () => {
    const admin = await seedKey("admin");
    const json = await call("GET", "/v1/ledger/supply", { key: admin.key });
    expect(json.status).toBe(200);
    expectApiHeaders(json.headers);

    const problem = await call("GET", "/v1/ledger/supply");
    expect(problem.status).toBe(401);
    expect(problem.headers.get("content-type")).toContain("application/problem+json");
    expectApiHeaders(problem.headers);

    const notFound = await call("GET", "/v1/nothing-here");
    expect(notFound.status).toBe(404);
    expectApiHeaders(notFound.headers);

    const created = await call<{ key: string }>("POST", "/v1/keys", {
      key: admin.key,
      body: { ownerId: "usr_headers", role: "user" },
    });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^tfm_/);
    expectApiHeaders(created.headers);

    const document = await call("GET", "/openapi.json");
    expect(document.status).toBe(200);
    expectApiHeaders(document.headers);
  });
});

describe("CORS", () => {
  it("answers a preflight 204 allowing any origin, the API's request headers and no credentials", async () => {
    const response = await SELF.fetch("http://market.test/v1/transfers", {
      method: "OPTIONS",
      headers: {
        origin: "https://app.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type, idempotency-key",
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    const allowed = (response.headers.get("access-control-allow-headers") ?? "").toLowerCase().split(",");
    expect(allowed).toEqual(
      expect.arrayContaining(["authorization", "content-type", "idempotency-key", "x-request-id"]),
    );
    expect(response.headers.get("access-control-allow-methods")).toContain("POST");
    expect(response.headers.get("access-control-allow-credentials")).toBeNull();
    expect(response.headers.get("access-control-max-age")).not.toBeNull();
  });

  it("lets a page on another origin read the request id, replay flag and Retry-After", async () => {
    const response = await SELF.fetch("http://market.test/v1/health", {
      headers: { origin: "https://app.example" },
    });
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    const exposed = (response.headers.get("access-control-expose-headers") ?? "").toLowerCase().split(",");
    expect(exposed).toEqual(expect.arrayContaining(["x-request-id", "idempotent-replayed", "retry-after"]));
    await response.arrayBuffer();
  });
});

describe("/docs", () => {
  it("is served under a strict Content-Security-Policy and loads nothing from another origin", async () => {
    const response = await SELF.fetch("http://market.test/docs");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    const policy = response.headers.get("content-security-policy") ?? "";
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("script-src 'self'");
    expect(policy).not.toContain("unsafe-inline");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    const html = await response.text();
    // Every src/href is a path on this origin; no inline script (each <script> has a src).
    const references = [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((match) => match[1]!);
    expect(references.length).toBeGreaterThan(0);
    for (const reference of references) expect(reference).toMatch(/^\/[^/]/);
    expect(html).not.toMatch(/\/\/[a-z0-9.-]+\.[a-z]{2,}/i);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(references).toEqual(
      expect.arrayContaining(["/vendor/swagger-ui-bundle.js", "/vendor/swagger-ui.css"]),
    );
  });
});
