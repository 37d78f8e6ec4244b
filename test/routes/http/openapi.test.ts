// Proves the served OpenAPI document is the committed openapi/openapi.json (what SDK generators
// consume), and that every operation in it refuses a query parameter it does not take the same way:
// 422 VALIDATION_FAILED problem details naming `query.<name>`, writing nothing.
import { describe, expect, it } from "vitest";
import committed from "../../../openapi/openapi.json";
import { call, type Seeded, seedKey, tableCounts } from "../../support/harness";

type Document = { paths: Record<string, Record<string, { operationId: string }>> };

describe("the served document", () => {
  it("is the committed openapi/openapi.json", async () => {
    const served = await call<Document>("GET", "/openapi.json");
    expect(served.status).toBe(200);
    expect(served.body).toEqual(committed);
  });
});

describe("unknown query parameters", () => {
  it("are refused by every operation with 422 naming the parameter, writing nothing", async () => {
    const keys = new Map<string, Seeded>();
    for (const role of ["admin", "user", "farmer", "lp"] as const) keys.set(role, await seedKey(role));
    const before = await tableCounts();
    const document = committed as unknown as Document;
    let checked = 0;
    for (const [path, methods] of Object.entries(document.paths)) {
      // Any segment reaches the route: the query is validated before the path parameters.
      const concrete = path.replaceAll(/\{[A-Za-z]+\}/g, "x_1");
      for (const [method, operation] of Object.entries(methods)) {
        let answer: Awaited<ReturnType<typeof call<{ code: string; errors: { field: string }[] }>>> | null =
          null;
        // The first role the operation lets in (roles are checked before the query).
        for (const seeded of keys.values()) {
          answer = await call<{ code: string; errors: { field: string }[] }>(
            method.toUpperCase(),
            `${concrete}?unexpectedParameter=1`,
            { key: seeded.key, headers: { "idempotency-key": `unknown-query-${operation.operationId}` } },
          );
          if (answer.status !== 403) break;
        }
        expect(answer?.status, operation.operationId).toBe(422);
        expect(answer?.body.code, operation.operationId).toBe("VALIDATION_FAILED");
        // Alone, or beside the operation's own required parameters (also named).
        expect(answer?.body.errors, operation.operationId).toEqual(
          expect.arrayContaining([expect.objectContaining({ field: "query.unexpectedParameter" })]),
        );
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(60);
    expect(await tableCounts()).toEqual(before);
  });
});
