/**
 * Market page: browse and filter slices (GET /v1/market/slices, public): per-slice resources,
 * the farmer's prices in the band currency and in CC at the live peg, and reliability.
 */
import { api, clearProblem, showProblem, withProgress } from "./api.js";
import { element, fillRows, number, percent } from "./format.js";
import { setUpPage } from "./layout.js";

setUpPage();

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
  cell.append(element("span", `${number(own, decimals, decimals)} ${prices.currency}`, { class: "line" }));
  if (prices.inCc && prices.currency !== "CC") {
    const cc = period === "month" ? prices.inCc.perSliceMonth : prices.inCc.perSliceHour;
    cell.append(element("span", `${number(cc, decimals, decimals)} CC`, { class: "line hint" }));
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
    render();
  } catch (error) {
    showProblem(problemRegion, error, form);
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  void load(false);
});
form.elements.sort.addEventListener("change", () => void load(false));
more.addEventListener("click", () => void load(true));

void load(false);
