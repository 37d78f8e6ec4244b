// Proves the committed SDK types (sdk/src/schema.d.ts) are what `npm run sdk:generate` makes from the
// OpenAPI document the app serves now: a route or schema change without regenerating fails here.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { appDocument, schemaFile, schemaText } from "../../tools/sdk/generate.ts";

describe("the generated SDK types", () => {
  it("match the app's current OpenAPI document (else run `npm run sdk:generate`)", async () => {
    const document = await appDocument();
    expect(document.openapi).toBe("3.1.0");
    const committed = readFileSync(schemaFile, "utf8");
    const fresh = await schemaText(document);
    // A short message instead of a 270 kB diff; the first differing line says where to look.
    const committedLines = committed.split("\n");
    const freshLines = fresh.split("\n");
    const first = freshLines.findIndex((line, index) => line !== committedLines[index]);
    expect(
      committed === fresh ? null : { firstDifferentLine: first + 1, fresh: freshLines[first] ?? "(end)" },
      "sdk/src/schema.d.ts is stale: run `npm run sdk:generate` and commit it",
    ).toBeNull();
  });

  it("describe the routes the SDK and the CLI call", async () => {
    const committed = readFileSync(schemaFile, "utf8");
    for (const path of ["/v1/market/slices", "/v1/leases", "/v1/leases/{id}", "/v1/nodes/{id}/price"]) {
      expect(committed).toContain(`"${path}": {`);
    }
  });
});
