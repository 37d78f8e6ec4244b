/**
 * Global setup of the browser end-to-end project: the real service as `npm run dev` runs it
 * (libSQL on a temporary file database, migrations, demo seed, `wrangler dev` on 127.0.0.1 with
 * free ports; tools/stack.ts), with Chart.js copied into public/vendor/ first. The base URL, the
 * admin key, the demo owners' keys and the webhook secrets (what `npm run dev` prints) are provided
 * to the tests, with one headless Chromium (Debian's /usr/bin/chromium,
 * see .ci/browser-deps) that every test file connects to; everything is stopped and deleted
 * afterwards.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import type { TestProject } from "vitest/node";
import { copyVendorAssets } from "../../tools/assets";
import { startDevStack } from "../../tools/stack";

declare module "vitest" {
  export interface ProvidedContext {
    e2eBaseUrl: string;
    e2eAdminKey: string;
    /** Each demo owner's key, by owner id (usr_alice, frm_bob, lp_carol), as `npm run dev` prints them. */
    e2eDemoKeys: Record<string, string>;
    /** The secrets the Worker verifies webhooks with, as `npm run dev` prints them. */
    e2eWebhookSecrets: { stripe: string; bridge: string };
    e2eBrowserEndpoint: string;
  }
}

/** Debian's Chromium, installed by .ci/browser-deps (playwright-core downloads no browser). */
const chromiumPath = "/usr/bin/chromium";

export default async function setup(project: TestProject) {
  if (!existsSync(chromiumPath)) {
    throw new Error(`${chromiumPath} is missing: run \`bash .ci/browser-deps\` (installs Debian's chromium)`);
  }
  copyVendorAssets();
  const directory = mkdtempSync(join(tmpdir(), "tfgrid-market-e2e-"));
  const stack = await startDevStack({
    port: 0,
    libsqlPort: 0,
    dataDir: directory,
    persistTo: join(directory, "wrangler-state"),
    output: "pipe",
  });
  // One browser for all files (a fresh temporary profile; each test opens its own context).
  const browser = await chromium
    .launchServer({
      executablePath: chromiumPath,
      headless: true,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-dev-shm-usage",
      ],
    })
    .catch(async (error: unknown) => {
      await stack.stop();
      throw error;
    });
  // Warm the Worker (first requests compile and open the database) so the first test is not slow.
  await Promise.all([
    fetch(`${stack.baseUrl}/calculator.html`),
    fetch(`${stack.baseUrl}/v1/market/slices`),
    fetch(`${stack.baseUrl}/v1/calculator/node`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ preset: "3node-home" }),
    }),
  ]);
  project.provide("e2eBaseUrl", stack.baseUrl);
  project.provide("e2eAdminKey", stack.adminKey);
  project.provide(
    "e2eDemoKeys",
    Object.fromEntries(stack.demoOwners.map((owner) => [owner.ownerId, owner.key])),
  );
  project.provide("e2eWebhookSecrets", { ...stack.webhookSecrets });
  project.provide("e2eBrowserEndpoint", browser.wsEndpoint());
  return async () => {
    await browser.close();
    await stack.stop();
    rmSync(directory, { recursive: true, force: true });
  };
}
