// Proves in a real browser that the market page lists slices from GET /v1/market/slices with prices in USD and CC and reliability, that its filters narrow the list, and that it loads without console errors at phone and desktop widths.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  apiCall,
  createKey,
  launchBrowser,
  openPage,
  screenshot,
  unexpectedErrors,
  type ViewportName,
} from "./support";

let browser: Browser;
const region = "e2e-market";

beforeAll(async () => {
  browser = await launchBrowser();
  const farmer = await createKey("farmer", "frm_e2e_market");
  // Three nodes in their own region: 4 GB, 25.4 GB and (AI) 31 GB of RAM per slice.
  const nodes = [
    {
      name: "E2E 3Node Home",
      catalogueId: "3node-home",
      sliceCount: 7,
      pricePerSliceMonth: "3",
      pricePerSliceHour: "0.01",
    },
    {
      name: "E2E Large Node",
      catalogueId: "large-tfgrid-node",
      sliceCount: 20,
      pricePerSliceMonth: "20",
      pricePerSliceHour: "0.05",
    },
    {
      name: "E2E Mini AI",
      catalogueId: "mini-ai-1",
      sliceCount: 4,
      pricePerSliceMonth: "50",
      pricePerSliceHour: "0.1",
    },
  ];
  for (const node of nodes) {
    await apiCall("POST", "/v1/nodes", { key: farmer, body: { ...node, region } });
  }
});

afterAll(async () => {
  await browser?.close();
});

async function listedNames(page: Page): Promise<string[]> {
  await page.locator("#slices-panel:not([aria-busy])").waitFor();
  return (await page.locator("#slice-rows th span:first-child").allTextContents()).map((name) => name.trim());
}

describe("market page", () => {
  it.each(["phone", "desktop"] as ViewportName[])(
    "lists slices at %s width without console errors",
    async (viewport) => {
      const { page, context, errors } = await openPage(browser, "/", viewport);
      await page.locator("#slice-rows tr").first().waitFor();
      const names = await listedNames(page);
      expect(names).toEqual(expect.arrayContaining(["E2E 3Node Home", "E2E Large Node", "E2E Mini AI"]));
      const home = page.locator("#slice-rows tr", { hasText: "E2E 3Node Home" });
      // 3 USD per slice-month is 23.44 CC at the demo peg (0.128 USD per CC).
      expect(await home.locator("td").nth(6).locator(".line").allTextContents()).toEqual([
        "3.00 USD",
        "23.44 CC",
      ]);
      expect(await home.textContent()).toContain("0.0 %"); // no heartbeats yet: reliability 0
      expect(
        await page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth"),
      ).toBeLessThanOrEqual(1);
      await screenshot(page, `market-${viewport}`);
      expect(unexpectedErrors(errors)).toEqual([]);
      await context.close();
    },
  );

  it("narrows the list with the filters", async () => {
    const { page, context, errors } = await openPage(browser, "/");
    await page.fill("#region", region);
    await page.getByRole("button", { name: "Show slices" }).click();
    await page.locator("#slice-count", { hasText: "(3)" }).waitFor();
    expect((await listedNames(page)).sort()).toEqual(["E2E 3Node Home", "E2E Large Node", "E2E Mini AI"]);

    await page.fill("#minMemGb", "20");
    await page.getByRole("button", { name: "Show slices" }).click();
    await page.locator("#slice-count", { hasText: "(2)" }).waitFor();
    expect((await listedNames(page)).sort()).toEqual(["E2E Large Node", "E2E Mini AI"]);

    await page.check("#gpu");
    await page.getByRole("button", { name: "Show slices" }).click();
    await page.locator("#slice-count", { hasText: "(1)" }).waitFor();
    expect(await listedNames(page)).toEqual(["E2E Mini AI"]);
    await screenshot(page, "market-filtered-desktop");

    await page.uncheck("#gpu");
    await page.fill("#minMemGb", "");
    await page.fill("#maxPricePerSliceHour", "0.05");
    await page.selectOption("#sort", "-price");
    await page.locator("#slice-count", { hasText: "(2)" }).waitFor();
    expect(await listedNames(page)).toEqual(["E2E Large Node", "E2E 3Node Home"]);
    expect(unexpectedErrors(errors)).toEqual([]);
    await context.close();
  });

  it("shows a bad filter's field error from the problem details", async () => {
    const { page, context, errors } = await openPage(browser, "/", "phone");
    // On a phone the filters start folded so the slices come first.
    await page.locator("#filters:not([open])").waitFor({ state: "attached" });
    await page.locator("#filters summary").click();
    await page.fill("#minCores", "1.23456");
    await page.getByRole("button", { name: "Show slices" }).click();
    const problem = page.locator("#market-problem");
    await problem.waitFor({ state: "visible" });
    expect(await problem.locator(".problem-title").textContent()).toBe("The request is not valid");
    expect(await problem.textContent()).toContain(
      "query.minCores: must be a decimal with at most 3 decimals",
    );
    expect(await page.locator("#minCores").getAttribute("aria-invalid")).toBe("true");
    expect(await page.locator("#minCores + .field-error").textContent()).toBe(
      "must be a decimal with at most 3 decimals",
    );
    expect(unexpectedErrors(errors, [422])).toEqual([]);
    await context.close();
  });
});
