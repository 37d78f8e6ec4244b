// Proves in a real browser that a farmer, with a key typed into the page, sees their nodes, edits a node's price inside its band (PUT /v1/nodes/{id}/price) and gets the problem's title and the band when the price is outside it, and sees earnings and the projected-versus-actual chart (GET /v1/nodes/{id}/projection), without console errors.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiCall, createKey, launchBrowser, openPage, screenshot, unexpectedErrors } from "./support";

let browser: Browser;
let farmerKey: string;
let nodeId: string;
const farmerId = "frm_e2e_farmer";

beforeAll(async () => {
  browser = await launchBrowser();
  farmerKey = await createKey("farmer", farmerId);
  const node = await apiCall<{ id: string }>("POST", "/v1/nodes", {
    key: farmerKey,
    body: {
      name: "E2E farmer node",
      catalogueId: "3node-home",
      region: "e2e-farmer",
      sliceCount: 7,
      pricePerSliceMonth: "3",
      pricePerSliceHour: "0.01",
    },
  });
  nodeId = node.id;
});

afterAll(async () => {
  await browser?.close();
});

describe("farmer view", () => {
  it("asks for a key first, then takes one typed into the header", async () => {
    const { page, context, errors } = await openPage(browser, "/farmer.html", "phone");
    await page.fill("#farmerId", farmerId);
    await page.getByRole("button", { name: "Show my nodes" }).click();
    expect(await page.locator("#farmer-problem").textContent()).toContain("needs an API key");
    await page.fill("#api-key", farmerKey);
    await page.getByRole("button", { name: "Use key" }).click();
    expect(await page.locator(".key-status").textContent()).toContain("in use");
    await page.getByRole("button", { name: "Show my nodes" }).click();
    await page.locator("#node-rows tr", { hasText: "E2E farmer node" }).waitFor();
    expect(await page.evaluate<string | null>("sessionStorage.getItem('tfgrid-market.apiKey')")).toBe(
      farmerKey,
    );
    await screenshot(page, "farmer-phone");
    expect(unexpectedErrors(errors)).toEqual([]);
    await context.close();
  });

  it("edits a price inside the band and sees a clear error outside it", async () => {
    const { page, context, errors } = await openPage(browser, "/farmer.html", "desktop", {
      apiKey: farmerKey,
    });
    await page.fill("#farmerId", farmerId);
    await page.getByRole("button", { name: "Show my nodes" }).click();
    const row = page.locator("#node-rows tr", { hasText: "E2E farmer node" });
    await row.waitFor();
    expect(await row.textContent()).toContain(nodeId);
    expect(await row.textContent()).toContain("3.00 USD");
    expect(await row.textContent()).toContain("1.20 – 12.00 USD"); // the 3Node Home band (§12.2)

    await page.getByRole("button", { name: "Edit prices of E2E farmer node" }).click();
    expect(await page.locator("#month-band").textContent()).toBe("Band 1.2 – 12");
    await page.fill("#pricePerSliceMonth", "5");
    await page.fill("#pricePerSliceHour", "0.02");
    await page.getByRole("button", { name: "Save prices" }).click();
    await page.locator("#price-saved", { hasText: "Saved" }).waitFor();
    expect(await row.textContent()).toContain("5.00 USD");
    const stored = await apiCall<{ prices: { perSliceMonth: string } }>("GET", `/v1/nodes/${nodeId}`);
    expect(stored.prices.perSliceMonth).toBe("5");

    await page.fill("#pricePerSliceMonth", "20");
    await page.getByRole("button", { name: "Save prices" }).click();
    const problem = page.locator("#price-problem");
    await problem.waitFor({ state: "visible" });
    expect(await problem.locator(".problem-title").textContent()).toBe("Price outside band");
    expect(await problem.textContent()).toContain(
      "pricePerSliceMonth: price 20 USD per slice-month is outside",
    );
    expect(await problem.textContent()).toContain("[1.2, 12]");
    expect(await problem.textContent()).not.toContain("{");
    expect(await page.locator("#pricePerSliceMonth").getAttribute("aria-invalid")).toBe("true");
    expect(await row.textContent()).toContain("5.00 USD"); // unchanged
    await screenshot(page, "farmer-price-error-desktop");

    // Earnings (none settled yet) and the projection: 7 slices × 5 USD × 80 % = 28 USD a month.
    expect(await page.locator("#earnings-figures").textContent()).toContain("0.00 CC");
    await page.locator("#projection-note", { hasText: "218.75 CC (28.00 USD)" }).waitFor();
    const datasets = await page.evaluate<number>(
      `Chart.getChart(document.getElementById("projection-chart")).data.datasets.length`,
    );
    expect(datasets).toBe(3);
    expect(unexpectedErrors(errors, [422])).toEqual([]);
    await context.close();
  });
});
