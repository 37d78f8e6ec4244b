/**
 * Helpers of the browser end-to-end tests: Debian's Chromium driven by playwright-core (a fresh
 * temporary profile per launch, no browser download), pages that record console errors, screenshots
 * into test-results/screenshots/, and API calls to the service the global setup started.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { inject } from "vitest";

export const baseUrl = inject("e2eBaseUrl");
export const adminKey = inject("e2eAdminKey");

/** Where screenshots go (git-ignored). */
export const screenshotDirectory = join(import.meta.dirname, "..", "..", "test-results", "screenshots");

/** Phone and desktop viewports every page is checked at. */
export const viewports = {
  phone: { width: 390, height: 844 },
  desktop: { width: 1280, height: 900 },
} as const;
export type ViewportName = keyof typeof viewports;

/**
 * Connects to the headless Chromium the global setup launched (Debian's /usr/bin/chromium with
 * --no-sandbox, --disable-gpu, … and a fresh temporary profile). `close()` disconnects only.
 */
export async function launchBrowser(): Promise<Browser> {
  return await chromium.connect(inject("e2eBrowserEndpoint"));
}

/** A page in its own context whose console errors and uncaught exceptions are collected. */
export type TrackedPage = { page: Page; context: BrowserContext; errors: string[] };

/** The sessionStorage entry the dashboard keeps the API key in (public/js/session.js). */
export const apiKeyStorageKey = "tfgrid-market.apiKey";

/** Opens `path` in a fresh context; with `apiKey`, the key is in sessionStorage as if typed in. */
export async function openPage(
  browser: Browser,
  path: string,
  viewport: ViewportName = "desktop",
  options: { apiKey?: string } = {},
): Promise<TrackedPage> {
  const context = await browser.newContext({ viewport: viewports[viewport], baseURL: baseUrl });
  if (options.apiKey !== undefined) {
    await context.addInitScript(
      ([name, key]) => {
        (
          globalThis as unknown as { sessionStorage: { setItem(k: string, v: string): void } }
        ).sessionStorage.setItem(name, key);
      },
      [apiKeyStorageKey, options.apiKey] as const,
    );
  }
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") {
      const where = message.location().url;
      errors.push(`console: ${message.text()}${where ? ` (${where})` : ""}`);
    }
  });
  page.on("pageerror", (error) => errors.push(`page error: ${error.message}`));
  // Generous: `npm test` runs four projects at once on CI's two shared cores, so the stack can be
  // slow to answer while the others start (a flow that never happens still fails, after 20 s).
  page.setDefaultTimeout(20_000);
  await page.goto(path, { waitUntil: "load" });
  return { page, context, errors };
}

/** Saves a full-page screenshot as test-results/screenshots/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotDirectory, { recursive: true });
  const path = join(screenshotDirectory, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Calls the API directly (setup of data the browser then shows). Throws on a non-2xx answer. */
export async function apiCall<T>(
  method: string,
  path: string,
  options: { key?: string; body?: unknown; idempotencyKey?: string } = {},
): Promise<T> {
  const headers: Record<string, string> = {};
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  if (options.idempotencyKey) headers["idempotency-key"] = options.idempotencyKey;
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status}: ${text}`);
  return (text.length > 0 ? JSON.parse(text) : null) as T;
}

/**
 * The service's clock in ms (`GET /v1/dev/clock`): it runs ahead of this machine's once a test
 * advanced it (test/e2e/quickstart.test.ts does), and the files share one service, so times sent
 * to it (a round's close) are counted from its clock, not from `Date.now()`.
 */
export async function serviceNowMs(): Promise<number> {
  const clock = await apiCall<{ now: string }>("GET", "/v1/dev/clock", { key: adminKey });
  return Date.parse(clock.now);
}

/** A new API key for `role` (created by the admin through POST /v1/keys). */
export async function createKey(role: string, ownerId: string): Promise<string> {
  const created = await apiCall<{ key: string }>("POST", "/v1/keys", {
    key: adminKey,
    body: { ownerId, role, name: `e2e ${role}` },
  });
  return created.key;
}

/** Console errors other than the browser's "Failed to load resource" lines for `expectedStatuses`. */
export function unexpectedErrors(
  errors: readonly string[],
  expectedStatuses: readonly number[] = [],
): string[] {
  return errors.filter(
    (error) =>
      !expectedStatuses.some((status) => error.includes(`the server responded with a status of ${status}`)),
  );
}
