// Proves in a real browser that the calculator page loads without console errors at phone and desktop widths, that its numbers and its Chart.js income chart change with the inputs, and that a bad input shows the problem's title and field error rather than raw JSON.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseUrl, launchBrowser, openPage, screenshot, unexpectedErrors, type ViewportName } from "./support";

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

/** The income chart's first dataset (gross income across the band) as [price, income] pairs. */
async function grossCurve(page: Page): Promise<number[][]> {
  return await page.evaluate<number[][]>(`(() => {
    const chart = Chart.getChart(document.getElementById("income-chart"));
    return chart ? chart.data.datasets[0].data.map((point) => [point.x, point.y]) : [];
  })()`);
}

/** Waits until no calculation is scheduled or running and the results show figures. */
async function settled(page: Page): Promise<void> {
  await page.locator("#results[data-state=idle]").waitFor();
  await page.locator("#min-income", { hasText: "USD" }).waitFor();
}

describe("calculator page", () => {
  it("is served by the Worker's static assets with the Content-Security-Policy and Chart.js", async () => {
    const page = await fetch(`${baseUrl}/calculator.html`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    const chart = await fetch(`${baseUrl}/vendor/chart.umd.min.js`);
    expect(chart.status).toBe(200);
    expect(await chart.text()).toContain("Chart.js v4");
  });

  it.each(["phone", "desktop"] as ViewportName[])(
    "loads at %s width without console errors",
    async (viewport) => {
      const { page, context, errors } = await openPage(browser, "/calculator.html", viewport);
      await settled(page);
      expect(await page.locator("#min-income").textContent()).toContain("10.92 USD");
      expect(await grossCurve(page)).toHaveLength(21);
      // The expected range's markers sit at the band's lowest and highest prices (the curve's
      // ends), and a caption explains them; the scenario names cite no spec section.
      const curve = await grossCurve(page);
      const markers = await page.evaluate<number[][]>(`(() => {
        const chart = Chart.getChart(document.getElementById("income-chart"));
        const set = chart.data.datasets.find((each) => each.label.startsWith("Expected range"));
        return set.data.map((point) => [point.x, point.y]);
      })()`);
      expect(markers.map(([x]) => x)).toEqual([curve[0]?.[0], curve.at(-1)?.[0]]);
      expect(await page.locator("#income-caption").textContent()).toContain("expected range");
      expect(await page.locator("#scenario-rows").textContent()).toContain("Lowest expected");
      expect(await page.locator("main").textContent()).not.toContain("§");
      // Nothing overflows the viewport sideways (wide tables scroll inside their own box).
      expect(
        await page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth"),
      ).toBeLessThanOrEqual(1);
      await screenshot(page, `calculator-${viewport}`);
      expect(unexpectedErrors(errors)).toEqual([]);
      await context.close();
    },
  );

  it("changes its numbers and chart with the preset, slice count, price and utilisation", async () => {
    const { page, context, errors } = await openPage(browser, "/calculator.html");
    await settled(page);
    expect(await page.locator("#min-income").textContent()).toContain("10.92 USD"); // 3Node Home (§12.4)
    const homeCurve = await grossCurve(page);

    await page.selectOption("#preset", "large-tfgrid-node");
    await page.locator("#min-income", { hasText: "198.12" }).waitFor();
    await settled(page);
    expect(await page.locator("#max-income").textContent()).toContain("2,286.00 USD");
    const largeCurve = await grossCurve(page);
    expect(largeCurve).not.toEqual(homeCurve);
    expect(largeCurve.at(-1)?.[0]).toBeCloseTo(76.2, 6); // the band's maximum per slice-month

    // Fewer, bigger slices: the band moves up ((512 − 4) / 10 GB × 0.3 × 10 = 152.4 at most).
    await page.fill("#sliceCount", "10");
    await expect.poll(async () => (await grossCurve(page)).at(-1)?.[0]).toBeCloseTo(152.4, 6);
    await settled(page);

    await page.fill("#price", "100");
    await page.locator("#utilisation").fill("50");
    await page.locator("#chosen-income", { hasText: "500.00 USD" }).waitFor();
    await settled(page);
    expect(await page.locator("#chosen-farmer").textContent()).toContain("400.00 USD"); // 10 × 100 × 0.5 × 0.8
    expect(await page.locator("#chosen-break-even").textContent()).toBe("5 months"); // 2,000 USD / 400
    expect(await page.locator("#utilisation-value").textContent()).toBe("50 %");
    await screenshot(page, "calculator-large-node");
    expect(unexpectedErrors(errors)).toEqual([]);
    await context.close();
  });

  it("shows a problem's title and field error for custom hardware below the memory reserve", async () => {
    const { page, context, errors } = await openPage(browser, "/calculator.html", "phone");
    await settled(page);
    await page.selectOption("#preset", "custom");
    await settled(page);
    await page.fill("#memGb", "4");
    const problem = page.locator("#calculator-problem");
    await problem.waitFor({ state: "visible" });
    expect(await problem.locator(".problem-title").textContent()).toBe("The request is not valid");
    expect(await problem.textContent()).toContain(
      "hardware.memGb: memGb must exceed the 4 GB reserved per node",
    );
    expect(await problem.textContent()).not.toContain("{");
    expect(await page.locator("#memGb").getAttribute("aria-invalid")).toBe("true");
    await screenshot(page, "calculator-problem-phone");

    await page.fill("#memGb", "36");
    await problem.waitFor({ state: "hidden" });
    await settled(page);
    expect(await page.locator("#memGb").getAttribute("aria-invalid")).toBeNull();
    expect(await page.locator("#min-income").textContent()).toContain("USD");
    expect(unexpectedErrors(errors, [422])).toEqual([]);
    await context.close();
  });
});
