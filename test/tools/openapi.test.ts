// Proves the OpenAPI document is one client generators can rely on: the committed
// openapi/openapi.json is the app's current document (regenerate with `npm run openapi`), every
// operation has a unique camelCase operationId, the bearer scheme is the default and only the
// public reads and the signed webhooks opt out of it, the servers are named, the webhooks document
// their events, and Redocly (redocly.yaml) finds nothing wrong in it and does catch a broken one.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { openApiDocumentConfig, productionServerUrl } from "../../src/kit/http/openapi.ts";
import { committedDocumentPath, lintDocument, openApiDocument, openApiText } from "../../tools/openapi.ts";

type Operation = {
  operationId?: string;
  security?: unknown[];
  description?: string;
  requestBody?: { content: Record<string, { schema: { $ref?: string } }> };
};
type Document = {
  servers: { url: string }[];
  security: unknown[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, { scheme?: string }> };
};

const document = openApiDocument() as unknown as Document;
const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, operation]) => ({
    key: `${method.toUpperCase()} ${path}`,
    operation,
  })),
);

describe("the committed document", () => {
  it("is the app's document byte for byte (run `npm run openapi` after changing a route)", () => {
    expect(readFileSync(committedDocumentPath, "utf8")).toBe(openApiText());
  });
});

describe("operations", () => {
  it("each have a unique camelCase operationId", () => {
    const ids = operations.map(({ operation }) => operation.operationId);
    expect(operations.length).toBeGreaterThan(60);
    for (const id of ids) expect(id).toMatch(/^[a-z][a-zA-Z0-9]*$/);
    expect(new Set(ids).size).toBe(ids.length);
    const byKey = Object.fromEntries(operations.map(({ key, operation }) => [key, operation.operationId]));
    expect(byKey["GET /v1/market/slices"]).toBe("listMarketSlices");
    expect(byKey["POST /v1/leases"]).toBe("createLease");
    expect(byKey["POST /v1/nodes/{id}/bids"]).toBe("placeNodeBid");
    expect(byKey["POST /v1/nodes/{id}/bids/{bidId}/accept"]).toBe("acceptNodeBid");
    expect(byKey["POST /v1/nodes/{id}/bids/{bidId}/reject"]).toBe("rejectNodeBid");
  });

  it("need the bearer key by default; only public reads and signed webhooks say security: []", () => {
    expect(document.components.securitySchemes.apiKey?.scheme).toBe("bearer");
    expect(document.security).toEqual([{ apiKey: [] }]);
    const open = operations.filter(({ operation }) => operation.security?.length === 0).map(({ key }) => key);
    expect(open.sort()).toEqual(
      [
        "GET /v1/health",
        "GET /v1/catalog/nodes",
        "POST /v1/calculator/node",
        "GET /v1/market/slices",
        "GET /v1/nodes/{id}",
        "GET /v1/bid-packages",
        "POST /v1/webhooks/stripe",
        "POST /v1/webhooks/tft-bridge",
      ].sort(),
    );
    for (const { key, operation } of operations) {
      if (operation.security !== undefined && operation.security.length > 0) {
        expect(operation.security, key).toEqual([{ apiKey: [] }]);
      }
    }
  });

  it("webhooks say they are authenticated by signatures and document the events they accept", () => {
    const stripe = document.paths["/v1/webhooks/stripe"]?.post;
    const bridge = document.paths["/v1/webhooks/tft-bridge"]?.post;
    expect(stripe?.description).toMatch(/Authenticated by Stripe's signature/);
    expect(bridge?.description).toMatch(/Authenticated by the bridge's signature/);
    expect(stripe?.requestBody?.content["application/json"]?.schema.$ref).toBe(
      "#/components/schemas/StripeEvent",
    );
    expect(bridge?.requestBody?.content["application/json"]?.schema.$ref).toBe(
      "#/components/schemas/BridgeEvent",
    );
    const schemas = JSON.stringify(document.components.schemas);
    for (const type of [
      "checkout.session.completed",
      "checkout.session.async_payment_succeeded",
      "payment_intent.succeeded",
      "charge.refunded",
      "charge.dispute.created",
      "charge.dispute.updated",
      "charge.dispute.closed",
      "deposit.confirmed",
      "withdrawal.paid",
      "withdrawal.failed",
    ]) {
      expect(schemas).toContain(`"${type}"`);
    }
    const deposit = document.components.schemas.BridgeDepositConfirmedEvent as {
      properties: { data: { required: string[] } };
    };
    expect(deposit.properties.data.required.sort()).toEqual(["accountId", "amount", "depositId", "txHash"]);
  });
});

describe("servers", () => {
  it("name the production placeholder and the local dev server", () => {
    expect(document.servers.map((server) => server.url)).toEqual([
      "https://tfgrid-market.example",
      "http://127.0.0.1:8787",
    ]);
  });

  it("name PUBLIC_API_URL first when it is an absolute http(s) URL, else the placeholder", () => {
    expect(productionServerUrl("https://market.example.org/")).toBe("https://market.example.org");
    expect(openApiDocumentConfig("https://market.example.org").servers[0]?.url).toBe(
      "https://market.example.org",
    );
    for (const bad of [
      undefined,
      "",
      "market.example.org",
      "ftp://market.example.org",
      "javascript:alert(1)",
    ]) {
      expect(productionServerUrl(bad), String(bad)).toBe("https://tfgrid-market.example");
    }
  });
});

describe("Redocly lint (redocly.yaml)", () => {
  it("finds no error and no warning in the app's document", () => {
    expect(lintDocument(document)).toEqual({ errors: 0, warnings: 0, ignored: 0 });
  });

  it("fails a document with a missing, a snake_case operationId and a public operation without security", () => {
    const broken = structuredClone(document);
    const slices = broken.paths["/v1/market/slices"]!.get!;
    delete slices.operationId;
    broken.paths["/v1/leases"]!.post!.operationId = "create_lease";
    delete broken.paths["/v1/health"]!.get!.security;
    delete (broken as { security?: unknown }).security;
    expect(lintDocument(broken).errors).toBeGreaterThanOrEqual(3);
  });
});
