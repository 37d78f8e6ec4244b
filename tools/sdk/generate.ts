/**
 * Generates the SDK's types (`sdk/src/schema.d.ts`) from the OpenAPI document the app serves at
 * `/openapi.json`, with openapi-typescript. `npm run sdk:generate` writes the file;
 * test/tools/sdk-fresh.test.ts generates it again in memory and fails when the committed one
 * differs, so a route change that forgets to regenerate is caught by `npm test`.
 *
 * The document is asked of the app itself (`buildApp().request("/openapi.json")`), so whatever the
 * app documents (its info, security schemes, operation ids) is what the SDK is typed from, without
 * a second copy of the document's configuration here.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import openapiTS, { astToString, COMMENT_HEADER, type OpenAPI3 } from "openapi-typescript";
import { buildApp } from "../../src/app";

const root = join(import.meta.dirname, "..", "..");

/** Where the generated types live (committed; the SDK's runtime imports only their types). */
export const schemaFile = join(root, "sdk", "src", "schema.d.ts");

/**
 * The bindings the document route needs to run in Node: the request middleware opens a database
 * client per request (lazily: the document route never queries it) and reads the environment.
 */
const documentEnvironment = { LIBSQL_URL: "http://127.0.0.1:9", ENVIRONMENT: "development" };

/** The OpenAPI document exactly as the app serves it at `GET /openapi.json`. */
export async function appDocument(): Promise<OpenAPI3> {
  const response = await buildApp().request("/openapi.json", {}, documentEnvironment);
  if (response.status !== 200) {
    throw new Error(`GET /openapi.json answered ${response.status}: ${await response.text()}`);
  }
  return (await response.json()) as OpenAPI3;
}

/** The text of `sdk/src/schema.d.ts` for `document`. */
export async function schemaText(document: OpenAPI3): Promise<string> {
  const nodes = await openapiTS(document, { silent: true, alphabetize: false });
  return `${COMMENT_HEADER}${astToString(nodes)}`;
}

/**
 * `npm run sdk:generate` asks the app; `npm run sdk:generate -- <file>` reads a document written
 * before (the same app's, e.g. by a docs build) instead.
 */
async function main(): Promise<void> {
  const file = process.argv[2];
  const document =
    file === undefined ? await appDocument() : (JSON.parse(readFileSync(file, "utf8")) as OpenAPI3);
  const text = await schemaText(document);
  writeFileSync(schemaFile, text);
  console.log(`wrote ${schemaFile} (${text.length} characters) from ${file ?? "the app's /openapi.json"}`);
}

if (process.argv[1] === import.meta.filename) await main();
