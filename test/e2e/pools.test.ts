// Proves in a real browser that a liquidity provider contributes to a pool and sees the position and its share, bids in an open exit round with a warning before submitting a minimum price above the round's ceiling (the TFP is then held, checked through the API), and sees the bid's fill, payout and the exit margin paid to the pool's positions once the round settles.
import type { Browser } from "playwright-core";
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
let lpKey: string;
let poolId: string;
const stamp = Date.now().toString(36);
const ownerId = `lp_e2e_pools_${stamp}`;
const accountIds: Record<"USDC" | "TFP", string> = { USDC: "", TFP: "" };

type Account = { id: string; balance: { available: string; pendingDebits: string } };

beforeAll(async () => {
  browser = await launchBrowser();
  lpKey = await createKey("lp", ownerId);
  const pool = await apiCall<{ id: string }>("POST", "/v1/pools", {
    key: adminKey,
    body: { name: `e2e pools ${stamp}` },
  });
  poolId = pool.id;
  for (const [asset, amount] of [
    ["USDC", "5000"],
    ["TFP", "2000"],
  ] as const) {
    const account = await apiCall<{ id: string }>("POST", "/v1/accounts", {
      key: adminKey,
      body: { ownerId, asset, kind: "lp" },
    });
    accountIds[asset] = account.id;
    await apiCall("POST", "/v1/transfers", {
      key: adminKey,
      idempotencyKey: `e2e-pools-fund-${stamp}-${asset}`,
      body: {
        transfers: [
          {
            type: "posted",
            debitAccountId: `acc_issuance_${asset.toLowerCase()}`,
            creditAccountId: account.id,
            asset,
            amount,
            code: "manual_adjustment",
          },
        ],
      },
    });
  }
});

afterAll(async () => {
  await browser?.close();
});

async function account(id: string): Promise<Account> {
  return await apiCall<Account>("GET", `/v1/accounts/${id}`, { key: lpKey });
}

describe("pools page", () => {
  it("contributes, bids under the ceiling after a warning, and shows the fill, payout and exit margin", async () => {
    const { page, context, errors } = await openPage(browser, `/pools.html?pool=${poolId}`, "phone", {
      apiKey: lpKey,
    });
    await page.locator("#positions-empty").waitFor();
    // Contribute 1,000 USDC: the position is the pool's only one, so its share is 100 %.
    await page.selectOption("#contribute-asset", "USDC");
    await page.fill("#contribute-amount", "1000");
    await page.getByRole("button", { name: "Contribute" }).click();
    await page.locator("#contribute-done", { hasText: "Position" }).waitFor();
    await page.locator("#position-rows tr").first().waitFor();
    const pool = await apiCall<{
      positions: { ownerId: string; amount: string; asset: string; share: string }[];
    }>("GET", `/v1/pools/${poolId}`, { key: lpKey });
    expect(pool.positions).toHaveLength(1);
    expect(pool.positions[0]).toMatchObject({ ownerId, asset: "USDC" });
    expect(Number(pool.positions[0]?.amount)).toBe(1000);
    // The share the API gives the position (value × time: it grows from 0 as the position ages).
    await page.reload();
    await page.locator("#position-rows tr").first().waitFor();
    const shown = Number((await page.locator("#my-share").textContent())?.replace(" %", ""));
    const latest = await apiCall<{ positions: { share: string }[] }>("GET", `/v1/pools/${poolId}`, {
      key: lpKey,
    });
    expect(shown).toBeCloseTo(Number(latest.positions[0]?.share) * 100, 0);

    // A round closing in 12 s: reference 0.05, minimum discount 20 % → ceiling 0.04.
    const round = await apiCall<{ id: string }>("POST", "/v1/auctions", {
      key: adminKey,
      idempotencyKey: `e2e-pools-round-${stamp}`,
      body: {
        poolId,
        closesAt: new Date((await serviceNowMs()) + 12_000).toISOString(),
        reference: { source: "fixed", price: "0.05" },
        rules: { minDiscount: "0.2" },
      },
    });
    await page.reload();
    const card = page.locator(`[data-round="${round.id}"]`);
    await card.locator("form").waitFor();
    await card.getByLabel("TFP to exit").fill("100");
    await card.getByLabel("Lowest price (USDC per TFP)").fill("0.045");
    const warning = card.locator("[data-warning=ceiling]");
    await warning.waitFor();
    expect(await warning.textContent()).toContain("above this round's price ceiling of 0.0400");
    await card.getByRole("button", { name: "Place exit bid" }).click();
    // Warned, not placed.
    expect(
      (await apiCall<{ data: unknown[] }>("GET", `/v1/auctions/${round.id}/bids`, { key: lpKey })).data,
    ).toEqual([]);
    await card.getByLabel("Lowest price (USDC per TFP)").fill("0.03");
    expect(await warning.isHidden()).toBe(true);
    await card.getByRole("button", { name: "Place exit bid" }).click();
    await card.locator(".success", { hasText: "held until the round settles" }).waitFor();
    const bids = await apiCall<{ data: { amount: string; minPrice: string; status: string }[] }>(
      "GET",
      `/v1/auctions/${round.id}/bids`,
      { key: lpKey },
    );
    expect(bids.data).toHaveLength(1);
    expect(bids.data[0]?.status).toBe("held");
    expect([Number(bids.data[0]?.amount), Number(bids.data[0]?.minPrice)]).toEqual([100, 0.03]);
    expect(Number((await account(accountIds.TFP)).balance.pendingDebits)).toBe(100);
    await page.locator("#fill-rows tr", { hasText: "held" }).waitFor();
    await screenshot(page, "pools-bid-phone");

    // Settled: 100 TFP at 0.03 pays 3 USDC; the margin 100 × (0.05 − 0.03) = 2 USDC goes to the position.
    await expect
      .poll(
        async () =>
          (await apiCall<{ state: string }>("GET", `/v1/auctions/${round.id}`, { key: lpKey })).state,
        { timeout: 40_000, interval: 1_000 },
      )
      .toBe("settled");
    await page.reload();
    const fill = page.locator("#fill-rows tr", { hasText: round.id });
    await fill.waitFor();
    expect(await fill.textContent()).toContain("filled");
    expect(await fill.locator("td").nth(5).textContent()).toBe("3.00");
    expect(await card.textContent()).toContain("exit margin to remaining LPs 2.00 USDC");
    expect(await page.locator("#rewards-paid").textContent()).toBe("2.00 USDC");
    await screenshot(page, "pools-settled-phone");
    expect(unexpectedErrors(errors)).toEqual([]);
    await context.close();
  });
});
