// Proves in a real browser that a farmer signed in with their key sees their own nodes without typing an id (GET /v1/me), edits a price inside the band and sees the problem beside the field outside it, registers a node from a preset with the band shown first (and a custom one whose bad field is marked), accepts and rejects bids from the inbox, offers on an open capacity request, commits to a bid package, and sees a node's leases, last heartbeat and earnings per node and lease with the 80/10/10 split at a precision that keeps small amounts; each checked against the API afterwards.
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
let farmerKey: string;
let userKey: string;
let nodeId: string;
const stamp = Date.now().toString(36);
const farmerId = `frm_e2e_farmer_${stamp}`;
const userId = `usr_e2e_farmer_${stamp}`;
const region = `e2e-farmer-${stamp}`;

type Bid = { id: string; status: string; leaseId: string | null };
type Lease = { id: string; nodeId: string; kind: string; status: string };

beforeAll(async () => {
  browser = await launchBrowser();
  farmerKey = await createKey("farmer", farmerId);
  userKey = await createKey("user", userId);
  const node = await apiCall<{ id: string }>("POST", "/v1/nodes", {
    key: farmerKey,
    body: {
      name: "E2E farmer node",
      catalogueId: "3node-home",
      region,
      sliceCount: 7,
      pricePerSliceMonth: "3",
      pricePerSliceHour: "0.01",
    },
  });
  nodeId = node.id;
  // The user's CC: an account funded by the admin (a manual adjustment from issuance).
  const account = await apiCall<{ id: string }>("POST", "/v1/accounts", {
    key: adminKey,
    body: { ownerId: userId, asset: "CC", kind: "user" },
  });
  await apiCall("POST", "/v1/transfers", {
    key: adminKey,
    idempotencyKey: `e2e-farmer-fund-${stamp}`,
    body: {
      transfers: [
        {
          type: "posted",
          debitAccountId: "acc_issuance_cc",
          creditAccountId: account.id,
          asset: "CC",
          amount: "500",
          code: "manual_adjustment",
        },
      ],
    },
  });
});

afterAll(async () => {
  await browser?.close();
});

async function placeBid(price: string): Promise<Bid> {
  return await apiCall<Bid>("POST", `/v1/nodes/${nodeId}/bids`, {
    key: userKey,
    idempotencyKey: `e2e-farmer-bid-${stamp}-${price}`,
    body: { slices: 1, priceCcPerSliceHour: price },
  });
}

describe("farmer view", () => {
  it("shows the signed-in farmer's nodes without an id, and asks for a key without one", async () => {
    const { page, context, errors } = await openPage(browser, "/farmer.html", "phone");
    await page.locator("#farmer-problem", { hasText: "needs a farmer key" }).waitFor();
    await page.fill("#api-key", farmerKey);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator("#node-rows tr", { hasText: "E2E farmer node" }).waitFor();
    expect(await page.locator("#farmer-form").isHidden()).toBe(true);
    expect(await page.locator("#farmer-name").textContent()).toBe(`of ${farmerId}`);
    // On a phone each node is a card: every column is still there, labelled.
    const heartbeat = page.locator("#node-rows tr", { hasText: "E2E farmer node" }).locator("td.heartbeat");
    expect(await heartbeat.getAttribute("data-label")).toBe("Last heartbeat");
    expect(await heartbeat.textContent()).toBe("never");
    await screenshot(page, "farmer-phone");
    expect(unexpectedErrors(errors)).toEqual([]);
    await context.close();
  });

  it("tells a key of another role that the view is for farmers, without calling farmer routes", async () => {
    const { page, context, errors } = await openPage(browser, "/farmer.html", "phone", { apiKey: userKey });
    await page.locator("#farmer-problem", { hasText: "is for farmer keys" }).waitFor();
    expect(await page.locator("#farmer-problem").textContent()).toContain(`${userId}'s, a user key`);
    expect(unexpectedErrors(errors)).toEqual([]);
    await context.close();
  });

  it("edits a price inside the band and shows the problem beside the field outside it", async () => {
    const { page, context, errors } = await openPage(browser, "/farmer.html", "desktop", {
      apiKey: farmerKey,
    });
    const row = page.locator("#node-rows tr", { hasText: "E2E farmer node" });
    await row.waitFor();
    expect(await row.textContent()).toContain(nodeId);
    expect(await row.textContent()).toContain("3.00 USD");
    expect(await row.textContent()).toContain("1.20 – 12.00 USD"); // the 3Node Home band

    await page.getByRole("button", { name: "Edit prices of E2E farmer node" }).click();
    expect(await page.locator("#month-band").textContent()).toBe("Band 1.20 – 12.00 USD");
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
    expect(await problem.textContent()).toContain("[1.2, 12]");
    expect(await problem.textContent()).not.toContain("{");
    expect(await page.locator("#pricePerSliceMonth").getAttribute("aria-invalid")).toBe("true");
    expect(await page.locator("#pricePerSliceMonth + .field-error").textContent()).toContain(
      "price 20 USD per slice-month is outside",
    );
    expect(await row.textContent()).toContain("5.00 USD"); // unchanged

    // The projection: 7 slices × 5 USD × 80 % = 28 USD for a whole month; the caption says the
    // lines are pro rata to the hours the node existed.
    await page.locator("#projection-note", { hasText: "218.75 CC (28.00 USD)" }).waitFor();
    expect(await page.locator("#projection-note").textContent()).toContain("hours the node existed");
    expect(
      await page.evaluate<number>(
        `Chart.getChart(document.getElementById("projection-chart")).data.datasets.length`,
      ),
    ).toBe(3);
    await screenshot(page, "farmer-price-error-desktop");
    expect(unexpectedErrors(errors, [422])).toEqual([]);
    await context.close();
  });

  it("registers a node from a preset with the band shown first, and marks a bad custom field", async () => {
    const { page, context, errors } = await openPage(browser, "/farmer.html", "desktop", {
      apiKey: farmerKey,
    });
    await page.locator("#node-rows tr").first().waitFor();
    await page.selectOption("#register-preset", "mini-1");
    await page.locator("#register-band", { hasText: "Band for this node" }).waitFor();
    const band = await apiCall<{ band: { minPerSliceMonth: { USD: string } } }>(
      "POST",
      "/v1/calculator/node",
      {
        body: { preset: "mini-1" },
      },
    );
    await expect.poll(() => page.inputValue("#register-month")).toBe(band.band.minPerSliceMonth.USD);
    await page.fill("#register-name", "E2E registered mini");
    await page.fill("#register-region", region);
    await page.getByRole("button", { name: "Register node" }).click();
    await page.locator("#register-done", { hasText: "Registered E2E registered mini" }).waitFor();
    await page.locator("#node-rows tr", { hasText: "E2E registered mini" }).waitFor();
    const mine = await apiCall<{ data: { name: string; catalogueId: string | null }[] }>(
      "GET",
      `/v1/farmers/${farmerId}/nodes`,
      { key: farmerKey },
    );
    expect(mine.data.find((node) => node.name === "E2E registered mini")?.catalogueId).toBe("mini-1");

    // Custom hardware with no cores: the problem names the field and the page marks it.
    await page.selectOption("#register-preset", "custom");
    await page.fill("#custom-cores", "");
    await page.fill("#register-name", "E2E custom");
    await page.getByRole("button", { name: "Register node" }).click();
    await page.locator("#custom-cores[aria-invalid=true]").waitFor();
    expect(await page.locator("#custom-cores + .field-error").textContent()).not.toBe("");
    expect(await page.locator("#register-problem").textContent()).toContain("hardware.cores");
    expect(unexpectedErrors(errors, [422])).toEqual([]);
    await context.close();
  });

  it("accepts and rejects bids, offers on a capacity request and commits to a bid package", async () => {
    const accepted = await placeBid("0.2");
    const rejected = await placeBid("0.15");
    const request = await apiCall<{ id: string }>("POST", "/v1/capacity-requests", {
      key: userKey,
      body: {
        slices: 1,
        requirements: { region },
        durationHours: 24,
        maxPriceCcPerSliceHour: "0.5",
        budget: "20",
        deadlineInHours: 24,
      },
    });
    const packageId = `e2e-${stamp}`;
    await apiCall("PUT", `/v1/bid-packages/${packageId}`, {
      key: adminKey,
      body: {
        name: `E2E package ${stamp}`,
        requirements: { region },
        priceCcPerSliceMonth: "20",
        slicesCommitted: 10,
      },
    });

    const { page, context, errors } = await openPage(browser, "/farmer.html", "desktop", {
      apiKey: farmerKey,
    });
    await page.locator("#inbox-rows tr", { hasText: accepted.id }).waitFor();
    await page.getByRole("button", { name: `Accept ${accepted.id}` }).click();
    await page.locator("#inbox-rows tr", { hasText: accepted.id }).waitFor({ state: "detached" });
    await page.getByRole("button", { name: `Reject ${rejected.id}` }).click();
    await page.locator("#inbox-rows tr", { hasText: rejected.id }).waitFor({ state: "detached" });
    const bids = await apiCall<{ data: Bid[] }>("GET", "/v1/bids", { key: userKey });
    expect(bids.data.find((bid) => bid.id === accepted.id)?.status).toBe("accepted");
    expect(bids.data.find((bid) => bid.id === accepted.id)?.leaseId).toMatch(/^lse_/);
    expect(bids.data.find((bid) => bid.id === rejected.id)?.status).toBe("rejected");

    const card = page.locator(`[data-request="${request.id}"]`);
    await card.locator("select").selectOption(nodeId);
    await card.getByLabel("Your price (CC per slice-hour)").fill("0.15");
    await card.getByRole("button", { name: "Offer" }).click();
    await card.locator(".success", { hasText: "Offered" }).waitFor();
    const offered = await apiCall<{ offers: { nodeId: string; priceCcPerSliceHour: string }[] }>(
      "GET",
      `/v1/capacity-requests/${request.id}`,
      { key: userKey },
    );
    expect(offered.offers).toEqual([expect.objectContaining({ nodeId, priceCcPerSliceHour: "0.15" })]);

    const packageCard = page.locator(`[data-package="${packageId}"]`);
    await packageCard.locator("select").selectOption(nodeId);
    await packageCard.getByLabel("Slices").fill("2");
    await packageCard.getByRole("button", { name: "Commit" }).click();
    await packageCard.locator(".success", { hasText: "Committed" }).waitFor();
    const leases = await apiCall<{ data: Lease[] }>("GET", `/v1/leases?nodeId=${nodeId}`, { key: farmerKey });
    expect(leases.data.map((lease) => lease.kind).sort()).toEqual(["interruptible", "package"]);
    await screenshot(page, "farmer-inbox-desktop");
    expect(unexpectedErrors(errors)).toEqual([]);
    await context.close();
  });

  it("shows a node's leases, last heartbeat and earnings per node and lease with the split", async () => {
    await apiCall("POST", `/v1/nodes/${nodeId}/heartbeat`, { key: farmerKey });
    // An hour of running settled now: the leases' first hour splits 80/10/10.
    await apiCall("POST", "/v1/dev/clock", { key: adminKey, body: { advanceSeconds: 3700 } });
    await apiCall("POST", `/v1/nodes/${nodeId}/heartbeat`, { key: farmerKey });
    await apiCall("POST", `/v1/dev/nodes/${nodeId}/settle`, { key: adminKey });
    const earnings = await apiCall<{
      total: { farmer: string; gross: string };
      nodes: { nodeId: string; farmer: string }[];
      leases: { leaseId: string }[];
    }>("GET", `/v1/farmers/${farmerId}/earnings`, { key: farmerKey });
    expect(Number(earnings.total.gross)).toBeGreaterThan(0);

    const { page, context, errors } = await openPage(browser, "/farmer.html", "desktop", {
      apiKey: farmerKey,
    });
    const row = page.locator("#node-rows tr", { hasText: "E2E farmer node" });
    await row.waitFor();
    expect(await row.locator("td.heartbeat").textContent()).not.toBe("never");
    await page.getByRole("button", { name: "Leases on E2E farmer node" }).click();
    await page.locator("#node-lease-rows tr").first().waitFor();
    expect(await page.locator("#node-lease-rows tr").count()).toBe(2);

    const nodeRow = page.locator("#node-earning-rows tr", { hasText: "E2E farmer node" });
    await nodeRow.waitFor();
    const farmerPart = earnings.nodes.find((part) => part.nodeId === nodeId)?.farmer ?? "";
    // Shown at a precision that keeps it (never rounded to 0.00).
    expect(Number((await nodeRow.locator("td").nth(1).textContent())?.replace(" CC", ""))).toBeCloseTo(
      Number(farmerPart),
      3,
    );
    expect(await page.locator("#lease-rows tr").count()).toBe(earnings.leases.length);
    expect(await page.locator("#earnings-figures").textContent()).not.toContain(" 0.00 CC");
    await screenshot(page, "farmer-earnings-desktop");
    expect(unexpectedErrors(errors)).toEqual([]);
    await context.close();
  });
});
