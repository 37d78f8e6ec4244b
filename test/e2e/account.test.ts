// Proves in a real browser that a user reserves slices and places an interruptible bid from a market row with the CC hold shown before confirming (the lease exists and holds that CC, the bid is in the node's book), sees a bad field's problem beside it, follows their leases (with events) and bids on the account page and cancels a bid, posts a capacity request and accepts a farmer's offer (it becomes a lease), and gets a card checkout quote with their balances; each checked through the API.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  adminKey,
  apiCall,
  createKey,
  launchBrowser,
  openPage,
  screenshot,
  unexpectedErrors,
} from "./support";

let browser: Browser;
let userKey: string;
let farmerKey: string;
let accountId: string;
let nodeId: string;
const stamp = Date.now().toString(36);
const userId = `usr_e2e_account_${stamp}`;
const farmerId = `frm_e2e_account_${stamp}`;
const region = `e2e-account-${stamp}`;

type Lease = { id: string; nodeId: string; slices: number; status: string; source: string };
type Bid = { id: string; nodeId: string; status: string; priceCcPerSliceHour: string };

beforeAll(async () => {
  browser = await launchBrowser();
  userKey = await createKey("user", userId);
  farmerKey = await createKey("farmer", farmerId);
  // 0.01 USD per slice-hour is 0.078125 CC at the demo peg (0.128 USD per CC).
  const node = await apiCall<{ id: string }>("POST", "/v1/nodes", {
    key: farmerKey,
    body: {
      name: "E2E account node",
      catalogueId: "3node-home",
      region,
      sliceCount: 7,
      pricePerSliceMonth: "3",
      pricePerSliceHour: "0.01",
    },
  });
  nodeId = node.id;
  await apiCall("POST", `/v1/nodes/${nodeId}/heartbeat`, { key: farmerKey });
  const account = await apiCall<{ id: string }>("POST", "/v1/accounts", {
    key: adminKey,
    body: { ownerId: userId, asset: "CC", kind: "user" },
  });
  accountId = account.id;
  await apiCall("POST", "/v1/transfers", {
    key: adminKey,
    idempotencyKey: `e2e-account-fund-${stamp}`,
    body: {
      transfers: [
        {
          type: "posted",
          debitAccountId: "acc_issuance_cc",
          creditAccountId: accountId,
          asset: "CC",
          amount: "200",
          code: "manual_adjustment",
        },
      ],
    },
  });
});

afterAll(async () => {
  await browser?.close();
});

async function held(): Promise<number> {
  const account = await apiCall<{ balance: { pendingDebits: string } }>("GET", `/v1/accounts/${accountId}`, {
    key: userKey,
  });
  return Number(account.balance.pendingDebits);
}

describe("user flows", () => {
  it("reserves and bids from a market row with the hold shown before confirming", async () => {
    const { page, context, errors } = await openPage(browser, "/", "phone", { apiKey: userKey });
    // On a phone the filters start folded.
    await page.locator("#filters:not([open])").waitFor({ state: "attached" });
    await page.locator("#filters summary").click();
    await page.fill("#region", region);
    await page.getByRole("button", { name: "Show slices" }).click();
    await page.locator("#slice-count", { hasText: "(1)" }).waitFor();
    await page.getByRole("button", { name: "Order slices of E2E account node" }).click();
    await page.locator("#order-account option", { hasText: accountId }).waitFor({ state: "attached" });

    // A bad slice count: the API's problem names the field and the page marks it.
    await page.fill("#order-slices", "0");
    await page.locator("#order-submit").click();
    await page.locator("#order-slices[aria-invalid=true]").waitFor();
    expect(await page.locator("#order-slices + .field-error").textContent()).not.toBe("");
    expect(await page.locator("#order-problem").textContent()).toContain("slices");

    // 2 slices for 48 h hold the first 24 h: 0.078125 × 2 × 24 = 3.75 CC.
    await page.fill("#order-slices", "2");
    await page.fill("#order-duration", "48");
    expect(await page.locator("#order-hold").textContent()).toContain("Holds 3.75 CC now");
    await page.getByRole("button", { name: "Reserve, holding 3.75 CC" }).click();
    await page.locator("#order-done", { hasText: "Reserved: lease" }).waitFor();
    const leases = await apiCall<{ data: Lease[] }>("GET", "/v1/leases", { key: userKey });
    expect(leases.data).toEqual([expect.objectContaining({ nodeId, slices: 2, status: "running" })]);
    expect(await held()).toBeCloseTo(3.75, 6);

    // An interruptible bid: 1 slice at 0.1 CC holds 0.1 × 1 × 24 = 2.4 CC.
    await page.check("#mode-bid");
    await page.fill("#order-slices", "1");
    await page.fill("#order-price", "0.1");
    expect(await page.locator("#order-hold").textContent()).toContain("Holds 2.40 CC now");
    await page.getByRole("button", { name: "Place bid, holding 2.40 CC" }).click();
    await page.locator("#order-done", { hasText: "placed: open" }).waitFor();
    const book = await apiCall<{ data: Bid[] }>("GET", `/v1/nodes/${nodeId}/bids`, { key: farmerKey });
    expect(book.data).toEqual([expect.objectContaining({ status: "open", priceCcPerSliceHour: "0.1" })]);
    expect(await held()).toBeCloseTo(6.15, 6);
    // The long ids in the confirmations wrap: the phone page does not scroll sideways.
    expect(
      await page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth"),
    ).toBeLessThanOrEqual(0);
    await screenshot(page, "market-order-phone");
    expect(unexpectedErrors(errors, [422])).toEqual([]);
    await context.close();
  });

  it("follows leases with their events and cancels a bid on the account page", async () => {
    const { page, context, errors } = await openPage(browser, "/account.html", "desktop", {
      apiKey: userKey,
    });
    const lease = page.locator("#lease-rows tr").first();
    await lease.waitFor();
    expect(await lease.textContent()).toContain("running");
    await lease.getByRole("button", { name: /^Events of / }).click();
    await page.locator("#event-list li", { hasText: "hold_placed" }).first().waitFor();
    const bid = page.locator("#bid-rows tr", { hasText: "open" });
    await bid.waitFor();
    await bid.getByRole("button", { name: /^Cancel / }).click();
    await page.locator("#bid-rows tr", { hasText: "cancelled" }).waitFor();
    const bids = await apiCall<{ data: Bid[] }>("GET", "/v1/bids", { key: userKey });
    expect(bids.data.map((each) => each.status)).toEqual(["cancelled"]);
    expect(await held()).toBeCloseTo(3.75, 6);
    // Balances: 200 CC posted, 3.75 held by the lease.
    const balance = page.locator("#balance-rows tr", { hasText: accountId });
    expect(await balance.locator("td").nth(2).textContent()).toBe("3.75");
    await screenshot(page, "account-leases-desktop");
    expect(unexpectedErrors(errors)).toEqual([]);
    await context.close();
  });

  it("posts a capacity request, accepts a farmer's offer, and gets a checkout quote", async () => {
    const { page, context, errors } = await openPage(browser, "/account.html", "desktop", {
      apiKey: userKey,
    });
    await page.locator("#balance-rows tr").first().waitFor();
    await page.fill("#request-region", region);
    await page.fill("#request-max-price", "0.2");
    await page.getByRole("button", { name: "Post request" }).click();
    await page.locator("#request-done", { hasText: "posted" }).waitFor();
    const requests = await apiCall<{ data: { id: string; status: string }[] }>(
      "GET",
      "/v1/capacity-requests",
      {
        key: userKey,
      },
    );
    const requestId = requests.data[0]?.id ?? "";
    expect(requests.data[0]?.status).toBe("open");
    const offer = await apiCall<{ id: string }>("POST", `/v1/capacity-requests/${requestId}/offers`, {
      key: farmerKey,
      body: { nodeId, priceCcPerSliceHour: "0.1" },
    });
    await page.reload();
    await page.getByRole("button", { name: `Accept offer ${offer.id}` }).click();
    await page.locator("#request-done", { hasText: "Offer accepted: lease" }).waitFor();
    const accepted = await apiCall<{ status: string; leaseId: string | null }>(
      "GET",
      `/v1/capacity-requests/${requestId}`,
      { key: userKey },
    );
    expect(accepted.status).toBe("accepted");
    const leases = await apiCall<{ data: Lease[] }>("GET", "/v1/leases", { key: userKey });
    expect(leases.data.find((lease) => lease.id === accepted.leaseId)?.source).toBe("capacity_request");
    await page.locator(`[data-request="${requestId}"]`, { hasText: `Lease ${accepted.leaseId}` }).waitFor();

    // Buying CC by card: a quote at the peg (10 USD → 78.125 CC) with the checkout link when configured.
    await page.selectOption("#checkout-account", accountId);
    await page.fill("#checkout-amount", "10");
    await page.getByRole("button", { name: "Get a checkout link" }).click();
    const quoteLine = page.locator("#checkout-result [data-quote]");
    await quoteLine.waitFor();
    expect(await quoteLine.textContent()).toContain("buys 78.13 CC");
    const quoteId = (await quoteLine.getAttribute("data-quote")) ?? "";
    const quote = await apiCall<{ status: string; accountId: string }>(
      "GET",
      `/v1/credits/checkout/${quoteId}`,
      {
        key: userKey,
      },
    );
    expect(quote).toMatchObject({ status: "open", accountId });
    await page.fill("#checkout-amount", "-1");
    await page.getByRole("button", { name: "Get a checkout link" }).click();
    await page.locator("#checkout-amount[aria-invalid=true]").waitFor();
    expect(await page.locator("#checkout-amount + .field-error").textContent()).toContain("decimal");
    expect(await page.locator("#checkout-result").textContent()).toBe(""); // no stale quote beside the error
    await screenshot(page, "account-requests-desktop");
    expect(unexpectedErrors(errors, [422])).toEqual([]);
    await context.close();
  });
});
