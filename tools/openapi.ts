/**
 * The OpenAPI document as SDK generators get it: built from the app in Node (the same routes and
 * frame the Worker serves at /openapi.json, with the production server placeholder).
 *
 * - `npm run openapi` writes it to `openapi/openapi.json` (committed; test/tools/openapi.test.ts
 *   fails when that file is stale).
 * - `npm run openapi:lint` (in `npm test`) lints the app's current document with Redocly CLI and
 *   `redocly.yaml`, and fails on any error or warning.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { buildApp } from "../src/app";
import { openApiDocumentConfig } from "../src/kit/http/openapi";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Where `npm run openapi` writes the document. */
export const committedDocumentPath = join(root, "openapi", "openapi.json");

/** The app's document without PUBLIC_API_URL: what a deployment serves with the placeholder. */
export function openApiDocument() {
  return buildApp().getOpenAPI31Document(openApiDocumentConfig(undefined));
}

/** The document as written to disk: two-space JSON and a final newline. */
export function openApiText(): string {
  return `${JSON.stringify(openApiDocument(), null, 2)}\n`;
}

/** Problems Redocly found, by severity, and those an ignore file hid (none may be). */
export type LintTotals = { errors: number; warnings: number; ignored: number };

/**
 * Lints `document` with redocly.yaml (written to a temporary file, removed after); with `print`,
 * shows the problems readably first. Returns their totals.
 */
export function lintDocument(document: unknown, options: { print?: boolean } = {}): LintTotals {
  const folder = mkdtempSync(join(tmpdir(), "tfgrid-openapi-"));
  try {
    const path = join(folder, "openapi.json");
    writeFileSync(path, `${JSON.stringify(document, null, 2)}\n`);
    const cli = join(root, "node_modules", "@redocly", "cli", "bin", "cli.js");
    const env = { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" };
    const args = [cli, "lint", path, "--config", join(root, "redocly.yaml"), "--max-problems", "1000"];
    if (options.print)
      spawnSync(process.execPath, [...args, "--format", "stylish"], { env, stdio: "inherit" });
    const json = spawnSync(process.execPath, [...args, "--format", "json"], { env, encoding: "utf8" });
    const { totals } = JSON.parse(json.stdout) as { totals: LintTotals };
    return { errors: totals.errors, warnings: totals.warnings, ignored: totals.ignored };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

function main(command: string | undefined): number {
  if (command === undefined || command === "write") {
    writeFileSync(committedDocumentPath, openApiText());
    console.log(`Wrote ${committedDocumentPath}`);
    return 0;
  }
  if (command === "lint") {
    const totals = lintDocument(openApiDocument(), { print: true });
    console.log(
      `OpenAPI lint: ${totals.errors} errors, ${totals.warnings} warnings, ${totals.ignored} ignored`,
    );
    return totals.errors === 0 && totals.warnings === 0 && totals.ignored === 0 ? 0 : 1;
  }
  console.error("Usage: tsx tools/openapi.ts [write|lint]");
  return 2;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exit(main(process.argv[2]));
}
