// Proves in a real browser that the auction page's what-if form clears a simulated round through POST /v1/auctions/simulate and shows its clearing price, cap and supply curve, that it draws a real cleared round's curve from GET /v1/auctions, that a bad bid shows the problem's field error, and that the page asks for a key instead of failing without one.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  adminKey,
  apiCall,
  createKey,
  launchBrowser,
  openPage,
  screenshot,
  serviceNowMs,
  unexpectedErrors,
} from "./support";

let browser: Browser;
let userKey: string;

beforeAll(async () => {
  browser = await launchBrowser();
  userKey = await createKey("lp", "lp_e2e_auction");
});

afterAll(async () => {
  await browser?.close();
});

/** The supply chart's datasets as label → points. */
async function supplyChart(page: Page): Promise<Record<string, number[][]>> {
  return await page.evaluate<Record<string, number[][]>>(`(() => {
    const chart = Chart.getChart(document.getElementById("supply-chart"));
    if (!chart) return {};
    return Object.fromEntries(chart.data.datasets.map((set) => [set.label, set.data.map((p) => [p.x, p.y])]));
  })()`);
}

describe("auction page", () => {
  it("shows the clearing price, cap and supply curve of a simulated round", async () => {
    const { page, context, errors } = await openPage(browser, "/auction.html", "desktop", {
      apiKey: userKey,
    });
    await page.locator("#rounds-panel:not([aria-busy])").waitFor();
    // Cap 30,000 TFP; reference 0.05 with a 20 % minimum discount → ceiling 0.04, so the 0.045 bid is
    // ineligible; 10,000 @ 0.030 + 8,000 @ 0.034 + 12,000 @ 0.036 reach the cap → clearing at 0.036.
    await page.getByRole("button", { name: "Simulate" }).click();
    await page.locator("#clearing-price", { hasText: "0.036" }).waitFor();
    expect(await page.locator("#cap-amount").textContent()).toContain("30,000");
    expect(await page.locator("#filled-amount").textContent()).toBe("30,000");
    expect(await page.locator("#payout-total").textContent()).toBe("1,080"); // 30,000 × 0.036
    expect(await page.locator("#price-ceiling").textContent()).toBe("0.04");
    // The exit margin left to the remaining LPs: 30,000 × (0.05 − 0.036) = 420 USDC.
    expect(await page.locator("#margin-total").textContent()).toBe("420.00");
    const outcome = await page.locator("#outcome-rows tr").allTextContents();
    expect(outcome).toHaveLength(5);
    expect(outcome[3]).toContain("rejected");
    expect(outcome[4]).toContain("ineligible");
    const chart = await supplyChart(page);
    expect(chart["Clearing price 0.036"]?.[0]?.[0]).toBeCloseTo(0.036, 9);
    expect(chart.Cap?.[0]?.[1]).toBe(30_000);
    expect(chart["TFP offered at or below the price"]?.length).toBeGreaterThan(3);
    await screenshot(page, "auction-simulated-desktop");

    // What if the cap were smaller? The clearing price moves down the curve.
    await page.fill("#cap", "15000");
    await page.getByRole("button", { name: "Simulate" }).click();
    await page.locator("#clearing-price", { hasText: "0.034" }).waitFor();
    expect(unexpectedErrors(errors)).toEqual([]);
    await context.close();
  });

  it("draws the supply curve, cap and clearing price of a cleared round of a pool", async () => {
    // A pool of its own (the demo pool may have a round open from another file), funded by
    // lp_carol (demo seed), who then sells TFP from her demo account into a round that closes in
    // 3 seconds.
    const carolKey = await createKey("lp", "lp_carol");
    const stamp = Date.now();
    const pool = await apiCall<{ id: string }>("POST", "/v1/pools", {
      key: adminKey,
      body: { name: `e2e auction pool ${stamp}` },
    });
    await apiCall("POST", "/v1/transfers", {
      key: adminKey,
      idempotencyKey: `e2e-usdc-${stamp}`,
      body: {
        transfers: [
          {
            type: "posted",
            debitAccountId: "acc_issuance_usdc",
            creditAccountId: "acc_demo_carol_usdc",
            asset: "USDC",
            amount: "10000",
            code: "manual_adjustment",
          },
        ],
      },
    });
    await apiCall("POST", `/v1/pools/${pool.id}/positions`, {
      key: carolKey,
      idempotencyKey: `e2e-position-${stamp}`,
      body: { asset: "USDC", amount: "10000", accountId: "acc_demo_carol_usdc" },
    });
    const round = await apiCall<{ id: string }>("POST", "/v1/auctions", {
      key: adminKey,
      idempotencyKey: `e2e-round-${stamp}`,
      body: {
        poolId: pool.id,
        // The service's clock, which another file may have moved ahead of this machine's.
        closesAt: new Date((await serviceNowMs()) + 3_000).toISOString(),
        reference: { source: "fixed", price: "0.05" },
      },
    });
    for (const [index, [amount, minPrice]] of [
      ["500", "0.03"],
      ["1000", "0.035"],
      ["2000", "0.038"],
    ].entries()) {
      await apiCall("POST", `/v1/auctions/${round.id}/bids`, {
        key: carolKey,
        idempotencyKey: `e2e-bid-${round.id}-${index}`,
        body: { amount, minPrice, accountId: "acc_demo_carol_tfp", payoutAccountId: "acc_demo_carol_usdc" },
      });
    }
    await expect
      .poll(
        async () =>
          (await apiCall<{ result: unknown }>("GET", `/v1/auctions/${round.id}`, { key: carolKey }))
            .result !== null,
        { timeout: 20_000, interval: 500 },
      )
      .toBe(true);
    const cleared = await apiCall<{ result: { clearingPrice: string | null; cap: { amount: string } } }>(
      "GET",
      `/v1/auctions/${round.id}`,
      { key: carolKey },
    );

    const { page, context, errors } = await openPage(browser, "/auction.html", "desktop", {
      apiKey: carolKey,
    });
    const row = page.locator("#round-rows tr", { hasText: round.id });
    await row.waitFor();
    await row.getByRole("button", { name: "Show curve" }).click();
    await page.locator("#result-source", { hasText: round.id }).waitFor();
    const chart = await supplyChart(page);
    expect(chart.Cap?.[0]?.[1]).toBeCloseTo(Number(cleared.result.cap.amount), 6);
    expect(chart["TFP offered at or below the price"]?.at(-1)?.[1]).toBe(3_500);
    if (cleared.result.clearingPrice === null) {
      expect(await page.locator("#clearing-price").textContent()).toBe("nothing cleared");
    } else {
      expect(Number((await page.locator("#clearing-price").textContent())?.replaceAll(",", ""))).toBeCloseTo(
        Number(cleared.result.clearingPrice),
        6,
      );
    }
    await screenshot(page, "auction-round-desktop");
    expect(unexpectedErrors(errors)).toEqual([]);
    await context.close();
  });

  it("shows a bad bid's field error from the problem details", async () => {
    const { page, context, errors } = await openPage(browser, "/auction.html", "phone", { apiKey: userKey });
    await page.getByLabel("Bid 2 amount in TFP").fill("-5");
    await page.getByRole("button", { name: "Simulate" }).click();
    const problem = page.locator("#simulate-problem");
    await problem.waitFor({ state: "visible" });
    expect(await problem.locator(".problem-title").textContent()).toBe("The request is not valid");
    expect(await problem.textContent()).toContain("bids.1.amount");
    expect(await page.getByLabel("Bid 2 amount in TFP").getAttribute("aria-invalid")).toBe("true");
    await screenshot(page, "auction-problem-phone");
    expect(unexpectedErrors(errors, [422])).toEqual([]);
    await context.close();
  });

  it("asks for a key rather than calling the API without one", async () => {
    const { page, context, errors } = await openPage(browser, "/auction.html", "phone");
    await page.locator("#rounds-problem").waitFor({ state: "visible" });
    expect(await page.locator("#rounds-problem").textContent()).toContain("needs an API key");
    await page.getByRole("button", { name: "Simulate" }).click();
    expect(await page.locator("#simulate-problem").textContent()).toContain("needs an API key");
    await screenshot(page, "auction-no-key-phone");
    expect(unexpectedErrors(errors)).toEqual([]);
    await context.close();
  });
});
