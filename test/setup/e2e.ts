/**
 * Global setup of the browser end-to-end project: the real service as `npm run dev` runs it
 * (libSQL on a temporary file database, migrations, demo seed, `wrangler dev` on 127.0.0.1 with
 * free ports; tools/stack.ts), with Chart.js copied into public/vendor/ first. The base URL and
 * the admin key are provided to the tests; everything is stopped and deleted afterwards.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { copyVendorAssets } from "../../tools/assets";
import { startDevStack } from "../../tools/stack";

declare module "vitest" {
  export interface ProvidedContext {
    e2eBaseUrl: string;
    e2eAdminKey: string;
  }
}

export default async function setup(project: TestProject) {
  copyVendorAssets();
  const directory = mkdtempSync(join(tmpdir(), "tfgrid-market-e2e-"));
  const stack = await startDevStack({
    port: 0,
    libsqlPort: 0,
    dataDir: directory,
    persistTo: join(directory, "wrangler-state"),
    output: "pipe",
  });
  project.provide("e2eBaseUrl", stack.baseUrl);
  project.provide("e2eAdminKey", stack.adminKey);
  return async () => {
    await stack.stop();
    rmSync(directory, { recursive: true, force: true });
  };
}
