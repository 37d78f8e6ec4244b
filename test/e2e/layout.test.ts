// Proves in a real browser that every dashboard page holds its layout from 360 px to 1920 px wide (no horizontal scroll of the page: wide tables scroll inside their panel), shows no spec section numbers, saves a screenshot of every page at 390 px and 1400 px, and that the navigation lists the pages of the signed-in role read from GET /v1/me.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { adminKey, launchBrowser, openPage, screenshot, unexpectedErrors } from "./support";

let browser: Browser;
const demoKeys = inject("e2eDemoKeys");

/** Every page, with the demo key it is seen with (the role it is made for). */
const pages = [
  { name: "market", path: "/", key: demoKeys.usr_alice },
  { name: "calculator", path: "/calculator.html", key: undefined },
  { name: "account", path: "/account.html", key: demoKeys.usr_alice },
  { name: "farmer", path: "/farmer.html", key: demoKeys.frm_bob },
  { name: "pools", path: "/pools.html", key: demoKeys.lp_carol },
  { name: "auction", path: "/auction.html", key: demoKeys.lp_carol },
  { name: "prices", path: "/prices.html", key: adminKey },
];
const widths = [360, 390, 1400, 1920];

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

describe("layout of every page", () => {
  it.each(pages)(
    "$name holds from 360 px to 1920 px with no horizontal scroll",
    async ({ name, path, key }) => {
      for (const width of widths) {
        const { page, context, errors } = await openPage(
          browser,
          path,
          "desktop",
          key ? { apiKey: key } : {},
        );
        await page.setViewportSize({ width, height: 900 });
        await page.waitForLoadState("networkidle");
        await page
          .locator("[aria-busy=true]")
          .first()
          .waitFor({ state: "detached", timeout: 10_000 })
          .catch(() => {});
        const overflow = await page.evaluate<number>(
          "document.documentElement.scrollWidth - window.innerWidth",
        );
        expect(overflow, `${name} at ${width} px scrolls sideways by ${overflow} px`).toBeLessThanOrEqual(0);
        expect(await page.locator("body").textContent()).not.toContain("§");
        if (width === 390 || width === 1400) await screenshot(page, `page-${name}-${width}`);
        expect(unexpectedErrors(errors)).toEqual([]);
        await context.close();
      }
    },
  );

  it("lists the pages of the signed-in role in the navigation", async () => {
    const expected: [string | undefined, string[]][] = [
      [undefined, ["Market", "Calculator"]],
      [demoKeys.usr_alice, ["Market", "Calculator", "Account", "Auction", "Prices"]],
      [demoKeys.frm_bob, ["Market", "Calculator", "Account", "Farmer", "Auction", "Prices"]],
      [demoKeys.lp_carol, ["Market", "Calculator", "Account", "Pools", "Auction", "Prices"]],
      [adminKey, ["Market", "Calculator", "Account", "Farmer", "Pools", "Auction", "Prices"]],
    ];
    for (const [key, labels] of expected) {
      const { page, context, errors } = await openPage(
        browser,
        "/calculator.html",
        "phone",
        key ? { apiKey: key } : {},
      );
      if (key) await page.locator("#signed-in").waitFor();
      else await page.locator("#key-form input").waitFor();
      expect(await page.locator("nav a").allTextContents()).toEqual(labels);
      expect(unexpectedErrors(errors)).toEqual([]);
      await context.close();
    }
  });

  it("signs in with a key typed in the header and shows its owner and role", async () => {
    const { page, context, errors } = await openPage(browser, "/", "phone");
    await page.fill("#api-key", "tfm_notakey");
    await page.getByRole("button", { name: "Sign in" }).click();
    expect(await page.locator("#api-key").getAttribute("aria-invalid")).toBe("true");
    await page.fill("#api-key", demoKeys.frm_bob ?? "");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator("#signed-in", { hasText: "frm_bob · farmer" }).waitFor();
    expect(await page.locator("nav a").allTextContents()).toContain("Farmer");
    // Kept for the tab: another page knows the owner without asking again.
    await page.goto("/farmer.html");
    await page.locator("#signed-in", { hasText: "frm_bob" }).waitFor();
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.locator("#api-key").waitFor();
    expect(await page.locator("nav a").allTextContents()).toEqual(["Market", "Calculator", "Farmer"]);
    expect(unexpectedErrors(errors)).toEqual([]);
    await context.close();
  });
});
