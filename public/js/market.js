/**
 * Market page: browse and filter slices (GET /v1/market/slices, public): per-slice resources,
 * the farmer's prices in the band currency and in CC at the live peg, and reliability. Signed in,
 * a row's "Order" opens the order form: reserve a lease at the listed price (POST /v1/leases) or
 * place an interruptible bid (POST /v1/nodes/{id}/bids), with the CC the order holds shown
 * before confirming.
 */
import { ApiProblem, api, clearProblem, onSubmit, showProblem, withProgress } from "./api.js";
import { cc, element, fillRows, number, percent, precise } from "./format.js";
import { setUpPage } from "./layout.js";

let me = await setUpPage();

const form = document.getElementById("market-filter");
const panel = document.getElementById("slices-panel");
const problemRegion = document.getElementById("market-problem");
const rows = document.getElementById("slice-rows");
const more = document.getElementById("more-slices");
const count = document.getElementById("slice-count");
const empty = document.getElementById("market-empty");

/** Rows per page (the API allows up to 200). */
const pageSize = 50;
let nextCursor = null;
/** Hours of use a new lease or bid holds up front, from the last listing read. */
let prepaidHours = null;
let shown = [];

/** The filter form as query parameters (empty fields left out). */
function query(cursor) {
  const params = new URLSearchParams();
  for (const name of ["minCores", "minMemGb", "minSsdGb", "maxPricePerSliceHour", "region"]) {
    const value = form.elements[name].value.trim();
    if (value !== "") params.set(name, value);
  }
  const reliability = form.elements.minReliability.value.trim();
  if (reliability !== "") params.set("minReliability", String(Number(reliability) / 100));
  if (form.elements.gpu.checked) params.set("gpu", "true");
  if (form.elements.certified.checked) params.set("certified", "true");
  params.set("sort", form.elements.sort.value);
  params.set("limit", String(pageSize));
  if (cursor) params.set("cursor", cursor);
  return params;
}

/** A price cell: the band-currency price, and the CC price on its own line. */
function price(prices, period) {
  const own = period === "month" ? prices.perSliceMonth : prices.perSliceHour;
  const decimals = period === "month" ? 2 : 4;
  const cell = element("td", "", { class: "num" });
  cell.append(element("span", `${precise(own, decimals)} ${prices.currency}`, { class: "line" }));
  if (prices.inCc && prices.currency !== "CC") {
    const inCc = period === "month" ? prices.inCc.perSliceMonth : prices.inCc.perSliceHour;
    cell.append(element("span", `${precise(inCc, decimals)} CC`, { class: "line hint" }));
  }
  return cell;
}

function render() {
  fillRows(
    rows,
    shown.map((node) => {
      const name = element("th", "", { scope: "row" });
      name.append(element("span", node.name));
      if (node.certified) name.append(" ", element("span", "certified", { class: "badge healthy" }));
      return [
        name,
        node.region,
        element("td", `${node.freeSlices} / ${node.sliceCount}`, { class: "num" }),
        element("td", number(node.slice.cores, 2), { class: "num" }),
        element("td", `${number(node.slice.memGb, 1)} GB`, { class: "num" }),
        element("td", `${number(node.slice.ssdGb, 0)} GB`, { class: "num" }),
        element("td", Number(node.slice.aiGb) > 0 ? `${number(node.slice.aiGb, 1)} GB` : "–", {
          class: "num",
        }),
        price(node.prices, "month"),
        price(node.prices, "hour"),
        element("td", percent(node.reliability, 1), { class: "num" }),
        orderButton(node),
      ];
    }),
  );
  count.textContent = `(${shown.length}${nextCursor ? "+" : ""})`;
  empty.hidden = shown.length > 0;
  more.hidden = nextCursor === null;
}

async function load(append) {
  clearProblem(problemRegion, form);
  try {
    const page = await withProgress(
      panel,
      () => api(`/v1/market/slices?${query(append ? nextCursor : null)}`, { auth: false }),
      "Loading slices",
    );
    shown = append ? [...shown, ...page.data] : page.data;
    nextCursor = page.nextCursor;
    prepaidHours = page.prepaidHours;
    render();
  } catch (error) {
    showProblem(problemRegion, error, form);
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  void load(false);
});

// On a phone the filters start folded so the slices come first.
if (window.matchMedia("(max-width: 640px)").matches) document.getElementById("filters").open = false;

/*
 * Ordering. A reservation holds its price × slices for the prepaid window (the listing's
 * `prepaidHours`, the service's MARKET_PREPAID_HOURS; a shorter lease only its duration); a bid
 * holds its price × slices for the window. The figure shown before confirming is that product;
 * the service places the hold.
 */
const orderPanel = document.getElementById("order-panel");
const orderForm = document.getElementById("order-form");
const orderProblem = document.getElementById("order-problem");
const orderDone = document.getElementById("order-done");
const holdLine = document.getElementById("order-hold");
let ordering = null;

function orderButton(node) {
  const button = element("button", "Order", { type: "button", "aria-label": `Order slices of ${node.name}` });
  button.disabled = node.freeSlices === 0;
  button.addEventListener("click", () => void openOrder(node));
  return button;
}

/** The node's listed price per slice-hour in CC (what a reservation is charged). */
function listedCcPerSliceHour(node) {
  return node.prices.currency === "CC" ? node.prices.perSliceHour : (node.prices.inCc?.perSliceHour ?? null);
}

function mode() {
  return orderForm.elements.mode.value;
}

/** The CC this order would hold now, or null when an input is not a number yet. */
function holdOf() {
  const slices = Number(orderForm.elements.slices.value);
  if (!Number.isInteger(slices) || slices < 1 || !ordering || prepaidHours === null) return null;
  if (mode() === "reserve") {
    const price = Number(listedCcPerSliceHour(ordering));
    const durationText = orderForm.elements.durationHours.value.trim();
    const hours = durationText === "" ? prepaidHours : Math.min(prepaidHours, Number(durationText));
    if (!Number.isFinite(price) || !Number.isFinite(hours) || hours <= 0) return null;
    return { amount: price * slices * hours, price, hours };
  }
  const price = Number(orderForm.elements.priceCcPerSliceHour.value.trim());
  if (!Number.isFinite(price) || price <= 0) return null;
  return { amount: price * slices * prepaidHours, price, hours: prepaidHours };
}

function showHold() {
  const reserve = mode() === "reserve";
  document.getElementById("duration-field").hidden = !reserve;
  document.getElementById("bid-price-field").hidden = reserve;
  document.getElementById("bid-expiry-field").hidden = reserve;
  const hold = holdOf();
  const submit = document.getElementById("order-submit");
  if (hold === null) {
    holdLine.textContent = "Fill in the order to see the CC it holds.";
    submit.textContent = reserve ? "Reserve" : "Place bid";
    return;
  }
  const slices = Number(orderForm.elements.slices.value);
  holdLine.textContent = `Holds ${cc(hold.amount)} now: ${precise(hold.price, 4)} CC per slice-hour × ${slices} slice${
    slices === 1 ? "" : "s"
  } × ${hold.hours} h${reserve ? "" : " (released if the bid is rejected, expires or is cancelled)"}. Charged hourly from the hold; topped up while it runs.`;
  submit.textContent = reserve
    ? `Reserve, holding ${cc(hold.amount)}`
    : `Place bid, holding ${cc(hold.amount)}`;
}

async function openOrder(node) {
  ordering = node;
  clearProblem(orderProblem, orderForm);
  orderDone.textContent = "";
  document.getElementById("order-node").textContent = node.name;
  document.getElementById("order-node-detail").textContent =
    `${node.freeSlices} of ${node.sliceCount} slices free · listed ${precise(listedCcPerSliceHour(node), 4)} CC per slice-hour · lowest bid ${precise(node.prices.minBidCcPerSliceHour, 4)} CC per slice-hour`;
  document.getElementById("order-min-bid").textContent =
    `At least ${precise(node.prices.minBidCcPerSliceHour, 4)} CC (the farmer's minimum)`;
  orderForm.elements.slices.max = String(node.freeSlices);
  orderForm.elements.priceCcPerSliceHour.value = node.prices.minBidCcPerSliceHour;
  orderPanel.hidden = false;
  showHold();
  orderPanel.scrollIntoView({ block: "nearest" });
  const accounts = orderForm.elements.accountId;
  if (!me) {
    accounts.replaceChildren(element("option", "Sign in to order", { value: "" }));
    showProblem(
      orderProblem,
      new ApiProblem({ title: "Ordering needs a user key: sign in with one in the header." }),
    );
    return;
  }
  try {
    const mine = await api("/v1/accounts?limit=200");
    const usable = mine.data.filter((account) => account.asset === "CC" && !account.closed);
    accounts.replaceChildren(
      ...usable.map((account) =>
        element("option", `${account.id} · ${cc(account.balance.available)} available`, {
          value: account.id,
        }),
      ),
    );
    if (usable.length === 0) accounts.append(element("option", "Your default CC account", { value: "" }));
  } catch (error) {
    showProblem(orderProblem, error, orderForm);
  }
}

orderForm.addEventListener("input", showHold);
document.getElementById("order-cancel").addEventListener("click", () => {
  orderPanel.hidden = true;
  ordering = null;
});
window.addEventListener("apikeychange", (event) => {
  me = event.detail ?? null;
  if (ordering) void openOrder(ordering);
});

onSubmit(orderForm, orderProblem, async () => {
  orderDone.textContent = "";
  const node = ordering;
  const slices = Number(orderForm.elements.slices.value);
  const accountId = orderForm.elements.accountId.value;
  const account = accountId === "" ? {} : { accountId };
  if (mode() === "reserve") {
    const durationText = orderForm.elements.durationHours.value.trim();
    const lease = await api("/v1/leases", {
      method: "POST",
      body: {
        nodeId: node.id,
        slices,
        durationHours: durationText === "" ? null : Number(durationText),
        ...account,
      },
    });
    orderDone.replaceChildren(
      `Reserved: lease `,
      element("a", lease.id, { href: "/account.html#leases" }),
      ` of ${lease.slices} slice${lease.slices === 1 ? "" : "s"} at ${precise(lease.priceCcPerSliceHour, 4)} CC per slice-hour.`,
    );
  } else {
    const expiresText = orderForm.elements.expiresInHours.value.trim();
    const bid = await api(`/v1/nodes/${encodeURIComponent(node.id)}/bids`, {
      method: "POST",
      body: {
        slices,
        priceCcPerSliceHour: orderForm.elements.priceCcPerSliceHour.value.trim(),
        ...(expiresText === "" ? {} : { expiresInHours: Number(expiresText) }),
        ...account,
      },
    });
    orderDone.replaceChildren(
      `Bid `,
      element("a", bid.id, { href: "/account.html#bids" }),
      ` placed: ${bid.status}, waiting for the farmer.`,
    );
  }
  void load(false);
});
form.elements.sort.addEventListener("change", () => void load(false));
more.addEventListener("click", () => void load(true));

void load(false);
