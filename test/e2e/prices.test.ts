// Proves in a real browser that the history charts have ticks on round times at one spacing and draw the price in force as a line up to now, and that the prices page shows the oracle's health and the prices in force from GET /v1/prices/latest, and draws gold, CC and TFT history charts from GET /v1/prices/history (demo prices: gold 128 USD/g, so 1 CC = 0.128 USD; TFT 0.05 USD), at phone and desktop widths without console errors.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createKey,
  launchBrowser,
  openPage,
  screenshot,
  unexpectedErrors,
  type ViewportName,
} from "./support";

let browser: Browser;
let key: string;

beforeAll(async () => {
  browser = await launchBrowser();
  key = await createKey("user", "usr_e2e_prices");
});

afterAll(async () => {
  await browser?.close();
});

/** The last point of each history chart, by canvas id. */
async function lastPoints(page: Page): Promise<Record<string, number | null>> {
  return await page.evaluate<Record<string, number | null>>(`(() => {
    const result = {};
    for (const kind of ["gold", "cc", "tft"]) {
      const chart = Chart.getChart(document.getElementById("chart-" + kind));
      const data = chart ? chart.data.datasets[0].data : [];
      result[kind] = data.length > 0 ? data[data.length - 1].y : null;
    }
    return result;
  })()`);
}

describe("prices page", () => {
  it.each(["phone", "desktop"] as ViewportName[])(
    "shows health, prices and history at %s width",
    async (viewport) => {
      const { page, context, errors } = await openPage(browser, "/prices.html", viewport, { apiKey: key });
      await page.locator("#oracle-health", { hasText: "healthy" }).waitFor();
      await page.locator("#history-panels:not([aria-busy])").waitFor();
      const figures = await page.locator("#latest-figures").textContent();
      expect(figures).toContain("128.00");
      expect(figures).toContain("0.128");
      expect(figures).toContain("0.05");
      await expect.poll(() => lastPoints(page)).toEqual({ gold: 128, cc: 0.128, tft: 0.05 });
      expect(await page.locator("#minting-note").textContent()).toContain("available");
      // Ticks on round UTC hours at one spacing, and a line (the price in force up to now) even
      // where the fresh stack has a single accepted price.
      const axis = await page.evaluate<{ ticks: number[]; points: number }>(`(() => {
        const chart = Chart.getChart(document.getElementById("chart-gold"));
        return { ticks: chart.scales.x.ticks.map((tick) => tick.value), points: chart.data.datasets[0].data.length };
      })()`);
      expect(axis.points).toBeGreaterThanOrEqual(2);
      expect(axis.ticks.length).toBeGreaterThanOrEqual(3);
      const steps = new Set(axis.ticks.slice(1).map((value, index) => value - (axis.ticks[index] ?? 0)));
      expect(steps.size).toBe(1);
      for (const value of axis.ticks) expect(value % 3_600_000).toBe(0);
      await screenshot(page, `prices-${viewport}`);
      expect(unexpectedErrors(errors)).toEqual([]);
      await context.close();
    },
  );
});
